/**
 * A real environment server as a child process (`node bin/syncdesk-server.cjs`) on 127.0.0.1,
 * for the CLI integration tests under test/. The server is a separate process, so tests may
 * run the CLI with spawnSync while it answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { CLI, REPO, type CliResult } from '../helpers.js'

export const SERVER_BIN = path.join(REPO, 'bin', 'syncdesk-server.cjs')

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` as the server printed it. */
  url: string
  /** The environment's project folder. */
  dir: string
  child: ChildProcess
  /** What the server wrote on stderr so far. */
  stderr(): string
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>
  /** SIGKILL, and wait for it to exit. */
  kill(): Promise<void>
}

const running = new Set<ServerProcess>()

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))
}

/** Starts a server over `dir` (on a free port unless `port` is given); resolves once it prints its URL. */
export function startServerProcess(dir: string, opts: { deployCommand?: string; name?: string; port?: number } = {}): Promise<ServerProcess> {
  const args = [SERVER_BIN, 'serve', '--project-dir', dir, '--port', String(opts.port ?? 0), '--quiet']
  if (opts.deployCommand !== undefined) args.push('--deploy-command', opts.deployCommand)
  if (opts.name !== undefined) args.push('--name', opts.name)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the server did not start in 15 s: ${err}`))
    }, 15_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      const server: ServerProcess = {
        url: m[1] as string,
        dir,
        child,
        stderr: () => err,
        async stop() {
          running.delete(server)
          child.kill('SIGTERM')
          await exited(child)
        },
        async kill() {
          running.delete(server)
          child.kill('SIGKILL')
          await exited(child)
        },
      }
      running.add(server)
      resolve(server)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited (${code}) before listening: ${err}`))
    })
  })
}

/** Kills every server this module started and that is still running (for afterAll). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill()))
}

/** `syncdesk-server token create`: the token is the last line of its output. */
export function createToken(dir: string, name: string, scopes: string): string {
  const r = spawnSync(process.execPath, [SERVER_BIN, 'token', 'create', name, '--scopes', scopes, '--project-dir', dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`token create failed (${r.status}): ${r.stderr}`)
  const token = r.stdout.trim().split('\n').pop()
  if (!token) throw new Error('token create printed no token')
  return token
}

/** A loopback port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

/** The child environment for a CLI run: the test's own, minus `drop`, plus `add`. */
export function childEnv(add: NodeJS.ProcessEnv = {}, drop: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('SYNCDESK_TOKEN_')) delete env[k]
  for (const k of drop) delete env[k]
  return { ...env, ...add }
}

/** Runs the built CLI with exactly `env` (default: childEnv()) and optional standard input. */
export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024, env: opts.env ?? childEnv(), input: opts.input ?? '' })
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}

/** Runs the built CLI without blocking (for runs at the same moment, or a kill meanwhile). */
export function runCliAsync(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: opts.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}
