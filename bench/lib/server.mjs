// The real environment server (`node bin/syncdesk-server.cjs`) as a child process on loopback,
// for the "through the environment server" and records rows.
//
// The server's stdout/stderr go to files rather than pipes: the bench times the CLI with
// spawnSync, which blocks this process's event loop, and a full pipe would stall the server.
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PROFILE_ARGS } from './exec.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SERVER_BIN = path.join(REPO, 'bin', 'syncdesk-server.cjs')

const running = new Set()
// Clock ticks per second of /proc/PID/stat times (100 on Linux unless getconf says otherwise).
const CLK_TCK = (() => { const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }); return Number(r.stdout) || 100 })()

/** `syncdesk-server token create NAME --scopes read,write`: the token is the last line of stdout. */
export function createToken(dir, name = 'bench', scopes = 'read,write') {
  const r = spawnSync(process.execPath, [SERVER_BIN, 'token', 'create', name, '--scopes', scopes, '--project-dir', dir], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`token create exited ${r.status}: ${(r.stderr || r.stdout).trim()}`)
  const token = r.stdout.trim().split('\n').pop()?.trim()
  if (!token) throw new Error('token create printed no token')
  return token
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts `syncdesk-server --project-dir DIR --port 0 --quiet [...extra]` and resolves once it
 * printed `… on http://HOST:PORT`. Returns { url, pid, line, stderr(), peakRssMB(), cpuSeconds(), stop() }.
 */
export async function startServer(dir, { extra = [], logDir, timeoutMs = 20_000 } = {}) {
  fs.mkdirSync(logDir, { recursive: true })
  const outFile = path.join(logDir, 'server.stdout')
  const errFile = path.join(logDir, 'server.stderr')
  const out = fs.openSync(outFile, 'w')
  const err = fs.openSync(errFile, 'w')
  const args = [SERVER_BIN, '--project-dir', dir, '--port', '0', '--quiet', ...extra]
  const child = spawn(process.execPath, [...PROFILE_ARGS, ...args], { stdio: ['ignore', out, err], cwd: REPO })
  fs.closeSync(out)
  fs.closeSync(err)
  let exited = null
  child.once('exit', (code, signal) => { exited = { code, signal } })
  const read = (f) => { try { return fs.readFileSync(f, 'utf8') } catch { return '' } }
  const server = {
    pid: child.pid,
    url: null,
    line: ['node', ...args].join(' '),
    stderr: () => read(errFile),
    /** Peak resident set of the server process so far (VmHWM), in MB; null once it is gone. */
    peakRssMB() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        return m ? Number(m[1]) / 1024 : null
      } catch { return null }
    },
    /** CPU time (user + system) the server process used so far, in seconds; null once it is gone. */
    cpuSeconds() {
      try {
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8')
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        return (Number(f[11]) + Number(f[12])) / CLK_TCK
      } catch { return null }
    },
    /** SIGTERM, up to 5 s to exit, then SIGKILL. Synchronous, so it can run from an exit handler. */
    stop() {
      running.delete(server)
      if (exited || child.exitCode !== null || child.signalCode !== null) return
      try { process.kill(child.pid, 'SIGTERM') } catch { return }
      const until = Date.now() + 5000
      while (Date.now() < until) {
        try { process.kill(child.pid, 0) } catch { return }
        // The child is ours and not yet reaped: /proc shows it as a zombie once it exited.
        try { if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))) return } catch { return }
        spawnSync('sleep', ['0.05'])
      }
      try { process.kill(child.pid, 'SIGKILL') } catch {}
    },
  }
  running.add(server)
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const m = / on (https?:\/\/[^\s]+)/.exec(read(outFile))
    if (m) { server.url = m[1]; return server }
    if (exited) { running.delete(server); throw new Error(`syncdesk-server exited (${exited.code ?? exited.signal}) before listening: ${read(errFile).trim() || read(outFile).trim()}`) }
    await sleep(25)
  }
  server.stop()
  throw new Error(`syncdesk-server did not print its URL in ${timeoutMs / 1000} s: ${read(errFile).trim()}`)
}

/** Stops every server started here that is still running (cleanup, failure paths). */
export function stopAllServers() {
  for (const s of [...running]) s.stop()
}
