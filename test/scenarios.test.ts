/**
 * User scenarios through the CLI: the classification table, first sync, lost baseline,
 * pull / push / sync / clone on disk, dry runs, the mass-delete guard, backups, the lock,
 * what is synced. Every scenario runs against each remote in `remotes`.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listBackups } from '../src-main/engine/backups.js'
import { initProject } from '../src-main/engine/project.js'
import { runDirection } from '../src-main/engine/sync-engine.js'
import { FolderRemote } from '../src-main/remotes/folder-remote.js'
import { cleanupTemps, cli, ensureBuilt, get, lines, put, readTree, syncedTree, tempDir, treeObject, type CliResult } from './helpers.js'

/** One environment under test, as the scenarios see it. */
interface RemoteFixture {
  /** The environment's files on disk (written and read directly to play "the other side"). */
  dir: string
  /** Arguments of `syncdesk env add staging …` for this environment. */
  addArgs: string[]
  /** Extra environment variables for the CLI (e.g. a token). */
  env: NodeJS.ProcessEnv
  /** Where the environment keeps prior versions of what a run replaced or deleted. */
  versionsDir: string
  close(): Promise<void>
}

/**
 * The environments every scenario runs against. Add the server remote here
 * (`{ name: 'server', make: … }` starting a syncdesk-server on the folder) and all of the
 * scenarios below run against it too.
 */
const remotes: { name: string; make: (root: string) => Promise<RemoteFixture> }[] = [
  {
    name: 'folder',
    make: async (root) => {
      const dir = path.join(root, 'env')
      fs.mkdirSync(dir, { recursive: true })
      return { dir, addArgs: ['--folder', dir], env: {}, versionsDir: path.join(dir, '.syncdesk-server', 'versions'), close: async () => {} }
    },
  },
]

beforeAll(ensureBuilt)
afterAll(cleanupTemps)

type Files = Record<string, string>
interface Entry {
  path: string
  local: string
  remote: string
}
type StatusJson = Record<'remote_to_local' | 'local_to_remote' | 'conflicts' | 'in_sync', Entry[]>
interface RunJson {
  actions: { op: string; path: string }[]
  done: { op: string; path: string }[]
  conflicts_left: string[]
  problems: unknown[]
  backup_run: string | null
}

