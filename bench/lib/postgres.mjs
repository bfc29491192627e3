// A private PostgreSQL server (Debian's `postgresql`) for the records rows of the benchmark.
//
// Same approach as test/support/postgres-server.ts (which is TypeScript, so plain Node cannot
// import it): initdb in a temp dir, a free loopback port, a private socket directory, trust
// auth on 127.0.0.1; as root it runs as the `postgres` user through `runuser`. Unlike the
// test server it keeps PostgreSQL's durable defaults (fsync = on, synchronous_commit = on,
// full_page_writes = on): the push being timed is a durable write.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const PG_ROOT = '/usr/lib/postgresql'
const DIR_PREFIX = 'syncdesk-bench-pg-'
const OWNER_FILE = 'owner.pid'
/** Stop functions of the clusters started here and not stopped yet. */
const running = new Set()

/** Stops every cluster started here (signals, failures); synchronous. */
export function stopAllPostgres() {
  for (const stop of [...running]) stop()
}

/** The bin directory of the newest installed Debian PostgreSQL, or null. */
export function findPostgresBin() {
  let versions
  try { versions = fs.readdirSync(PG_ROOT) } catch { return null }
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(PG_ROOT, v, 'bin'))
    .find((b) => ['initdb', 'pg_ctl', 'postgres', 'psql'].every((x) => fs.existsSync(path.join(b, x)))) ?? null
}

export const POSTGRES_MISSING = `PostgreSQL is not installed (no ${PG_ROOT}/*/bin/pg_ctl; apt-get install postgresql)`

function postgresUser() {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (!uid || !gid) throw new Error('running as root but there is no "postgres" user to run PostgreSQL as')
  return { uid: Number(uid), gid: Number(gid) }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

const alive = (pid) => { try { process.kill(pid, 0); return true } catch (e) { return e.code === 'EPERM' } }

/** Stops and removes clusters left by bench runs that were killed before their teardown. */
function reapOrphans(bin, owner) {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = path.join(os.tmpdir(), name)
    let pid
    try { pid = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) } catch { continue }
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue
    const data = path.join(dir, 'data')
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      const ctl = path.join(bin, 'pg_ctl')
      const args = ['-D', data, '-w', '-t', '10', '-m', 'immediate', 'stop']
      spawnSync(owner ? 'runuser' : ctl, owner ? ['-u', 'postgres', '--', ctl, ...args] : args, { cwd: os.tmpdir(), stdio: 'ignore' })
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Starts a private PostgreSQL server; resolves to { url, port, dir, bin, psql(db, sql), stop() }.
 * `stop()` is synchronous (pg_ctl stop -m fast), so it can run from an exit handler.
 * keepLogIn: a folder to copy PostgreSQL's server.log into before the cluster is removed.
 */
export async function startPostgres({ keepLogIn = null } = {}) {
  const bin = findPostgresBin()
  if (!bin) throw new Error(POSTGRES_MISSING)
  const owner = process.getuid?.() === 0 ? postgresUser() : null
  reapOrphans(bin, owner)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX))
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid))
  const data = path.join(dir, 'data')
  const sock = path.join(dir, 'sock')
  fs.mkdirSync(sock)
  if (owner) { fs.chownSync(dir, owner.uid, owner.gid); fs.chownSync(sock, owner.uid, owner.gid) }
  const exec = (cmd, args, input) => {
    const [file, argv] = owner ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
    return spawnSync(file, argv, { cwd: dir, encoding: 'utf8', input, env: { ...process.env, LC_ALL: 'C', LANG: 'C', PGCONNECT_TIMEOUT: '10' } })
  }
  const must = (cmd, args, input) => {
    const r = exec(cmd, args, input)
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim()}`)
    return r.stdout
  }
  const log = () => { try { return fs.readFileSync(path.join(dir, 'server.log'), 'utf8') } catch { return '' } }
  let started = false
  const stop = () => {
    running.delete(stop)
    if (started) {
      started = false
      exec(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', '-m', 'fast', 'stop'])
    }
    if (keepLogIn) try { fs.mkdirSync(keepLogIn, { recursive: true }); fs.copyFileSync(path.join(dir, 'server.log'), path.join(keepLogIn, 'postgres.log')) } catch {}
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    // --no-sync only skips flushing the freshly made cluster files (which are thrown away after
    // the run); the server itself runs with fsync = on.
    must(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'])
    for (let attempt = 0; ; attempt++) {
      const port = await freePort()
      const conf = [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${sock}'`,
        'fsync = on',
        'synchronous_commit = on',
        'full_page_writes = on',
        'max_connections = 40',
        'log_min_messages = warning',
      ].join('\n')
      fs.writeFileSync(path.join(dir, 'bench.conf'), conf + '\n')
      if (owner) fs.chownSync(path.join(dir, 'bench.conf'), owner.uid, owner.gid)
      if (attempt === 0) fs.appendFileSync(path.join(data, 'postgresql.conf'), `\ninclude '${path.join(dir, 'bench.conf')}'\n`)
      const r = exec(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start'])
      if (r.status !== 0) {
        if (attempt < 3 && /could not bind|Address already in use/i.test(log())) continue
        throw new Error(`pg_ctl start failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}\n${log()}`)
      }
      started = true
      running.add(stop)
      const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`
      /** Runs SQL through psql over the private socket; returns stdout (unaligned, tuples only). */
      const psql = (db, sql) => must(path.join(bin, 'psql'), ['-h', sock, '-p', String(port), '-U', 'postgres', '-d', db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'], sql).trim()
      const version = must(path.join(bin, 'postgres'), ['--version']).trim()
      const settings = psql('postgres', 'SHOW fsync; SHOW synchronous_commit; SHOW full_page_writes;').split('\n').join('/')
      return { url, port, dir, bin, psql, stop, version, settings }
    }
  } catch (err) {
    stop()
    throw err
  }
}
