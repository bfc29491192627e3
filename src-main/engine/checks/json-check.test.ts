import { describe, expect, it } from 'vitest'
import { checkJson } from './json-check.js'

const at = (text: string, opts?: { comments?: boolean }) => checkJson(text, opts).map((p) => `${p.line}:${p.column} ${p.message}`)

/** mulberry32: a seeded PRNG, so a failure replays from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('JSON syntax', () => {
  it('finds a trailing comma, with its line and column', () => {
    expect(at('{\n  "name": "agent",\n  "tools": ["a", "b",],\n}\n')).toEqual(['3:21 Not valid JSON: a comma before the ] (a trailing comma): JSON allows none.'])
    expect(at('{\n  "name": "agent",\n}\n')).toEqual(['2:18 Not valid JSON: a comma before the } (a trailing comma): JSON allows none.'])
  })

  it('says what is wrong in plain words', () => {
    expect(at('{"a" 1}')).toEqual(['1:6 Not valid JSON: a : is missing after the key.'])
    expect(at("{'a': 1}")[0]).toMatch(/^1:2 .*double quotes/)
    expect(at('{a: 1}')[0]).toMatch(/^1:2 .*key must be in double quotes/)
    expect(at('[1 2]')[0]).toMatch(/^1:4 .*comma or \] is missing/)
    expect(at('{"a": "x\n"}')[0]).toMatch(/^1:7 .*string is not closed/)
    expect(at('')[0]).toMatch(/^1:1 .*empty/)
    expect(at('{"a": 01}')[0]).toMatch(/^1:7 .*cannot start with 0/)
    expect(at('{"a": 1]')[0]).toMatch(/does not close the object that starts on line 1/)
    expect(at('{"a": {"b": [1,\n{"c": 2}]}')[0]).toMatch(/^2:11 .*ends inside the object that starts on line 1/)
    expect(at('{"a": 1} x')[0]).toMatch(/more text after the end/)
    expect(at('{"a": tru}')[0]).toMatch(/^1:7 .*value is expected/)
  })

  it('reports a key given twice, which JSON.parse keeps silently', () => {
    expect(at('{\n "a": 1,\n "b": {"a": 2},\n "a": 3\n}')).toEqual(['4:2 The same key appears twice in one object (first on line 2): JSON readers keep only one of them.'])
  })

  it('refuses comments in JSON and allows them, and trailing commas, in JSONC', () => {
    expect(at('// settings\n{"a": 1}')[0]).toMatch(/^1:1 .*no comments/)
    expect(at('// settings\n{"a": 1, /* b */ "b": [1,],}\n', { comments: true })).toEqual([])
    expect(at('{"a": 1 /* open', { comments: true })[0]).toMatch(/Not valid JSONC: a \/\* comment is not closed/)
  })

  it('accepts valid JSON, a byte order mark, and deep nesting without overflowing', () => {
    expect(at('\uFEFF{"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"], "b": {}}')).toEqual([])
    const deep = '['.repeat(200_000) + ']'.repeat(200_000)
    expect(at(deep)).toEqual([])
    expect(at('['.repeat(200_000))[0]).toMatch(/ends before a value|ends inside/)
  })

  it('never quotes the text it stopped at', () => {
    const secret = 'sk-live-4242424242424242'
    for (const t of [`{"key": ${secret}}`, `{${secret}: 1}`, `{"key": '${secret}'}`, `["${secret}" "x"]`, `{"key": "${secret}\n"}`]) {
      for (const p of checkJson(t)) expect(p.message).not.toContain('4242')
    }
  })

  it('agrees with JSON.parse on what is valid (randomized, seeded)', () => {
    const rnd = prng(20261201)
    const pieces = ['{', '}', '[', ']', ',', ':', ' ', '\n', '"a"', '"b"', '1', '-0.5', '1e3', 'true', 'null', '"x\\"y"', '01', '.5', "'s'", 'tru', '"\\q"']
    let valid = 0
    for (let n = 0; n < 5000; n++) {
      let t = ''
      const len = 1 + Math.floor(rnd() * 12)
      for (let k = 0; k < len; k++) t += pieces[Math.floor(rnd() * pieces.length)]
      let parses = true
      try {
        JSON.parse(t)
      } catch {
        parses = false
      }
      const syntaxErrors = checkJson(t).filter((p) => p.message.startsWith('Not valid'))
      if (parses) valid++
      expect(syntaxErrors.length === 0, `${JSON.stringify(t)}: ${JSON.stringify(syntaxErrors)}`).toBe(parses)
    }
    expect(valid).toBeGreaterThan(25)
  })
})
