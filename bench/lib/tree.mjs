// Deterministic project trees for the benchmark, the change sets applied to them, and the
// file-list + sha256 manifests used to check that every tool really synced.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'

/** mulberry32: a small seeded PRNG, good enough for layouts and sizes. */
export function prng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n) => Math.floor(next() * n)
  const pick = (arr) => arr[int(arr.length)]
  // Box–Muller, for log-normal sizes.
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
  return { next, int, pick, normal }
}

const WORDS = ('customer order invoice payment agent skill context prompt pipeline loader transformer ' +
  'exporter sensor schema table column value record batch stream window metric event session user ' +
  'account region model feature score label train predict evaluate config secret token retry timeout ' +
  'select from where join group by having limit insert update delete create index view return def ' +
  'class import yield async await self none true false if else for while try except raise with').split(' ')

/** One megabyte of pseudo-code text; file bodies are slices of it at random offsets. */
function makeCorpus(rnd, bytes = 1 << 20) {
  const lines = []
  let len = 0
  while (len < bytes) {
    const indent = '    '.repeat(rnd.int(3))
    const n = 3 + rnd.int(9)
    const words = []
    for (let i = 0; i < n; i++) words.push(rnd.pick(WORDS))
    const line = indent + words.join(rnd.next() < 0.3 ? '_' : ' ') + '\n'
    lines.push(line)
    len += line.length
  }
  return Buffer.from(lines.join(''), 'utf8')
}

// Where files live. Each family: a weight, a number of folders, how to name a folder, and the
// extensions (with weights) found there. Folder names are lowercase: no case collisions.
const FAMILIES = [
  { weight: 22, dirs: 160, dir: (i, r) => `services/agents/agent_${i}/${r.pick(['', 'prompts/', 'tools/', 'tests/', 'prompts/system/'])}`, ext: ['.yaml', '.yaml', '.md', '.py', '.yml', '.txt'] },
  { weight: 12, dirs: 90, dir: (i, r) => `services/skills/skill_${i}/${r.pick(['', 'handlers/', 'docs/'])}`, ext: ['.py', '.py', '.yml', '.md'] },
  { weight: 30, dirs: 70, dir: (i, r) => `pipelines/pipeline_${i}/${r.pick(['transformers/', 'transformers/cleaning/', 'transformers/features/', 'data_loaders/', 'data_exporters/', 'sensors/', ''])}`, ext: ['.py', '.py', '.py', '.sql', '.yaml'] },
  { weight: 10, dirs: 24, dir: (i, r) => `sql/${r.pick(['migrations', 'views', 'functions'])}/batch_${i}/`, ext: ['.sql'] },
  { weight: 16, dirs: 110, dir: (i, r) => `content/${r.pick(['docs', 'guides', 'faq', 'policies'])}/section_${i}/`, ext: ['.md', '.md', '.txt'] },
  { weight: 5, dirs: 30, dir: (i) => `analytics/r/study_${i}/`, ext: ['.r', '.r', '.md'] },
  { weight: 5, dirs: 12, dir: (i, r) => `configs/${r.pick(['dev', 'staging', 'production'])}/group_${i}/`, ext: ['.yaml', '.yml'] },
]

/**
 * Builds a tree in memory: `count` files totalling about `totalBytes`.
 * `large` is the share of larger files (12–64 KB before scaling); the rest are log-normal
 * around `typical` bytes.
 */
export function makeTree({ seed, count, totalBytes, typical = 3000, sigma = 0.6, large = 0.02 }) {
  // Folder counts grow with the tree: about ten files per folder at any size.
  const dirScale = Math.max(1, count / 10_000)
  const rnd = prng(seed)
  const corpus = makeCorpus(prng(seed ^ 0x5eed))
  const totalWeight = FAMILIES.reduce((s, f) => s + f.weight, 0)
  // Fix each family's folder variants once so that files share folders.
  const folderCache = new Map()
  const folderOf = (fam, idx) => {
    const key = `${FAMILIES.indexOf(fam)}/${idx}`
    let variants = folderCache.get(key)
    if (!variants) {
      variants = Array.from({ length: 3 }, () => fam.dir(idx, rnd))
      folderCache.set(key, variants)
    }
    return rnd.pick(variants)
  }
  const sizes = []
  for (let i = 0; i < count; i++) {
    sizes.push(rnd.next() < large ? 12_000 + rnd.int(52_000) : Math.min(24_000, Math.max(120, Math.round(typical * Math.exp(sigma * rnd.normal())))))
  }
  const scale = totalBytes / sizes.reduce((s, n) => s + n, 0)
  const files = []
  for (let i = 0; i < count; i++) {
    let w = rnd.next() * totalWeight
    let fam = FAMILIES[0]
    for (const f of FAMILIES) { if ((w -= f.weight) < 0) { fam = f; break } }
    const ext = rnd.pick(fam.ext)
    const rel = `${folderOf(fam, rnd.int(Math.round(fam.dirs * dirScale)))}${rnd.pick(WORDS)}_${rnd.pick(WORDS)}_${i}${ext}`
    const header = Buffer.from(`# ${rel}\n# generated file ${i}\n`)
    const size = Math.max(header.length + 1, Math.round(sizes[i] * scale))
    const bodyLen = Math.min(size - header.length, corpus.length - 1)
    const off = rnd.int(corpus.length - bodyLen)
    files.push({ path: rel, content: Buffer.concat([header, corpus.subarray(off, off + bodyLen)]) })
  }
  return files
}

