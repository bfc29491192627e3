import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sha256 } from '../atomic.js'
import { candidateFolder, removeCandidateFolders } from './candidate-folder.test-support.js'
import { checkSettings, checksFor } from './check-settings.js'
import { contentKey, planChecks, runChecks } from './run-checks.js'

afterAll(removeCandidateFolders)

/** A folder of files, and the candidates and reader for them. */
function files(contents: Record<string, string | Buffer>) {
  const { dir, candidates } = candidateFolder(contents, 'syncdesk-checks-')
  const reads: string[] = []
  const read = async (rel: string) => {
    reads.push(rel)
    return fs.readFileSync(path.join(dir, ...rel.split('/')))
  }
  return { dir, candidates, read, reads, cacheFile: path.join(dir, 'cache', 'checks.json') }
}

const GITHUB = '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'

describe('which files are checked', () => {
  it('checks YAML and JSON by default and scans config-like files for secrets', () => {
    const s = checkSettings(undefined)
    expect(checksFor(s, 'agents/a.yml')).toEqual({ syntax: 'yaml', secrets: true })
    expect(checksFor(s, 'agents/A.YAML')).toEqual({ syntax: 'yaml', secrets: true })
    expect(checksFor(s, 'config/app.json')).toEqual({ syntax: 'json', secrets: true })
    expect(checksFor(s, 'deploy/.env')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(s, 'deploy/prod.env')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(s, 'Makefile')).toBeNull()
    expect(checksFor(s, 'settings.toml')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(s, 'pipelines/load.py')).toBeNull()
    expect(checksFor(s, 'content/guide.md')).toBeNull()
  })

  it('follows the project settings: more extensions, a rule off, every file scanned', () => {
    const s = checkSettings({ syntax: { jsonc: 'jsonc', '.md': 'markdown-frontmatter', '.json': 'off' }, secrets: ['.py'], off: ['yaml', 'aws'] })
    expect(checksFor(s, 'tsconfig.jsonc')).toEqual({ syntax: 'jsonc', secrets: true })
    expect(checksFor(s, 'guide.md')).toBeNull()
    expect(checksFor(s, 'a.yml')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(s, 'b.json')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(s, 'load.py')).toEqual({ syntax: null, secrets: true })
    expect([...s.secretRulesOff]).toEqual(['@secretlint/secretlint-rule-aws'])
    const all = checkSettings({ secrets: ['*'], syntax: { '.md': 'markdown-frontmatter' } })
    expect(checksFor(all, 'guide.md')).toEqual({ syntax: 'markdown-frontmatter', secrets: true })
    expect(checksFor(all, 'notes.txt')).toEqual({ syntax: null, secrets: true })
    expect(checksFor(checkSettings({ off: ['secrets'] }), 'settings.toml')).toBeNull()
  })
})

