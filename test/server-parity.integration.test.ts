/**
 * Parity: the same push/pull/sync/clone scenarios through a folder environment and through an
 * environment server end the same way on disk (DESIGN.md: "folder and server remotes behind
 * one interface"). Every scenario runs the built CLI as a child process against a fresh
 * environment: a temp folder, or a real `syncdesk-server` child on 127.0.0.1 whose project
 * folder the test edits directly for "remote" changes.
 *
 * Then: two projects push conflicting edits of one file to one server at the same moment.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, get, put, readTree, syncedTree, tempDir, treeObject } from './helpers.js'
import { childEnv, createToken, runCli, runCliAsync, startServerProcess, stopAllServers } from './support/server-process.js'

type Tree = Record<string, string>
/** Changes to one side: content, or null to delete. */
type Changes = Record<string, string | null>

interface Scenario {
  name: string
  /** Both sides start with these files, in sync (pushed once). Absent: no earlier sync. */
  synced?: Tree
  /** Changes made locally / in the environment's folder before the command. */
  local?: Changes
  remote?: Changes
  /** The command (after `--project-dir P`); `--env staging` is added. */
  run: string[]
  code: number
  local_after: Tree
  remote_after: Tree
  /** `status --format json` afterwards: [to pull, to push, conflicts, in sync]. */
  status_after: [number, number, number, number]
  /** Contents that must be among the environment's kept prior versions. */
  remote_versions?: string[]
  /** Contents that must be among the local backups. */
  local_backups?: string[]
  stdout?: RegExp
  /** The whole local .syncdesk/baselines and backups are unchanged by the command. */
  state_unchanged?: boolean
}

const BASE: Tree = {
  'agents/a.yml': 'name: a\n',
  'docs/readme.md': '# readme\n',
  'pipelines/p.py': 'print(1)\n',
}
const A_LOCAL = 'name: a\nmodel: local-edit\n'
const A_REMOTE = 'name: a\nmodel: the-remote-edit\n'
const without = (t: Tree, ...keys: string[]): Tree => Object.fromEntries(Object.entries(t).filter(([k]) => !keys.includes(k)))

