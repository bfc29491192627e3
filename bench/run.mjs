// SyncDesk benchmark: times SyncDesk side by side with unison and rclone bisync in one run,
// checks that every tool really synced (file lists + sha256), and compares with the
// performance targets of DESIGN.md. Besides the folder-remote rows: the same tree through the
// real environment server on loopback, and 10,000 records pushed from a local SQLite project
// database to a server backed by a private PostgreSQL (when Debian's postgresql is installed).
//
//   npm run bench                       (builds, then runs everything; ~2–4 min on 2 cores)
//   node bench/run.mjs --tools=syncdesk,unison --scenarios=first-10k,status-10k --keep
//   node bench/run.mjs --no-100k --reps=5
//   node bench/run.mjs --tools=syncdesk --scenarios=records-status,records-push,records-status-synced
//   SYNCDESK_BENCH_CPU_PROF=/tmp/prof node bench/run.mjs --tools=syncdesk --scenarios=records-push
//     (a V8 CPU profile of every syncdesk and syncdesk-server process; bench/lib/profile-summary.mjs)
//
// Scenarios and tools are plain lists (SCENARIOS below, TOOLS in lib/tools.mjs): a new row or
// column is one more object. Results: stdout and bench/.work/results.json.
// Servers (lib/server.mjs) and PostgreSQL (lib/postgres.mjs) are stopped at the end, on
// failure and on SIGINT/SIGTERM; with --keep their logs stay in the work dir.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTree, writeTree, manifestOf, manifestOfFiles, compareManifests, planChanges, applyOps } from './lib/tree.mjs'
import { run, firstLine, median, HAVE_TIME } from './lib/exec.mjs'
import { TOOLS, pendingFromStatusJson } from './lib/tools.mjs'
import { startServer, stopAllServers, createToken } from './lib/server.mjs'
import { startPostgres, stopAllPostgres, findPostgresBin, POSTGRES_MISSING } from './lib/postgres.mjs'
import { makeAgents, rowBytes, writeSqlite, digestOf, PG_DDL, PG_DIGEST_SQL } from './lib/records.mjs'

const BENCH = path.dirname(fileURLToPath(import.meta.url))
const SUBJECT = 'syncdesk'

// ---------------------------------------------------------------- options
const opts = { keep: false, tools: null, scenarios: null, big: true, reps: 3 }
for (const a of process.argv.slice(2)) {
  const [k, v] = a.replace(/^--/, '').split('=')
  if (k === 'keep') opts.keep = true
  else if (k === 'tools') opts.tools = v.split(',')
  else if (k === 'scenarios') opts.scenarios = v.split(',')
  else if (k === 'no-100k') opts.big = false
  else if (k === 'reps') opts.reps = Math.max(1, Number(v) || 3)
  else if (k === 'help' || k === 'h') {
    process.stdout.write('node bench/run.mjs [--tools=syncdesk,unison,rclone] [--scenarios=id,…] [--no-100k] [--reps=3] [--keep]\n')
    process.exit(0)
  } else { process.stderr.write(`unknown option ${a}\n`); process.exit(2) }
}

// ---------------------------------------------------------------- trees
const TREES = {
  '10k': { seed: 10_000, count: 10_000, totalBytes: 40_000_000 },
  '100k': { seed: 100_000, count: 100_000, totalBytes: 40_000_000, typical: 380, sigma: 0.5, large: 0.001 },
}

const RECORDS = 10_000

// ---------------------------------------------------------------- scenarios
// kind: which tool step to time ('first' | 'status' | 'sync' | 'push').
// via: where the tool syncs to — 'folder' (default: an empty folder), 'server' (the real
// environment server on loopback, serving an empty folder) or 'records' (a project with a
// SQLite database, to a server backed by PostgreSQL). Each (tree, tool, via) has its own pair.
// repeat: { warmup, runs } → the reported time is the median of `runs` after `warmup` runs.
// before(ctx, pair): untimed preparation. verify(ctx, pair, last): { ok, summary } after the
// step (last = the last run's result).
// baseline: id of the folder row this row is compared with (column "server ÷ folder").
// target: { text, check(cells, done) → true | false | null (cannot tell) }; done: id → cells
// of the rows run so far.
const sec = (cells, tool) => (cells[tool]?.ok ? cells[tool].seconds : null)
const mirrorOf = (treeId) => (ctx, pair) => verifyBoth(pair, ctx.trees[treeId].manifest)
const vsBaseline = (s, done) => {
  const a = sec(done.get(s.id) ?? {}, SUBJECT)
  const b = s.baseline && done.get(s.baseline) ? sec(done.get(s.baseline), SUBJECT) : null
  return a == null || b == null || b <= 0 ? null : a / b
}
const atMostTimesFolder = (k) => ({
  text: `≤ ${k} × folder`,
  check(_cells, done, s) { const r = vsBaseline(s, done); return r == null ? null : r <= k },
})
/** Checks what `status --format json` reported after the last run. */
const pendingIs = (want) => (_ctx, _pair, last) => {
  const p = pendingFromStatusJson(last.stdout)
  if (p.pending === undefined) return { ok: false, summary: p.note }
  const ok = p.pending === want && (want === 0 || p.counts.local_to_remote === want)
  return { ok, summary: `${ok ? '' : `expected ${want} to push; `}status: ${Object.entries(p.counts).map(([k, v]) => `${k} ${v}`).join(', ')}` }
}

