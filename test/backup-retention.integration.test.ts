/**
 * Local backups (issue 10, part 2): pruned past the newest N runs and D days (a fake clock
 * decides the age; nothing else is faked), never the latest run with each environment, whose
 * undo still works after the prune; unfinished backup folders left while they are young; the
 * space each backup takes and the total.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { backupsUsage, DEFAULT_BACKUP_RETENTION, listBackups, pruneBackups } from '../src-main/engine/backups.js'
import { DirStore } from '../src-main/engine/dir-store.js'
import { initProject, type Project } from '../src-main/engine/project.js'
import { runDirection } from '../src-main/engine/sync-engine.js'
import { undoRun } from '../src-main/engine/undo.js'
import { FolderRemote } from '../src-main/remotes/folder-remote.js'
import { cleanupTemps, get, put, tempDir } from './helpers.js'

const DAY = 86_400_000
afterAll(cleanupTemps)

interface Setup {
  project: Project
  dir: string
  envs: Record<'staging' | 'prod', string>
  /** Run ids in the order they ran. */
  runs: { id: string; env: string; direction: string }[]
  run(env: 'staging' | 'prod', direction: 'pull' | 'push'): Promise<void>
  pull(env: 'staging' | 'prod', file: string, content: string): Promise<void>
  push(env: 'staging' | 'prod', file: string, content: string): Promise<void>
}

async function setup(): Promise<Setup> {
  const root = tempDir('syncdesk-backup-retention-')
  const dir = path.join(root, 'project')
  const envs = { staging: path.join(root, 'staging'), prod: path.join(root, 'prod') }
  for (const e of Object.values(envs)) fs.mkdirSync(e)
  const { project } = await initProject(dir)
  const runs: Setup['runs'] = []
  const go = async (env: 'staging' | 'prod', direction: 'pull' | 'push'): Promise<void> => {
    const remote = new FolderRemote(env, envs[env])
    try {
      const report = await runDirection(project, remote, { direction })
      expect(report.result?.problems).toEqual([])
      expect(report.backupRunId).toBeTruthy()
      runs.push({ id: report.backupRunId as string, env, direction })
    } finally {
      await remote.close()
    }
  }
  return {
    project,
    dir,
    envs,
    runs,
    run: go,
    async pull(env, file, content) {
      put(envs[env], file, content)
      await go(env, 'pull')
    },
    async push(env, file, content) {
      put(dir, file, content)
      await go(env, 'push')
    },
  }
}

function folders(s: Setup): string[] {
  return fs.readdirSync(s.project.backupsDir).sort()
}

/** Bytes of every regular file under a folder, walked independently of backups.ts. */
function du(dir: string): number {
  let n = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    n += e.isDirectory() ? du(p) : fs.lstatSync(p).size
  }
  return n
}

describe('pruneBackups', () => {
  it('keeps the newest N runs, the young ones and the latest of each environment, whose undo still works', async () => {
    const s = await setup()
    put(s.envs.prod, 'p.md', 'p0\n')
    await s.run('prod', 'pull')
    await s.pull('prod', 'p.md', 'p1\n') // the latest run with prod: its backup holds p0
    for (let i = 1; i <= 4; i++) await s.pull('staging', 's.md', `s${i} ${'x'.repeat(100 * i)}\n`)
    await s.push('staging', 's.md', 'mine\n')
    expect(s.runs.map((r) => r.direction)).toEqual(['pull', 'pull', 'pull', 'pull', 'pull', 'pull', 'push'])
    const [prod0, prodRun, s1, s2, s3, s4, pushRun] = s.runs.map((r) => r.id) as string[]
    expect(listBackups(s.project.backupsDir).map((b) => b.runId)).toEqual([pushRun, s4, s3, s2, s1, prodRun, prod0])

    // Young runs are kept whatever their number.
    expect(pruneBackups(s.project.backupsDir, { keepRuns: 1, keepDays: 30, now: Date.now() + DAY })).toMatchObject({ removed: [], kept: 7 })

    // 40 days on: the newest 2 (the push, s4) and prod's latest stay; a dry run first.
    const later = Date.now() + 40 * DAY
    const sizes = Object.fromEntries(listBackups(s.project.backupsDir).map((b) => [b.runId, b.bytes]))
    const dry = pruneBackups(s.project.backupsDir, { keepRuns: 2, keepDays: 30, now: later, dryRun: true })
    expect(dry.removed).toEqual([s3, s2, s1, prod0])
    expect(dry.bytes).toBe([s3, s2, s1, prod0].reduce((n, id) => n + (sizes[id as string] ?? 0), 0))
    expect(folders(s)).toHaveLength(7)
    const done = pruneBackups(s.project.backupsDir, { keepRuns: 2, keepDays: 30, now: later })
    expect(done).toEqual({ removed: [s3, s2, s1, prod0], bytes: dry.bytes, kept: 3 })
    expect(folders(s)).toEqual([prodRun, s4, pushRun].sort())

    // Nothing but what an undo needs first: the latest run with each environment.
    expect(pruneBackups(s.project.backupsDir, { keepRuns: 0, keepDays: 0, now: later }).removed).toEqual([s4])
    expect(folders(s)).toEqual([prodRun, pushRun].sort())

    const sides = (env: string) => ({ local: new DirStore(s.dir), database: null, openRemote: async (name: string) => new FolderRemote(name, s.envs[env as 'staging' | 'prod']), filter: s.project.filter() })
    // The latest run (the push) is undone in the environment …
    const undoPush = await undoRun(s.project.backupsDir, 'latest', sides('staging'))
    expect(undoPush.runId).toBe(pushRun)
    expect(undoPush.remote.left).toEqual([])
    expect(get(s.envs.staging, 's.md')).toBe(`s4 ${'x'.repeat(400)}\n`)
    // … and prod's pull, older than every limit, is still undone locally.
    const undoPull = await undoRun(s.project.backupsDir, prodRun as string, sides('prod'))
    expect(undoPull.local?.left).toEqual([])
    expect(get(s.dir, 'p.md')).toBe('p0\n')
  })

  it('leaves a backup folder without a record while it is young (its run may still be going), and takes options named as exported', async () => {
    const s = await setup()
    await s.pull('staging', 'a.md', 'a\n')
    const old = path.join(s.project.backupsDir, '20200101-000000-000-dead')
    const fresh = path.join(s.project.backupsDir, 'in-progress')
    for (const d of [old, fresh]) put(d, 'files/x.md', 'kept content\n')
    const past = new Date('2020-01-01T00:00:00Z')
    for (const p of [path.join(old, 'files', 'x.md'), path.join(old, 'files'), old]) fs.utimesSync(p, past, past)
    const r = pruneBackups(s.project.backupsDir, { keepRuns: DEFAULT_BACKUP_RETENTION.keepRuns, keepDays: DEFAULT_BACKUP_RETENTION.keepDays })
    expect(r.removed).toEqual(['20200101-000000-000-dead'])
    expect(fs.existsSync(fresh)).toBe(true)
    expect(pruneBackups(s.project.backupsDir, { keepRuns: 0, keepDays: 0, keep: ['in-progress'], now: Date.now() + 400 * DAY }).removed).toEqual([])
    expect(() => pruneBackups(s.project.backupsDir, { keepRuns: -1 })).toThrow(RangeError)
  })
})

