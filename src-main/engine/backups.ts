/**
 * Local backups: every local overwrite or delete keeps the old content under
 * `.syncdesk/backups/<run>/files/`, with `run.json` saying what the run changed, so that
 * "undo last pull" (`syncdesk backups restore RUN`) can put it back. A push's `run.json` holds
 * what it changed in the environment (the prior rows of records included): its undo reads it.
 *
 * Retention (`pruneBackups`): the newest runs and the young ones are kept, and never the
 * latest run with each environment (the one `syncdesk undo` reaches first); the rest go.
 * `listBackups` says how much space each backup takes, `backupsUsage` the total.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { RecordData } from '../../src-shared/sync-types.js'
import { writeFileAtomic } from './atomic.js'
import { DirStore, type BackupHook } from './dir-store.js'
import { SyncDeskError } from './errors.js'
import { pathProblem } from './paths.js'
import type { RecordStore, TableSpec } from './records/record-store.js'
import { newRunId, preserveInto } from './preserve.js'

/** What one run changed locally: the hash before (null = it did not exist) and after. */
export interface BackupChange {
  path: string
  before: string | null
  after: string | null
}

/** What one run changed in the local database: the prior row (null = it did not exist). */
export interface RecordBackupChange {
  table: string
  key: string
  before: RecordData | null
  after: string | null
}

/** What one run changed in the environment's database: the prior row, and the hashes. */
export interface RemoteRecordChange {
  table: string
  key: string
  before: RecordData | null
  beforeHash: string | null
  after: string | null
}

export interface BackupRecord {
  version: 1
  runId: string
  env: string
  direction: string
  startedAt: string
  finishedAt?: string
  changes: BackupChange[]
  records?: RecordBackupChange[]
  /** What the run changed in the environment (its prior content stays in the environment's kept versions). */
  remote?: BackupChange[]
  remoteRecords?: RemoteRecordChange[]
}

/** The backup of one run, filled in while it applies its plan. */
export class BackupRun {
  readonly runId: string
  readonly dir: string
  readonly hook: BackupHook
  private readonly record: BackupRecord
  private readonly preserve: BackupHook

  constructor(backupsDir: string, env: string, direction: string, runId = newRunId()) {
    this.runId = runId
    this.dir = path.join(backupsDir, runId)
    this.record = { version: 1, runId, env, direction, startedAt: new Date().toISOString(), changes: [] }
    this.preserve = preserveInto(path.join(this.dir, 'files'))
    this.hook = this.preserve
  }

  /** Notes a local change made by this run (after it happened). */
  noteWrite(itemPath: string, before: string | null, after: string | null): void {
    this.record.changes.push({ path: itemPath, before, after })
  }

  /** Notes a local record change made by this run, with the prior row. */
  noteRecord(table: string, key: string, before: RecordData | null, after: string | null): void {
    ;(this.record.records ??= []).push({ table, key, before, after })
  }

  /** Notes a change this run made in the environment (the environment keeps the prior version). */
  noteRemote(itemPath: string, before: string | null, after: string | null): void {
    ;(this.record.remote ??= []).push({ path: itemPath, before, after })
  }

  /** Notes a record change this run made in the environment, with the prior row. */
  noteRemoteRecord(table: string, key: string, before: RecordData | null, beforeHash: string | null, after: string | null): void {
    ;(this.record.remoteRecords ??= []).push({ table, key, before, beforeHash, after })
  }

  /** How many local files or rows this run replaced or deleted (so the backup holds them). */
  get replacedCount(): number {
    return this.record.changes.filter((c) => c.before !== null).length + (this.record.records ?? []).filter((r) => r.before !== null).length
  }

  /** How many changes this run made, here and in the environment (a run with any can be undone). */
  get changeCount(): number {
    return this.record.changes.length + (this.record.records?.length ?? 0) + (this.record.remote?.length ?? 0) + (this.record.remoteRecords?.length ?? 0)
  }

  /** Writes run.json when the run changed anything locally. */
  async finish(): Promise<void> {
    if (this.changeCount === 0) return
    this.record.finishedAt = new Date().toISOString()
    await writeFileAtomic(path.join(this.dir, 'run.json'), JSON.stringify(this.record, null, 1))
  }
}

export interface BackupSummary {
  runId: string
  env: string
  direction: string
  startedAt: string
  overwritten: number
  deleted: number
  created: number
  /** The space the backup takes on disk: its files and its record, in bytes. */
  bytes: number
}

