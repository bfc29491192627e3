import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FastCheckCache, type CacheRow } from './fast-check-cache.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
})

function cacheFile(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-fast-check-'))
  roots.push(root)
  return path.join(root, 'local.json')
}

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)
const HASH_C = 'c'.repeat(64)
// Hashed long after their mtime: not racy.
const rowA: CacheRow = [10, 1_700_000_000_123.5, 42, HASH_A, 1_700_000_100_000]
const rowB: CacheRow = [0, 1_700_000_000_000, 43, HASH_B, 1_700_000_100_000]
const rowC: CacheRow = [7, 1_700_000_000_000, 44, HASH_C, 1_700_000_100_000]

async function saved(rows: Record<string, CacheRow>): Promise<string> {
  const file = cacheFile()
  const cache = new FastCheckCache()
  for (const [p, r] of Object.entries(rows)) cache.set(p, r)
  await cache.save(file)
  return file
}

describe('FastCheckCache', () => {
  it('reads back what it saved, paths beyond ASCII included', async () => {
    const file = await saved({ 'docs/a.md': rowA, 'café/naïve ünïcode.md': rowB, 'z.txt': rowC })
    const cache = FastCheckCache.load(file)
    expect(cache.get('docs/a.md')).toEqual(rowA)
    expect(cache.get('café/naïve ünïcode.md')).toEqual(rowB)
    expect(cache.get('z.txt')).toEqual(rowC)
    expect(cache.get('missing.md')).toBeUndefined()
    expect(cache.hashIfUnchanged('docs/a.md', 10, rowA[1], 42, 2000)).toBe(HASH_A)
    // Another size, mtime or inode: the file must be hashed again.
    expect(cache.hashIfUnchanged('docs/a.md', 11, rowA[1], 42, 2000)).toBeUndefined()
    expect(cache.hashIfUnchanged('docs/a.md', 10, rowA[1] + 1, 42, 2000)).toBeUndefined()
    expect(cache.hashIfUnchanged('docs/a.md', 10, rowA[1], 99, 2000)).toBeUndefined()
    expect(cache.sharedPath('café/naïve ünïcode.md')).toBe('café/naïve ünïcode.md')
    expect(cache.sharedPath('new.md')).toBe('new.md')
    expect(cache.isDirty).toBe(false)
  })

  it('saves an empty cache, and keeps changes and removals across a second save', async () => {
    const empty = await saved({})
    expect(FastCheckCache.load(empty).get('a')).toBeUndefined()

    const file = await saved({ 'a.md': rowA, 'b.md': rowB })
    const cache = FastCheckCache.load(file)
    cache.set('c.md', rowC)
    cache.retainOnly(new Set(['a.md', 'c.md']))
    await cache.save(file)
    const again = FastCheckCache.load(file)
    expect(again.get('a.md')).toEqual(rowA)
    expect(again.get('b.md')).toBeUndefined()
    expect(again.get('c.md')).toEqual(rowC)
  })

  it('leaves out a row it cannot hold, and keeps the others', async () => {
    const file = await saved({ 'a.md': rowA, 'short.md': [1, 1, 1, 'abc', 1], 'nul\0.md': rowB, 'c.md': rowC })
    const cache = FastCheckCache.load(file)
    expect(cache.get('a.md')).toEqual(rowA)
    expect(cache.get('c.md')).toEqual(rowC)
    expect(cache.get('short.md')).toBeUndefined()
    expect(cache.get('nul\0.md')).toBeUndefined()
  })

  it('reads the JSON form of earlier builds, and the next save writes its own', async () => {
    const file = cacheFile()
    fs.writeFileSync(file, JSON.stringify({ version: 2, paths: ['a.md', 'é.md'], hashes: [HASH_A, HASH_B], numbers: [10, rowA[1], 42, rowA[4], 0, rowB[1], 43, rowB[4]] }))
    const cache = FastCheckCache.load(file)
    expect(cache.get('a.md')).toEqual(rowA)
    expect(cache.get('é.md')).toEqual(rowB)
    // Nothing changed, yet it is saved once in the current form.
    expect(cache.isDirty).toBe(true)
    await cache.save(file)
    expect(() => JSON.parse(fs.readFileSync(file, 'utf8'))).toThrow()
    expect(FastCheckCache.load(file).get('é.md')).toEqual(rowB)
  })

  it('gives an empty cache for a missing, damaged or foreign file, never an error', async () => {
    expect(FastCheckCache.load(undefined).get('a.md')).toBeUndefined()
    expect(FastCheckCache.load(path.join(os.tmpdir(), 'syncdesk-no-such-cache.json')).get('a.md')).toBeUndefined()
    const good = fs.readFileSync(await saved({ 'a.md': rowA, 'b.md': rowB }))
    const wrongCount = Buffer.from(good)
    wrongCount.writeUInt32LE(3, 12)
    const wrongByteOrder = Buffer.from(good)
    wrongByteOrder.writeDoubleBE(1.5, 24)
    const damaged: Buffer[] = [
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from('x')]),
      wrongCount,
      wrongByteOrder,
      Buffer.from('not a cache at all'),
      Buffer.from('{"version":2,"paths":["a.md"],"hashes":[],"numbers":[]}'),
      Buffer.from(`{"version":2,"paths":[1],"hashes":["${HASH_A}"],"numbers":[10,1,42,2]}`),
    ]
    for (const bytes of damaged) {
      const file = cacheFile()
      fs.writeFileSync(file, bytes)
      const cache = FastCheckCache.load(file)
      expect(cache.get('a.md')).toBeUndefined()
      expect(cache.hashIfUnchanged('a.md', 10, rowA[1], 42, 2000)).toBeUndefined()
    }
  })
})
