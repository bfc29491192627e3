// SyncDesk benchmark: times SyncDesk side by side with unison and rclone bisync in one run,
// checks that every tool really synced (file lists + sha256), and compares with the
// performance targets of DESIGN.md.
//
//   npm run bench                       (builds, then runs everything; ~2–4 min on 2 cores)
//   node bench/run.mjs --tools=syncdesk,unison --scenarios=first-10k,status-10k --keep
//   node bench/run.mjs --no-100k --reps=5
//
// Scenarios and tools are plain lists (SCENARIOS below, TOOLS in lib/tools.mjs): a new row or
// column is one more object. Results: stdout and bench/.work/results.json.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeTree, writeTree, manifestOf, manifestOfFiles, compareManifests, planChanges, applyOps } from './lib/tree.mjs'
import { run, firstLine, median, HAVE_TIME } from './lib/exec.mjs'
import { TOOLS } from './lib/tools.mjs'

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

// ---------------------------------------------------------------- scenarios
// kind: which tool step to time ('first' | 'status' | 'sync').
// repeat: { warmup, runs } → the reported time is the median of `runs` after `warmup` runs.
// before(ctx, pair): untimed preparation. verify(ctx, pair): { ok, summary } after the step.
// target: { text, check(cells) → true | false | null (cannot tell) }.
const sec = (cells, tool) => (cells[tool]?.ok ? cells[tool].seconds : null)
const mirrorOf = (treeId) => (ctx, pair) => verifyBoth(pair, ctx.trees[treeId].manifest)

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
    id: 'status-10k', label: 'status, no change, 10k (warm)', tree: '10k', kind: 'status', needs: 'first-10k',
    repeat: { warmup: 1, runs: opts.reps },
    target: {
      text: '< unison',
      check: (c) => (sec(c, SUBJECT) == null || sec(c, 'unison') == null ? null : sec(c, SUBJECT) < sec(c, 'unison')),
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
]

// ---------------------------------------------------------------- helpers
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |'
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

