// Records benchmark on its own: 10,000 rows in a local SQLite project database pushed to an
// environment server backed by a private, durable PostgreSQL (lib/postgres.mjs), timed against
// the floor (one bulk INSERT of the same rows by a plain Node process, lib/records-floor.mjs),
// then a no-change status of those records. Each rep uses a fresh project, server and database;
// every push is verified (PostgreSQL's rows digest equals the SQLite rows', and a new status has
// nothing to push).
//
//   node scripts/build.mjs && node bench/records.mjs [--reps=3] [--rows=10000]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { run, firstLine, median } from './lib/exec.mjs'
import { TOOLS, pendingFromStatusJson } from './lib/tools.mjs'
import { startServer, stopAllServers, createToken } from './lib/server.mjs'
import { startPostgres, stopAllPostgres, findPostgresBin, POSTGRES_MISSING } from './lib/postgres.mjs'
import { makeAgents, writeSqlite, digestOf, PG_DDL, PG_DIGEST_SQL } from './lib/records.mjs'

const BENCH = path.dirname(new URL(import.meta.url).pathname)
const opts = { reps: 3, rows: 10_000 }
for (const a of process.argv.slice(2)) {
  const [k, v] = a.replace(/^--/, '').split('=')
  if (k === 'reps') opts.reps = Math.max(1, Number(v) || 3)
  else if (k === 'rows') opts.rows = Math.max(1, Number(v) || 10_000)
  else { process.stderr.write(`unknown option ${a}\n`); process.exit(2) }
}
if (!findPostgresBin()) { process.stderr.write(`${POSTGRES_MISSING}\n`); process.exit(1) }

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-bench-records-'))
const scratch = path.join(work, 'scratch')
fs.mkdirSync(scratch)
const cleanup = () => { stopAllServers(); stopAllPostgres(); fs.rmSync(work, { recursive: true, force: true }) }
process.on('SIGINT', () => { cleanup(); process.exit(130) })
process.on('SIGTERM', () => { cleanup(); process.exit(143) })

const tool = TOOLS.find((t) => t.name === 'syncdesk')
const agents = makeAgents(opts.rows)
const digest = digestOf(agents)
const log = (s) => process.stderr.write(`${s}\n`)
const pushes = []
const statuses = []
const floors = []
try {
  const pg = await startPostgres()
  log(`${pg.version}; fsync/synchronous_commit/full_page_writes = ${pg.settings}`)
  pg.psql('postgres', 'CREATE DATABASE floor')
  pg.psql('floor', PG_DDL)
  for (let rep = 0; rep < opts.reps; rep++) {
    const db = `bench${rep}`
    pg.psql('postgres', `CREATE DATABASE ${db}`)
    pg.psql(db, PG_DDL)
    const base = path.join(work, `rep${rep}`)
    const pair = { local: path.join(base, 'local'), remote: path.join(base, 'remote'), home: path.join(base, 'home'), sqlite: 'app.sqlite', scope: 'records', envName: 'srv' }
    for (const d of [pair.local, pair.remote, pair.home]) fs.mkdirSync(d, { recursive: true })
    writeSqlite(path.join(pair.local, pair.sqlite), agents)
    const token = createToken(pair.remote, 'bench', 'read,write')
    const server = await startServer(pair.remote, { extra: ['--database-url', pg.url(db)], logDir: pair.home })
    pair.serverUrl = server.url
    const env = { ...process.env }
    for (const k of Object.keys(env)) if (k.startsWith('SYNCDESK_TOKEN_')) delete env[k]
    pair.childEnv = { ...env, SYNCDESK_TOKEN_SRV: token }
    const setupError = tool.setup(pair, scratch)
    if (setupError) throw new Error(`setup: ${setupError}`)
    const step = (kind) => { const b = tool.step(kind, pair); return run(b.cmd, b.args, { env: b.env, cwd: b.cwd, scratch }) }

    const push = step('push')
    if (push.code !== 0) throw new Error(`push: ${firstLine(push)}`)
    const [count, got] = pg.psql(db, PG_DIGEST_SQL).split(' ')
    if (Number(count) !== agents.length || got !== digest) throw new Error(`push: PostgreSQL holds ${count} rows, digest ${got === digest ? 'matches' : 'differs'}`)
    pushes.push(push.seconds)

    step('status') // warm-up
    const st = step('status')
    const p = st.code === 0 ? pendingFromStatusJson(st.stdout) : { note: firstLine(st) }
    if (p.pending !== 0) throw new Error(`status after the push: ${p.note ?? `${p.pending} pending`}`)
    statuses.push(st.seconds)

    const f = run(process.execPath, [path.join(BENCH, 'lib', 'records-floor.mjs'), 'bulk', path.join(pair.local, pair.sqlite), pg.url('floor')], { scratch })
    if (f.code !== 0) throw new Error(`floor: ${firstLine(f)}`)
    const [seconds, n] = f.stdout.trim().split(' ').map(Number)
    if (n !== agents.length) throw new Error(`floor: PostgreSQL holds ${n} rows`)
    floors.push(seconds)
    server.stop()
    log(`rep ${rep + 1}: push ${push.seconds.toFixed(3)} s, floor ${seconds.toFixed(3)} s, status ${st.seconds.toFixed(3)} s`)
  }
} catch (err) {
  log(`records bench failed: ${err.message}`)
  cleanup()
  process.exit(1)
}
cleanup()

const n = opts.rows.toLocaleString('en')
const push = median(pushes)
const floor = median(floors)
const status = median(statuses)
const fmt = (x) => x.toFixed(3)
process.stdout.write(`scenario | SyncDesk | floor | ratio | target | met?\n`)
process.stdout.write(`push of ${n} records to PostgreSQL | ${fmt(push)} s | floor ${fmt(floor)} s | ${(push / floor).toFixed(2)}× | ≤ 2× | ${push <= 2 * floor ? 'yes' : 'no'}\n`)
process.stdout.write(`status, no change, ${n} records | ${fmt(status)} s | — | — | ≤ 0.3 s | ${status <= 0.3 ? 'yes' : 'no'}\n`)
process.stdout.write(`(medians of ${opts.reps}; push ${pushes.map(fmt).join(', ')}; floor ${floors.map(fmt).join(', ')}; status ${statuses.map(fmt).join(', ')})\n`)