for (const kind of remotes) {
  describe(`scenarios against a ${kind.name} environment`, () => {
    const fixtures: RemoteFixture[] = []
    afterAll(async () => {
      for (const f of fixtures) await f.close()
    })

    interface World {
      root: string
      project: string
      env: string
      remote: RemoteFixture
      p: (...args: string[]) => CliResult
      status: () => StatusJson
      /** Both synced trees. */
      trees: () => { local: Files; remote: Files }
    }

    /** A project with environment `staging`; `synced` files are on both sides and in the baseline. */
    async function world(opts: { synced?: Files; local?: Files; remote?: Files } = {}): Promise<World> {
      const root = tempDir()
      const remote = await kind.make(root)
      fixtures.push(remote)
      const project = path.join(root, 'project')
      fs.mkdirSync(project)
      const p = (...args: string[]) => cli(['--project-dir', project, ...args], { env: remote.env })
      expect(p('init').code).toBe(0)
      const add = p('env', 'add', 'staging', ...remote.addArgs)
      expect(add.code, add.stderr).toBe(0)
      if (opts.synced) {
        for (const [k, v] of Object.entries(opts.synced)) put(remote.dir, k, v)
        const r = p('pull', '--env', 'staging')
        expect(r.code, r.stderr).toBe(0)
      }
      for (const [k, v] of Object.entries(opts.local ?? {})) put(project, k, v)
      for (const [k, v] of Object.entries(opts.remote ?? {})) put(remote.dir, k, v)
      const status = () => {
        const r = p('status', '--env', 'staging', '--format', 'json')
        expect(r.code, r.stderr).toBe(0)
        return JSON.parse(r.stdout) as StatusJson
      }
      const trees = () => ({ local: treeObject(syncedTree(project)), remote: treeObject(syncedTree(remote.dir)) })
      return { root, project, env: remote.dir, remote, p, status, trees }
    }

    const paths = (entries: Entry[]) => entries.map((e) => e.path).sort()
    const summary = (s: StatusJson) => ({
      remote_to_local: paths(s.remote_to_local),
      local_to_remote: paths(s.local_to_remote),
      conflicts: paths(s.conflicts),
      in_sync: paths(s.in_sync),
    })
    const rm = (root: string, rel: string) => fs.rmSync(path.join(root, ...rel.split('/')))

    /** Every row of the classification table at once, plus the expected categories. */
    async function tableWorld(): Promise<World> {
      const synced: Files = {}
      for (const n of ['s', 'lm', 'ld', 'rm', 'rd', 'same', 'ee', 'ed', 'de', 'dd']) synced[`${n}.md`] = `${n} base\n`
      synced['deep/er/s2.yml'] = 's2 base\n'
      const w = await world({ synced })
      put(w.project, 'lm.md', 'lm local\n')
      rm(w.project, 'ld.md')
      put(w.project, 'la.md', 'la local\n')
      put(w.env, 'rm.md', 'rm remote\n')
      rm(w.env, 'rd.md')
      put(w.env, 'deep/ra.md', 'ra remote\n')
      put(w.project, 'same.md', 'same new\n')
      put(w.env, 'same.md', 'same new\n')
      put(w.project, 'ee.md', 'ee local\n')
      put(w.env, 'ee.md', 'ee remote\n')
      put(w.project, 'ed.md', 'ed local\n')
      rm(w.env, 'ed.md')
      rm(w.project, 'de.md')
      put(w.env, 'de.md', 'de remote\n')
      rm(w.project, 'dd.md')
      rm(w.env, 'dd.md')
      put(w.project, 'aa.md', 'aa local\n')
      put(w.env, 'aa.md', 'aa remote\n')
      put(w.project, 'aas.md', 'aas both\n')
      put(w.env, 'aas.md', 'aas both\n')
      return w
    }
    const TABLE = {
      remote_to_local: ['deep/ra.md', 'rd.md', 'rm.md'],
      local_to_remote: ['la.md', 'ld.md', 'lm.md'],
      conflicts: ['aa.md', 'de.md', 'ed.md', 'ee.md'],
      // dd.md was deleted on both sides: the same change, recorded as in sync (and then gone).
      in_sync: ['aas.md', 'dd.md', 'deep/er/s2.yml', 's.md', 'same.md'],
    }

    describe('classification', () => {
      it('every row of the table, and status JSON has exactly the four keys', async () => {
        const w = await tableWorld()
        const s = w.status()
        expect(Object.keys(s).sort()).toEqual(['conflicts', 'in_sync', 'local_to_remote', 'remote_to_local'])
        expect(summary(s)).toEqual(TABLE)
        const by = new Map(Object.values(s).flat().map((e) => [e.path, `${e.local}/${e.remote}`]))
        expect(Object.fromEntries([...by].sort())).toEqual({
          'aa.md': 'added/added',
          'aas.md': 'added/added',
          'dd.md': 'deleted/deleted',
          'de.md': 'deleted/modified',
          'deep/er/s2.yml': 'unchanged/unchanged',
          'deep/ra.md': 'unchanged/added',
          'ed.md': 'modified/deleted',
          'ee.md': 'modified/modified',
          'la.md': 'added/unchanged',
          'ld.md': 'deleted/unchanged',
          'lm.md': 'modified/unchanged',
          'rd.md': 'unchanged/deleted',
          'rm.md': 'unchanged/modified',
          's.md': 'unchanged/unchanged',
          'same.md': 'modified/modified',
        })
        // Human status names the categories users know.
        const human = w.p('status', '--env', 'staging').stdout
        for (const c of ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync']) expect(human).toContain(`(${c})`)
      })

      it('first sync without a baseline: equal → in_sync, one side → that direction, different → conflict', async () => {
        const w = await world({ local: { 'eq.md': 'same\n', 'lo.md': 'local only\n', 'd/x.md': 'mine\n' }, remote: { 'eq.md': 'same\n', 'ro.md': 'remote only\n', 'd/x.md': 'theirs\n' } })
        expect(summary(w.status())).toEqual({ remote_to_local: ['ro.md'], local_to_remote: ['lo.md'], conflicts: ['d/x.md'], in_sync: ['eq.md'] })
        const r = w.p('sync', '--env', 'staging', '--resolve', 'skip')
        expect(r.code).toBe(3)
        expect(w.trees()).toEqual({
          local: { 'd/x.md': 'mine\n', 'eq.md': 'same\n', 'lo.md': 'local only\n', 'ro.md': 'remote only\n' },
          remote: { 'd/x.md': 'theirs\n', 'eq.md': 'same\n', 'lo.md': 'local only\n', 'ro.md': 'remote only\n' },
        })
      })

      it('a lost baseline (file deleted) brings back what one side deleted: no deletions', async () => {
        const w = await world({ synced: { 'x.md': 'x\n', 'y.md': 'y\n', 'z.md': 'z\n' } })
        rm(w.project, 'x.md')
        rm(w.env, 'y.md')
        put(w.project, 'z.md', 'z local\n')
        fs.rmSync(path.join(w.project, '.syncdesk', 'baselines', 'staging.json'))
        const s = w.status()
        expect(summary(s)).toEqual({ remote_to_local: ['x.md'], local_to_remote: ['y.md'], conflicts: ['z.md'], in_sync: [] })
        expect(Object.values(s).flat().filter((e) => e.local === 'deleted' || e.remote === 'deleted')).toEqual([])
        const r = w.p('sync', '--env', 'staging', '--resolve', 'skip')
        expect(r.code).toBe(3)
        expect(w.trees().local).toEqual({ 'x.md': 'x\n', 'y.md': 'y\n', 'z.md': 'z local\n' })
        expect(w.trees().remote).toEqual({ 'x.md': 'x\n', 'y.md': 'y\n', 'z.md': 'z\n' })
      })
    })

    describe('directions on disk', () => {
      it('pull applies remote_to_local only; local changes and conflicts stay; exit 3 for the conflicts left', async () => {
        const w = await tableWorld()
        const before = w.trees()
        const r = w.p('pull', '--env', 'staging')
        expect(r.code, r.stdout).toBe(3)
        expect(r.stdout).toMatch(/4 conflict\(s\) left/)
        const after = w.trees()
        expect(after.remote).toEqual(before.remote)
        expect(get(w.project, 'rm.md')).toBe('rm remote\n')
        expect(get(w.project, 'rd.md')).toBe(null)
        expect(get(w.project, 'deep/ra.md')).toBe('ra remote\n')
        for (const p of ['lm.md', 'la.md', 'ee.md', 'ed.md', 'aa.md']) expect(get(w.project, p), p).toBe(before.local[p])
        for (const p of ['ld.md', 'de.md']) expect(get(w.project, p), p).toBe(null)
        const inSync = [...TABLE.in_sync.filter((p) => p !== 'dd.md'), 'deep/ra.md', 'rm.md'].sort()
        expect(summary(w.status())).toEqual({ ...TABLE, remote_to_local: [], in_sync: inSync })
      })

      it('push applies local_to_remote only; the environment keeps prior versions', async () => {
        const w = await tableWorld()
        const before = w.trees()
        const r = w.p('push', '--env', 'staging')
        expect(r.code).toBe(3)
        const after = w.trees()
        expect(after.local).toEqual(before.local)
        expect(get(w.env, 'lm.md')).toBe('lm local\n')
        expect(get(w.env, 'ld.md')).toBe(null)
        expect(get(w.env, 'la.md')).toBe('la local\n')
        for (const p of ['rm.md', 'deep/ra.md', 'ee.md', 'de.md', 'aa.md']) expect(get(w.env, p), p).toBe(before.remote[p])
        // The replaced and deleted versions are kept by the environment.
        const versions = [...readTree(w.remote.versionsDir).entries()].map(([p, c]) => `${p.split('/').slice(1).join('/')}=${c}`)
        expect(versions.sort()).toEqual(['ld.md=ld base\n', 'lm.md=lm base\n'])
      })

      for (const side of ['local', 'remote'] as const) {
        it(`sync --resolve ${side}: everything equal afterwards, conflicts won by ${side}`, async () => {
          const w = await tableWorld()
          const before = w.trees()
          const r = w.p('sync', '--env', 'staging', '--resolve', side)
          expect(r.code, r.stdout + r.stderr).toBe(0)
          const after = w.trees()
          expect(after.local).toEqual(after.remote)
          const winner = side === 'local' ? before.local : before.remote
          for (const p of TABLE.conflicts) expect(after.local[p], p).toBe(winner[p])
          expect(after.local['lm.md']).toBe('lm local\n')
          expect(after.local['rm.md']).toBe('rm remote\n')
          expect(after.local['dd.md']).toBe(undefined)
          const s = w.status()
          expect(s.remote_to_local.length + s.local_to_remote.length + s.conflicts.length).toBe(0)
        })
      }

      it('pull --overwrite-local takes the environment’s side of conflicts, and backs up the local versions', async () => {
        const w = await tableWorld()
        const before = w.trees()
        const r = w.p('pull', '--env', 'staging', '--overwrite-local', '--format', 'json')
        expect(r.code, r.stdout).toBe(0)
        const run = JSON.parse(r.stdout) as RunJson
        for (const p of TABLE.conflicts) expect(get(w.project, p), p).toBe(before.remote[p] ?? null)
        const kept = treeObject(readTree(path.join(w.project, '.syncdesk', 'backups', run.backup_run as string, 'files')))
        expect(kept['ee.md']).toBe('ee local\n')
        expect(kept['ed.md']).toBe('ed local\n')
        expect(kept['aa.md']).toBe('aa local\n')
      })

      it('push --overwrite-remote takes the local side of conflicts', async () => {
        const w = await tableWorld()
        const before = w.trees()
        expect(w.p('push', '--env', 'staging', '--overwrite-remote').code).toBe(0)
        for (const p of TABLE.conflicts) expect(get(w.env, p), p).toBe(before.local[p] ?? null)
      })

      it('clone fills an empty project; refuses a non-empty one and changes nothing', async () => {
        const w = await world({ remote: { 'a.md': 'a\n', 'x/y/z.sql': 'select 1;\n', 'ignored.bin': 'no\n' } })
        const r = w.p('clone', '--env', 'staging')
        expect(r.code, r.stderr).toBe(0)
        expect(w.trees().local).toEqual({ 'a.md': 'a\n', 'x/y/z.sql': 'select 1;\n' })
        expect(summary(w.status()).in_sync).toEqual(['a.md', 'x/y/z.sql'])

        put(w.env, 'later.md', 'later\n')
        const before = w.trees()
        const again = w.p('sync-project-to-local', '--env', 'staging')
        expect(again.code).toBe(1)
        expect(lines(again.stderr)[0]).toMatch(/Clone needs an empty project/)
        expect(w.trees()).toEqual(before)

        // Into a new directory, naming the folder.
        const fresh = path.join(w.root, 'fresh')
        const c = cli(['--project-dir', fresh, 'clone', '--folder', w.env], { env: w.remote.env })
        if (kind.name === 'folder') {
          expect(c.code, c.stderr).toBe(0)
          expect(treeObject(syncedTree(fresh))).toEqual({ ...before.local, 'later.md': 'later\n' })
        }
      })
    })

    describe('dry runs', () => {
      /** Everything on both sides, SyncDesk's own files included (but its scan cache). */
      const fullTrees = (w: World) => ({
        project: treeObject(new Map([...readTree(w.project)].filter(([p]) => !p.startsWith('.syncdesk/cache/')))),
        env: treeObject(readTree(w.env)),
      })

      for (const args of [['pull'], ['pull', '--overwrite-local'], ['push'], ['push', '--overwrite-remote'], ['sync', '--resolve', 'local'], ['sync', '--resolve', 'remote'], ['sync', '--resolve', 'skip']]) {
        it(`${args.join(' ')} --dry-run changes nothing and lists exactly what the real run then does`, async () => {
          const w = await tableWorld()
          const before = fullTrees(w)
          const dry = w.p(...args, '--env', 'staging', '--dry-run', '--format', 'json')
          expect([0, 3]).toContain(dry.code)
          expect(fullTrees(w)).toEqual(before)
          const human = w.p(...args, '--env', 'staging', '--dry-run')
          expect(fullTrees(w)).toEqual(before)
          const planned = (JSON.parse(dry.stdout) as RunJson).actions.map((a) => `${a.op} ${a.path}`).sort()
          const wouldLines = lines(human.stdout).filter((l) => l.trim().startsWith('would ') && !l.includes('would record'))
          expect(wouldLines).toHaveLength(planned.length)
          for (const a of (JSON.parse(dry.stdout) as RunJson).actions) expect(human.stdout).toMatch(new RegExp(`would .*\\s${a.path.replace(/[.]/g, '\\.')}$`, 'm'))

          const real = w.p(...args, '--env', 'staging', '--format', 'json')
          const done = (JSON.parse(real.stdout) as RunJson).done.map((a) => `${a.op} ${a.path}`).sort()
          expect(done).toEqual(planned)
          expect(planned.length).toBeGreaterThan(0)
        })
      }

      it('clone --dry-run changes nothing and lists what clone then does', async () => {
        const w = await world({ remote: { 'a.md': 'a\n', 'b/c.yml': 'c\n' } })
        const before = fullTrees(w)
        const dry = w.p('clone', '--env', 'staging', '--dry-run', '--format', 'json')
        expect(dry.code).toBe(0)
        expect(fullTrees(w)).toEqual(before)
        const real = w.p('clone', '--env', 'staging', '--format', 'json')
        expect((JSON.parse(real.stdout) as RunJson).done).toEqual((JSON.parse(dry.stdout) as RunJson).actions.map(({ op, path: p }) => ({ op, path: p })))
      })
    })

    describe('the mass-delete guard', () => {
      const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m/f${String(i).padStart(3, '0')}.md`, `file ${i}\n`]))
      const setGuard = (w: World, guard: { maxDeleteCount: number; maxDeleteShare: number }) => {
        const file = path.join(w.project, '.syncdesk', 'config.json')
        const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
        fs.writeFileSync(file, JSON.stringify({ ...config, guard }, null, 2))
      }
      const stopsThenGoes = (w: World, args: string[], message: RegExp) => {
        const before = { ...fullTree(w) }
        const r = w.p(...args, '--env', 'staging')
        expect(r.code, r.stdout + r.stderr).toBe(3)
        expect(lines(r.stderr)[0]).toMatch(/^syncdesk: Stopped by the mass-delete guard/)
        expect(r.stderr).toMatch(message)
        expect(r.stderr).toMatch(/--allow-mass-delete/)
        expect(fullTree(w)).toEqual(before)
        const go = w.p(...args, '--env', 'staging', '--allow-mass-delete')
        expect(go.code, go.stdout + go.stderr).toBe(0)
      }
      const fullTree = (w: World) => ({ local: treeObject(syncedTree(w.project)), remote: treeObject(syncedTree(w.env)), baseline: fs.readFileSync(path.join(w.project, '.syncdesk', 'baselines', 'staging.json'), 'utf8') })

      it('more deletions than the count limit stop the run; --allow-mass-delete goes on', async () => {
        const w = await world({ synced: many(150) })
        setGuard(w, { maxDeleteCount: 100, maxDeleteShare: 1 })
        for (let i = 0; i < 101; i++) rm(w.env, `m/f${String(i).padStart(3, '0')}.md`)
        stopsThenGoes(w, ['pull'], /101 local items, more than the limit of 100/)
        expect(Object.keys(w.trees().local)).toHaveLength(49)
      })

      it('a share of deletions above the limit stops the run', async () => {
        const w = await world({ synced: many(20) })
        for (let i = 0; i < 11; i++) rm(w.project, `m/f${String(i).padStart(3, '0')}.md`)
        stopsThenGoes(w, ['push'], /11 items in staging, 55% of the 20/)
        expect(Object.keys(w.trees().remote)).toHaveLength(9)
      })

      it('an empty environment against a large baseline always stops, whatever the limits', async () => {
        const w = await world({ synced: many(12) })
        setGuard(w, { maxDeleteCount: 1000, maxDeleteShare: 1 })
        fs.rmSync(path.join(w.env, 'm'), { recursive: true })
        stopsThenGoes(w, ['sync', '--resolve', 'skip'], /staging has no items, but 12 were in sync/)
        expect(w.trees().local).toEqual({})
      })

      it('an empty project against a large baseline always stops, whatever the limits', async () => {
        const w = await world({ synced: many(12) })
        setGuard(w, { maxDeleteCount: 1000, maxDeleteShare: 1 })
        fs.rmSync(path.join(w.project, 'm'), { recursive: true })
        stopsThenGoes(w, ['push'], /local side has no items, but 12 were in sync/)
        expect(w.trees().remote).toEqual({})
      })
    })

    describe('backups', () => {
      it('backups restore undoes a pull: overwritten, deleted and created files', async () => {
        const w = await world({ synced: { 'o.md': 'old\n', 'd/del.md': 'to delete\n', 'keep.md': 'keep\n' } })
        put(w.env, 'o.md', 'new from staging\n')
        rm(w.env, 'd/del.md')
        put(w.env, 'c/created.md', 'created by the pull\n')
        const before = w.trees().local
        const pull = w.p('pull', '--env', 'staging', '--format', 'json')
        expect(pull.code).toBe(0)
        const runId = (JSON.parse(pull.stdout) as RunJson).backup_run as string
        expect(runId).toEqual(expect.any(String))
        expect(w.trees().local).toEqual({ 'c/created.md': 'created by the pull\n', 'keep.md': 'keep\n', 'o.md': 'new from staging\n' })
        const list = w.p('backups', 'list')
        expect(lines(list.stdout).find((l) => l.startsWith(runId))).toMatch(/pull\s+staging\s+1 replaced, 1 deleted, 1 created/)
        // By its id: "latest" may name another run of the same second (see the test below).
        const restore = w.p('backups', 'restore', runId)
        expect(restore.code, restore.stdout + restore.stderr).toBe(0)
        expect(restore.stdout).toMatch(/Restored 2 items and removed 1 item that run had created/)
        expect(w.trees().local).toEqual(before)
        // The environment is not touched by a local restore.
        expect(w.trees().remote).toEqual({ 'c/created.md': 'created by the pull\n', 'keep.md': 'keep\n', 'o.md': 'new from staging\n' })
      })

      it('a file changed after the pull is left as it is by restore, with a reason, exit 3', async () => {
        const w = await world({ synced: { 'o.md': 'old\n' } })
        put(w.env, 'o.md', 'new\n')
        const pull = w.p('pull', '--env', 'staging', '--format', 'json')
        expect(pull.code).toBe(0)
        put(w.project, 'o.md', 'edited after the pull\n')
        const r = w.p('backups', 'restore', (JSON.parse(pull.stdout) as RunJson).backup_run as string)
        expect(r.code).toBe(3)
        expect(r.stdout).toMatch(/left as it is: o\.md \(it changed after that run\)/)
        expect(get(w.project, 'o.md')).toBe('edited after the pull\n')
      })

      it('restore of an unknown run: exit 1, clear line', async () => {
        const w = await world({ synced: { 'o.md': 'old\n' } })
        const r = w.p('backups', 'restore', '../../etc')
        expect(r.code).toBe(1)
        expect(lines(r.stderr)[0]).toMatch(/No backup run named/)
      })

      // Run ids have one-second resolution and a random suffix: two runs in the same second
      // sort randomly, so "latest" can name the older one.
      it('"latest" is the newest run even when runs follow each other quickly', async () => {
        if (kind.name !== 'folder') return
        const root = tempDir()
        const local = path.join(root, 'project')
        const env = path.join(root, 'env')
        fs.mkdirSync(env)
        const { project } = await initProject(local)
        put(env, 'f.md', 'v0\n')
        await runDirection(project, new FolderRemote('staging', env), { direction: 'pull' })
        const wrong: string[] = []
        for (let i = 1; i <= 12; i++) {
          put(env, 'f.md', `v${i}\n`)
          const r = await runDirection(project, new FolderRemote('staging', env), { direction: 'pull' })
          const latest = listBackups(project.backupsDir)[0]?.runId
          if (latest !== r.backupRunId) wrong.push(`run ${i}: latest=${latest}, newest=${r.backupRunId}`)
        }
        expect(wrong).toEqual([])
      })
    })

    describe('the lock', () => {
      it('a live lock stops the run with a clear message and changes nothing', async () => {
        const w = await world({ synced: { 'a.md': 'a\n' } })
        put(w.env, 'a.md', 'b\n')
        const lock = path.join(w.project, '.syncdesk', 'lock')
        const owner = JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: 'sync staging' })
        fs.writeFileSync(lock, owner)
        for (const args of [['pull', '--env', 'staging'], ['push', '--env', 'staging'], ['sync', '--env', 'staging', '--resolve', 'remote'], ['backups', 'restore', 'latest']]) {
          const r = w.p(...args)
          expect(r.code, args.join(' ')).toBe(1)
          expect(lines(r.stderr)[0], args.join(' ')).toMatch(/Another SyncDesk run is working on this project \(pid \d+/)
        }
        expect(get(w.project, 'a.md')).toBe('a\n')
        expect(fs.readFileSync(lock, 'utf8')).toBe(owner)
      })

      // A crash between creating the lock file and writing its owner leaves it empty. The
      // engine waits 3 × 100 ms for an owner but only reclaims an ownerless lock after 2 s, so a
      // rerun right after the crash fails with "Could not take the project lock".
      it('an empty lock file left by a crash: the next run right after it completes', async () => {
        const w = await world({ synced: { 'a.md': 'a\n' } })
        put(w.env, 'a.md', 'b\n')
        fs.writeFileSync(path.join(w.project, '.syncdesk', 'lock'), '')
        const r = w.p('pull', '--env', 'staging')
        expect(r.code, r.stderr).toBe(0)
        expect(get(w.project, 'a.md')).toBe('b\n')
      })

      it('a stale lock of a process that is gone is reclaimed', async () => {
        const w = await world({ synced: { 'a.md': 'a\n' } })
        put(w.env, 'a.md', 'b\n')
        const dead = spawnSync(process.execPath, ['-e', '0'])
        const lock = path.join(w.project, '.syncdesk', 'lock')
        fs.writeFileSync(lock, JSON.stringify({ pid: dead.pid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z', command: 'pull staging' }))
        const r = w.p('pull', '--env', 'staging')
        expect(r.code, r.stderr).toBe(0)
        expect(get(w.project, 'a.md')).toBe('b\n')
        expect(fs.existsSync(lock)).toBe(false)
      })
    })

    describe('what is synced', () => {
      it('.syncdeskignore, extra extensions, hidden folders, __pycache__ and node_modules', async () => {
        const w = await world()
        fs.writeFileSync(path.join(w.project, '.syncdeskignore'), 'drafts/\n*.secret.md\n/top-only.md\n')
        const file = path.join(w.project, '.syncdesk', 'config.json')
        const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
        fs.writeFileSync(file, JSON.stringify({ ...config, extensions: ['.json', 'CSV'] }, null, 2))
        const local: Files = {
          'ok.md': 'ok\n',
          'pipelines/p.py': 'print(1)\n',
          'q/x.sql': 'select 1;\n',
          'r/x.r': 'x <- 1\n',
          'notes.txt': 'n\n',
          'conf.yaml': 'a: 1\n',
          'data.json': '{}\n',
          'table.CSV': 'a,b\n',
          '.env.md': 'a hidden file is synced\n',
          'drafts/d.md': 'draft\n',
          'sub/drafts/d2.md': 'draft too\n',
          'a.secret.md': 'secret\n',
          'top-only.md': 'ignored at the top\n',
          'sub/top-only.md': 'synced below\n',
          'img.png': 'png\n',
          'noext': 'x\n',
          '.git/config.md': 'git\n',
          '.venv/lib/x.py': 'venv\n',
          'sub/.hidden/h.md': 'hidden\n',
          '__pycache__/c.py': 'cache\n',
          'sub/__pycache__/c.py': 'cache\n',
          'node_modules/m/readme.md': 'module\n',
          'sub/node_modules/y.md': 'module\n',
        }
        for (const [k, v] of Object.entries(local)) put(w.project, k, v)
        // The environment's ignored files are not pulled either.
        put(w.env, 'drafts/remote-draft.md', 'remote draft\n')
        put(w.env, 'node_modules/r.md', 'remote module\n')
        put(w.env, '.hidden/r.md', 'remote hidden\n')
        const r = w.p('sync', '--env', 'staging', '--resolve', 'skip')
        expect(r.code, r.stdout + r.stderr).toBe(0)
        const synced = ['.env.md', 'conf.yaml', 'data.json', 'notes.txt', 'ok.md', 'pipelines/p.py', 'q/x.sql', 'r/x.r', 'sub/top-only.md', 'table.CSV']
        expect(Object.keys(w.trees().remote).sort()).toEqual([...synced, '.hidden/r.md', 'drafts/remote-draft.md', 'node_modules/r.md'].sort())
        for (const p of ['drafts/remote-draft.md', 'node_modules/r.md', '.hidden/r.md']) expect(get(w.project, p), p).toBe(null)
        expect(paths(w.status().in_sync)).toEqual(synced.sort())
      })
    })
  })
}
