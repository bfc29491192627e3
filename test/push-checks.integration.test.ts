/**
 * Nothing broken or secret reaches the cloud (issue 10, part 4), as an operator meets it:
 * through the real CLI, a real environment server on 127.0.0.1 (and a folder environment),
 * the MCP server over stdio, and the dashboard's host. A YAML with a bad indent, a JSON with a
 * trailing comma and a skill config holding an AWS secret key are pushed: each problem is
 * named by file, line and column in plain words, the secret's text appears in no output; a
 * protected environment holds those files back (they are not on the server afterwards, the
 * others are) unless the operator names them; an unprotected one warns and takes them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RequestArgs, RequestName, Responses } from '../src-shared/ipc.js'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { cleanupTemps, CLI, ensureBuilt, get, put, tempDir, type CliResult } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

// A made-up AWS secret access key of the right shape (it is nobody's).
const AWS_SECRET = 'Hr7zS9kPq2mT4vXw8yB1nC6dF3gJ5hL0aE2rU7iO'

/** The files of the project: three with problems, two without. */
const FILES: Record<string, string> = {
  'agents/planner.yml': 'name: planner\nmodel: gpt-4\n  temperature: 0.2\n',
  'config/tools.json': '{\n  "tools": ["search", "mail",],\n  "retries": 3\n}\n',
  'skills/search.yml': `name: search\naws_secret_access_key: ${AWS_SECRET}\n`,
  'agents/writer.yml': 'name: writer\nmodel: gpt-4\n',
  'content/guide.md': '# Guide\n',
}
const BROKEN = ['agents/planner.yml', 'config/tools.json', 'skills/search.yml']
const FINE = ['agents/writer.yml', 'content/guide.md']

beforeAll(ensureBuilt)
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

/** Edits the project's config.json as an operator would by hand. */
function editConfig(project: string, change: (c: Record<string, unknown>) => void): void {
  const file = path.join(project, '.syncdesk', 'config.json')
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  change(config)
  fs.writeFileSync(file, JSON.stringify(config, null, 2))
}

/** A project (syncing .json too) with the files, and a folder environment or an environment server over `envDir`. */
async function projectWith(kind: 'folder' | 'server'): Promise<{ project: string; envDir: string; p: (...a: string[]) => CliResult; server?: ServerProcess }> {
  const root = tempDir('syncdesk-checks-')
  const envDir = path.join(root, 'env')
  const project = path.join(root, 'project')
  fs.mkdirSync(envDir)
  fs.mkdirSync(project)
  let env = childEnv()
  let server: ServerProcess | undefined
  if (kind === 'server') {
    const token = createToken(envDir, 'ci', 'read,write')
    // The server syncs JSON too (its own settings name the extra types, as the project's do).
    fs.writeFileSync(path.join(envDir, '.syncdesk-server', 'config.json'), JSON.stringify({ extraExtensions: ['.json'] }))
    server = await startServerProcess(envDir)
    env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
  }
  const p = (...a: string[]) => runCli(['--project-dir', project, ...a], { env })
  expect(p('init').code).toBe(0)
  const add = p('env', 'add', 'staging', ...(server ? ['--url', server.url] : ['--folder', envDir]))
  expect(add.code, add.stderr).toBe(0)
  editConfig(project, (c) => (c.extensions = ['.json']))
  for (const [k, v] of Object.entries(FILES)) put(project, k, v)
  return { project, envDir, p, server }
}

/** The lines every report of these files must have: file:line:column and what is wrong. */
function expectProblemsNamed(out: string): void {
  expect(out).toContain('agents/planner.yml:3:3  Not valid YAML: this line is indented further than it should be')
  expect(out).toContain('config/tools.json:2:29  Not valid JSON: a comma before the ] (a trailing comma): JSON allows none.')
  expect(out).toContain('skills/search.yml:2:1  Looks like a secret: AWS Secret Access Key (not shown here).  [aws]')
}

/** The secret, and any long piece of it, is nowhere in `text`. */
function expectNoSecret(text: string): void {
  for (let i = 0; i + 8 <= AWS_SECRET.length; i += 4) expect(text).not.toContain(AWS_SECRET.slice(i, i + 8))
}

