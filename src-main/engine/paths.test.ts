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
  ])('refuses %j (%s)', (p, why) => {
    expect(pathProblem(p)).toContain(why)
  })

  it('accepts ordinary relative paths', () => {
    for (const p of ['a.yml', 'services/agents/a.yml', 'café.md', 'with space/x.py', '..hidden-ish.md']) expect(pathProblem(p)).toBeNull()
  })

  it('keeps resolved paths inside the root', () => {
    expect(resolveItem('/root/p', 'a/b.yml')).toBe('/root/p/a/b.yml')
    expect(() => resolveItem('/root/p', '../x.yml')).toThrow(/Refused path/)
  })

  it('reports case collisions', () => {
    expect(caseCollisions(['A.md', 'a.md', 'b.md'])).toEqual([['A.md', 'a.md']])
  })
})
