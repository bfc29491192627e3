import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  UnsupportedValueError,
  canonicalDate,
  canonicalJson,
  canonicalTimestamp,
  canonicalValue,
  diffFields,
  mergeFields,
  numberFromDecimal,
  recordHash,
} from './canonical.js'

describe('canonicalJson', () => {
  it('sorts keys recursively and leaves out whitespace', () => {
    const value = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null }, ' ': 'x', A: true }
    expect(canonicalJson(value)).toBe('{" ":"x","A":true,"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}')
  })

  it('gives the same text and hash whatever the key order', () => {
    const one = { name: 'n', id: 1, cfg: { x: [1, 2], y: { q: 1, p: 2 } } }
    const two = { cfg: { y: { p: 2, q: 1 }, x: [1, 2] }, id: 1, name: 'n' }
    expect(canonicalJson(one)).toBe(canonicalJson(two))
    expect(recordHash(one)).toBe(recordHash(two))
  })

  it('hashes with sha256 of the canonical text', () => {
    const data = { z: 'Zoë 🚀', a: 1 }
    expect(recordHash(data)).toBe(crypto.createHash('sha256').update('{"a":1,"z":"Zoë 🚀"}', 'utf8').digest('hex'))
    expect(recordHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a')
  })

  it('writes numbers in the shortest round-trip form: 1.0 is 1, -0 is 0', () => {
    expect(canonicalJson([1.0, 1, -0, 0, 0.1, 1.5, 1e20, 1e21, -1e-7, 0.30000000000000004])).toBe(
      '[1,1,0,0,0.1,1.5,100000000000000000000,1e+21,-1e-7,0.30000000000000004]',
    )
    expect(recordHash({ score: 1.0 })).toBe(recordHash({ score: 1 }))
    expect(Object.is((canonicalValue({ x: -0 }) as { x: number }).x, 0)).toBe(true)
  })

  it('writes safe bigints as numbers and larger ones as decimal strings', () => {
    expect(canonicalJson({ a: 5n, b: 2n ** 60n, c: -(2n ** 53n) + 1n })).toBe('{"a":5,"b":"1152921504606846976","c":-9007199254740991}')
  })

  it('writes dates as canonical timestamps and skips undefined properties', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), gone: undefined })).toBe('{"at":"2024-01-02T03:04:05.000Z"}')
  })

  it('refuses values without a JSON form, naming where they are', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(UnsupportedValueError)
    expect(() => canonicalJson({ a: { b: Infinity } })).toThrow(/a\.b: Infinity/)
    expect(() => canonicalJson({ blob: new Uint8Array([1]) })).toThrow(/blob: binary data is not supported/)
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/)
    expect(() => canonicalJson({ m: new Map() })).toThrow(/Map/)
  })

  it('keeps strings exactly (no Unicode normalization, stable escapes)', () => {
    expect(canonicalJson('e\u0301')).not.toBe(canonicalJson('\u00e9'))
    expect(canonicalJson('tab\t"q"\\\u0001')).toBe('"tab\\t\\"q\\"\\\\\\u0001"')
  })
})

