import { describe, expect, it } from 'vitest'
import { caseCollisions, pathProblem, resolveItem } from './paths.js'

describe('pathProblem', () => {
  it.each([
    ['', 'empty'],
    ['../etc/passwd', '".." segment'],
    ['a/../../b.yml', '".." segment'],
    ['/etc/passwd', 'absolute'],
    ['C:/x.yml', 'drive letter'],
    ['a\\b.yml', 'backslash'],
    ['a\0b.yml', 'NUL'],
    ['a//b.yml', 'empty segment'],
    ['./a.yml', '"." segment'],
    ['cafe\u0301.md', 'NFC'],
    ['a\nb.md', 'control character'],
    ['a\x1b[2J.md', 'control character'],
    ['a\x7f.md', 'control character'],
    ['a\u0085.md', 'control character'],
    ['a\u009b.md', 'control character'],
    ['evil\u202egpj.md', 'bidirectional'],
    ['a\u2066b.md', 'bidirectional'],
    ['a\u061cb.md', 'bidirectional'],
    ['a\u200fb.md', 'bidirectional'],
    ['a\u2028b.md', 'separator'],
    ['a\u2029b.md', 'separator'],
    [`${'n'.repeat(253)}.md`, 'more than the 255'],
    [`dir/${'é'.repeat(127)}.md`, 'more than the 255'],
    [`${'d'.repeat(200)}/`.repeat(20) + 'x.md', 'longer than'],
  ])('refuses %j (%s)', (p, why) => {
    expect(pathProblem(p)).toContain(why)
  })

  it('accepts ordinary relative paths', () => {
    for (const p of ['a.yml', 'services/agents/a.yml', 'café.md', 'with space/x.py', '..hidden-ish.md']) expect(pathProblem(p)).toBeNull()
  })

  it('accepts names up to exactly 255 bytes, in ASCII and in multi-byte UTF-8', () => {
    expect(pathProblem(`${'n'.repeat(252)}.md`)).toBeNull()
    expect(pathProblem(`a/${'é'.repeat(126)}.md`)).toBeNull()
    expect(pathProblem(`${'d'.repeat(255)}/${'f'.repeat(252)}.md`)).toBeNull()
  })

  it('keeps resolved paths inside the root', () => {
    expect(resolveItem('/root/p', 'a/b.yml')).toBe('/root/p/a/b.yml')
    expect(() => resolveItem('/root/p', '../x.yml')).toThrow(/Refused path/)
  })

  it('reports case collisions', () => {
    expect(caseCollisions(['A.md', 'a.md', 'b.md'])).toEqual([['A.md', 'a.md']])
    // Over both sides: a path on both counts once; a clash across the sides is found.
    expect(caseCollisions(['x/A.md', 'b.md', 'C.md'], ['x/A.md', 'x/a.md', 'b.md', 'c.md', 'C.md'])).toEqual([['x/A.md', 'x/a.md'], ['C.md', 'c.md']])
    expect(caseCollisions(['a', 'b'], ['a', 'b'])).toEqual([])
    // The lower-case path seen first leads its group; groups of three, and beyond ASCII.
    expect(caseCollisions(['docs/readme.md'], ['docs/README.md', 'docs/ReadMe.md'])).toEqual([['docs/readme.md', 'docs/README.md', 'docs/ReadMe.md']])
    expect(caseCollisions(['Ä.md', 'b.md'], ['ä.md'])).toEqual([['Ä.md', 'ä.md']])
    // Manifests (maps keyed by path) as lists; capitals that clash with nothing make no group.
    const local = new Map([['src/App.tsx', 1], ['README.md', 2]])
    const remote = new Map([['src/app.tsx', 1], ['README.md', 2]])
    expect(caseCollisions(local, remote)).toEqual([['src/App.tsx', 'src/app.tsx']])
    expect(caseCollisions(new Map([['README.md', 1]]), new Map([['README.md', 1]]))).toEqual([])
  })
})