const SCENARIOS: Scenario[] = [
  {
    name: 'local add → push',
    synced: BASE,
    local: { 'skills/s.yml': 'skill: s\n' },
    run: ['push'],
    code: 0,
    local_after: { ...BASE, 'skills/s.yml': 'skill: s\n' },
    remote_after: { ...BASE, 'skills/s.yml': 'skill: s\n' },
    status_after: [0, 0, 0, 4],
  },
  {
    name: 'local modify → push',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    run: ['push'],
    code: 0,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    remote_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    status_after: [0, 0, 0, 3],
    remote_versions: ['name: a\n'],
  },
  {
    name: 'local delete → push',
    synced: BASE,
    local: { 'docs/readme.md': null },
    run: ['push'],
    code: 0,
    local_after: without(BASE, 'docs/readme.md'),
    remote_after: without(BASE, 'docs/readme.md'),
    status_after: [0, 0, 0, 2],
    remote_versions: ['# readme\n'],
  },
  {
    name: 'remote add → pull',
    synced: BASE,
    remote: { 'contexts/c.md': 'context\n' },
    run: ['pull'],
    code: 0,
    local_after: { ...BASE, 'contexts/c.md': 'context\n' },
    remote_after: { ...BASE, 'contexts/c.md': 'context\n' },
    status_after: [0, 0, 0, 4],
  },
  {
    name: 'remote modify → pull',
    synced: BASE,
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['pull'],
    code: 0,
    local_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    status_after: [0, 0, 0, 3],
    local_backups: ['name: a\n'],
  },
  {
    name: 'remote delete → pull',
    synced: BASE,
    remote: { 'pipelines/p.py': null },
    run: ['pull'],
    code: 0,
    local_after: without(BASE, 'pipelines/p.py'),
    remote_after: without(BASE, 'pipelines/p.py'),
    status_after: [0, 0, 0, 2],
    local_backups: ['print(1)\n'],
  },
  {
    name: 'changes on both sides, no overlap → sync',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL, 'docs/readme.md': null },
    remote: { 'skills/new.yml': 'skill: new\n', 'pipelines/p.py': 'print(2)\nprint(3)\n' },
    run: ['sync'],
    code: 0,
    local_after: { 'agents/a.yml': A_LOCAL, 'pipelines/p.py': 'print(2)\nprint(3)\n', 'skills/new.yml': 'skill: new\n' },
    remote_after: { 'agents/a.yml': A_LOCAL, 'pipelines/p.py': 'print(2)\nprint(3)\n', 'skills/new.yml': 'skill: new\n' },
    status_after: [0, 0, 0, 3],
  },
  {
    name: 'edit/edit conflict, sync --resolve local',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['sync', '--resolve', 'local'],
    code: 0,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    remote_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    status_after: [0, 0, 0, 3],
    remote_versions: [A_REMOTE],
  },
  {
    name: 'edit/edit conflict, sync --resolve remote',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['sync', '--resolve', 'remote'],
    code: 0,
    local_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    status_after: [0, 0, 0, 3],
    local_backups: [A_LOCAL],
  },
  {
    name: 'edit/edit conflict, sync --resolve skip',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['sync', '--resolve', 'skip'],
    code: 3,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    status_after: [0, 0, 1, 2],
    stdout: /1 conflict\(s\) left as they are/,
  },
  {
    name: 'edit/edit conflict, plain pull keeps the local edit',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['pull'],
    code: 3,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    status_after: [0, 0, 1, 2],
  },
  {
    name: 'edit/edit conflict, plain push keeps the environment’s edit',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL },
    remote: { 'agents/a.yml': A_REMOTE },
    run: ['push'],
    code: 3,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE },
    status_after: [0, 0, 1, 2],
  },
  {
    name: 'first sync, equal files',
    local: BASE,
    remote: BASE,
    run: ['sync'],
    code: 0,
    local_after: BASE,
    remote_after: BASE,
    status_after: [0, 0, 0, 3],
  },
  {
    name: 'first sync, different files',
    local: { ...BASE, 'agents/a.yml': A_LOCAL, 'only-local.md': 'mine\n' },
    remote: { ...BASE, 'agents/a.yml': A_REMOTE, 'only-remote.md': 'theirs\n' },
    run: ['sync'],
    code: 3,
    local_after: { ...BASE, 'agents/a.yml': A_LOCAL, 'only-local.md': 'mine\n', 'only-remote.md': 'theirs\n' },
    remote_after: { ...BASE, 'agents/a.yml': A_REMOTE, 'only-local.md': 'mine\n', 'only-remote.md': 'theirs\n' },
    status_after: [0, 0, 1, 4],
  },
  {
    name: 'clone into an empty project',
    remote: BASE,
    run: ['clone'],
    code: 0,
    local_after: BASE,
    remote_after: BASE,
    status_after: [0, 0, 0, 3],
  },
  {
    name: 'dry run of a sync changes nothing',
    synced: BASE,
    local: { 'agents/a.yml': A_LOCAL, 'docs/readme.md': null },
    remote: { 'skills/new.yml': 'skill: new\n' },
    run: ['sync', '--dry-run'],
    code: 0,
    local_after: { 'agents/a.yml': A_LOCAL, 'pipelines/p.py': 'print(1)\n' },
    remote_after: { ...BASE, 'skills/new.yml': 'skill: new\n' },
    status_after: [1, 2, 0, 1],
    stdout: /Dry run of sync with staging: nothing was changed\.[\s\S]*would write locally\s+skills\/new\.yml[\s\S]*would write to staging\s+agents\/a\.yml[\s\S]*would delete in staging\s+docs\/readme\.md/,
    state_unchanged: true,
  },
]