describe.each(['server', 'folder'] as const)('checks before a push, %s environment', (kind) => {
  it('an unprotected environment: the dry run and the push name each problem, and the push takes every file', async () => {
    const { envDir, p } = await projectWith(kind)
    const dry = p('push', '--dry-run')
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expectProblemsNamed(dry.stdout)
    expect(dry.stdout).toContain('Checks found 3 problems in 3 files to be written to staging:')
    expect(dry.stdout).toContain('staging is not protected, so they would be pushed all the same')
    for (const f of Object.keys(FILES)) expect(get(envDir, f), f).toBeNull()

    const push = p('push', '--yes')
    expect(push.code, push.stdout + push.stderr).toBe(0)
    expectProblemsNamed(push.stdout)
    expect(push.stdout).toContain('staging is not protected, so they were pushed all the same')
    for (const [f, v] of Object.entries(FILES)) expect(get(envDir, f), f).toBe(v)
    expectNoSecret(dry.stdout + dry.stderr + push.stdout + push.stderr)
  })

  it('a protected environment holds the files with problems back, and takes one when it is named', async () => {
    const { project, envDir, p } = await projectWith(kind)
    expect(p('env', 'edit', 'staging', '--protected').code).toBe(0)
    const outputs: string[] = []
    const run = (...a: string[]) => {
      const r = p(...a)
      outputs.push(r.stdout, r.stderr)
      return r
    }

    const dry = run('push', '--dry-run')
    expect(dry.code, dry.stdout + dry.stderr).toBe(3)
    expectProblemsNamed(dry.stdout)
    expect(dry.stdout).toContain('would NOT write to staging   agents/planner.yml (problems found, see below)')
    expect(dry.stdout).toContain('staging is protected, so these 3 files would not be pushed: agents/planner.yml, config/tools.json, skills/search.yml')
    expect(dry.stdout).toContain('--allow-problems')

    const json = run('push', '--dry-run', '--format', 'json')
    const data = JSON.parse(json.stdout) as { checks: { problems: { path: string; line: number; column: number; rule: string; kind: string }[]; refuses: boolean }; refused: string[] }
    expect(data.checks.refuses).toBe(true)
    expect(data.refused.sort()).toEqual(BROKEN)
    expect(data.checks.problems.map((x) => [x.path, x.line, x.column, x.rule])).toEqual([
      ['agents/planner.yml', 3, 3, 'yaml'],
      ['config/tools.json', 2, 29, 'json'],
      ['skills/search.yml', 2, 1, '@secretlint/secretlint-rule-aws'],
    ])

    const push = run('push', '--yes')
    expect(push.code, push.stdout + push.stderr).toBe(3)
    expectProblemsNamed(push.stdout)
    expect(push.stdout).toContain('staging is protected, so these 3 files were not pushed')
    expect(push.stdout).toMatch(/Pushed to staging: 2 written to staging/)
    for (const f of BROKEN) expect(get(envDir, f), f).toBeNull()
    for (const f of FINE) expect(get(envDir, f), f).toBe(FILES[f])

    const named = run('push', '--yes', '--allow-problems', 'agents/planner.yml')
    expect(named.code, named.stdout + named.stderr).toBe(3)
    expect(named.stdout).toContain('these 2 files were not pushed: config/tools.json, skills/search.yml')
    expect(get(envDir, 'agents/planner.yml')).toBe(FILES['agents/planner.yml'])
    expect(get(envDir, 'config/tools.json')).toBeNull()
    expect(get(envDir, 'skills/search.yml')).toBeNull()

    // Still waiting to be pushed: the status says so, and fixing a file lets it go.
    const status = JSON.parse(run('status', '--format', 'json').stdout) as { local_to_remote: { path: string }[] }
    expect(status.local_to_remote.map((e) => e.path).sort()).toEqual(['config/tools.json', 'skills/search.yml'])
    put(project, 'config/tools.json', '{\n  "tools": ["search", "mail"],\n  "retries": 3\n}\n')
    const fixed = run('push', '--yes')
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(3)
    expect(fixed.stdout).toContain('this file was not pushed: skills/search.yml')
    expect(get(envDir, 'config/tools.json')).toContain('"retries": 3')
    expect(get(envDir, 'skills/search.yml')).toBeNull()

    const all = run('push', '--yes', '--allow-problems', 'skills/search.yml')
    expect(all.code, all.stdout + all.stderr).toBe(0)
    expect(all.stdout).toContain('the files with problems were pushed because --allow-problems names them')
    expect(get(envDir, 'skills/search.yml')).toBe(FILES['skills/search.yml'])
    expectNoSecret(outputs.join('\n'))
  })
})

