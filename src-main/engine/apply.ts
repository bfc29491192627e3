/**
 * Applying a plan: transfers in chunks, re-checks, backups, then the new baseline.
 *
 * Each action is carried out only if both sides still have the hashes it was planned with
 * (a stale item is reported and left alone). Local content is backed up before it is
 * replaced or deleted; the remote keeps its own prior versions. The baseline records only
 * what was done, so an interrupted run leaves a state the next run completes.
 */
import type { RecordData, SyncProgress } from '../../src-shared/sync-types.js'
import type { Remote } from './remote.js'
import type { Baseline } from './baseline.js'
import { chunk } from './concurrency.js'
import type { DirStore, ItemResult } from './dir-store.js'
import { describeError } from './errors.js'
import type { Action, FileAction, Plan, RecordAction } from './plan.js'
import type { RecordStore, RecordResult } from './records/record-store.js'
import type { RemoteRecords } from './remote.js'
import { planTotals } from './plan.js'
import type { BackupRun } from './backups.js'
import { sha256 } from './atomic.js'
import { appendAll } from './arrays.js'

export interface ItemProblem {
  /** The item: a path, or `table/key` for a record. */
  path: string
  op: Action['op']
  reason: 'stale' | 'refused' | 'failed'
  message: string
}

export interface ApplyResult {
  done: Action[]
  problems: ItemProblem[]
  cancelled: boolean
}

export interface ApplyContext {
  local: DirStore
  remote: Remote
  baseline: Baseline
  backup: BackupRun
  /** The local and remote databases, when the plan has records. */
  localRecords?: RecordStore | null
  tables?: readonly { name: string; key: string }[]
  remoteRecords?: RemoteRecords | null
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
  /**
   * Called with each file's content once it is written to either side (and so in sync, or about
   * to be): the run keeps it as the file's merge base, rather than reading it again at the end.
   */
  keepBase?: (hash: string, content: Buffer) => void
}

/**
 * Transfers go in chunks of at most this many files and bytes (the bytes are held in memory).
 * Each chunk written is flushed to disk in one go (DirStore.writeBatch). Chunks of 2048 files
 * spent fewer `sync -f` starts but raised the peak memory of a first sync through the
 * environment server (client 170 → 238 MB, server 174 → 202 MB) for no time measurable here.
 */
const CHUNK_ITEMS = 512
const CHUNK_BYTES = 16 * 1024 * 1024

/**
 * Records go to a side in parts of at most this many: the side cuts a part into its own batches
 * (an environment server: 2,500 per request, 4 in flight, each one transaction). Parts of 500
 * sent one after the other made a push of 10,000 records 20 round trips in a row, about half
 * of its time; progress is counted per part.
 */
const RECORD_PART = 10_000

/**
 * Carries out a plan and updates `ctx.baseline` in memory for every item done.
 *
 * `result` is filled in as items are done, so a caller still knows what happened when the
 * run stops half-way with an error.
 */
