import { describe, expect, it } from 'vitest'
import { checkFrontmatter, checkYaml } from './yaml-check.js'

const at = (problems: ReturnType<typeof checkYaml>) => problems.map((p) => `${p.line}:${p.column} ${p.message}`)

describe('YAML syntax', () => {
  it('points at a line indented too far, not at the value above it', () => {
    expect(at(checkYaml('name: agent\nmodel: gpt-4\n  temperature: 0.2\n'))).toEqual([
      '3:3 Not valid YAML: this line is indented further than it should be: it reads as part of the value on line 2, where a new key cannot start.',
    ])
  })

  it('says what is wrong in plain words, with line and column', () => {
    expect(at(checkYaml('agent:\n  name: a\n model: b\n'))).toEqual(['3:1 Not valid YAML: the keys of one mapping must start in the same column: check the indentation of this line.'])
    expect(at(checkYaml('tools:\n  - a\n - b\n'))[0]).toMatch(/^3:1 .*items of one list/)
    expect(at(checkYaml('\tname: a\n'))[0]).toMatch(/^1:1 .*tab/)
    expect(at(checkYaml('name: a\nname: b\n'))[0]).toMatch(/^2:1 .*same key appears twice/)
    expect(at(checkYaml("name: 'a\nother: b\n"))[0]).toMatch(/quoted value is not closed/)
    expect(at(checkYaml('prompt: say: hello\n'))[0]).toMatch(/^1:9 .*put the value in quotes/)
  })

  it('finds nothing in valid YAML, several documents included', () => {
    expect(checkYaml('a: 1\nlist:\n  - x\n  - y: 2\n---\nb: "two"\n')).toEqual([])
    expect(checkYaml('')).toEqual([])
  })

  it('reports the first error of each broken document only', () => {
    const problems = checkYaml('a: 1\n---\nb:\n  c: 1\n d: 2\n e: 3\n---\nok: 1\n---\n\tx: 1\n')
    expect(problems.map((p) => p.line)).toEqual([5, 10])
  })

  it('never quotes the text it stopped at', () => {
    const secret = 'sk-live-4242424242424242'
    for (const t of [`a: [${secret}\n`, `- a\n${secret}: 1\n`, `a: "${secret}\n`, `x: !!int ${secret}\n`, `a: @${secret}\n`]) {
      for (const p of checkYaml(t)) expect(p.message).not.toContain('4242')
    }
  })
})

describe('Markdown front matter', () => {
  it('checks the YAML between the --- lines, with the file’s line numbers', () => {
    expect(at(checkFrontmatter('---\ntitle: Guide\ntags: [a, b\n---\n# Guide\n'))[0]).toMatch(/^4:1 /)
    expect(checkFrontmatter('---\ntitle: Guide\n---\n# Guide\n  indented: text: here\n')).toEqual([])
  })

  it('says when the block is not closed, and leaves files without front matter alone', () => {
    expect(at(checkFrontmatter('---\ntitle: Guide\n'))).toEqual(['1:1 Not valid front matter: the --- block at the top has no closing --- line.'])
    expect(checkFrontmatter('# Guide\n---\nnot: [front matter\n')).toEqual([])
  })
})