describe('pruneBackups reads only the head of each record', () => {
  it('decides the same from a record laid out otherwise (read whole) as from one it reads the start of', async () => {
    const s = await setup()
    for (let i = 0; i < 4; i++) await s.pull('staging', `f${i}.md`, `v${i}\n`)
    // The oldest record rewritten compactly with its lists first: the head is not where the
    // prune looks, so it reads the file whole and still knows the run.
    const oldest = s.runs[0]?.id as string
    const file = path.join(s.project.backupsDir, oldest, 'run.json')
    const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
    const { changes, ...head } = rec
    fs.writeFileSync(file, JSON.stringify({ changes, padding: 'x'.repeat(5000), ...head }))
    const dry = pruneBackups(s.project.backupsDir, { keepRuns: 2, keepDays: 0, now: Date.now() + 2 * DAY, dryRun: true })
    expect(dry.removed).toEqual([s.runs[1]?.id, oldest])
    expect(listBackups(s.project.backupsDir).map((b) => b.runId)).toEqual([...s.runs].reverse().map((r) => r.id))
  })
})

describe('the space backups take', () => {
  it('is reported per backup and in total (a file linked into two backups counted once in the total)', async () => {
    const s = await setup()
    put(s.envs.staging, 'big.md', 'y'.repeat(5000))
    await s.run('staging', 'pull')
    await s.pull('staging', 'big.md', 'z'.repeat(7000))
    await s.pull('staging', 'big.md', 'w'.repeat(10))
    const list = listBackups(s.project.backupsDir)
    expect(list).toHaveLength(3)
    for (const b of list) expect(b.bytes).toBe(du(path.join(s.project.backupsDir, b.runId)))
    const [newer, older, first] = list
    // The first pull only created the file: its backup is its record alone.
    expect(first?.bytes).toBe(fs.statSync(path.join(s.project.backupsDir, first?.runId as string, 'run.json')).size)
    // Each pull kept the content it replaced: 7000 and 5000 bytes, plus its record.
    expect(newer?.bytes).toBeGreaterThan(7000)
    expect(older?.bytes).toBeGreaterThan(5000)
    expect(older?.bytes).toBeLessThan(7000)
    const usage = backupsUsage(s.project.backupsDir)
    expect(usage.runs.map((b) => [b.runId, b.bytes])).toEqual(list.map((b) => [b.runId, b.bytes]))
    expect(usage.totalBytes).toBe((newer?.bytes ?? 0) + (older?.bytes ?? 0) + (first?.bytes ?? 0))
    // The same file linked into both counts once in the total, in full in each.
    fs.linkSync(path.join(s.project.backupsDir, older?.runId as string, 'files', 'big.md'), path.join(s.project.backupsDir, newer?.runId as string, 'files', 'again.md'))
    const linked = backupsUsage(s.project.backupsDir)
    expect(linked.runs[0]?.bytes).toBe((newer?.bytes ?? 0) + 5000)
    expect(linked.totalBytes).toBe(usage.totalBytes)
  })
})