export async function applyPlan(plan: Plan, ctx: ApplyContext, result: ApplyResult = { done: [], problems: [], cancelled: false }): Promise<ApplyResult> {
  const totals = planTotals(plan)
  const progress: SyncProgress = { phase: 'transferring', itemsDone: 0, itemsTotal: totals.items, bytesDone: 0, bytesTotal: totals.bytes }
  const emit = (path?: string) => ctx.onProgress?.({ ...progress, currentPath: path })

  for (const u of plan.baselineUpdates) {
    if (u.kind === 'file') setBase(ctx.baseline, u.path, u.hash)
    else setRecordBase(ctx.baseline, u.table, u.key, u.hash, u.data)
  }

  const byOp = (op: Action['op']) => plan.actions.filter((a): a is FileAction => a.kind === 'file' && a.op === op)
  const record = (a: FileAction, r: ItemResult | undefined) => {
    progress.itemsDone++
    progress.bytesDone += a.size
    if (r?.ok) {
      result.done.push(a)
      // What the run changed in the environment, so that it can be undone.
      if (a.op.endsWith('-remote')) ctx.backup.noteRemote(a.path, a.remoteHash, a.newHash)
      // A merge is in sync only once both of its writes are done (the environment's is second).
      if (!(a.why === 'merge' && a.op === 'write-local')) setBase(ctx.baseline, a.path, a.newHash)
    } else {
      result.problems.push({ path: a.path, op: a.op, reason: r ? r.reason : 'failed', message: r ? r.message : `${a.path}: no answer` })
    }
  }
  const cancelled = () => {
    if (ctx.signal?.aborted) result.cancelled = true
    return result.cancelled
  }
  emit()

  // Remote → local writes.
  for (const part of chunk(byOp('write-local'), CHUNK_ITEMS, CHUNK_BYTES, (a) => a.size)) {
    if (cancelled()) break
    const toRead = part.filter((a) => !a.content)
    const contents = toRead.length ? await ctx.remote.readFiles(toRead.map((a) => a.path), { signal: ctx.signal }) : new Map<string, Buffer | Error>()
    const ready: { a: FileAction; content: Buffer }[] = []
    for (const a of part) {
      const c = a.content ?? contents.get(a.path)
      if (!(c instanceof Buffer)) record(a, { path: a.path, ok: false, reason: 'failed', message: `${a.path}: could not read from the environment (${c ? describeError(c) : 'missing'})` })
      else if (sha256(c) !== a.newHash) record(a, { path: a.path, ok: false, reason: 'stale', message: `${a.path} changed in the environment since the plan was made` })
      else ready.push({ a, content: c })
    }
    const results = await ctx.local.writeBatch(
      ready.map(({ a, content }) => ({ path: a.path, content, expectedHash: a.localHash, contentHash: a.newHash as string })),
      ctx.backup.hook,
    )
    ready.forEach(({ a, content }, i) => {
      const r = results[i]
      if (r?.ok) {
        ctx.backup.noteWrite(a.path, a.localHash, a.newHash)
        if (a.newHash) ctx.keepBase?.(a.newHash, content)
      }
      record(a, r)
    })
    emit(part[part.length - 1]?.path)
  }

  // Local deletions.
  for (const part of chunk(byOp('delete-local'), CHUNK_ITEMS)) {
    if (cancelled()) break
    const results = await ctx.local.deleteBatch(
      part.map((a) => ({ path: a.path, expectedHash: a.localHash as string })),
      ctx.backup.hook,
    )
    part.forEach((a, i) => {
      const r = results[i]
      if (r?.ok) ctx.backup.noteWrite(a.path, a.localHash, null)
      record(a, r)
    })
    emit(part[part.length - 1]?.path)
  }

  const mergedHere = new Set(result.done.filter((a) => a.kind === 'file' && a.op === 'write-local' && a.why === 'merge').map((a) => (a as FileAction).path))

  // Local → remote writes.
  for (const part of chunk(byOp('write-remote'), CHUNK_ITEMS, CHUNK_BYTES, (a) => a.size)) {
    if (cancelled()) break
    const ready: { a: FileAction; content: Buffer }[] = []
    await Promise.all(
      part.map(async (a) => {
        // A merge goes to the environment only once this computer has it too: never one side alone.
        if (a.content && !mergedHere.has(a.path)) {
          record(a, { path: a.path, ok: false, reason: 'stale', message: `${a.path} changed locally since the merge was made` })
          return
        }
        try {
          const content = a.content ?? (await ctx.local.read(a.path))
          if (sha256(content) !== a.newHash) record(a, { path: a.path, ok: false, reason: 'stale', message: `${a.path} changed locally since the plan was made` })
          else ready.push({ a, content })
        } catch (err) {
          record(a, { path: a.path, ok: false, reason: 'failed', message: `${a.path}: ${describeError(err)}` })
        }
      }),
    )
    const results = await ctx.remote.writeFiles(
      ready.map(({ a, content }) => ({ path: a.path, content, expectedHash: a.remoteHash, contentHash: a.newHash as string })),
      { signal: ctx.signal },
    )
    ready.forEach(({ a, content }, i) => {
      const r = results[i]
      if (r?.ok && a.newHash) ctx.keepBase?.(a.newHash, content)
      record(a, r)
    })
    emit(part[part.length - 1]?.path)
  }

  // Remote deletions.
  for (const part of chunk(byOp('delete-remote'), CHUNK_ITEMS)) {
    if (cancelled()) break
    const results = await ctx.remote.deleteFiles(
      part.map((a) => ({ path: a.path, expectedHash: a.remoteHash as string })),
      { signal: ctx.signal },
    )
    part.forEach((a, i) => record(a, results[i]))
    emit(part[part.length - 1]?.path)
  }

  if (!cancelled()) await applyRecords(plan, ctx, result, () => {
    progress.itemsDone++
  })
  emit()
  return result
}