const SCENARIOS = [
  {
    id: 'first-10k', label: 'first sync, 10k files / 40 MB → empty folder', tree: '10k', kind: 'first',
    repeat: { warmup: 0, runs: 1 }, verify: mirrorOf('10k'),
    target: {
      text: '≤ 0.5 × unison',
      check: (c) => (sec(c, SUBJECT) == null || sec(c, 'unison') == null ? null : sec(c, SUBJECT) <= 0.5 * sec(c, 'unison')),
    },
  },
  {
    id: 'first-10k-server', label: '  … through the environment server on loopback', tree: '10k', via: 'server', kind: 'first',
    tools: [SUBJECT], repeat: { warmup: 0, runs: 1 }, verify: mirrorOf('10k'), baseline: 'first-10k', target: atMostTimesFolder(2),
  },
  {
    id: 'status-10k', label: 'status, no change, 10k (warm)', tree: '10k', kind: 'status', needs: 'first-10k',
    repeat: { warmup: 1, runs: opts.reps },
    target: {
      text: '< unison',
      check: (c) => (sec(c, SUBJECT) == null || sec(c, 'unison') == null ? null : sec(c, SUBJECT) < sec(c, 'unison')),
    },
  },
  {
    id: 'status-10k-server', label: '  … through the environment server on loopback', tree: '10k', via: 'server', kind: 'status', needs: 'first-10k-server',
    tools: [SUBJECT], repeat: { warmup: 1, runs: opts.reps }, verify: pendingIs(0), baseline: 'status-10k', target: atMostTimesFolder(2),
  },
  {
    // The same status while `syncdesk serve` keeps the project live: the CLI asks it over the
    // socket in .syncdesk/ (SYNCDESK_RESIDENT=require: a run the host did not answer fails).
    id: 'status-10k-resident', label: 'status, no change, 10k, with `syncdesk serve` running for that project (warm)', tree: '10k', kind: 'status', needs: 'first-10k',
    tools: [SUBJECT, 'unison'], repeat: { warmup: 1, runs: opts.reps },
    verify: (ctx, pair, last) => (pair.tool.name === SUBJECT ? pendingIs(0)(ctx, pair, last) : { ok: true, summary: 'a no-change sync run' }),
    before: (ctx, pair) => (pair.tool.name === SUBJECT ? startResidentHost(pair) : undefined),
    after: (ctx, pair) => (pair.tool.name === SUBJECT ? stopResidentHost(pair) : undefined),
    target: {
      text: '≤ 0.3 × unison',
      check: (c) => (sec(c, SUBJECT) == null || sec(c, 'unison') == null ? null : sec(c, SUBJECT) <= 0.3 * sec(c, 'unison')),
    },
  },
  {
    id: 'sync-10k', label: 'sync, no change, 10k (warm)', tree: '10k', kind: 'sync', needs: 'first-10k',
    repeat: { warmup: 1, runs: opts.reps }, verify: mirrorOf('10k'),
  },
  {
    id: 'changes-10k', label: 'sync, 100 changes each side, 10k', tree: '10k', kind: 'sync', needs: 'first-10k',
    repeat: { warmup: 0, runs: 1 },
    before(ctx, pair) {
      const plan = ctx.trees['10k'].changes
      applyOps(pair.local, plan.sides.local)
      applyOps(pair.remote, plan.sides.remote)
    },
    verify: (ctx, pair) => verifyBoth(pair, ctx.trees['10k'].changes.expected),
    target: {
      text: '≤ 1.0 × unison',
      check: (c) => (sec(c, SUBJECT) == null || sec(c, 'unison') == null ? null : sec(c, SUBJECT) <= sec(c, 'unison')),
    },
  },
  {
    id: 'first-100k', label: 'first sync, 100k small files (setup for status)', tree: '100k', kind: 'first', big: true,
    tools: [SUBJECT], repeat: { warmup: 0, runs: 1 }, verify: mirrorOf('100k'),
  },
  {
    id: 'status-100k', label: 'status, no change, 100k (warm)', tree: '100k', kind: 'status', big: true, needs: 'first-100k',
    tools: [SUBJECT], repeat: { warmup: 1, runs: opts.reps },
    target: {
      text: '< 1.5 s and < 300 MB RSS',
      check: (c) => {
        const s = sec(c, SUBJECT)
        if (s == null) return null
        const mb = c[SUBJECT].rssMB
        return s < 1.5 && (mb == null ? null : mb < 300)
      },
    },
  },
  // Records: the project's SQLite database (agents: 10,000 rows of ~300 bytes; skills and
  // contexts empty) and an environment server whose database is a private PostgreSQL.
  {
    id: 'records-status', label: `status, ${RECORDS.toLocaleString('en')} records to push, SQLite → server on PostgreSQL (warm)`, tree: 'records', via: 'records', kind: 'status',
    tools: [SUBJECT], repeat: { warmup: 1, runs: opts.reps }, verify: pendingIs(RECORDS),
  },
  {
    id: 'records-push', label: `push ${RECORDS.toLocaleString('en')} records (first) → server on PostgreSQL`, tree: 'records', via: 'records', kind: 'push',
    tools: [SUBJECT], repeat: { warmup: 0, runs: 1 }, verify: verifyRecordsPushed,
    // The floor is measured after the rows (it needs the project's database): checked again then.
    target: {
      text: '≤ 2 × bulk INSERT floor',
      check: (c) => (sec(c, SUBJECT) == null || bulkFloorSeconds == null ? null : sec(c, SUBJECT) <= 2 * bulkFloorSeconds),
    },
  },
  {
    id: 'records-status-synced', label: `status, no change, ${RECORDS.toLocaleString('en')} records (warm)`, tree: 'records', via: 'records', kind: 'status', needs: 'records-push',
    tools: [SUBJECT], repeat: { warmup: 1, runs: opts.reps }, verify: pendingIs(0),
    target: { text: '≤ 0.3 s', check: (c) => (sec(c, SUBJECT) == null ? null : sec(c, SUBJECT) <= 0.3) },
  },
]

