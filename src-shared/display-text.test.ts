import { describe, expect, it } from 'vitest'
import { displayJson, displayName, displayText } from './display-text.js'

/** Every character the functions must never let through raw. */
const UNSAFE: number[] = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c,
  0x200e,
  0x200f,
  ...Array.from({ length: 5 }, (_, i) => 0x202a + i),
  ...Array.from({ length: 4 }, (_, i) => 0x2066 + i),
  0x2028,
  0x2029,
]
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/

describe('displayName', () => {
  it('shows printable names as they are', () => {
    for (const s of ['', 'a.md', 'agents/mage agent (1).yml', '~!@#$%^&*()_+{}|:"<>?`-=[];\',./', 'café/naïve.md', '日本語.md', 'emoji 🎉.md']) expect(displayName(s)).toBe(s)
  })

  it.each([
    ['a\x1b[2J.md', 'a\\x1b[2J.md'],
    ['bell\x07.md', 'bell\\x07.md'],
    ['cr\r.md', 'cr\\x0d.md'],
    ['To push: 0\nforged.md', 'To push: 0\\x0aforged.md'],
    ['nul\0tab\t', 'nul\\x00tab\\x09'],
    ['del\x7f.md', 'del\\x7f.md'],
    ['nel\u0085csi\u009b.md', 'nel\\x85csi\\x9b.md'],
    ['evil\u202egpj.md', 'evil\\u202egpj.md'],
    ['iso\u2066late\u2069.md', 'iso\\u2066late\\u2069.md'],
    ['alm\u061c lrm\u200e rlm\u200f', 'alm\\u061c lrm\\u200e rlm\\u200f'],
    ['line\u2028para\u2029.md', 'line\\u2028para\\u2029.md'],
    ['back\\slash.md', 'back\\\\slash.md'],
    ['é\x1b', 'é\\x1b'],
  ])('escapes %j as %s', (raw, shown) => {
    expect(displayName(raw)).toBe(shown)
  })

  it('lets no unsafe character through, and keeps names apart that differ only so', () => {
    for (const n of UNSAFE) {
      const shown = displayName(`x${String.fromCharCode(n)}y`)
      expect(shown, n.toString(16)).not.toMatch(RAW)
      expect(shown).toMatch(n < 0x100 ? /^x\\x[0-9a-f]{2}y$/ : /^x\\u[0-9a-f]{4}y$/)
    }
    // A name that spells an escape and one that holds the character never look alike.
    expect(displayName('a\\x1b')).not.toBe(displayName('a\x1b'))
  })

  it('keeps the printable ASCII fast path fast', () => {
    const name = 'agents/'.repeat(20) + 'mage.yml'
    const start = performance.now()
    for (let i = 0; i < 100_000; i++) displayName(name)
    expect(performance.now() - start).toBeLessThan(1000)
  })
})

describe('displayText', () => {
  it('escapes the same characters as displayName but keeps backslashes', () => {
    expect(displayText('plain words')).toBe('plain words')
    expect(displayText('C:\\Users\\me\\a\x1b.md')).toBe('C:\\Users\\me\\a\\x1b.md')
    expect(displayText('Refused path "a\\u001b.md": bad')).toBe('Refused path "a\\u001b.md": bad')
    expect(displayText('two\nlines\r')).toBe('two\\x0alines\\x0d')
    for (const n of UNSAFE) expect(displayText(String.fromCharCode(n)), n.toString(16)).not.toMatch(RAW)
  })
})

describe('displayJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { path: `all${UNSAFE.map((n) => String.fromCharCode(n)).join('')}.md`, n: 1, list: ['a\\b', 'é'] }
    for (const space of [undefined, 2]) {
      const text = displayJson(value, space)
      // Pretty-printed JSON has its own line feeds; nothing else raw.
      expect(text.replaceAll('\n', '')).not.toMatch(RAW)
      expect(JSON.parse(text)).toEqual(value)
    }
    expect(displayJson({ a: 'x\u202ey' })).toBe('{"a":"x\\u202ey"}')
    expect(displayJson({ a: 'plain' }, 2)).toBe(JSON.stringify({ a: 'plain' }, null, 2))
  })
})
