/**
 * Undo of a run, whichever way it went: a pull's local changes come back from the local backup
 * (backups.ts), a push's changes in the environment come back from the versions the
 * environment kept. Every put-back is conditional: an item changed after the run is left alone
 * and named. The undo is itself a run, with its own record, so it can be undone in turn.
 */
import { BackupRun, readBackupRecord, restoreBackup, latestBackupRun, type BackupChange, type RemoteRecordChange, type RestoreResult } from './backups.js'
import type { DirStore } from './dir-store.js'
import { SyncDeskError } from './errors.js'
import type { ScanFilter } from './filter.js'
import type { RecordStore, TableSpec } from './records/record-store.js'
import type { Remote } from './remote.js'

/** What an undo did (or, for a dry run, would do), here and in the environment. */
export interface UndoResult {
  runId: string
  env: string
  local: RestoreResult | null
  remote: { restored: string[]; removed: string[]; left: { path: string; reason: string }[] }
  /** The run that undoes this undo (null for a dry run, or when nothing changed). */
  undoRunId: string | null
}

/** What the undo reaches: the local side, and the environment's remote when the run changed it. */
export interface UndoSides {
  local: DirStore
  database: { records: RecordStore; tables: readonly TableSpec[] } | null
  /** Opened for the run's environment; only needed when the run changed the environment. */
  openRemote: (env: string) => Promise<Remote>
  filter: ScanFilter
}

/** Undoes run `runId` ("latest": the newest); with `dryRun`, only says what it would put back. */
export async function undoRun(backupsDir: string, runId: string, sides: UndoSides, opts: { dryRun?: boolean } = {}): Promise<UndoResult> {
  const id = runId === 'latest' ? latestBackupRun(backupsDir) : runId
  const rec = id ? readBackupRecord(backupsDir, id) : null
  if (!id || !rec) throw new SyncDeskError('not-found', runId === 'latest' ? 'There is no run to undo yet.' : `No run named "${runId}".`, undefined, { backupRun: runId })
  const hasLocal = rec.changes.length > 0 || (rec.records?.length ?? 0) > 0
  const local = hasLocal ? await restoreBackup(backupsDir, id, sides.local, sides.database, { dryRun: opts.dryRun }) : null
  const result: UndoResult = { runId: id, env: rec.env, local, remote: { restored: [], removed: [], left: [] }, undoRunId: local && !opts.dryRun && local.restored.length + local.removed.length ? local.restoreRunId : null }
  if (!rec.remote?.length && !rec.remoteRecords?.length) return result

  const remote = await sides.openRemote(rec.env)
  const undo = new BackupRun(backupsDir, rec.env, `undo of ${id}`)
  try {
    await undoRemoteFiles(remote, netChanges(rec.remote ?? [], (c) => c.path), sides.filter, undo, result, !!opts.dryRun)
    await undoRemoteRecords(remote, rec.remoteRecords ?? [], sides.database?.tables ?? [], undo, result, !!opts.dryRun)
  } finally {
    await remote.close()
  }
  if (!opts.dryRun && undo.changeCount > 0) {
    await undo.finish()
    result.undoRunId = undo.runId
  }
  return result
}

/** One change per key: what the run found before it (its first `before`) and what it left (its last `after`). */
function netChanges<C extends { before: unknown; after: string | null }>(changes: readonly C[], key: (c: C) => string): C[] {
  const by = new Map<string, C>()
  for (const c of changes) {
    const seen = by.get(key(c))
    by.set(key(c), seen ? { ...seen, after: c.after } : c)
  }
  return [...by.values()]
}

async function undoRemoteFiles(remote: Remote, changes: readonly BackupChange[], filter: ScanFilter, undo: BackupRun, result: UndoResult, dry: boolean): Promise<void> {
  if (changes.length === 0) return
  const { files } = await remote.scan(filter)
  for (const c of changes) {
    const current = files.get(c.path)?.hash ?? null
    if (current !== c.after) {
      result.remote.left.push({ path: c.path, reason: `it changed in ${remote.envName} after that run` })
      continue
    }
    if (c.before === null) {
      if (dry) result.remote.removed.push(c.path)
      else {
        const [r] = await remote.deleteFiles([{ path: c.path, expectedHash: current as string }])
        if (r?.ok) {
          undo.noteRemote(c.path, current, null)
          result.remote.removed.push(c.path)
        } else result.remote.left.push({ path: c.path, reason: r && !r.ok ? r.message : 'failed' })
      }
      continue
    }
    const prior = remote.readPrior ? await remote.readPrior(c.path, c.before).catch(() => null) : null
    if (!prior) {
      result.remote.left.push({ path: c.path, reason: `${remote.envName} no longer keeps the version it had before` })
      continue
    }
    if (dry) {
      result.remote.restored.push(c.path)
      continue
    }
    const [r] = await remote.writeFiles([{ path: c.path, content: prior, expectedHash: current }])
    if (r?.ok) {
      undo.noteRemote(c.path, current, c.before)
      result.remote.restored.push(c.path)
    } else result.remote.left.push({ path: c.path, reason: r && !r.ok ? r.message : 'failed' })
  }
}

async function undoRemoteRecords(remote: Remote, changes: readonly RemoteRecordChange[], tables: readonly TableSpec[], undo: BackupRun, result: UndoResult, dry: boolean): Promise<void> {
  if (changes.length === 0) return
  const records = remote.openRecords ? await remote.openRecords() : null
  const label = (c: RemoteRecordChange) => `${c.table}/${c.key}`
  for (const [name, list] of groupBy(netChanges(changes, label), (c) => c.table)) {
    const table = tables.find((t) => t.name === name)
    if (!records || !table) {
      for (const c of list) result.remote.left.push({ path: label(c), reason: records ? 'its table is no longer synced' : `${remote.envName} has no database now` })
      continue
    }
    const current = await records.list(table)
    for (const c of list) {
      const now = current.get(c.key)
      if ((now?.hash ?? null) !== c.after) {
        result.remote.left.push({ path: label(c), reason: `it changed in ${remote.envName} after that run` })
        continue
      }
      if (dry) {
        ;(c.before === null ? result.remote.removed : result.remote.restored).push(label(c))
        continue
      }
      const [r] = c.before === null ? await records.delete(table, [{ key: c.key, expectedHash: now?.hash as string }]) : await records.write(table, [{ key: c.key, data: c.before, expectedHash: now?.hash ?? null }])
      if (r?.ok) {
        undo.noteRemoteRecord(c.table, c.key, now?.data ?? null, now?.hash ?? null, r.hash)
        ;(c.before === null ? result.remote.removed : result.remote.restored).push(label(c))
      } else result.remote.left.push({ path: label(c), reason: r && !r.ok ? r.message : 'failed' })
    }
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    const list = out.get(k)
    if (list) list.push(it)
    else out.set(k, [it])
  }
  return out
}