interface Environment {
  remote: string
  envArgs: string[]
  env: NodeJS.ProcessEnv
}

interface Kind {
  name: 'folder' | 'server'
  make(root: string): Promise<Environment>
}

const KINDS: Kind[] = [
  {
    name: 'folder',
    async make(root) {
      const remote = path.join(root, 'env')
      fs.mkdirSync(remote)
      return { remote, envArgs: ['--folder', remote], env: childEnv() }
    },
  },
  {
    name: 'server',
    async make(root) {
      const remote = path.join(root, 'srv')
      fs.mkdirSync(remote)
      const token = createToken(remote, 'ci', 'read,write')
      const server = await startServerProcess(remote)
      return { remote, envArgs: ['--url', server.url], env: childEnv({ SYNCDESK_TOKEN_STAGING: token }) }
    },
  },
]

function apply(root: string, changes: Changes | undefined): void {
  for (const [rel, content] of Object.entries(changes ?? {})) {
    if (content === null) fs.rmSync(path.join(root, ...rel.split('/')))
    else put(root, rel, content)
  }
}

/** Contents of every file under `dir` (recursively), or [] when it is missing. */
function contentsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return [...readTree(dir).values()]
}

/** Everything the CLI keeps about the project's sync state (not its scan cache). */
function syncState(project: string): Tree {
  const state = path.join(project, '.syncdesk')
  return treeObject(readTree(state, { skipTop: ['cache'] }))
}

/** What a scenario ended with, to compare the two kinds. */
interface Outcome {
  code: number | null
  local: Tree
  remote: Tree
  status: unknown
  stdout: string
}
const outcomes = new Map<string, Map<string, Outcome>>()

beforeAll(() => ensureBuilt())
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

describe.each(KINDS)('through a $name environment', (kind) => {
  it.each(SCENARIOS)('$name', async (s) => {
    const root = tempDir(`syncdesk-parity-${kind.name}-`)
    const { remote, envArgs, env } = await kind.make(root)
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    const p = (...args: string[]) => runCli(['--project-dir', project, ...args], { env })
    expect(p('init').code).toBe(0)
    const added = p('env', 'add', 'staging', ...envArgs)
    expect(added.code, added.stderr).toBe(0)

    if (s.synced) {
      apply(project, s.synced)
      const first = p('push', '--env', 'staging')
      expect(first.code, first.stderr).toBe(0)
      expect(treeObject(syncedTree(remote))).toEqual(s.synced)
    }
    apply(project, s.local)
    apply(remote, s.remote)
    const before = syncState(project)

    const r = p(...s.run, '--env', 'staging')
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(s.code)
    if (s.stdout) expect(r.stdout).toMatch(s.stdout)
    expect(r.stderr).not.toMatch(/\n\s+at /)

    const localAfter = treeObject(syncedTree(project))
    const remoteAfter = treeObject(syncedTree(remote))
    expect(localAfter, 'local files').toEqual(s.local_after)
    expect(remoteAfter, 'environment files').toEqual(s.remote_after)
    if (s.state_unchanged) expect(syncState(project)).toEqual(before)
    for (const c of s.remote_versions ?? []) expect(contentsUnder(path.join(remote, '.syncdesk-server', 'versions')), 'kept versions').toContain(c)
    for (const c of s.local_backups ?? []) expect(contentsUnder(path.join(project, '.syncdesk', 'backups')), 'local backups').toContain(c)

    const st = p('status', '--env', 'staging', '--format', 'json')
    expect(st.code, st.stderr).toBe(0)
    const status = JSON.parse(st.stdout) as Record<string, unknown[]>
    const counts = ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync'].map((c) => status[c]?.length)
    expect(counts, 'status afterwards').toEqual(s.status_after)

    const byKind = outcomes.get(s.name) ?? new Map<string, Outcome>()
    byKind.set(kind.name, { code: r.code, local: localAfter, remote: remoteAfter, status, stdout: r.stdout.replace(/\d{8}-\d{6}(-\d{3})?-[0-9a-f]+/g, '<run>') })
    outcomes.set(s.name, byKind)
  })
})