describe('check settings in .syncdesk/config.json', () => {
  it('a rule turned off is not reported; an added extension is checked; a large file is said to be unchecked', async () => {
    const { project, p } = await projectWith('folder')
    editConfig(project, (c) => {
      c.extensions = ['.json', '.jsonc']
      c.checks = { off: ['aws'], syntax: { '.jsonc': 'jsonc' }, maxBytes: 1000 }
    })
    put(project, 'config/editor.jsonc', '// settings\n{ "tabs": 2, }\n')
    put(project, 'config/broken.jsonc', '{ "tabs": 2 "size": 3 }\n')
    put(project, 'agents/big.yml', `notes: ${'x'.repeat(2000)}\n  bad: 1\n`)
    const dry = p('push', '--dry-run')
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expect(dry.stdout).toContain('agents/planner.yml:3:3  Not valid YAML')
    expect(dry.stdout).toContain('config/tools.json:2:29  Not valid JSON')
    expect(dry.stdout).toContain('config/broken.jsonc:1:13  Not valid JSONC: a comma or } is missing before this.')
    expect(dry.stdout).not.toContain('config/editor.jsonc:')
    expect(dry.stdout).not.toContain('skills/search.yml:')
    expect(dry.stdout).toContain('Not checked: agents/big.yml (larger than 1 KB, the limit for checks)')

    editConfig(project, (c) => (c.checks = { off: ['json', 'secrets'] }))
    const fewer = p('push', '--dry-run')
    // Back to the default size limit, the large file is checked too.
    expect(fewer.stdout).toContain('Checks found 2 problems in 2 files to be written to staging:')
    expect(fewer.stdout).toContain('agents/big.yml:2:3  Not valid YAML')
    expect(fewer.stdout).toContain('agents/planner.yml:3:3  Not valid YAML')

    editConfig(project, (c) => (c.checks = { off: ['awss'] }))
    const typo = p('push', '--dry-run')
    expect(typo.stdout + typo.stderr).toMatch(/turn off "@secretlint\/secretlint-rule-awss", which is not a rule/)
    expect(typo.stdout).toContain('skills/search.yml:2:1  Looks like a secret')
  })

  it('a config that is not valid is refused with its place', () => {
    const root = tempDir('syncdesk-checks-')
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    expect(runCli(['--project-dir', project, 'init']).code).toBe(0)
    editConfig(project, (c) => (c.checks = { syntax: { '.yml': 'toml' } }))
    const r = runCli(['--project-dir', project, 'status'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/checks\.syntax\.\.yml/)
  })
})

describe('checks over MCP', () => {
  const clients: Client[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })

  it('sync_files holds the problem files back from a protected environment unless allow_problems names them', async () => {
    const { project, envDir } = await projectWith('folder')
    expect(runCli(['--project-dir', project, 'env', 'edit', 'staging', '--protected']).code).toBe(0)
    const strings = Object.fromEntries(Object.entries(childEnv()).filter((e): e is [string, string] => typeof e[1] === 'string'))
    const client = new Client({ name: 'syncdesk-test', version: '1.0.0' })
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--project-dir', project, 'mcp'], env: strings, stderr: 'pipe' }))
    clients.push(client)
    type Answer = { isError?: boolean; content: { text?: string }[]; structuredContent?: Record<string, unknown> }
    const call = async (args: Record<string, unknown>) => (await client.callTool({ name: 'sync_files', arguments: { direction: 'push', ...args } })) as Answer
    const text = (a: Answer) => a.content.map((c) => c.text ?? '').join('\n')
    const answers: Answer[] = []

    const dry = await call({ dry_run: true })
    answers.push(dry)
    expect(dry.isError, text(dry)).toBeFalsy()
    const checks = dry.structuredContent?.checks as { problems: { path: string; line: number; rule: string }[]; refuses: boolean; held_back: string[] }
    expect(checks.refuses).toBe(true)
    expect(checks.held_back.sort()).toEqual(BROKEN)
    expect(checks.problems.map((x) => [x.path, x.line])).toEqual([
      ['agents/planner.yml', 3],
      ['config/tools.json', 2],
      ['skills/search.yml', 2],
    ])
    expect(text(dry)).toMatch(/staging is protected, so 3 of them would be held back.*allow_problems/)

    const pushed = await call({ confirm_env: 'staging' })
    answers.push(pushed)
    expect(pushed.isError).toBe(true)
    expect((pushed.structuredContent?.problems as { path: string; reason: string }[]).map((x) => [x.path, x.reason]).sort()).toEqual(BROKEN.map((b) => [b, 'refused']))
    for (const f of BROKEN) expect(get(envDir, f), f).toBeNull()
    for (const f of FINE) expect(get(envDir, f), f).toBe(FILES[f])

    const allowed = await call({ confirm_env: 'staging', allow_problems: ['skills/search.yml'] })
    answers.push(allowed)
    expect(get(envDir, 'skills/search.yml')).toBe(FILES['skills/search.yml'])
    expect(get(envDir, 'agents/planner.yml')).toBeNull()
    expect((allowed.structuredContent?.done as { item: string }[]).map((d) => d.item)).toEqual(['skills/search.yml'])
    expectNoSecret(JSON.stringify(answers))
  })
})

