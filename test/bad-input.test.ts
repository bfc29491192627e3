/**
 * Bad input: corrupt baselines and configs, unreadable files, items that change between plan
 * and write, symlinks out of the project, a missing environment folder, hostile item paths.
 * What is checked is what a user would see: files on disk, exit codes, messages.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DirStore } from '../src-main/engine/dir-store.js'
import { pathProblem, resolveItem } from '../src-main/engine/paths.js'
import { initProject, type Project } from '../src-main/engine/project.js'
import { getStatus, runDirection } from '../src-main/engine/sync-engine.js'
import { FolderRemote } from '../src-main/remotes/folder-remote.js'
import type { DeleteRequest, ItemResult, Remote, RemoteScan, WriteRequest } from '../src-main/engine/remote.js'
import type { ScanFilter } from '../src-main/engine/filter.js'
import { cleanupTemps, cli, cliProject, ensureBuilt, exists, get, itemPath, lines, put, readTree, sha, syncedTree, tempDir, treeObject, type CliResult } from './helpers.js'

beforeAll(ensureBuilt)
afterAll(cleanupTemps)

interface StatusJson {
  remote_to_local: { path: string }[]
  local_to_remote: { path: string }[]
  conflicts: { path: string }[]
  in_sync: { path: string }[]
}
const pathsOf = (entries: { path: string }[]) => entries.map((e) => e.path).sort()

/** A CLI project `staging` with a folder environment, both sides in sync on `files`. */
function syncedCliProject(files: Record<string, string>): { root: string; project: string; env: string; p: (...a: string[]) => CliResult } {
  const root = tempDir()
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  const { project, p } = cliProject(root, ['--folder', env])
  const r = p('pull', '--env', 'staging')
  if (r.code !== 0) throw new Error(`first pull failed: ${r.stderr}`)
  return { root, project, env, p }
}

