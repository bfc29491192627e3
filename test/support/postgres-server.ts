/**
 * Starting and stopping a throwaway PostgreSQL server (Debian's `postgresql`) for tests.
 *
 * Runs in vitest's main process (from the global setup), so it does not import vitest.
 * A temp data directory, a free loopback port, a private socket directory; as root the
 * server runs as the `postgres` user through `runuser` (PostgreSQL refuses root) and its
 * directories are chowned to it. fsync is off and buffers are small: the cluster is thrown away.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** A running test server. */
export interface PostgresServer {
  /** URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres */
  url: string
  port: number
  dir: string
  stop(): Promise<void>
}

const PG_ROOT = '/usr/lib/postgresql'

/**
 * The bin directory of the newest installed Debian PostgreSQL, or null.
 *
 * Debian's binaries are used by absolute path: /usr/local/bin may hold wrappers or other versions.
 */
export function findPostgresBin(): string | null {
  let versions: string[]
  try {
    versions = fs.readdirSync(PG_ROOT)
  } catch {
    return null
  }
  const bins = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(PG_ROOT, v, 'bin'))
    .filter((b) => ['initdb', 'pg_ctl', 'postgres'].every((x) => fs.existsSync(path.join(b, x))))
  return bins[0] ?? null
}

/** The message used when PostgreSQL is missing. */
export const POSTGRES_MISSING = `PostgreSQL is not installed (no ${PG_ROOT}/*/bin/pg_ctl): install the Debian package "postgresql" to run these tests`

/**
 * Starts a throwaway PostgreSQL server and waits until it accepts connections.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin()
  if (!bin) throw new Error(POSTGRES_MISSING)
  const asRoot = process.getuid?.() === 0
  const owner = asRoot ? postgresUser() : null
  reapOrphans(bin, owner)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX))
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid))
  const data = path.join(dir, 'data')
  const sock = path.join(dir, 'sock')
  fs.mkdirSync(sock)
  if (owner) {
    fs.chownSync(dir, owner.uid, owner.gid)
    fs.chownSync(sock, owner.uid, owner.gid)
  }
  const run = (cmd: string, args: string[]): void => {
    const [file, argv] = owner ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
    const res = spawnSync(file, argv, { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' } })
    if (res.status !== 0) {
      throw new Error(`${path.basename(cmd)} failed (${res.error?.message ?? `exit ${res.status}`}): ${res.stderr || res.stdout}`)
    }
  }
  try {
    run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'])
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      const conf = [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${sock}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        'max_connections = 60',
        'max_wal_senders = 0',
        "wal_level = 'minimal'",
        'log_min_messages = warning',
      ].join('\n')
      fs.writeFileSync(path.join(dir, 'test.conf'), conf + '\n')
      if (owner) fs.chownSync(path.join(dir, 'test.conf'), owner.uid, owner.gid)
      fs.appendFileSync(path.join(data, 'postgresql.conf'), `\ninclude '${path.join(dir, 'test.conf')}'\n`)
      try {
        run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start'])
      } catch (err) {
        // Someone took the port between our probe and the start: try another one.
        if (attempt < 3 && /could not bind|Address already in use/i.test(readLog(dir))) continue
        throw new Error(`${(err as Error).message}\n${readLog(dir)}`)
      }
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`
      let stopped = false
      return {
        url,
        port,
        dir,
        async stop() {
          if (stopped) return
          stopped = true
          try {
            run(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', '-m', 'fast', 'stop'])
          } finally {
            fs.rmSync(dir, { recursive: true, force: true })
          }
        },
      }
    }
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

const DIR_PREFIX = 'syncdesk-pg-'
/** Holds the pid of the process that started the server, so a later run can tell an orphan. */
const OWNER_FILE = 'owner.pid'

/**
 * Stops and removes test servers whose starting process is gone (a run that was killed
 * before its teardown); servers of runs still going are left alone.
 */
function reapOrphans(bin: string, owner: { uid: number; gid: number } | null): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = path.join(os.tmpdir(), name)
    let pid: number
    try {
      pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'))
    } catch {
      continue
    }
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue
    const data = path.join(dir, 'data')
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      const ctl = path.join(bin, 'pg_ctl')
      const args = ['-D', data, '-w', '-t', '10', '-m', 'immediate', 'stop']
      spawnSync(owner ? 'runuser' : ctl, owner ? ['-u', 'postgres', '--', ctl, ...args] : args, { cwd: os.tmpdir(), stdio: 'ignore' })
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'server.log'), 'utf8')
  } catch {
    return ''
  }
}

function postgresUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (!uid || !gid) throw new Error('tests run as root but there is no "postgres" user to run PostgreSQL as (it comes with the Debian package "postgresql")')
  return { uid: Number(uid), gid: Number(gid) }
}

/** A loopback port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))))
    })
  })
}