/** The records floor's bulk INSERT time, once measured (the records-push row's target). */
let bulkFloorSeconds = null

// ---------------------------------------------------------------- helpers
/** `syncdesk serve` processes started for the resident rows (stopped at the end, on failure and on signals). */
const residentHosts = new Set()

/**
 * Starts `syncdesk serve` for a pair's project (untimed) and waits until it answers a status over
 * its socket; the pair's status runs then require the resident answer.
 */
async function startResidentHost(pair) {
  const { spawn, spawnSync } = await import('node:child_process')
  const socket = path.join(pair.local, '.syncdesk', 'host.sock')
  const child = spawn(process.execPath, [path.join(BENCH, '..', 'bin', 'syncdesk.cjs'), '--project-dir', pair.local, 'serve', '--data-dir', path.join(pair.home, 'serve-data')], { stdio: ['ignore', 'pipe', 'pipe'], env: pair.childEnv ?? process.env })
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  residentHosts.add(child)
  pair.resident = { child, env: pair.childEnv }
  const t0 = Date.now()
  const base = pair.childEnv ?? process.env
  pair.childEnv = { ...base, SYNCDESK_RESIDENT: 'require' }
  let last = 'no socket yet'
  for (;;) {
    if (child.exitCode !== null) throw new Error(`syncdesk serve exited: ${err.trim().split('\n').pop()}`)
    if (fs.existsSync(socket)) {
      const b = pair.tool.step('status', pair)
      const r = spawnSync(b.cmd, b.args, { env: b.env, cwd: b.cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
      if (r.status === 0) break
      last = (r.stderr || '').trim().split('\n').pop()
    }
    if (Date.now() - t0 > 120_000) throw new Error(`syncdesk serve did not answer a status within 2 minutes (${last}; serve: ${err.trim().split('\n').pop() ?? ''})`)
    await new Promise((r) => setTimeout(r, 250))
  }
  log(`${pair.key}: syncdesk serve (pid ${child.pid}) answers status, after ${Date.now() - t0} ms`)
}

async function stopResidentHost(pair) {
  if (!pair.resident) return
  const { child, env } = pair.resident
  pair.childEnv = env
  pair.resident = null
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  residentHosts.delete(child)
}

/** The time of `syncdesk --version`: the CLI process's start and bundle load, below which no status goes. */
function cliStartSeconds(reps) {
  const xs = []
  for (let i = 0; i < 1 + reps; i++) xs.push(run(process.execPath, [path.join(BENCH, '..', 'bin', 'syncdesk.cjs'), '--version'], { scratch }).seconds)
  return median(xs.slice(1))
}

/** After the push: PostgreSQL holds every row with the same content, and a new status has nothing to push. */
function verifyRecordsPushed(ctx, pair) {
  const rec = ctx.records
  let got
  try { got = ctx.pg.psql('bench', PG_DIGEST_SQL) } catch (e) { return { ok: false, summary: `psql: ${e.message.split('\n')[0]}` } }
  const [count, digest] = got.split(' ')
  const pgOk = Number(count) === rec.agents.length && digest === rec.digest
  const b = pair.tool.step('status', pair)
  const st = run(b.cmd, b.args, { env: b.env, cwd: b.cwd, scratch })
  const p = st.code === 0 ? pendingFromStatusJson(st.stdout) : { note: `status failed: ${firstLine(st)}` }
  const again = p.pending === undefined ? p.note : `a new status: ${p.pending} pending`
  return {
    ok: pgOk && p.pending === 0,
    summary: `PostgreSQL agents: ${count} rows${pgOk ? ', content digest matches the SQLite rows' : ` — expected ${rec.agents.length}${digest !== rec.digest ? ', content digest differs' : ''}`}; ${again}`,
  }
}

function verifyBoth(pair, expected) {
  const l = compareManifests(expected, manifestOf(pair.local))
  const r = compareManifests(expected, manifestOf(pair.remote))
  return {
    ok: l.ok && r.ok,
    summary: l.ok && r.ok ? `both sides = expected (${r.files} files)` : `local: ${l.summary}; remote: ${r.summary}`,
  }
}

const fmtS = (s) => (s == null ? '—' : s < 10 ? s.toFixed(3) : s.toFixed(1))
const fmtMB = (mb) => (mb == null ? '—' : mb.toFixed(0))
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`)

function table(header, rows) {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, String(r[i]).length), h.length))
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |'
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

// ---------------------------------------------------------------- main
const workRoot = path.join(BENCH, '.work')
const work = path.join(workRoot, `run-${process.pid}`)
const scratch = path.join(work, 'scratch')
let pg = null
/** Stops the environment servers and PostgreSQL this run started (also on failure and signals). */
const stopServices = () => {
  for (const child of residentHosts) if (child.exitCode === null) child.kill('SIGTERM')
  residentHosts.clear()
  stopAllServers()
  pg = null
  try { stopAllPostgres() } catch (e) { log(`PostgreSQL stop: ${e.message}`) }
}
let cleaned = false
const cleanup = () => {
  stopServices()
  if (cleaned || opts.keep) return
  cleaned = true
  const t0 = Date.now()
  fs.rmSync(work, { recursive: true, force: true })
  log(`work dir removed in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}
/** Load and I/O pressure, so a reader can tell a quiet run from a noisy one. */
const machineLoad = () => {
  let io = ''
  try { io = `, I/O pressure avg60 ${/some avg10=[\d.]+ avg60=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/io', 'utf8'))[1]}%` } catch {}
  return `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}${io}`
}
process.on('exit', stopServices)
process.on('SIGINT', () => { cleanup(); process.exit(130) })
process.on('SIGTERM', () => { cleanup(); process.exit(143) })

async function main() {
  fs.mkdirSync(scratch, { recursive: true })
  const started = Date.now()
  const notes = []
  const loadBefore = machineLoad()

  // Tools: which are present, and which are wanted.
  const tools = []
  for (const t of TOOLS) {
    if (opts.tools && !opts.tools.includes(t.name)) continue
    const c = t.check()
    if (!c.ok) { notes.push(`${t.name}: skipped — ${c.reason}`); log(`${t.name} skipped: ${c.reason}`); continue }
    if (c.warning) notes.push(`${t.name}: ${c.warning}`)
    if (t.statusNote) notes.push(t.statusNote)
    tools.push({ ...t, version: c.version })
  }
  const peers = TOOLS.filter((t) => t.name !== SUBJECT && (!opts.tools || opts.tools.includes(t.name)))
  if (!HAVE_TIME) notes.push('GNU time (/usr/bin/time) is absent: peak RSS not measured (apt-get install -y time)')

  const scenarios = SCENARIOS.filter((s) => (!opts.scenarios || opts.scenarios.includes(s.id)) && (opts.big || !s.big))
  const ctx = { trees: {}, pairs: new Map() }

  const treeOf = (id) => {
    if (!ctx.trees[id]) {
      const t0 = Date.now()
      const files = makeTree(TREES[id])
      const bytes = files.reduce((s, f) => s + f.content.length, 0)
      const tree = { files, bytes, manifest: manifestOfFiles(files), count: files.length }
      if (id === '10k') tree.changes = planChanges(files, { seed: 4242, perSide: 100 })
      ctx.trees[id] = tree
      log(`tree ${id}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, made in ${Date.now() - t0} ms`)
    }
    return ctx.trees[id]
  }
  const recordsOf = () => {
    if (!ctx.records) {
      const agents = makeAgents(RECORDS)
      ctx.records = { agents, digest: digestOf(agents), rowBytes: rowBytes(agents) }
    }
    return ctx.records
  }
  /** The private PostgreSQL (started once), or throws with the reason it cannot run. */
  const postgres = async () => {
    if (!pg) {
      const t0 = Date.now()
      pg = await startPostgres({ keepLogIn: opts.keep ? path.join(work, 'records') : null })
      pg.psql('postgres', 'CREATE DATABASE bench')
      pg.psql('bench', PG_DDL)
      ctx.pg = pg
      notes.push(`records: ${pg.version}, private cluster on 127.0.0.1:${pg.port} with fsync/synchronous_commit/full_page_writes = ${pg.settings}; agents rows average ${recordsOf().rowBytes.toFixed(0)} bytes of values`)
      log(`PostgreSQL started in ${Date.now() - t0} ms (${pg.settings})`)
    }
    return pg
  }
  // The environment server over pair.remote (a read,write token first); extra: more server options.
  const serve = async (pair, extra = []) => {
    const token = createToken(pair.remote, 'bench', 'read,write')
    pair.server = await startServer(pair.remote, { extra, logDir: pair.home })
    pair.serverUrl = pair.server.url
    pair.envName = 'srv'
    const env = { ...process.env }
    for (const k of Object.keys(env)) if (k.startsWith('SYNCDESK_TOKEN_')) delete env[k]
    pair.childEnv = { ...env, SYNCDESK_TOKEN_SRV: token }
  }
  // How each kind of pair is made before the tool's own setup (untimed).
  const VIAS = {
    folder: async (pair, treeId) => { writeTree(pair.local, treeOf(treeId).files) },
    server: async (pair, treeId) => { writeTree(pair.local, treeOf(treeId).files); await serve(pair) },
    records: async (pair) => {
      if (!findPostgresBin()) { pair.skip = POSTGRES_MISSING; return }
      const db = await postgres()
      writeSqlite(path.join(pair.local, 'app.sqlite'), recordsOf().agents)
      pair.sqlite = 'app.sqlite'
      pair.scope = 'records'
      await serve(pair, ['--database-url', db.url('bench')])
    },
  }
  // A pair (local project + empty remote folder) per tree, tool and via; each tool gets its own copy.
  const pairOf = async (treeId, tool, via = 'folder') => {
    const key = `${treeId}/${tool.name}${via === 'folder' ? '' : `@${via}`}`
    if (!ctx.pairs.has(key)) {
      const base = path.join(work, treeId, via === 'folder' ? tool.name : `${tool.name}@${via}`)
      const pair = { key, tool, local: path.join(base, 'local'), remote: path.join(base, 'remote'), home: path.join(base, 'home'), failed: new Set() }
      ctx.pairs.set(key, pair)
      const t0 = Date.now()
      for (const d of [pair.local, pair.remote, pair.home]) fs.mkdirSync(d, { recursive: true })
      try {
        await VIAS[via](pair, treeId)
        if (!pair.skip) pair.setupError = tool.setup(pair, scratch)
      } catch (e) {
        pair.setupError = e.message.split('\n')[0]
        pair.setupDetail = e.message
      }
      if (pair.skip) notes.push(`${key}: rows skipped — ${pair.skip}`)
      if (pair.setupError) notes.push(`${key}: setup failed — ${pair.setupDetail ?? pair.setupError}`)
      log(`${key}: ready in ${Date.now() - t0} ms${pair.server ? ` (server ${pair.serverUrl})` : ''}${pair.skip ? ` — skipped: ${pair.skip}` : ''}${pair.setupError ? ` — setup ${pair.setupError}` : ''}`)
    }
    return ctx.pairs.get(key)
  }

  // Write every tool's copy of a tree before its first timed step, so each starts alike.
  for (const s of scenarios) for (const t of tools) if (!s.tools || s.tools.includes(t.name)) if (s.kind === 'first') await pairOf(s.tree, t, s.via)

  const rows = []
  const done = new Map()
  for (const s of scenarios) {
    const cells = {}
    // Who runs: tools present, set up, and whose earlier step this one needs did not fail.
    const runners = []
    for (const tool of TOOLS) {
      if (opts.tools && !opts.tools.includes(tool.name)) continue
      if (s.tools && !s.tools.includes(tool.name)) continue
      const t = tools.find((x) => x.name === tool.name)
      if (!t) { cells[tool.name] = { ok: false, text: 'skipped (not installed)' }; continue }
      const pair = await pairOf(s.tree, t, s.via)
      if (pair.skip) { cells[t.name] = { ok: false, text: `skipped (${pair.skip.split(' (')[0]})` }; continue }
      if (pair.setupError) { cells[t.name] = { ok: false, text: `failed: ${pair.setupError}` }; continue }
      if (s.needs && pair.failed.has(s.needs)) { cells[t.name] = { ok: false, text: `skipped (${s.needs} failed)` }; continue }
      if (s.before) {
        try {
          await s.before(ctx, pair)
        } catch (e) {
          cells[t.name] = { ok: false, text: `failed: ${e.message.split('\n')[0]}` }
          continue
        }
      }
      runners.push({ t, pair, step: t.step(s.kind, pair), times: [], warm: [], rss: [], serverCpu: [], failure: null, inspect: null, last: null })
    }
    // Round-robin over the tools, run by run, so that a noisy moment on the machine hits all
    // of them rather than one.
    const total = s.repeat.warmup + s.repeat.runs
    for (let i = 0; i < total; i++) {
      for (const x of runners) {
        if (x.failure) continue
        log(`${s.id} / ${x.t.name}${total > 1 ? ` (${i < s.repeat.warmup ? 'warm-up' : `run ${i - s.repeat.warmup + 1}/${s.repeat.runs}`})` : ''} …`)
        const cpu0 = x.pair.server?.cpuSeconds()
        const r = run(x.step.cmd, x.step.args, { env: x.step.env, cwd: x.step.cwd, scratch })
        const cpu1 = x.pair.server?.cpuSeconds()
        // Let a pending SIGINT/SIGTERM handler run (it stops the servers and PostgreSQL).
        await new Promise((resolve) => setImmediate(resolve))
        x.last = r
        if (r.code !== 0) {
          x.failure = firstLine(r)
          log(`  failed: ${x.failure}`)
          if (x.pair.server) log(`  server stderr: ${x.pair.server.stderr().trim().slice(-2000) || '(empty)'}`)
          continue
        }
        if (i >= s.repeat.warmup) {
          x.times.push(r.seconds)
          if (r.rssMB != null) x.rss.push(r.rssMB)
          if (cpu0 != null && cpu1 != null) x.serverCpu.push(cpu1 - cpu0)
        } else x.warm.push(r.seconds)
        if (x.t.inspect) x.inspect = x.t.inspect(s.kind, r) ?? x.inspect
        log(`  ${fmtS(r.seconds)} s, rss ${fmtMB(r.rssMB)} MB`)
      }
    }
    // verify runs first (it may run the tool again), then the scenario's own cleanup.
    const afterAll = async () => {
      if (s.after) for (const x of runners) await s.after(ctx, x.pair)
    }
    for (const x of runners) {
      if (x.failure) {
        x.pair.failed.add(s.id)
        cells[x.t.name] = { ok: false, text: `failed: ${x.failure}`, line: x.last.line, stderr: x.last.stderr.slice(0, 4000) }
        continue
      }
      const cell = {
        ok: true, seconds: median(x.times), runs: x.times, warmup: x.warm, rssMB: x.rss.length ? x.rss.reduce((a, b) => Math.max(a, b)) : null, inspect: x.inspect, line: x.last.line,
        serverRssMB: x.pair.server ? x.pair.server.peakRssMB() : undefined,
        serverCpuS: x.serverCpu.length ? median(x.serverCpu) : undefined,
      }
      if (s.verify) {
        cell.verify = s.verify(ctx, x.pair, x.last)
        if (!cell.verify.ok) x.pair.failed.add(s.id)
        log(`${s.id} / ${x.t.name}: ${cell.verify.ok ? 'verified' : 'MISMATCH'} — ${cell.verify.summary}`)
      }
      cells[x.t.name] = cell
    }
    await afterAll()
    done.set(s.id, cells)
    const met = s.target ? s.target.check(cells, done, s) : undefined
    rows.push({ scenario: s, cells, met, vs: s.baseline ? vsBaseline(s, done) : undefined })
  }

  // Floor of the records push: a plain Node process, SQLite → PostgreSQL in one transaction
  // (lib/records-floor.mjs), into a database of its own on the same cluster.
  const recordsFloor = {}
  const rp = [...ctx.pairs.values()].find((p) => p.sqlite && !p.setupError && !p.skip)
  if (pg && rp) {
    try {
      pg.psql('postgres', 'CREATE DATABASE floor')
      pg.psql('floor', PG_DDL)
      for (const mode of ['savepoint', 'bulk']) {
        const xs = []
        for (let i = 0; i < 1 + opts.reps; i++) {
          const r = run(process.execPath, [path.join(BENCH, 'lib', 'records-floor.mjs'), mode, path.join(rp.local, rp.sqlite), pg.url('floor')], { scratch })
          if (r.code !== 0) throw new Error(firstLine(r))
          const [seconds, n] = r.stdout.trim().split(' ').map(Number)
          if (n !== RECORDS) throw new Error(`${mode}: PostgreSQL holds ${n} rows, not ${RECORDS}`)
          xs.push(seconds)
        }
        recordsFloor[mode] = median(xs.slice(1))
      }
      bulkFloorSeconds = recordsFloor.bulk ?? null
      for (const r of rows) if (r.scenario.target) r.met = r.scenario.target.check(r.cells, done, r.scenario)
    } catch (e) { notes.push(`records floor not measured: ${e.message}`) }
  }
  stopServices()

  // Floor from DESIGN.md: a plain Node walk + stat (and + read + sha256) of the 10k tree.
  const floor = {}
  const p10 = ctx.pairs.get(`10k/${tools[0]?.name}`)
  if (p10) {
    for (const mode of ['stat', 'hash']) {
      const xs = []
      for (let i = 0; i < 1 + opts.reps; i++) xs.push(run(process.execPath, [path.join(BENCH, 'lib', 'floor.mjs'), mode, p10.local], { scratch }).seconds)
      floor[mode] = median(xs.slice(1))
    }
  }

  // The resident row's floor: a CLI process that starts, loads its bundle and exits (and bare node).
  const start = {}
  if (done.has('status-10k-resident')) {
    start.cli = cliStartSeconds(opts.reps)
    const xs = []
    for (let i = 0; i < 1 + opts.reps; i++) xs.push(run(process.execPath, ['-e', ''], { scratch }).seconds)
    start.node = median(xs.slice(1))
  }

  // ---------------------------------------------------------------- report
  const toolNames = TOOLS.map((t) => t.name).filter((n) => !opts.tools || opts.tools.includes(n))
  const peerNames = peers.map((t) => t.name)
  const cellText = (c) => (!c ? '' : c.ok ? fmtS(c.seconds) + (c.verify && !c.verify.ok ? ' (MISMATCH)' : '') : c.text.length > 48 ? c.text.slice(0, 47) + '…' : c.text)
  const ratio = (c, peer) => (c?.ok && peer?.ok && peer.seconds > 0 ? (c.seconds / peer.seconds).toFixed(2) + '×' : c || peer ? '—' : '')
  const header = ['scenario', `${SUBJECT} s`, ...peerNames.flatMap((p) => [`${p} s`, 'ratio']), 'server ÷ folder', 'target', 'met?']
  const body = rows.map(({ scenario: s, cells, met, vs }) => [
    s.label + (s.repeat.runs > 1 ? ` [median of ${s.repeat.runs}]` : ''),
    cellText(cells[SUBJECT]),
    // A row only SyncDesk runs (100k, server, records) has no peer column: "—".
    ...peerNames.flatMap((p) => (s.tools && !s.tools.includes(p) ? ['—', '—'] : [cellText(cells[p]), ratio(cells[SUBJECT], cells[p])])),
    s.baseline ? (vs == null ? '—' : `${vs.toFixed(2)}×`) : '',
    s.target ? s.target.text : '',
    met === undefined ? '' : met === null ? 'n/a' : met ? 'yes' : 'NO',
  ])
  const withServer = rows.some(({ cells }) => cells[SUBJECT]?.serverRssMB != null)
  const memHeader = ['scenario', ...toolNames.map((n) => `${n} peak RSS MB`), ...(withServer ? ['syncdesk-server peak RSS MB (since start)'] : [])]
  const memBody = rows.map(({ scenario: s, cells }) => [
    s.id, ...toolNames.map((n) => (cells[n]?.ok ? fmtMB(cells[n].rssMB) : '')),
    ...(withServer ? [cells[SUBJECT]?.ok && cells[SUBJECT].serverRssMB != null ? fmtMB(cells[SUBJECT].serverRssMB) : ''] : []),
  ])

  const out = []
  out.push(`SyncDesk benchmark — ${new Date().toISOString()} — ${os.cpus().length} CPUs, node ${process.version}`)
  out.push(tools.map((t) => `${t.name}: ${t.version}`).join(' | '))
  out.push('')
  out.push(table(header, body))
  out.push('ratio = syncdesk time / peer time (below 1 = syncdesk faster); server ÷ folder = the row through the environment server / the folder row above it.')
  out.push('Warm rows: one warm-up run, then the median. "…" rows: the real syncdesk-server on 127.0.0.1 (a separate process), same tree, its own copy.')
  out.push('')
  out.push(table(memHeader, memBody))
  if (floor.stat != null) out.push(`\nfloor (plain node process, 10k tree): walk+stat ${fmtS(floor.stat)} s, walk+read+sha256 ${fmtS(floor.hash)} s`)
  if (start.cli != null) out.push(`${floor.stat != null ? '' : '\n'}floor of any CLI run (the resident row's): \`syncdesk --version\` ${fmtS(start.cli)} s, bare \`node -e ''\` ${fmtS(start.node)} s`)
  if (recordsFloor.bulk != null) {
    out.push(`${floor.stat != null ? '' : '\n'}floor (plain node process, ${RECORDS.toLocaleString('en')} records SQLite → PostgreSQL, one transaction, fsync on): ` +
      `a savepoint + INSERT per row ${fmtS(recordsFloor.savepoint)} s, one bulk INSERT ${fmtS(recordsFloor.bulk)} s`)
  }
  const details = []
  for (const { scenario: s, cells } of rows) {
    for (const [n, c] of Object.entries(cells)) {
      if (c.verify) details.push(`${s.id} / ${n}: ${c.verify.ok ? 'verified' : 'MISMATCH'} — ${c.verify.summary}`)
      const srvCpu = c.serverCpuS != null ? `, server process CPU ${fmtS(c.serverCpuS)} s${c.runs.length > 1 ? ' (median)' : ''}` : ''
      if (c.ok && c.runs.length > 1) details.push(`${s.id} / ${n}: warm-up ${c.warmup.map(fmtS).join(', ') || '—'} s, runs ${c.runs.map(fmtS).join(', ')} s${c.inspect ? `, ${c.inspect}` : ''}${srvCpu}`)
      else if (c.inspect || srvCpu) details.push(`${s.id} / ${n}: ${[c.inspect, srvCpu.slice(2)].filter(Boolean).join(', ')}`)
      if (!c.ok && c.text.startsWith('failed')) details.push(`${s.id} / ${n}: ${c.text}${c.line ? `\n    command: ${c.line}` : ''}`)
    }
  }
  if (details.length) out.push('\nchecks:\n  ' + details.join('\n  '))
  notes.push(`machine at start: ${loadBefore}; at end: ${machineLoad()} (other jobs on the machine make timings noisy; see the per-run times)`)
  if (notes.length) out.push('\nnotes:\n  ' + notes.join('\n  '))
  out.push(`\ntotal bench time ${((Date.now() - started) / 1000).toFixed(0)} s`)
  process.stdout.write(out.join('\n') + '\n')

  const json = {
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length,
    tools: tools.map((t) => ({ name: t.name, version: t.version })),
    trees: Object.fromEntries(Object.entries(ctx.trees).map(([k, t]) => [k, { files: t.count, bytes: t.bytes }])),
    records: ctx.records ? { agents: ctx.records.agents.length, avgRowBytes: ctx.records.rowBytes, postgres: ctx.pg ? { version: ctx.pg.version, settings: ctx.pg.settings } : null } : null,
    floor,
    recordsFloor,
    processStart: start,
    scenarios: rows.map(({ scenario: s, cells, met, vs }) => ({
      id: s.id, label: s.label, kind: s.kind, runs: s.repeat.runs, warmup: s.repeat.warmup,
      via: s.via ?? 'folder', target: s.target?.text ?? null, met: met ?? null, vsFolder: vs ?? null,
      results: Object.fromEntries(Object.entries(cells).map(([n, c]) => [n, c.ok
        ? { seconds: c.seconds, runs: c.runs, warmup: c.warmup, rssMB: c.rssMB, serverRssMB: c.serverRssMB ?? null, serverCpuS: c.serverCpuS ?? null, verify: c.verify ?? null, note: c.inspect ?? null, command: c.line }
        : { error: c.text, command: c.line ?? null, stderr: c.stderr ?? null }])),
      ratios: Object.fromEntries(peerNames.map((p) => [p, cells[SUBJECT]?.ok && cells[p]?.ok ? cells[SUBJECT].seconds / cells[p].seconds : null])),
    })),
    notes,
  }
  fs.mkdirSync(workRoot, { recursive: true })
  fs.writeFileSync(path.join(workRoot, 'results.json'), JSON.stringify(json, null, 2) + '\n')
  process.stdout.write(`results: ${path.relative(process.cwd(), path.join(workRoot, 'results.json'))}${opts.keep ? ` (work dir kept: ${work})` : ''}\n`)
}

try {
  await main()
} finally {
  cleanup()
}
