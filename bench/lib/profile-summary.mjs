// Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and by
// total (inclusive) time. Usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [N]
import fs from 'node:fs'
import path from 'node:path'

const [file, nArg] = process.argv.slice(2)
const N = Number(nArg) || 20
const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const dt = new Map()
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const label = (n) => {
  const cf = n.callFrame
  return `${cf.functionName || '(anonymous)'} ${cf.url ? path.basename(cf.url) + ':' + (cf.lineNumber + 1) : ''}`.trim()
}
const self = new Map(); const total = new Map()
let all = 0
for (const n of prof.nodes) {
  const t = dt.get(n.id) ?? 0
  if (!t) continue
  all += t
  const k = label(n)
  self.set(k, (self.get(k) ?? 0) + t)
  // Inclusive time: count each function once per stack.
  const seen = new Set()
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id))
    if (!seen.has(l)) { seen.add(l); total.set(l, (total.get(l) ?? 0) + t) }
  }
}
const show = (m, title) => {
  console.log(`${title} (of ${(all / 1000).toFixed(0)} ms sampled)`)
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, N)) console.log(`  ${(t / 1000).toFixed(0).padStart(6)} ms  ${(100 * t / all).toFixed(1).padStart(5)}%  ${k}`)
}
show(self, 'self time')
show(total, 'total time')
