import { describe, expect, it } from 'vitest'
import { categoryOf, classify, sideChange, sortedPaths } from './classify.js'
import { prng } from './checks/seeded-corpus.test-support.js'
import type { Manifest } from './dir-store.js'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)

function manifest(entries: Record<string, string>): Manifest {
  return new Map(Object.entries(entries).map(([p, hash]) => [p, { hash, size: 1, mtimeMs: 0 }]))
}

describe('categoryOf: the DESIGN.md classification table', () => {
  it.each([
    ['same / same', A, A, A, 'in_sync'],
    ['local modified', A, B, A, 'local_to_remote'],
    ['local added', undefined, A, undefined, 'local_to_remote'],
    ['local deleted', A, undefined, A, 'local_to_remote'],
    ['remote modified', A, A, B, 'remote_to_local'],
    ['remote added', undefined, undefined, A, 'remote_to_local'],
    ['remote deleted', A, A, undefined, 'remote_to_local'],
    ['same edit on both sides', A, B, B, 'in_sync'],
    ['deleted on both sides', A, undefined, undefined, 'in_sync'],
    ['edit / edit', A, B, C, 'conflicts'],
    ['edit / delete', A, B, undefined, 'conflicts'],
    ['delete / edit', A, undefined, B, 'conflicts'],
    ['add / add, different', undefined, A, B, 'conflicts'],
    ['add / add, same', undefined, A, A, 'in_sync'],
  ] as const)('%s', (_name, base, local, remote, category) => {
    expect(categoryOf(base, local, remote)).toBe(category)
  })
})

describe('sideChange', () => {
  it('names what a side did', () => {
    expect(sideChange(undefined, A)).toBe('added')
    expect(sideChange(A, undefined)).toBe('deleted')
    expect(sideChange(A, B)).toBe('modified')
    expect(sideChange(A, A)).toBe('unchanged')
  })
})

describe('classify', () => {
  it('never yields a deletion without a baseline', () => {
    const status = classify(manifest({ 'a.yml': A, 'both.md': B }), manifest({ 'b.yml': C, 'both.md': C }), new Map())
    const all = [...status.remote_to_local, ...status.local_to_remote, ...status.conflicts, ...status.in_sync]
    expect(all.some((e) => e.local === 'deleted' || e.remote === 'deleted')).toBe(false)
    expect(status.local_to_remote.map((e) => e.path)).toEqual(['a.yml'])
    expect(status.remote_to_local.map((e) => e.path)).toEqual(['b.yml'])
    expect(status.conflicts.map((e) => e.path)).toEqual(['both.md'])
  })

  it('leaves excluded (unreadable, symlinked) items out instead of calling them deleted', () => {
    const status = classify(manifest({}), manifest({ 'x.yml': A }), new Map([['x.yml', A]]), new Set(['x.yml']))
    expect(status.local_to_remote).toEqual([])
    expect(status.in_sync).toEqual([])
  })

  it('drops items deleted on both sides that the baseline no longer knows', () => {
    const status = classify(manifest({}), manifest({}), new Map())
    expect(status).toEqual({ remote_to_local: [], local_to_remote: [], conflicts: [], in_sync: [] })
  })
})

describe('sortedPaths', () => {
  const names = ['a', 'B', 'z', '10', '9', 'é', 'a/b', 'a.b', 'a-b', 'A', '~', 'e\u0301', 'ab/c', '123']

  it('gives every path once, in the order of a plain sort, whatever order the baseline is in', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = prng(seed).next
      const pick = () => new Map(names.filter(() => r() < 0.5).map((n) => [n + (r() < 0.3 ? '/x' : ''), 0] as const))
      const local = pick()
      const remote = pick()
      let base = pick()
      // Half the time the baseline is in sorted order, as a saved one is.
      if (r() < 0.5) base = new Map([...base].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      const expected = [...new Set([...local.keys(), ...remote.keys(), ...base.keys()])].sort()
      expect(sortedPaths(local, remote, base), `seed ${seed}`).toEqual(expected)
    }
  })
})