/** The one line of a failure: `syncdesk: …` (what went wrong, then what to do), and no stack. */
function expectOneLineError(r: CliResult, mentions: string): void {
  const l = lines(r.stderr)
  expect(l[0], r.stderr).toMatch(/^syncdesk: /)
  expect(l[0]).toContain(mentions)
  expect(l.length, r.stderr).toBe(1)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe('a corrupt baseline', () => {
  const files = { 'a.md': 'a\n', 'b.md': 'b\n', 'c.md': 'c\n', 'd/e.yml': 'e\n' }

  for (const [name, garbage] of [
    ['garbage bytes', '{"version":1,"files":{"a.md": "12'],
    ['valid JSON of the wrong shape', '{"version":1,"files":["a.md"]}'],
    ['a hash that is not a hash', JSON.stringify({ version: 1, files: { 'a.md': 'not a hash' } })],
  ] as const) {
    it(`${name}: one warning, the file kept aside, and no deletions where a real baseline would delete`, () => {
      const { project, env, p } = syncedCliProject(files)
      // b.md deleted locally and c.md deleted in the environment: a real baseline deletes them on the other side.
      fs.rmSync(path.join(project, 'b.md'))
      fs.rmSync(path.join(env, 'c.md'))
      const dry = p('sync', '--env', 'staging', '--dry-run', '--format', 'json')
      expect(dry.code).toBe(0)
      const planned = (JSON.parse(dry.stdout) as { actions: { op: string; path: string }[] }).actions
      expect(planned).toEqual(expect.arrayContaining([expect.objectContaining({ op: 'delete-remote', path: 'b.md' }), expect.objectContaining({ op: 'delete-local', path: 'c.md' })]))

      const baselineFile = path.join(project, '.syncdesk', 'baselines', 'staging.json')
      fs.writeFileSync(baselineFile, garbage)
      const r = p('sync', '--env', 'staging', '--resolve', 'skip')
      expect(r.code, r.stdout + r.stderr).toBe(0)
      const warnings = lines(r.stdout + r.stderr).filter((l) => /warning/i.test(l))
      expect(warnings, r.stdout).toHaveLength(1)
      expect(warnings[0]).toMatch(/baseline/i)
      // Kept aside, byte for byte.
      const aside = fs.readdirSync(path.dirname(baselineFile)).filter((n) => n.startsWith('staging.json.corrupt-'))
      expect(aside).toHaveLength(1)
      expect(fs.readFileSync(path.join(path.dirname(baselineFile), aside[0] as string), 'utf8')).toBe(garbage)
      expect(warnings[0]).toContain(aside[0])
      // Nothing deleted: what one side lacked came back from the other.
      for (const side of [project, env]) expect(treeObject(syncedTree(side))).toEqual(treeObject(new Map(Object.entries(files))))
      // And a fresh, valid baseline replaced it.
      const st = p('status', '--env', 'staging', '--format', 'json')
      expect(st.stderr).toBe('')
      expect(pathsOf((JSON.parse(st.stdout) as StatusJson).in_sync)).toEqual(Object.keys(files).sort())
    })
  }

  it('status with a corrupt baseline warns on one line and shows no deletions', () => {
    const { project, env, p } = syncedCliProject(files)
    fs.rmSync(path.join(project, 'b.md'))
    fs.rmSync(path.join(env, 'c.md'))
    fs.writeFileSync(path.join(project, '.syncdesk', 'baselines', 'staging.json'), '\u0000\u0001not json')
    const r = p('status', '--env', 'staging', '--format', 'json')
    expect(r.code).toBe(0)
    expect(lines(r.stderr)).toHaveLength(1)
    // A status changes nothing: the damaged baseline stays where it is (the next sync keeps it aside).
    expect(r.stderr).toMatch(/^Warning: .*baseline.*damaged/)
    expect(fs.readFileSync(path.join(project, '.syncdesk', 'baselines', 'staging.json'), 'utf8')).toBe('\u0000\u0001not json')
    const s = JSON.parse(r.stdout) as StatusJson & Record<string, { path: string; local: string; remote: string }[]>
    const all = [...s.remote_to_local, ...s.local_to_remote, ...s.conflicts] as unknown as { path: string; local: string; remote: string }[]
    expect(all.filter((e) => e.local === 'deleted' || e.remote === 'deleted')).toEqual([])
    expect(pathsOf(s.remote_to_local)).toEqual(['b.md'])
    expect(pathsOf(s.local_to_remote)).toEqual(['c.md'])
  })
})

describe('a corrupt project config', () => {
  for (const [name, text, mentions] of [
    ['garbage', '{ "version": 1, "projectId": ', 'not valid JSON'],
    ['a wrong version', '{"version":2,"projectId":"x","environments":{}}', 'version'],
    ['an environment without its folder', '{"version":1,"projectId":"x","environments":{"staging":{"kind":"folder"}}}', 'environments.staging'],
    ['an array', '[]', 'not valid'],
  ] as const) {
    it(`${name}: exit 1, one line naming the file, config untouched, nothing synced`, () => {
      const { project, env, p } = syncedCliProject({ 'a.md': 'a\n' })
      put(project, 'local-new.md', 'mine\n')
      put(env, 'remote-new.md', 'theirs\n')
      const configFile = path.join(project, '.syncdesk', 'config.json')
      fs.writeFileSync(configFile, text)
      const before = { project: treeObject(readTree(project)), env: treeObject(readTree(env)) }
      for (const args of [['status'], ['pull'], ['push'], ['sync', '--resolve', 'local'], ['env', 'list'], ['backups', 'list']]) {
        const r = p(...args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1)
        expectOneLineError(r, configFile)
        expect(lines(r.stderr)[0]).toContain(mentions)
        expect(r.stdout).toBe('')
      }
      expect(fs.readFileSync(configFile, 'utf8')).toBe(text)
      expect(treeObject(readTree(project))).toEqual(before.project)
      expect(treeObject(readTree(env))).toEqual(before.env)
    })
  }
})

describe('the environment folder is gone', () => {
  it('exits 1 with a clear line, and nothing local changes', () => {
    const { project, env, p } = syncedCliProject({ 'a.md': 'a\n', 'b/c.md': 'c\n' })
    fs.rmSync(env, { recursive: true })
    const before = treeObject(readTree(project))
    for (const args of [['status'], ['pull'], ['push'], ['sync', '--resolve', 'remote'], ['env', 'test', 'staging']]) {
      const r = p(...args)
      expect(r.code, args.join(' ')).toBe(1)
      expectOneLineError(r, env)
      expect(lines(r.stderr)[0]).toMatch(/not there/)
    }
    expect(treeObject(readTree(project))).toEqual(before)
    expect(fs.existsSync(env)).toBe(false)
  })
})

describe('unreadable files and folders (run as an unprivileged user)', () => {
  const NOBODY = 65534
  const asRoot = process.getuid?.() === 0
  /** Runs the CLI as nobody when we are root; otherwise as ourselves (chmod 000 then blocks reads). */
  const runAs = (project: string, ...args: string[]) => cli(['--project-dir', project, ...args], asRoot ? { uid: NOBODY, gid: NOBODY, cwd: '/' } : {})
  const prepare = (root: string, project: string) => {
    // Make the cache forget hashes, so the scan really reads the files.
    fs.rmSync(path.join(project, '.syncdesk', 'cache'), { recursive: true, force: true })
    if (asRoot) chownR(root, NOBODY, NOBODY)
  }

  it('an unreadable local file with a baseline entry: reported as not synced, not deleted in the environment', () => {
    const { root, project, env } = syncedCliProject({ 'x.md': 'x\n', 'y.md': 'y\n', 'sub/z.md': 'z\n' })
    put(env, 'y.md', 'y changed in staging\n')
    put(env, 'x.md', 'x changed in staging\n')
    prepare(root, project)
    fs.chmodSync(path.join(project, 'x.md'), 0o000)
    const st = runAs(project, 'status', '--env', 'staging')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stdout).toMatch(/Not synced: 1/)
    expect(st.stdout).toMatch(/local\s+x\.md: not readable/)
    const r = runAs(project, 'sync', '--env', 'staging', '--resolve', 'local')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    // Not taken for deleted: the environment keeps x.md; y.md went through.
    expect(get(env, 'x.md')).toBe('x changed in staging\n')
    expect(get(env, 'sub/z.md')).toBe('z\n')
    fs.chmodSync(path.join(project, 'x.md'), 0o644)
    expect(get(project, 'x.md')).toBe('x\n')
    expect(get(project, 'y.md')).toBe('y changed in staging\n')
  })

  it('an unreadable file in the environment with a baseline entry: not deleted locally', () => {
    const { root, project, env } = syncedCliProject({ 'x.md': 'x\n', 'y.md': 'y\n' })
    prepare(root, project)
    fs.chmodSync(path.join(env, 'x.md'), 0o000)
    const st = runAs(project, 'status', '--env', 'staging')
    expect(st.stdout).toMatch(/remote\s+x\.md: not readable/)
    const r = runAs(project, 'pull', '--env', 'staging')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(get(project, 'x.md')).toBe('x\n')
  })

  // A folder that cannot be listed is reported as not synced; the files the baseline knows in
  // it must not be taken for deleted (DESIGN: skipped paths are never treated as deleted).
  it('an unreadable local folder with baseline entries: its files are not deleted in the environment', () => {
    const { root, project, env } = syncedCliProject({ 'keep.md': 'k\n', 'private/one.md': '1\n', 'private/deep/two.yml': '2\n' })
    prepare(root, project)
    fs.chmodSync(path.join(project, 'private'), 0o000)
    const st = runAs(project, 'status', '--env', 'staging', '--format', 'json')
    const s = JSON.parse(st.stdout) as StatusJson
    const r = runAs(project, 'sync', '--env', 'staging', '--resolve', 'skip', '--format', 'json')
    fs.chmodSync(path.join(project, 'private'), 0o755)
    expect(get(env, 'private/one.md'), `sync output: ${r.stdout}`).toBe('1\n')
    expect(get(env, 'private/deep/two.yml')).toBe('2\n')
    expect(pathsOf(s.local_to_remote), 'status plans deletions for files it could not see').toEqual([])
  })
})

