/**
 * Applying a plan: transfers in chunks, re-checks, backups, then the new baseline.
 *
 * Each action is carried out only if both sides still have the hashes it was planned with
 * (a stale item is reported and left alone). Local content is backed up before it is
 * replaced or deleted; the remote keeps its own prior versions. The baseline records only
 * what was done, so an interrupted run leaves a state the next run completes.
 */
import type { SyncProgress } from '../../src-shared/sync-types.js'
import type { Remote } from '../remotes/remote.js'
import type { Baseline } from './baseline.js'
import { chunk } from './concurrency.js'
import type { DirStore, ItemResult } from './dir-store.js'
import { describeError } from './errors.js'
import type { Action, Plan } from './plan.js'
import { planTotals } from './plan.js'
import type { BackupRun } from './backups.js'
import { sha256 } from './atomic.js'

export interface ItemProblem {
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
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
}

const CHUNK_ITEMS = 512
const CHUNK_BYTES = 16 * 1024 * 1024

/** Carries out a plan and updates `ctx.baseline` in memory for every item done. */
export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  const result: ApplyResult = { done: [], problems: [], cancelled: false }
  const totals = planTotals(plan)
  const progress: SyncProgress = { phase: 'transferring', itemsDone: 0, itemsTotal: totals.items, bytesDone: 0, bytesTotal: totals.bytes }
  const emit = (path?: string) => ctx.onProgress?.({ ...progress, currentPath: path })

  for (const u of plan.baselineUpdates) setBase(ctx.baseline, u.path, u.hash)

  const byOp = (op: Action['op']) => plan.actions.filter((a) => a.op === op)
  const record = (a: Action, r: ItemResult | undefined) => {
    progress.itemsDone++
    progress.bytesDone += a.size
    if (r?.ok) {
      result.done.push(a)
      setBase(ctx.baseline, a.path, a.newHash)
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
    const contents = await ctx.remote.readFiles(
      part.map((a) => a.path),
      { signal: ctx.signal },
    )
    const ready: { a: Action; content: Buffer }[] = []
    for (const a of part) {
      const c = contents.get(a.path)
      if (!(c instanceof Buffer)) record(a, { path: a.path, ok: false, reason: 'failed', message: `${a.path}: could not read from the environment (${c ? describeError(c) : 'missing'})` })
      else if (sha256(c) !== a.newHash) record(a, { path: a.path, ok: false, reason: 'stale', message: `${a.path} changed in the environment since the plan was made` })
      else ready.push({ a, content: c })
    }
    const results = await ctx.local.writeBatch(
      ready.map(({ a, content }) => ({ path: a.path, content, expectedHash: a.localHash })),
      ctx.backup.hook,
    )
    ready.forEach(({ a }, i) => {
      const r = results[i]
      if (r?.ok) ctx.backup.noteWrite(a.path, a.localHash, a.newHash)
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

  // Local → remote writes.
  for (const part of chunk(byOp('write-remote'), CHUNK_ITEMS, CHUNK_BYTES, (a) => a.size)) {
    if (cancelled()) break
    const ready: { a: Action; content: Buffer }[] = []
    await Promise.all(
      part.map(async (a) => {
        try {
          const content = await ctx.local.read(a.path)
          if (sha256(content) !== a.newHash) record(a, { path: a.path, ok: false, reason: 'stale', message: `${a.path} changed locally since the plan was made` })
          else ready.push({ a, content })
        } catch (err) {
          record(a, { path: a.path, ok: false, reason: 'failed', message: `${a.path}: ${describeError(err)}` })
        }
      }),
    )
    const results = await ctx.remote.writeFiles(
      ready.map(({ a, content }) => ({ path: a.path, content, expectedHash: a.remoteHash })),
      { signal: ctx.signal },
    )
    ready.forEach(({ a }, i) => record(a, results[i]))
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

  return result
}

function setBase(baseline: Baseline, path: string, hash: string | null): void {
  if (hash === null) baseline.files.delete(path)
  else baseline.files.set(path, hash)
}