/** The record of one backup run, or null when there is none by that id. */
export function readBackupRecord(backupsDir: string, runId: string): BackupRecord | null {
  if (!runId || pathProblem(runId) || runId.includes('/')) return null
  return readRecord(path.join(backupsDir, runId))
}

/** The id of the newest backup run, if any. */
export function latestBackupRun(backupsDir: string): string | undefined {
  return summaries(backupsDir, false)[0]?.runId
}

function readRecord(dir: string): BackupRecord | null {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as BackupRecord
    return raw.version === 1 && Array.isArray(raw.changes) ? raw : null
  } catch {
    return null
  }
}

type RunHead = Pick<BackupRecord, 'runId' | 'env' | 'startedAt'>

/**
 * What a run.json says before its lists (run, environment, start), from its first bytes: the
 * prune needs no more, and reading every run's whole list made each run slower as the history
 * grew (0.44 s after ten pushes of 10,000 records). A file laid out otherwise is read whole.
 */
function readHead(dir: string): RunHead | null {
  const file = path.join(dir, 'run.json')
  let text: string
  try {
    const fd = fs.openSync(file, 'r')
    try {
      const buf = Buffer.alloc(4096)
      text = buf.toString('utf8', 0, fs.readSync(fd, buf, 0, buf.length, 0))
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return null
  }
  const lists = text.indexOf('"changes":')
  if (lists < 0) return readRecord(dir)
  try {
    const head = JSON.parse(`${text.slice(0, lists).replace(/,\s*$/, '')}}`) as Partial<BackupRecord>
    if (head.version !== 1 || typeof head.runId !== 'string' || typeof head.env !== 'string' || typeof head.startedAt !== 'string') return readRecord(dir)
    return { runId: head.runId, env: head.env, startedAt: head.startedAt }
  } catch {
    return readRecord(dir)
  }
}

/**
 * What `read` makes of each run folder whose record names it, newest first by start time
 * (milliseconds; the id breaks ties).
 */
function eachRun<T extends { runId: string; startedAt: string }>(backupsDir: string, read: (dir: string) => T | null): T[] {
  let names: string[]
  try {
    names = fs.readdirSync(backupsDir)
  } catch {
    return []
  }
  const out: T[] = []
  for (const name of names) {
    const run = read(path.join(backupsDir, name))
    if (run && run.runId === name) out.push(run)
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId))
}

/** The runs that changed local files (or the environment), newest first, with the space each takes. */
export function listBackups(backupsDir: string): BackupSummary[] {
  return summaries(backupsDir, true)
}

/** The backups, newest first, and the space they take together (a file linked twice counted once). */
export function backupsUsage(backupsDir: string): { runs: BackupSummary[]; totalBytes: number } {
  const seen = new Set<string>()
  const runs = summaries(backupsDir, false).map((b) => ({ ...b, bytes: treeBytes(path.join(backupsDir, b.runId), new Set()) }))
  let totalBytes = 0
  for (const b of runs) totalBytes += treeBytes(path.join(backupsDir, b.runId), seen)
  return { runs, totalBytes }
}

function summaries(backupsDir: string, withSizes: boolean): BackupSummary[] {
  return eachRun(backupsDir, (dir) => {
    const rec = readRecord(dir)
    if (!rec) return null
    const all: { before: unknown; after: string | null }[] = [...rec.changes, ...(rec.records ?? []), ...(rec.remote ?? []), ...(rec.remoteRecords ?? [])]
    return {
      runId: rec.runId,
      env: rec.env,
      direction: rec.direction,
      startedAt: rec.startedAt,
      overwritten: all.filter((c) => c.before !== null && c.after !== null).length,
      deleted: all.filter((c) => c.after === null).length,
      created: all.filter((c) => c.before === null).length,
      bytes: withSizes ? treeBytes(dir, new Set()) : 0,
    }
  })
}