/** chown -R without following symlinks. */
function chownR(dir: string, uid: number, gid: number): void {
  fs.lchownSync(dir, uid, gid)
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) chownR(abs, uid, gid)
    else fs.lchownSync(abs, uid, gid)
  }
}

/** A remote that does something to a file just before the engine's read or write reaches it. */
class MeddlingRemote implements Remote {
  constructor(
    private readonly inner: FolderRemote,
    private readonly hooks: { beforeRead?: () => void; beforeWrite?: () => void; beforeDelete?: () => void },
  ) {}
  get envName(): string {
    return this.inner.envName
  }
  describe(): string {
    return this.inner.describe()
  }
  scan(filter: ScanFilter): Promise<RemoteScan> {
    return this.inner.scan(filter)
  }
  readFiles(paths: readonly string[]): Promise<Map<string, Buffer | Error>> {
    this.hooks.beforeRead?.()
    return this.inner.readFiles(paths)
  }
  writeFiles(reqs: readonly WriteRequest[]): Promise<ItemResult[]> {
    this.hooks.beforeWrite?.()
    return this.inner.writeFiles(reqs)
  }
  deleteFiles(reqs: readonly DeleteRequest[]): Promise<ItemResult[]> {
    this.hooks.beforeDelete?.()
    return this.inner.deleteFiles(reqs)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

async function syncedEngineProject(files: Record<string, string>): Promise<{ project: Project; local: string; env: string; folder: () => FolderRemote }> {
  const root = tempDir()
  const local = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  const { project } = await initProject(local)
  const folder = () => new FolderRemote('staging', env, { cacheFile: project.cacheFile('staging') })
  const first = await runDirection(project, folder(), { direction: 'pull' })
  expect(first.result?.problems).toEqual([])
  return { project, local, env, folder }
}

describe('an item that changes between plan and write', () => {
  it('pull: the item edited locally meanwhile is left alone and reported stale; the others go through', async () => {
    const { project, local, env, folder } = await syncedEngineProject({ 'p1.md': '1\n', 'p2.md': '2\n', 'p3.md': '3\n' })
    for (const p of ['p1.md', 'p2.md', 'p3.md']) put(env, p, `${p} from staging\n`)
    const remote = new MeddlingRemote(folder(), { beforeRead: () => put(local, 'p2.md', 'typed by the user meanwhile\n') })
    const report = await runDirection(project, remote, { direction: 'pull' })
    // Planned again from a fresh look: both sides changed it, so it is left as a conflict.
    expect(report.result?.problems).toEqual([])
    expect(report.replanned).toEqual(['p2.md'])
    expect(report.plan.conflictsLeft.map(itemPath)).toEqual(['p2.md'])
    expect(get(local, 'p2.md')).toBe('typed by the user meanwhile\n')
    expect(get(env, 'p2.md')).toBe('p2.md from staging\n')
    expect(get(local, 'p1.md')).toBe('p1.md from staging\n')
    expect(get(local, 'p3.md')).toBe('p3.md from staging\n')
    // The baseline did not move for it: both sides changed, so it is now a conflict.
    const st = await getStatus(project, folder())
    expect(st.status.conflicts.map(itemPath)).toEqual(['p2.md'])
  })

  it('push: the item changed in the environment meanwhile is left alone and reported stale', async () => {
    const { project, local, env, folder } = await syncedEngineProject({ 'q1.md': '1\n', 'q2.md': '2\n', 'q3.md': '3\n' })
    for (const p of ['q1.md', 'q2.md', 'q3.md']) put(local, p, `${p} edited locally\n`)
    const remote = new MeddlingRemote(folder(), { beforeWrite: () => put(env, 'q2.md', 'a colleague wrote this in staging\n') })
    const report = await runDirection(project, remote, { direction: 'push' })
    expect(report.result?.problems).toEqual([])
    expect(report.replanned).toEqual(['q2.md'])
    expect(report.plan.conflictsLeft.map(itemPath)).toEqual(['q2.md'])
    expect(get(env, 'q2.md')).toBe('a colleague wrote this in staging\n')
    expect(get(local, 'q2.md')).toBe('q2.md edited locally\n')
    expect(get(env, 'q1.md')).toBe('q1.md edited locally\n')
    expect(get(env, 'q3.md')).toBe('q3.md edited locally\n')
  })

  it('push of a deletion: a file changed in the environment meanwhile is not deleted', async () => {
    const { project, local, env, folder } = await syncedEngineProject({ 'r1.md': '1\n', 'r2.md': '2\n' })
    fs.rmSync(path.join(local, 'r1.md'))
    fs.rmSync(path.join(local, 'r2.md'))
    const remote = new MeddlingRemote(folder(), { beforeDelete: () => put(env, 'r1.md', 'changed in staging meanwhile\n') })
    const report = await runDirection(project, remote, { direction: 'push' })
    expect(report.result?.problems).toEqual([])
    expect(report.replanned).toEqual(['r1.md'])
    expect(report.plan.conflictsLeft.map(itemPath)).toEqual(['r1.md'])
    expect(get(env, 'r1.md')).toBe('changed in staging meanwhile\n')
    expect(get(env, 'r2.md')).toBe(null)
  })

  it('sync: a local file changed after the plan is not pushed with stale content, but planned again and pushed as it is now', async () => {
    const { project, local, env, folder } = await syncedEngineProject({ 's1.md': '1\n', 's2.md': '2\n' })
    put(local, 's1.md', 'first edit\n')
    put(env, 's2.md', 's2 from staging\n')
    // The user saves s1.md again while the run pulls s2.md (reads happen before local→remote writes).
    const remote = new MeddlingRemote(folder(), { beforeRead: () => put(local, 's1.md', 'second edit, not planned\n') })
    const report = await runDirection(project, remote, { direction: 'sync' })
    expect(report.result?.problems).toEqual([])
    expect(report.replanned).toEqual(['s1.md'])
    expect(get(env, 's1.md')).toBe('second edit, not planned\n')
    expect(get(local, 's1.md')).toBe('second edit, not planned\n')
    expect(get(local, 's2.md')).toBe('s2 from staging\n')
  })
})

describe('symlinks out of the project', () => {
  function setup(): { root: string; project: string; env: string; outside: string; p: (...a: string[]) => CliResult; outsideBefore: Record<string, string> } {
    const s = syncedCliProject({ 'plain.md': 'plain\n' })
    const outside = path.join(s.root, 'outside')
    put(outside, 'passwd.yml', 'root:x:0:0 (the secret)\n')
    put(outside, 'dir/inner.md', 'outside inner\n')
    fs.symlinkSync(path.join(outside, 'passwd.yml'), path.join(s.project, 'evil.yml'))
    fs.symlinkSync(path.join(outside, 'dir'), path.join(s.project, 'linkdir'))
    // The environment has real files at those paths.
    put(s.env, 'evil.yml', 'evil from staging\n')
    put(s.env, 'linkdir/inner.md', 'inner from staging\n')
    put(s.env, 'linkdir/new.md', 'new from staging\n')
    return { ...s, outside, outsideBefore: treeObject(readTree(outside)) }
  }

  const checkUntouched = (s: ReturnType<typeof setup>, what: string) => {
    expect(treeObject(readTree(s.outside)), `${what}: the outside target changed`).toEqual(s.outsideBefore)
    expect(fs.lstatSync(path.join(s.project, 'evil.yml')).isSymbolicLink(), what).toBe(true)
    expect(fs.lstatSync(path.join(s.project, 'linkdir')).isSymbolicLink(), what).toBe(true)
    expect(get(s.env, 'evil.yml'), `${what}: the secret went to the environment`).toBe('evil from staging\n')
    expect(get(s.env, 'linkdir/inner.md'), what).toBe('inner from staging\n')
    expect(get(s.env, 'linkdir/new.md'), what).toBe('new from staging\n')
    expect(get(s.env, 'linkdir/dir/inner.md'), what).toBe(null)
  }

  it('status reports both as skipped and lists nothing under them', () => {
    const s = setup()
    const human = s.p('status', '--env', 'staging')
    expect(human.stdout).toMatch(/local\s+evil\.yml: symbolic link/)
    expect(human.stdout).toMatch(/local\s+linkdir: symbolic link/)
    const json = JSON.parse(s.p('status', '--env', 'staging', '--format', 'json').stdout) as StatusJson
    const listed = [...json.remote_to_local, ...json.local_to_remote, ...json.conflicts, ...json.in_sync].map((e) => e.path)
    expect(listed.filter((p) => p === 'evil.yml' || p.startsWith('linkdir/')), 'items behind a skipped symlink are listed as if syncable').toEqual([])
  })

  for (const args of [['pull'], ['pull', '--overwrite-local'], ['push', '--overwrite-remote'], ['sync', '--resolve', 'remote'], ['sync', '--resolve', 'local']]) {
    it(`${args.join(' ')}: nothing is read or written through the links`, () => {
      const s = setup()
      s.p(...args, '--env', 'staging')
      checkUntouched(s, args.join(' '))
    })
  }

  // The files under a skipped folder symlink should be skipped with it; today they are planned,
  // refused at write time ("failed: … is a symbolic link") and the run exits 1.
  it('pull with a folder symlink where the environment has files under it: skipped, exit 0', () => {
    const s = setup()
    const r = s.p('pull', '--env', 'staging')
    checkUntouched(s, 'pull')
    expect(r.code, `exit code of pull: ${r.stdout}${r.stderr}`).toBe(0)
  })

  it('a folder replaced by a symlink after a sync: its files are not deleted in the environment', () => {
    const s = syncedCliProject({ 'a.md': 'a\n', 'shared/one.md': '1\n', 'shared/two.md': '2\n' })
    const outside = path.join(s.root, 'moved')
    fs.renameSync(path.join(s.project, 'shared'), outside)
    fs.symlinkSync(outside, path.join(s.project, 'shared'))
    const r = s.p('sync', '--env', 'staging', '--resolve', 'skip')
    expect(get(s.env, 'shared/one.md'), `sync output: ${r.stdout}`).toBe('1\n')
    expect(get(s.env, 'shared/two.md')).toBe('2\n')
    expect(get(outside, 'one.md')).toBe('1\n')
  })

  it('a symlink in the environment pointing out of it is never written through', () => {
    const s = syncedCliProject({ 'a.md': 'a\n' })
    const outside = path.join(s.root, 'outside-target.yml')
    fs.writeFileSync(outside, 'outside\n')
    fs.symlinkSync(outside, path.join(s.env, 'evil2.yml'))
    put(s.project, 'evil2.yml', 'local content\n')
    const st = s.p('status', '--env', 'staging')
    expect(st.stdout).toMatch(/remote\s+evil2\.yml: symbolic link/)
    for (const args of [['push', '--overwrite-remote'], ['sync', '--resolve', 'local']]) s.p(...args, '--env', 'staging')
    expect(fs.readFileSync(outside, 'utf8')).toBe('outside\n')
    expect(fs.lstatSync(path.join(s.env, 'evil2.yml')).isSymbolicLink()).toBe(true)
    expect(get(s.project, 'evil2.yml')).toBe('local content\n')
  })
})

describe('hostile item paths', () => {
  const hostile = [
    '',
    '..',
    '../x.md',
    'a/../../x.md',
    'a/./b.md',
    './a.md',
    '/etc/passwd.md',
    '//server/share.md',
    'C:/x.md',
    'c:x.md',
    'a\\b.md',
    '..\\..\\x.md',
    'a\u0000b.md',
    'a\nb.md',
    'a//b.md',
    'a/',
    'e\u0301.md',
    'x'.repeat(5000),
  ]
  const fine = ['a.md', 'a/b/c.yml', '..a.md', 'a..b/c.md', '\u00e9.md', 'space in name.md', 'ünï/cödé.py']

  it('pathProblem refuses each with a reason, and DirStore.abs / resolveItem throw before touching the disk', () => {
    const root = tempDir()
    const store = new DirStore(root)
    for (const p of hostile) {
      expect(pathProblem(p), JSON.stringify(p)).toEqual(expect.any(String))
      expect(() => store.abs(p), JSON.stringify(p)).toThrow(/refused path/)
      expect(() => resolveItem(root, p), JSON.stringify(p)).toThrow(/Refused path/)
    }
    for (const p of [null, undefined, 42, {}, ['a.md']]) expect(pathProblem(p)).toEqual(expect.any(String))
    for (const p of fine) {
      expect(pathProblem(p), p).toBeNull()
      expect(store.abs(p).startsWith(root + path.sep)).toBe(true)
    }
  })

  it('DirStore reads and writes refuse them without touching anything outside', async () => {
    const root = tempDir()
    const inside = path.join(root, 'store')
    fs.mkdirSync(inside)
    const store = new DirStore(inside)
    const results = await store.writeBatch(hostile.map((p) => ({ path: p, content: Buffer.from('pwned\n'), expectedHash: null })))
    expect(results.every((r) => !r.ok)).toBe(true)
    for (const p of hostile) await expect(store.read(p)).rejects.toThrow()
    expect([...readTree(root).keys()]).toEqual([])
  })

  it('a baseline of the first format (version 1) is read as it was, and the next sync saves the current one', () => {
    const { project, env, p } = syncedCliProject({ 'a.md': 'a\n', 'd/b.md': 'b\n', 'c.md': 'c\n' })
    const baselineFile = path.join(project, '.syncdesk', 'baselines', 'staging.json')
    const v2 = JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as { version: number; env: string; updatedAt: string; paths: string[]; hashes: string[] }
    expect(v2.paths).toEqual(['a.md', 'c.md', 'd/b.md'])
    const files = Object.fromEntries(v2.paths.map((f, i) => [f, v2.hashes[i]]))
    fs.writeFileSync(baselineFile, JSON.stringify({ version: 1, env: v2.env, updatedAt: v2.updatedAt, files, records: {} }))
    // Deleted locally: with the old baseline read, this is a deletion to push, not a new file to pull.
    fs.rmSync(path.join(project, 'a.md'))
    const status = p('status', '--env', 'staging', '--format', 'json')
    expect(status.code, status.stderr).toBe(0)
    const report = JSON.parse(status.stdout) as StatusJson
    expect(pathsOf(report.local_to_remote)).toEqual(['a.md'])
    expect(pathsOf(report.in_sync)).toEqual(['c.md', 'd/b.md'])
    expect(p('sync', '--env', 'staging').code).toBe(0)
    expect(exists(env, 'a.md')).toBe(false)
    const saved = JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as { version: number; paths: string[] }
    expect(saved.version).toBe(2)
    expect(saved.paths).toEqual(['c.md', 'd/b.md'])
  })

  it('a baseline naming hostile paths: nothing outside the project is touched, the run completes', () => {
    const { root, project, env, p } = syncedCliProject({ 'a.md': 'a\n' })
    put(root, 'outside.md', 'outside\n')
    const baselineFile = path.join(project, '.syncdesk', 'baselines', 'staging.json')
    const base = JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as { version: number; paths: string[]; hashes: string[] }
    expect(base.version).toBe(2)
    for (const h of ['../outside.md', '/etc/hostname.md', 'a\\..\\..\\outside.md']) {
      base.paths.push(h)
      base.hashes.push(sha('outside\n'))
    }
    fs.writeFileSync(baselineFile, JSON.stringify(base))
    for (const args of [['status'], ['sync', '--resolve', 'local'], ['push', '--allow-mass-delete'], ['pull', '--allow-mass-delete']]) {
      const r = p(...args, '--env', 'staging')
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
    }
    expect(get(root, 'outside.md')).toBe('outside\n')
    expect(get(project, 'a.md')).toBe('a\n')
    expect(get(env, 'a.md')).toBe('a\n')
  })

  it('a remote that lists hostile paths: nothing is written outside the project, the good items still arrive', async () => {
    const root = tempDir()
    const local = path.join(root, 'project')
    const { project } = await initProject(local)
    const files = new Map<string, Buffer>()
    for (const p of [...hostile.filter((h) => h.length < 100 && h !== ''), 'good.md', 'dir/good.yml']) files.set(p, Buffer.from(`content of ${JSON.stringify(p)}\n`))
    const remote: Remote = {
      envName: 'evil',
      describe: () => 'a hostile remote',
      scan: async () => ({ files: new Map([...files].map(([p, c]) => [p, { hash: sha(c), size: c.length, mtimeMs: Date.now() }])), skipped: [] }),
      readFiles: async (paths) => new Map(paths.map((p) => [p, files.get(p) ?? new Error('no such file')])),
      writeFiles: async (reqs) => reqs.map((r) => ({ path: r.path, ok: false, reason: 'refused', message: 'read-only' })),
      deleteFiles: async (reqs) => reqs.map((r) => ({ path: r.path, ok: false, reason: 'refused', message: 'read-only' })),
      close: async () => {},
    }
    const report = await runDirection(project, remote, { direction: 'pull' })
    expect(get(local, 'good.md')).toBe('content of "good.md"\n')
    expect(get(local, 'dir/good.yml')).toBe('content of "dir/good.yml"\n')
    const done = report.result?.done.map(itemPath) ?? []
    for (const h of hostile) expect(done, JSON.stringify(h)).not.toContain(h)
    // Only the project and its state folder under the temp root, nothing else anywhere near it.
    expect(fs.readdirSync(root)).toEqual(['project'])
    expect([...syncedTree(local).keys()].sort()).toEqual(['dir/good.yml', 'good.md'])
    expect(fs.existsSync(path.join(os.tmpdir(), 'x.md')) && fs.readFileSync(path.join(os.tmpdir(), 'x.md'), 'utf8').startsWith('content of')).toBe(false)
  })
})