/** Writes the tree under `root` (which must not exist yet, or be empty). */
export function writeTree(root, files) {
  const made = new Set()
  for (const f of files) {
    const abs = path.join(root, f.path)
    const dir = path.dirname(abs)
    if (!made.has(dir)) { fs.mkdirSync(dir, { recursive: true }); made.add(dir) }
    fs.writeFileSync(abs, f.content)
  }
}

export const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex')

/** Map of relative path → sha256 for every file under root; hidden names (.syncdesk, …) are skipped. */
export function manifestOf(root) {
  const out = new Map()
  const walk = (dir, rel) => {
    let entries
    try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(path.join(dir, e.name), r)
      else if (e.isFile()) out.set(r, sha256(fs.readFileSync(path.join(dir, e.name))))
    }
  }
  walk(root, '')
  return out
}

export function manifestOfFiles(files) {
  return new Map(files.map((f) => [f.path, sha256(f.content)]))
}

/** Differences between two manifests, summarised for a report line. */
export function compareManifests(expected, actual) {
  const missing = []; const extra = []; const differ = []
  for (const [p, h] of expected) {
    const a = actual.get(p)
    if (a === undefined) missing.push(p)
    else if (a !== h) differ.push(p)
  }
  for (const p of actual.keys()) if (!expected.has(p)) extra.push(p)
  const ok = !missing.length && !extra.length && !differ.length
  const sample = (arr) => arr.slice(0, 3).join(', ')
  const parts = []
  if (missing.length) parts.push(`${missing.length} missing (${sample(missing)})`)
  if (extra.length) parts.push(`${extra.length} unexpected (${sample(extra)})`)
  if (differ.length) parts.push(`${differ.length} with other content (${sample(differ)})`)
  return { ok, files: actual.size, summary: ok ? `${actual.size} files match` : parts.join('; '), missing: missing.length, extra: extra.length, differ: differ.length }
}

/**
 * Plans `perSide` non-conflicting changes on each side of a synced tree: edits, adds and
 * deletes on disjoint files. Returns the operations and the manifest both sides must end with.
 */
export function planChanges(files, { seed, perSide = 100, edits = 0.6, adds = 0.25 }) {
  const rnd = prng(seed)
  const order = files.map((_, i) => i)
  for (let i = order.length - 1; i > 0; i--) { const j = rnd.int(i + 1); [order[i], order[j]] = [order[j], order[i]] }
  const nEdit = Math.round(perSide * edits)
  const nAdd = Math.round(perSide * adds)
  const nDel = perSide - nEdit - nAdd
  const expected = manifestOfFiles(files)
  const sides = {}
  let cursor = 0
  for (const side of ['local', 'remote']) {
    const ops = []
    for (let k = 0; k < nEdit; k++) {
      const f = files[order[cursor++]]
      const content = Buffer.concat([f.content, Buffer.from(`\n# edited on the ${side} side (${k})\n`)])
      ops.push({ op: 'edit', path: f.path, content })
      expected.set(f.path, sha256(content))
    }
    for (let k = 0; k < nDel; k++) {
      const f = files[order[cursor++]]
      ops.push({ op: 'delete', path: f.path })
      expected.delete(f.path)
    }
    for (let k = 0; k < nAdd; k++) {
      const near = files[order[cursor++]]
      const rel = `${path.posix.dirname(near.path)}/new_${side}_${k}${path.posix.extname(near.path)}`
      const content = Buffer.from(`# ${rel}\n# added on the ${side} side\n${near.content.subarray(0, 2000)}`)
      ops.push({ op: 'add', path: rel, content })
      expected.set(rel, sha256(content))
    }
    sides[side] = ops
  }
  return { sides, expected, counts: { edit: nEdit, add: nAdd, delete: nDel } }
}

export function applyOps(root, ops) {
  for (const o of ops) {
    const abs = path.join(root, o.path)
    if (o.op === 'delete') fs.rmSync(abs)
    else { fs.mkdirSync(path.dirname(abs), { recursive: true }); fs.writeFileSync(abs, o.content) }
  }
}