describe("checks in the dashboard's preview", () => {
  const hosts: AppHost[] = []
  afterAll(async () => {
    for (const h of hosts) await h.dispose()
  })

  it('the preview carries the problems by file (never the secret), and a protected environment holds them back', async () => {
    const { project, envDir } = await projectWith('folder')
    const host = new AppHost({ dataDir: tempDir('syncdesk-host-'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
    hosts.push(host)
    const call = async <K extends RequestName>(k: K, a: RequestArgs<K>): Promise<Responses[K]> => {
      const ans = await host.dispatch(k, a)
      if (!ans.ok) throw new Error(`${k}: ${ans.error.message}`)
      return ans.value as Responses[K]
    }
    const { id: projectId } = await call('projects:open', { dir: project })
    await call('environments:edit', { projectId, env: 'staging', protected: true })
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    expect(preview.checks?.refuses).toBe(true)
    expect(preview.checks?.itemsTotal).toBe(3)
    expect(preview.checks?.items.map((i) => [i.label, i.problems.map((x) => `${x.line}:${x.column} ${x.rule}`)])).toEqual([
      ['agents/planner.yml', ['3:3 yaml']],
      ['config/tools.json', ['2:29 json']],
      ['skills/search.yml', ['2:1 @secretlint/secretlint-rule-aws']],
    ])
    expectNoSecret(JSON.stringify(preview))

    const summary = await call('run:apply', { planId: preview.planId, confirmName: 'staging' })
    expect(summary.problems.map((x) => [x.label, x.reason]).sort()).toEqual(BROKEN.map((b) => [b, 'refused']))
    expect(summary.problems.find((x) => x.label === 'agents/planner.yml')?.message).toBe('Not written to staging, which is protected: it has a YAML syntax error on line 3.')
    expect(summary.problems.find((x) => x.label === 'skills/search.yml')?.message).toBe('Not written to staging, which is protected: it has what looks like a secret on line 2.')
    expect(summary.done.upload).toBe(2)
    for (const f of BROKEN) expect(get(envDir, f), f).toBeNull()
    expectNoSecret(JSON.stringify(summary))
  })

  it('refuses an allowProblems that is not a list of paths', async () => {
    const host = new AppHost({ dataDir: tempDir('syncdesk-host-'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
    hosts.push(host)
    const ans = await host.dispatch('run:apply', { planId: 'p', allowProblems: 'agents/a.yml' })
    expect(ans.ok).toBe(false)
    if (!ans.ok) expect(ans.error.code).toBe('invalid-request')
  })
})
