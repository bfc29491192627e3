/**
 * An environment server the host runs itself, on 127.0.0.1: the demo's "cloud".
 *
 * It is the real `syncdesk-server` as a child process (the same program an environment runs),
 * over the demo's environment folder and its SQLite database, with a deploy command that
 * succeeds. Its token is made at each start and kept for the session only (in memory, never in
 * the keychain or a file); the port is picked at each start and written into the demo's config.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { SyncDeskError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import { accountFor } from '../secrets/credential-store.js'
import type { SessionCredentials } from './session-credentials.js'
import type { Disposable } from './disposable.js'

/** A running embedded server. */
export interface EmbeddedServer extends Disposable {
  url: string
  dispose(): Promise<void>
}

/** Where `syncdesk-server` is: beside the running `syncdesk` launcher, or where SYNCDESK_SERVER_BIN says. */
export function serverBin(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [env.SYNCDESK_SERVER_BIN, path.join(path.dirname(process.argv[1] ?? '.'), 'syncdesk-server.cjs'), path.join(process.cwd(), 'bin', 'syncdesk-server.cjs')]
  return candidates.find((c): c is string => !!c && fs.existsSync(c)) ?? null
}

/**
 * Starts the server over `envDir` for environment `envName` of `project`, makes its token on
 * the first start, and points the project's environment at it. Needs plain Node (not inside
 * Electron, whose binary does not run scripts).
 */
export async function startEmbeddedServer(project: Project, envName: string, envDir: string, credentials: SessionCredentials): Promise<EmbeddedServer> {
  const bin = serverBin()
  if (!bin || process.versions.electron) throw new SyncDeskError('not-found', 'The embedded environment server cannot be started here.', undefined, { reason: bin ? 'electron' : 'no-server-bin' })
  // One token per start: the previous one is revoked first, so the tokens file does not grow.
  spawnSync(process.execPath, [bin, 'token', 'revoke', 'demo', '--project-dir', envDir], { encoding: 'utf8' })
  const made = spawnSync(process.execPath, [bin, 'token', 'create', 'demo', '--scopes', 'read,write,deploy', '--project-dir', envDir], { encoding: 'utf8' })
  const token = made.stdout.trim().split('\n').pop()
  if (made.status !== 0 || !token) throw new SyncDeskError('io', `Could not make the demo server's token: ${made.stderr.trim().split('\n')[0] ?? 'no output'}`)
  credentials.keepForSession(accountFor(project.dir, envName), token)
  const deploy = `"${process.execPath}" -e "console.log('Building the demo…'); setTimeout(() => console.log('Deployed.'), 800)"`
  const child = spawn(process.execPath, [bin, 'serve', '--project-dir', envDir, '--port', '0', '--host', '127.0.0.1', '--name', envName, '--deploy-command', deploy, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await listening(child)
  const look = project.config.environments[envName]
  project.config.environments[envName] = { kind: 'server', url, ...(look?.color ? { color: look.color } : {}), ...(look?.protected ? { protected: true } : {}) }
  try {
    await project.save()
  } catch (err) {
    child.kill('SIGTERM')
    throw err
  }
  return {
    url,
    async dispose() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new SyncDeskError('io', `The embedded environment server did not start: ${err.trim().split('\n')[0] ?? 'no answer in 15 s'}`))
    }, 15_000)
    let found = false
    // Only the start is read: once listening, the server's output is not kept (it runs for the session).
    child.stderr?.on('data', (d: Buffer) => {
      if (!found && err.length < 4096) err += d.toString()
    })
    child.stdout?.on('data', (d: Buffer) => {
      if (found) return
      out += d.toString()
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) {
        found = true
        clearTimeout(timer)
        resolve(`${m[1]}/`)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new SyncDeskError('io', `The embedded environment server stopped (${code}): ${err.trim().split('\n')[0] ?? ''}`))
    })
  })
}