describe('folder and server environments agree', () => {
  it.each(SCENARIOS)('$name: same exit code, trees, status and summary', (s) => {
    const o = outcomes.get(s.name)
    if (!o?.get('folder') || !o.get('server')) throw new Error(`the scenario did not complete for both kinds (folder: ${!!o?.get('folder')}, server: ${!!o?.get('server')})`)
    const strip = (x: Outcome) => ({ ...x, status: JSON.parse(JSON.stringify(x.status, (k: string, v: unknown) => (/mtime/i.test(k) ? undefined : v))) as unknown })
    expect(strip(o.get('server') as Outcome)).toEqual(strip(o.get('folder') as Outcome))
  })
})

describe('two projects push conflicting edits of one file to one server at the same moment', () => {
  it('exactly one wins, the other sees a conflict, nothing is lost', async () => {
    const root = tempDir('syncdesk-race-')
    const srv = path.join(root, 'srv')
    fs.mkdirSync(srv)
    const token = createToken(srv, 'ci', 'read,write')
    put(srv, 'agents/shared.yml', 'version: 0\n')
    for (let i = 0; i < 20; i++) put(srv, `docs/d${i}.md`, `doc ${i}\n`)
    const server = await startServerProcess(srv)
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
    const projects = ['alice', 'bob'].map((name) => path.join(root, name))
    const edits = ['version: 1 by alice\nmodel: a\n', 'version: 1 by bob, a longer edit\nmodel: b\n']
    for (const [i, project] of projects.entries()) {
      fs.mkdirSync(project)
      expect(runCli(['--project-dir', project, 'init'], { env }).code).toBe(0)
      expect(runCli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url], { env }).code).toBe(0)
      const clone = runCli(['--project-dir', project, 'clone'], { env })
      expect(clone.code, clone.stderr).toBe(0)
      put(project, 'agents/shared.yml', edits[i] as string)
    }

    const results = await Promise.all(projects.map((project) => runCliAsync(['--project-dir', project, 'push', '--format', 'json'], { env })))
    const codes = results.map((r) => r.code)
    expect(codes.slice().sort(), results.map((r) => r.stdout + r.stderr).join('\n---\n')).toEqual([0, 3])
    const winner = codes.indexOf(0)
    const loser = 1 - winner
    const loserReport = JSON.parse((results[loser] as { stdout: string }).stdout) as { problems: { path: string; reason: string }[]; conflicts_left: { path: string }[] }
    // The loser either planned before the winner wrote (its write met 412: stale) or after (a conflict).
    const seen = [...loserReport.problems.filter((p) => p.reason === 'stale').map((p) => p.path), ...loserReport.conflicts_left.map((c) => c.path)]
    expect(seen).toEqual(['agents/shared.yml'])

    // The winner's content is on the server; the loser's is still local; the old one is kept.
    expect(get(srv, 'agents/shared.yml')).toBe(edits[winner])
    expect(get(projects[loser] as string, 'agents/shared.yml')).toBe(edits[loser])
    expect(get(projects[winner] as string, 'agents/shared.yml')).toBe(edits[winner])
    expect(contentsUnder(path.join(srv, '.syncdesk-server', 'versions'))).toContain('version: 0\n')

    // The loser's status now shows the conflict, and nothing else is pending.
    const st = runCli(['--project-dir', projects[loser] as string, 'status', '--format', 'json'], { env })
    expect(st.code, st.stderr).toBe(0)
    const status = JSON.parse(st.stdout) as Record<string, { path: string }[]>
    expect(status.conflicts?.map((c) => c.path)).toEqual(['agents/shared.yml'])
    expect(status.remote_to_local).toEqual([])
    expect(status.local_to_remote).toEqual([])
    await server.stop()
  })
})
