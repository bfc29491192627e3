/**
 * Makes the Remote for one of a project's environments. The one place that knows which
 * kinds exist; the engine only ever sees the Remote interface.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SyncDeskError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import { resolveToken, type CredentialStore } from '../secrets/credential-store.js'
import { FolderRemote } from '../remotes/folder-remote.js'
import { ServerRemote } from '../remotes/server-remote.js'
import type { Remote } from '../engine/remote.js'

/** Where a server environment's token comes from: the variable first, then the keychain. */
export interface OpenRemoteOptions {
  credentials: CredentialStore
  env?: NodeJS.ProcessEnv
}

/** Opens the remote of environment `envName`, with clear errors for what is missing. */
export async function openRemote(project: Project, envName: string, opts: OpenRemoteOptions): Promise<Remote> {
  const env = project.environment(envName)
  if (env.kind === 'folder') {
    let st: fs.Stats
    try {
      st = fs.statSync(env.path)
    } catch {
      throw new SyncDeskError('remote-unreachable', `The folder of environment "${envName}" (${env.path}) is not there.`, 'Mount or create it, or change the environment.', { env: envName, folder: env.path })
    }
    if (!st.isDirectory()) throw new SyncDeskError('remote-unreachable', `The environment "${envName}" points at ${env.path}, which is not a folder.`)
    return FolderRemote.forProject(project, envName, env.path)
  }
  return new ServerRemote(envName, env.url, await resolveToken(opts.credentials, project.dir, envName, opts.env))
}

/** Refuses a folder environment that is inside the project or contains it. */
export function assertFolderOutsideProject(projectDir: string, folder: string): void {
  const a = path.resolve(projectDir) + path.sep
  const b = path.resolve(folder) + path.sep
  if (a.startsWith(b) || b.startsWith(a)) {
    throw new SyncDeskError('usage', `The environment folder ${folder} overlaps the project ${projectDir}; use a folder outside the project.`)
  }
}
