/**
 * canonicalEntry and the fast canonical writer: the same text, data and hash as the rules in
 * canonical.ts, on awkward and random values; errors still say where the problem is.
 */
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { UnsupportedValueError, canonicalEntry, canonicalJson, canonicalValue, recordHash } from './canonical.js'

/** The rules written out plainly: sorted keys, undefined properties left out, -0 as 0, unsafe bigints as strings. */
function reference(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? String(v) : JSON.stringify(v.toString())
  if (typeof v === 'number') return JSON.stringify(Object.is(v, -0) ? 0 : v)
  if (v instanceof Date) return JSON.stringify(v.toISOString())
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd()
  if (depth > 3 || r < 0.5) {
    const pick = Math.floor(rnd() * 9)
    return [null, true, false, -0, rnd() * 1e6 - 5e5, Math.floor(rnd() * 1e9), 1e21 * rnd(), `s${rnd()}"\\\n\u2028é🚀`, 2n ** 60n + BigInt(Math.floor(rnd() * 1000))][pick]
  }
  if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1))
  const o: Record<string, unknown> = {}
  for (let i = 0; i < Math.floor(rnd() * 5); i++) o[['b', 'a', '10', '2', 'ключ', '', '__x', 'Z'][Math.floor(rnd() * 8)]!] = rnd() < 0.1 ? undefined : randomValue(rnd, depth + 1)
  return o
}

describe('canonicalEntry', () => {
  it('gives the text, data and hash of the canonical rules, for random records', () => {
    let seed = 42
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 2000; i++) {
      const rec = { id: i, v: randomValue(rnd, 0), at: new Date(Date.UTC(2024, 0, 1) + i), w: randomValue(rnd, 1) }
      const text = canonicalJson(rec)
      expect(text).toBe(reference(rec))
      const entry = canonicalEntry(rec)
      expect(entry.data).toEqual(canonicalValue(rec))
      expect(entry.hash).toBe(recordHash(canonicalValue(rec) as Record<string, unknown>))
      expect(entry.hash).toBe(crypto.createHash('sha256').update(text).digest('hex'))
    }
  })

  it('hands out frozen data whose hash is remembered, and hashes a copy of it the same', () => {
    const entry = canonicalEntry({ b: 2, a: { list: [1, { x: 'y' }] } })
    expect(Object.isFrozen(entry.data)).toBe(true)
    expect(Object.isFrozen((entry.data.a as { list: unknown[] }).list[1])).toBe(true)
    expect(() => {
      ;(entry.data as Record<string, unknown>).b = 3
    }).toThrow(TypeError)
    expect(recordHash(entry.data)).toBe(entry.hash)
    const copy = structuredClone(entry.data)
    expect(recordHash(copy)).toBe(entry.hash)
    copy.b = 3
    expect(recordHash(copy)).not.toBe(entry.hash)
  })

  it('still refuses values with no JSON form, saying where', () => {
    expect(() => canonicalEntry({ a: { b: [1, Number.NaN] } })).toThrow(UnsupportedValueError)
    expect(() => canonicalJson({ a: { b: [1, Number.NaN] } })).toThrow('a.b[1]: NaN has no JSON form')
    expect(() => canonicalJson({ bin: new Uint8Array(2) })).toThrow('bin: binary data is not supported')
    expect(() => canonicalJson({ m: new Map() })).toThrow('m: a Map object has no JSON form')
    expect(() => canonicalJson({ f: () => 1 })).toThrow('f: a function has no JSON form')
  })
})