// ---------------------------------------------------------------- main
const workRoot = path.join(BENCH, '.work')
const work = path.join(workRoot, `run-${process.pid}`)
const scratch = path.join(work, 'scratch')
let cleaned = false
const cleanup = () => {
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
  // A pair of folders (local tree + empty remote) per tool and tree; each tool gets its own copy.
  const pairOf = (treeId, tool) => {
    const key = `${treeId}/${tool.name}`
    if (!ctx.pairs.has(key)) {
      const base = path.join(work, treeId, tool.name)
      const pair = { local: path.join(base, 'local'), remote: path.join(base, 'remote'), home: path.join(base, 'home'), failed: new Set() }
      const t0 = Date.now()
      writeTree(pair.local, treeOf(treeId).files)
      fs.mkdirSync(pair.remote, { recursive: true })
      fs.mkdirSync(pair.home, { recursive: true })
      pair.setupError = tool.setup(pair, scratch)
      log(`${key}: tree written in ${Date.now() - t0} ms${pair.setupError ? ` — setup ${pair.setupError}` : ''}`)
      ctx.pairs.set(key, pair)
    }
    return ctx.pairs.get(key)
  }

  // Write every tool's copy of a tree before its first timed step, so each starts alike.
  for (const s of scenarios) for (const t of tools) if (!s.tools || s.tools.includes(t.name)) if (s.kind === 'first') pairOf(s.tree, t)

  const rows = []
  for (const s of scenarios) {
    const cells = {}
    // Who runs: tools present, set up, and whose earlier step this one needs did not fail.
    const runners = []
    for (const tool of TOOLS) {
      if (opts.tools && !opts.tools.includes(tool.name)) continue
      if (s.tools && !s.tools.includes(tool.name)) continue
      const t = tools.find((x) => x.name === tool.name)
      if (!t) { cells[tool.name] = { ok: false, text: 'skipped (not installed)' }; continue }
      const pair = pairOf(s.tree, t)
      if (pair.setupError) { cells[t.name] = { ok: false, text: `failed: ${pair.setupError}` }; continue }
      if (s.needs && pair.failed.has(s.needs)) { cells[t.name] = { ok: false, text: `skipped (${s.needs} failed)` }; continue }
      if (s.before) s.before(ctx, pair)
      runners.push({ t, pair, step: t.step(s.kind, pair), times: [], warm: [], rss: [], failure: null, inspect: null, last: null })
    }
    // Round-robin over the tools, run by run, so that a noisy moment on the machine hits all
    // of them rather than one.
    const total = s.repeat.warmup + s.repeat.runs
    for (let i = 0; i < total; i++) {
      for (const x of runners) {
        if (x.failure) continue
        log(`${s.id} / ${x.t.name}${total > 1 ? ` (${i < s.repeat.warmup ? 'warm-up' : `run ${i - s.repeat.warmup + 1}/${s.repeat.runs}`})` : ''} …`)
        const r = run(x.step.cmd, x.step.args, { env: x.step.env, cwd: x.step.cwd, scratch })
        x.last = r
        if (r.code !== 0) { x.failure = firstLine(r); log(`  failed: ${x.failure}`); continue }
        if (i >= s.repeat.warmup) { x.times.push(r.seconds); if (r.rssMB != null) x.rss.push(r.rssMB) } else x.warm.push(r.seconds)
        if (x.t.inspect) x.inspect = x.t.inspect(s.kind, r) ?? x.inspect
        log(`  ${fmtS(r.seconds)} s, rss ${fmtMB(r.rssMB)} MB`)
      }
    }
    for (const x of runners) {
      if (x.failure) {
        x.pair.failed.add(s.id)
        cells[x.t.name] = { ok: false, text: `failed: ${x.failure}`, line: x.last.line, stderr: x.last.stderr.slice(0, 4000) }
        continue
      }
      const cell = {
        ok: true, seconds: median(x.times), runs: x.times, warmup: x.warm, rssMB: x.rss.length ? Math.max(...x.rss) : null, inspect: x.inspect, line: x.last.line,
      }
      if (s.verify) {
        cell.verify = s.verify(ctx, x.pair)
        if (!cell.verify.ok) x.pair.failed.add(s.id)
        log(`${s.id} / ${x.t.name}: ${cell.verify.ok ? 'verified' : 'MISMATCH'} — ${cell.verify.summary}`)
      }
      cells[x.t.name] = cell
    }
    const met = s.target ? s.target.check(cells) : undefined
    rows.push({ scenario: s, cells, met })
  }

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

  // ---------------------------------------------------------------- report
  const toolNames = TOOLS.map((t) => t.name).filter((n) => !opts.tools || opts.tools.includes(n))
  const peerNames = peers.map((t) => t.name)
  const cellText = (c) => (!c ? '' : c.ok ? fmtS(c.seconds) + (c.verify && !c.verify.ok ? ' (MISMATCH)' : '') : c.text.length > 48 ? c.text.slice(0, 47) + '…' : c.text)
  const ratio = (c, peer) => (c?.ok && peer?.ok && peer.seconds > 0 ? (c.seconds / peer.seconds).toFixed(2) + '×' : c || peer ? '—' : '')
  const header = ['scenario', `${SUBJECT} s`, ...peerNames.flatMap((p) => [`${p} s`, 'ratio']), 'target', 'met?']
  const body = rows.map(({ scenario: s, cells, met }) => [
    s.label + (s.repeat.runs > 1 ? ` [median of ${s.repeat.runs}]` : ''),
    cellText(cells[SUBJECT]),
    ...peerNames.flatMap((p) => [cellText(cells[p]), ratio(cells[SUBJECT], cells[p])]),
    s.target ? s.target.text : '',
    met === undefined ? '' : met === null ? 'n/a' : met ? 'yes' : 'NO',
  ])
  const memHeader = ['scenario', ...toolNames.map((n) => `${n} peak RSS MB`)]
  const memBody = rows.map(({ scenario: s, cells }) => [s.id, ...toolNames.map((n) => (cells[n]?.ok ? fmtMB(cells[n].rssMB) : ''))])

  const out = []
  out.push(`SyncDesk benchmark — ${new Date().toISOString()} — ${os.cpus().length} CPUs, node ${process.version}`)
  out.push(tools.map((t) => `${t.name}: ${t.version}`).join(' | '))
  out.push('')
  out.push(table(header, body))
  out.push('ratio = syncdesk time / peer time (below 1 = syncdesk faster). Warm rows: one warm-up run, then the median.')
  out.push('')
  out.push(table(memHeader, memBody))
  if (floor.stat != null) out.push(`\nfloor (plain node process, 10k tree): walk+stat ${fmtS(floor.stat)} s, walk+read+sha256 ${fmtS(floor.hash)} s`)
  const details = []
  for (const { scenario: s, cells } of rows) {
    for (const [n, c] of Object.entries(cells)) {
      if (c.verify) details.push(`${s.id} / ${n}: ${c.verify.ok ? 'verified' : 'MISMATCH'} — ${c.verify.summary}`)
      if (c.ok && c.runs.length > 1) details.push(`${s.id} / ${n}: warm-up ${c.warmup.map(fmtS).join(', ') || '—'} s, runs ${c.runs.map(fmtS).join(', ')} s${c.inspect ? `, ${c.inspect}` : ''}`)
      else if (c.inspect) details.push(`${s.id} / ${n}: ${c.inspect}`)
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
    floor,
    scenarios: rows.map(({ scenario: s, cells, met }) => ({
      id: s.id, label: s.label, kind: s.kind, runs: s.repeat.runs, warmup: s.repeat.warmup,
      target: s.target?.text ?? null, met: met ?? null,
      results: Object.fromEntries(Object.entries(cells).map(([n, c]) => [n, c.ok
        ? { seconds: c.seconds, runs: c.runs, warmup: c.warmup, rssMB: c.rssMB, verify: c.verify ?? null, note: c.inspect ?? null, command: c.line }
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
