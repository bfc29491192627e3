/**
 * Makes the Remote for one of a project's environments. The one place that knows which
 * kinds exist; the engine only ever sees the Remote interface.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SyncDeskError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import { resolveToken } from '../secrets/credential-store.js'
import { KeytarCredentialStore } from '../secrets/keytar-store.js'
import { FolderRemote } from './folder-remote.js'
import { ServerRemote } from './server-remote.js'
import type { Remote } from './remote.js'

export interface OpenRemoteOptions {
  /** Supplies the token of a server environment (keychain or environment variable). */
  tokenFor?: (envName: string) => Promise<string>
}

/** Opens the remote of environment `envName`, with clear errors for what is missing. */
export async function openRemote(project: Project, envName: string, opts: OpenRemoteOptions = {}): Promise<Remote> {
  const env = project.environment(envName)
  if (env.kind === 'folder') {
    let st: fs.Stats
    try {
      st = fs.statSync(env.path)
    } catch {
      throw new SyncDeskError('remote-unreachable', `The folder of environment "${envName}" (${env.path}) is not there.`, 'Mount or create it, or change the environment with "syncdesk env add".')
    }
    if (!st.isDirectory()) throw new SyncDeskError('remote-unreachable', `The environment "${envName}" points at ${env.path}, which is not a folder.`)
    return new FolderRemote(envName, env.path, { cacheFile: project.cacheFile(envName) })
  }
  const tokenFor = opts.tokenFor ?? ((name: string) => resolveToken(new KeytarCredentialStore(), project.dir, name))
  return new ServerRemote(envName, env.url, await tokenFor(envName))
}

/** Opens an environment's remote for the length of `fn`, and always closes it. */
export async function withRemote<T>(project: Project, envName: string, fn: (remote: Remote) => Promise<T>, opts: OpenRemoteOptions = {}): Promise<T> {
  const remote = await openRemote(project, envName, opts)
  try {
    return await fn(remote)
  } finally {
    await remote.close()
  }
}

/** Refuses a folder environment that is inside the project or contains it. */
export function assertFolderOutsideProject(projectDir: string, folder: string): void {
  const a = path.resolve(projectDir) + path.sep
  const b = path.resolve(folder) + path.sep
  if (a.startsWith(b) || b.startsWith(a)) {
    throw new SyncDeskError('usage', `The environment folder ${folder} overlaps the project ${projectDir}; use a folder outside the project.`)
  }
}
