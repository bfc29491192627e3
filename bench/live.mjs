// The live host's benchmark (issue 8): save → status-changed event on a 10k tree (target
// < 100 ms) and a no-change poll of a 10k-file environment server (target < 10 ms, no manifest
// sent). Bundles bench/live-entry.ts with esbuild, runs it, prints a table and the verdicts.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(repo, 'bench', '.work', 'live-entry.cjs')
fs.mkdirSync(path.dirname(out), { recursive: true })
await build({ entryPoints: [path.join(repo, 'bench', 'live-entry.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, external: ['electron', 'keytar', 'better-sqlite3', 'pg-native'], logLevel: 'warning' })
const r = spawnSync(process.execPath, [out, repo], { encoding: 'utf8', cwd: repo, timeout: 300_000 })
if (r.status !== 0) {
  process.stderr.write(`live benchmark failed: ${r.stderr}\n`)
  process.exit(1)
}
const m = JSON.parse(r.stdout.trim().split('\n').pop())
const rows = [
  ['save → status-changed event, 10k tree (median of 10)', `${m.saveToEventMs.median.toFixed(1)} ms (max ${m.saveToEventMs.max.toFixed(1)})`, '< 100 ms', m.saveToEventMs.median < 100 ? 'yes' : 'no'],
  ['no-change poll, 10k-file server (round trip, median of 20)', `${m.poll.medianMs.toFixed(2)} ms (max ${m.poll.maxMs.toFixed(2)}), ${m.poll.bytes} B of manifest`, '< 10 ms, 0 B', m.poll.medianMs < 10 && m.poll.bytes === 0 ? 'yes' : 'no'],
  ['first manifest of the same server (for scale)', `${m.poll.firstScanMs.toFixed(1)} ms`, '', ''],
]
const widths = [0, 1, 2, 3].map((i) => rows.reduce((w, row) => Math.max(w, row[i].length), ['scenario', 'SyncDesk', 'target', 'met?'][i].length))
const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
process.stdout.write(`\nThe live host (syncdesk serve / the desktop app)\n${line(['scenario', 'SyncDesk', 'target', 'met?'])}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`)