/** Bytes of the regular files under `dir` (symlinks not followed), each inode not in `seen` once. */
function treeBytes(dir: string, seen: Set<string>): number {
  let total = 0
  const walk = (abs: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = path.join(abs, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        try {
          const st = fs.lstatSync(p)
          const id = `${st.dev}:${st.ino}`
          if (seen.has(id)) continue
          seen.add(id)
          total += st.size
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }
  walk(dir)
  return total
}

/** How long local backups are kept by `pruneBackups`. */
export interface BackupRetention {
  /** The newest runs always kept (default DEFAULT_BACKUP_RETENTION.keepRuns). */
  keepRuns?: number
  /** Runs younger than this many days are always kept (default DEFAULT_BACKUP_RETENTION.keepDays). */
  keepDays?: number
  /** Runs kept whatever their age and rank (say, one an open undo preview names). */
  keep?: readonly string[]
  /** The clock, in milliseconds (default Date.now()). */
  now?: number
  /** Only say what would be removed. */
  dryRun?: boolean
}

/** The default retention of local backups: the newest 20 runs, and everything of the last 30 days. */
export const DEFAULT_BACKUP_RETENTION = { keepRuns: 20, keepDays: 30 } as const

/** A backup folder without a readable run.json is removed only once it is older than this (its run may still be going). */
const UNFINISHED_MIN_AGE_MS = 86_400_000

/** What `pruneBackups` removed (or, with `dryRun`, would remove). */
export interface BackupPruneResult {
  /** The runs removed, newest first (folders without a record are named by their folder). */
  removed: string[]
  /** The space they took, in bytes. */
  bytes: number
  /** How many runs are left. */
  kept: number
}

/**
 * Removes the local backups past the retention: a run goes only when it is beyond the newest
 * `keepRuns`, older than `keepDays`, and not the latest run with its environment (whose undo,
 * of a pull or of a push, is the first an operator reaches for; the latest run overall is
 * always among them). A folder without a readable record (a run that is still going, or one
 * that stopped before it wrote its record) is left until it is older than `keepDays` and a day.
 * Call it with the project lock held (after a run), so no run writes its backup meanwhile.
 */
export function pruneBackups(backupsDir: string, opts: BackupRetention = {}): BackupPruneResult {
  const keepRuns = opts.keepRuns ?? DEFAULT_BACKUP_RETENTION.keepRuns
  const keepDays = opts.keepDays ?? DEFAULT_BACKUP_RETENTION.keepDays
  if (!Number.isInteger(keepRuns) || keepRuns < 0) throw new RangeError('keepRuns must be a whole number from 0')
  if (!Number.isFinite(keepDays) || keepDays < 0) throw new RangeError('keepDays must be a number of days from 0')
  const now = opts.now ?? Date.now()
  const cutoff = now - keepDays * 86_400_000
  const keep = new Set(opts.keep ?? [])
  const result: BackupPruneResult = { removed: [], bytes: 0, kept: 0 }
  const runs = eachRun(backupsDir, readHead)
  const latestOfEnv = new Set<string>()
  const envs = new Set<string>()
  for (const r of runs) {
    if (envs.has(r.env)) continue
    envs.add(r.env)
    latestOfEnv.add(r.runId)
  }
  const remove = (name: string): void => {
    const dir = path.join(backupsDir, name)
    result.bytes += treeBytes(dir, new Set())
    result.removed.push(name)
    if (!opts.dryRun) fs.rmSync(dir, { recursive: true, force: true })
  }
  runs.forEach((r, rank) => {
    const started = Date.parse(r.startedAt)
    const young = Number.isFinite(started) ? started >= cutoff : true
    if (rank < keepRuns || young || latestOfEnv.has(r.runId) || keep.has(r.runId)) result.kept++
    else remove(r.runId)
  })
  // Folders without a record: unfinished runs, or runs that stopped before writing one.
  const recorded = new Set(runs.map((r) => r.runId))
  let names: fs.Dirent[] = []
  try {
    names = fs.readdirSync(backupsDir, { withFileTypes: true })
  } catch {
    // No backups folder.
  }
  for (const e of names) {
    if (!e.isDirectory() || recorded.has(e.name) || keep.has(e.name) || pathProblem(e.name)) continue
    const changed = newestMtime(path.join(backupsDir, e.name))
    if (changed < Math.min(cutoff, now - UNFINISHED_MIN_AGE_MS)) remove(e.name)
    else result.kept++
  }
  return result
}

/** The newest modification time under `dir` (itself included). */
function newestMtime(dir: string): number {
  let newest = 0
  const walk = (abs: string): void => {
    let st: fs.Stats
    try {
      st = fs.lstatSync(abs)
    } catch {
      return
    }
    if (st.mtimeMs > newest) newest = st.mtimeMs
    if (!st.isDirectory()) return
    for (const name of fs.readdirSync(abs)) walk(path.join(abs, name))
  }
  walk(dir)
  return newest
}

export interface RestoreResult {
  restoreRunId: string
  restored: string[]
  removed: string[]
  /** Items left as they are because they changed after the run, with why. */
  left: { path: string; reason: string }[]
}

/**
 * Puts back what a run changed locally (with `dryRun`, only says what it would put back): old contents return, files it created are removed
 * (if still as it left them). What the restore replaces is itself backed up first, so a
 * restore can be undone the same way.
 */
export async function restoreBackup(
  backupsDir: string,
  runId: string,
  store: DirStore,
  database?: { records: RecordStore; tables: readonly TableSpec[] } | null,
  opts: { dryRun?: boolean } = {},
): Promise<RestoreResult> {
  const dry = !!opts.dryRun
  const id = runId === 'latest' ? latestBackupRun(backupsDir) : runId
  if (!id || pathProblem(id) || id.includes('/')) throw new SyncDeskError('not-found', runId === 'latest' ? 'There are no backups yet.' : `No backup run named "${runId}".`, undefined, { backupRun: runId })
  const dir = path.join(backupsDir, id)
  const rec = readRecord(dir)
  if (!rec) throw new SyncDeskError('not-found', `No backup run named "${runId}".`, undefined, { backupRun: runId })

  const undo = new BackupRun(backupsDir, rec.env, `restore of ${id}`)
  const result: RestoreResult = { restoreRunId: undo.runId, restored: [], removed: [], left: [] }
  // The last change of each path in the run decides what to restore.
  const byPath = new Map<string, BackupChange>()
  for (const c of rec.changes) if (!byPath.has(c.path)) byPath.set(c.path, c)

  for (const c of byPath.values()) {
    const current = await store.currentHash(c.path).catch(() => undefined)
    if (current === undefined) {
      result.left.push({ path: c.path, reason: 'it cannot be read now' })
      continue
    }
    if (current !== c.after) {
      result.left.push({ path: c.path, reason: 'it changed after that run' })
      continue
    }
    if (c.before === null && dry) {
      result.removed.push(c.path)
      continue
    }
    if (c.before === null) {
      const [r] = await store.deleteBatch([{ path: c.path, expectedHash: current as string }], undo.hook)
      if (r?.ok) {
        undo.noteWrite(c.path, current, null)
        result.removed.push(c.path)
      } else result.left.push({ path: c.path, reason: r ? r.message : 'failed' })
      continue
    }
    let content: Buffer
    try {
      // Read as an item of the backup's own tree: no symlink in it is ever followed.
      content = await new DirStore(path.join(dir, 'files')).read(c.path)
    } catch {
      result.left.push({ path: c.path, reason: 'its backup copy is missing' })
      continue
    }
    if (dry) {
      result.restored.push(c.path)
      continue
    }
    const [r] = await store.writeBatch([{ path: c.path, content, expectedHash: current }], undo.hook)
    if (r?.ok) {
      undo.noteWrite(c.path, current, c.before)
      result.restored.push(c.path)
    } else result.left.push({ path: c.path, reason: r ? r.message : 'failed' })
  }
  await restoreRecords(rec.records ?? [], database ?? null, undo, result, dry)
  if (!dry) await undo.finish()
  return result
}

/** Puts back the prior rows a run replaced or deleted, and removes rows it created (if unchanged since). */
async function restoreRecords(
  changes: readonly RecordBackupChange[],
  database: { records: RecordStore; tables: readonly TableSpec[] } | null,
  undo: BackupRun,
  result: RestoreResult,
  dry: boolean,
): Promise<void> {
  if (changes.length === 0) return
  if (!database) {
    for (const c of changes) result.left.push({ path: `${c.table}/${c.key}`, reason: 'the project has no database to restore it into' })
    return
  }
  const byTable = new Map<string, RecordBackupChange[]>()
  for (const c of changes) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c])
  for (const [name, list] of byTable) {
    const label = (c: RecordBackupChange) => `${name}/${c.key}`
    const table = database.tables.find((t) => t.name === name)
    if (!table) {
      for (const c of list) result.left.push({ path: label(c), reason: 'its table is no longer synced' })
      continue
    }
    const current = await database.records.list(table)
    for (const c of list) {
      const now = current.get(c.key)
      if ((now?.hash ?? null) !== c.after) {
        result.left.push({ path: label(c), reason: 'it changed after that run' })
        continue
      }
      if (dry) {
        ;(c.before === null ? result.removed : result.restored).push(label(c))
        continue
      }
      const [r] =
        c.before === null
          ? await database.records.delete(table, [{ key: c.key, expectedHash: now?.hash as string }])
          : await database.records.write(table, [{ key: c.key, data: c.before, expectedHash: now?.hash ?? null }])
      if (r?.ok) {
        undo.noteRecord(name, c.key, now?.data ?? null, r.hash)
        if (c.before === null) result.removed.push(label(c))
        else result.restored.push(label(c))
      } else result.left.push({ path: label(c), reason: r && !r.ok ? r.message : 'failed' })
    }
  }
}