describe('canonicalTimestamp', () => {
  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.1Z', '2024-01-02T03:04:05.100Z'],
    ['2024-01-02T03:04:05.123+02:00', '2024-01-02T01:04:05.123Z'],
    ['2024-01-01T23:00:00-02:00', '2024-01-02T01:00:00.000Z'],
    ['2024-01-02 03:04:05.120000+00', '2024-01-02T03:04:05.120Z'],
    ['2024-01-02 03:04:05.123456+00', '2024-01-02T03:04:05.123456Z'],
    ['2024-01-02 00:00:00.000001+01', '2024-01-01T23:00:00.000001Z'],
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['2024-01-02 03:04', '2024-01-02T03:04:00.000Z'],
    ['0001-01-01 00:00:00', '0001-01-01T00:00:00.000Z'],
    ['2024-02-29 12:00:00', '2024-02-29T12:00:00.000Z'],
  ])('%s → %s', (input, out) => {
    expect(canonicalTimestamp(input)).toBe(out)
  })

  it.each(['infinity', '-infinity', '2023-02-29 00:00:00', '2024-13-01', '2024-01-02 24:00:00', 'yesterday', '2024-01-02 03:04:05.1234567', '0044-03-15 00:00:00 BC'])(
    '%s is not a canonical timestamp',
    (input) => {
      expect(canonicalTimestamp(input)).toBeNull()
    },
  )

  it('keeps dates as dates', () => {
    expect(canonicalDate('2024-01-02')).toBe('2024-01-02')
    expect(canonicalDate('2024-02-30')).toBeNull()
    expect(canonicalDate('2024-01-02 00:00:00')).toBeNull()
  })
})

describe('numberFromDecimal', () => {
  it.each([
    ['1.50', 1.5],
    ['0.1', 0.1],
    ['100', 100],
    ['1e20', 1e20],
    ['1e+20', 1e20],
    ['100000000000000000000', 1e20],
    ['-12.25', -12.25],
    ['0.30000000000000004', 0.30000000000000004],
    ['0.000', 0],
  ])('%s → %d', (input, n) => {
    expect(numberFromDecimal(input)).toBe(n)
  })

  it('gives 0 for -0 and null for what a double cannot hold', () => {
    expect(Object.is(numberFromDecimal('-0'), 0)).toBe(true)
    expect(numberFromDecimal('12345678901234567890123')).toBeNull()
    expect(numberFromDecimal('0.1000000000000000000001')).toBeNull()
    expect(numberFromDecimal('NaN')).toBeNull()
    expect(numberFromDecimal('Infinity')).toBeNull()
    expect(numberFromDecimal('abc')).toBeNull()
  })
})

describe('diffFields', () => {
  it('lists the top-level fields that differ, absent differing from null', () => {
    expect(diffFields({ a: 1, b: { x: 1, y: 2 }, c: 'same', d: null }, { a: 2, b: { y: 2, x: 1 }, c: 'same', e: 1 })).toEqual(['a', 'd', 'e'])
    expect(diffFields({ n: 1.0 }, { n: 1 })).toEqual([])
  })
})

describe('mergeFields', () => {
  const base = { id: 1, name: 'a', prompt: 'p', tags: ['x'] }

  it('keeps both sides when they changed different fields', () => {
    expect(mergeFields(base, { ...base, name: 'local' }, { ...base, prompt: 'remote' })).toEqual({ merged: { id: 1, name: 'local', prompt: 'remote', tags: ['x'] } })
  })

  it('takes a change made identically on both sides', () => {
    expect(mergeFields(base, { ...base, tags: ['y'] }, { ...base, tags: ['y'] })).toEqual({ merged: { ...base, tags: ['y'] } })
  })

  it('reports the fields changed differently on both sides', () => {
    expect(mergeFields(base, { ...base, name: 'l', prompt: 'l' }, { ...base, name: 'r', tags: ['r'] })).toEqual({ conflictingFields: ['name'] })
  })

  it('handles added and removed fields', () => {
    const { tags: _tags, ...withoutTags } = base
    expect(mergeFields(base, withoutTags, { ...base, extra: true })).toEqual({ merged: { ...withoutTags, extra: true } })
    expect(mergeFields(base, withoutTags, { ...base, tags: ['changed'] })).toEqual({ conflictingFields: ['tags'] })
  })

  it('without a base, every differing field conflicts', () => {
    expect(mergeFields(null, { id: 1, a: 1, b: 1 }, { id: 1, a: 1, b: 2 })).toEqual({ conflictingFields: ['b'] })
    expect(mergeFields(null, { id: 1, a: 1 }, { id: 1, a: 1 })).toEqual({ merged: { id: 1, a: 1 } })
  })
})