/**
 * Record actions, one table and direction at a time, each batch in one transaction on its
 * side. Local rows are backed up (in the run's record) before they are replaced or deleted.
 */
async function applyRecords(plan: Plan, ctx: ApplyContext, result: ApplyResult, tick: () => void): Promise<void> {
  const actions = plan.actions.filter((a): a is RecordAction => a.kind === 'record')
  if (actions.length === 0) return
  const groups = new Map<string, RecordAction[]>()
  for (const a of actions) {
    const k = `${a.op}\u0000${a.table}`
    const g = groups.get(k)
    if (g) g.push(a)
    else groups.set(k, [a])
  }
  const tables = new Map<string, { name: string; key: string }>()
  for (const t of ctx.tables ?? []) tables.set(t.name, t)
  // Merges write both sides; the local write goes first so that a failure leaves the cloud as it was.
  const order: Action['op'][] = ['write-local', 'delete-local', 'write-remote', 'delete-remote']
  for (const op of order) {
    for (const [k, group] of groups) {
      if (!k.startsWith(`${op}\u0000`)) continue
      const table = tables.get(group[0]?.table ?? '')
      if (!table) continue
      const local = op.endsWith('-local')
      const side = local ? ctx.localRecords : ctx.remoteRecords
      let results: RecordResult[]
      if (!side) {
        results = group.map((a) => ({ key: a.key, ok: false, reason: 'failed', message: `${local ? 'the local project' : 'the environment'} has no database` }))
      } else {
        try {
          const collected: RecordResult[] = []
          for (const part of chunk(group, RECORD_PART)) {
            const expected = (a: RecordAction) => (local ? a.localHash : a.remoteHash)
            appendAll(
              collected,
              op.startsWith('write')
                ? await side.write(table, part.map((a) => ({ key: a.key, data: a.data ?? {}, expectedHash: expected(a) })))
                : await side.delete(table, part.map((a) => ({ key: a.key, expectedHash: expected(a) as string }))),
            )
          }
          results = collected
        } catch (err) {
          results = group.map((a) => ({ key: a.key, ok: false, reason: 'failed', message: describeError(err) }))
        }
      }
      group.forEach((a, i) => {
        tick()
        const r = results[i]
        const label = `${a.table}/${a.key}`
        if (!r || !r.ok) {
          result.problems.push({ path: label, op: a.op, reason: r && !r.ok ? r.reason : 'failed', message: r && !r.ok ? `${label}: ${r.message}` : `${label}: no answer` })
          return
        }
        result.done.push(a)
        if (local) ctx.backup.noteRecord(a.table, a.key, a.before, a.newHash)
        else ctx.backup.noteRemoteRecord(a.table, a.key, a.before, a.remoteHash, a.newHash)
        if (r.hash !== a.newHash) {
          result.problems.push({ path: label, op: a.op, reason: 'failed', message: `${label} was stored differently on the ${local ? 'local' : 'environment'} side (do both databases have the same columns and types?)` })
        }
        // A merge is in sync only once both of its writes are done.
        if (a.why === 'merge' && op === 'write-local') return
        setRecordBase(ctx.baseline, a.table, a.key, a.newHash, a.data)
      })
    }
  }
}

function setRecordBase(baseline: Baseline, table: string, key: string, hash: string | null, data: RecordData | null): void {
  let rows = baseline.records.get(table)
  if (!rows) {
    rows = new Map()
    baseline.records.set(table, rows)
  }
  // A record whose data could not be read again keeps its hash as its base (no merge base).
  if (hash === null) rows.delete(key)
  else rows.set(key, { hash, data })
}

function setBase(baseline: Baseline, path: string, hash: string | null): void {
  if (hash === null) baseline.files.delete(path)
  else baseline.files.set(path, hash)
}