describe('running the checks', () => {
  it('finds syntax errors and secrets, and ties each to its file', async () => {
    const f = files({ 'a.yml': 'name: a\n  bad: 1\n', 'b.json': '{"a": 1,}', 'c.yml': `token: ${GITHUB}\n`, 'ok.yml': 'name: ok\n', 'load.py': `KEY = "${GITHUB}"\n` })
    const checks = await runChecks(f.candidates, { settings: checkSettings(undefined), read: f.read, cacheFile: null })
    const found = (rel: string) => checks.found.get(contentKey(rel, sha256(fs.readFileSync(path.join(f.dir, rel)))))
    expect(found('a.yml')?.map((p) => [p.path, p.line, p.rule])).toEqual([['a.yml', 2, 'yaml']])
    expect(found('b.json')?.map((p) => [p.line, p.column, p.rule])).toEqual([[1, 8, 'json']])
    expect(found('c.yml')?.map((p) => p.rule)).toEqual(['@secretlint/secretlint-rule-github'])
    expect(found('ok.yml')).toEqual([])
    expect(found('load.py')).toBeUndefined()
    expect(f.reads.sort()).toEqual(['a.yml', 'b.json', 'c.yml', 'ok.yml'])
    expect(JSON.stringify([...checks.found.values()])).not.toContain(GITHUB.slice(4, 12))
  })

  it('leaves out files over the size limit and says so, and says when a file is not text', async () => {
    const f = files({ 'big.yml': `a: ${'x'.repeat(2000)}\n`, 'bin.json': Buffer.from([0xff, 0xfe, 0x00, 0x41]), 'bin.toml': Buffer.from([0xff, 0x00, 0x01, 0x02]) })
    const checks = await runChecks(f.candidates, { settings: checkSettings({ maxBytes: 1000 }), read: f.read, cacheFile: null })
    expect(checks.unchecked.get('big.yml')).toBe('larger than 1 KB, the limit for checks')
    expect(checks.unchecked.get('bin.toml')).toMatch(/binary/)
    expect([...checks.found.values()].flat().map((p) => [p.path, p.message])).toEqual([['bin.json', 'Not valid text: the file is not UTF-8, so it cannot be read as YAML or JSON.']])
  })

  it('checks a content once: a second run reads nothing, a changed file is read again', async () => {
    const f = files({ 'a.yml': 'name: a\n  bad: 1\n', 'b.yml': 'name: b\n' })
    const settings = checkSettings(undefined)
    const first = await runChecks(f.candidates, { settings, read: f.read, cacheFile: f.cacheFile })
    expect(f.reads).toHaveLength(2)
    f.reads.length = 0
    const again = await runChecks(f.candidates, { settings, read: f.read, cacheFile: f.cacheFile })
    expect(f.reads).toEqual([])
    expect([...again.found.entries()]).toEqual([...first.found.entries()])
    expect(fs.readFileSync(f.cacheFile, 'utf8')).not.toContain('bad')
    const other = checkSettings({ off: ['github'] })
    await runChecks(f.candidates, { settings: other, read: f.read, cacheFile: f.cacheFile })
    expect(f.reads).toHaveLength(2)
  })

  it('warns of a rule turned off that does not exist', async () => {
    const f = files({ 'a.yml': 'name: a\n' })
    const checks = await runChecks(f.candidates, { settings: checkSettings({ off: ['awss'] }), read: f.read, cacheFile: null })
    expect(checks.warnings.join('\n')).toMatch(/"@secretlint\/secretlint-rule-awss", which is not a rule .*aws, gcp/)
  })
})

describe("a plan's checks", () => {
  it('lists the written files left unchecked (over the size limit), and nothing for files not checked at all', async () => {
    const f = files({ 'a.yml': 'name: a\n  bad: 1\n', 'b.yml': 'name: b\n', 'big.yml': 'x: 1\n' })
    const checks = await runChecks(f.candidates, { settings: checkSettings({ maxBytes: 2 }), read: f.read, cacheFile: null })
    const hashOf = (rel: string) => f.candidates.find((c) => c.path === rel)!.hash
    const plan = planChecks(
      [
        { path: 'b.yml', hash: 'a-content-nobody-checked' },
        { path: 'a.yml', hash: hashOf('a.yml') },
        { path: 'big.yml', hash: hashOf('big.yml') },
        { path: 'notes.md', hash: 'x' },
      ],
      checks,
      true,
    )
    expect(plan.refuses).toBe(true)
    expect(plan.problems.map((p) => [p.path, p.kind])).toEqual([])
    expect(plan.unchecked.map((u) => u.path)).toEqual(['a.yml', 'b.yml', 'big.yml'])
  })

  it('marks a written content that should have been checked and was not', async () => {
    const f = files({ 'a.yml': 'name: a\n  bad: 1\n', 'b.yml': 'name: b\n' })
    const checks = await runChecks(f.candidates, { settings: checkSettings(undefined), read: f.read, cacheFile: null })
    const plan = planChecks(
      [
        { path: 'a.yml', hash: f.candidates[0]!.hash },
        { path: 'b.yml', hash: 'another-content' },
      ],
      checks,
      false,
    )
    expect(plan.problems.map((p) => [p.path, p.kind, p.line])).toEqual([
      ['a.yml', 'syntax', 2],
      ['b.yml', 'check', null],
    ])
  })
})
