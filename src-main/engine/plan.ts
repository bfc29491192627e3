/**
 * Plans: what a direction will do to each item, decided before anything is touched.
 *
 * A plan is pure data, so a dry run prints exactly what a real run would do. Every action
 * carries the hashes it was planned against; apply re-checks them before it acts. Files and
 * records follow the same rules; only how they are carried differs.
 */
import type {
  CategoryMap,
  Direction,
  FileStatusEntry,
  RecordData,
  RecordStatusEntry,
  Resolution,
  StatusEntry,
  SyncStatus,
} from '../../src-shared/sync-types.js'
import { itemLabel } from '../../src-shared/sync-types.js'
import { mergeFields, recordHash } from './records/canonical.js'
import { appendAll } from './arrays.js'
import { SyncDeskError } from './errors.js'
import { sha256 } from './atomic.js'
import type { PlanCheckResult } from './checks/check-types.js'
import type { TableCreation, TableMismatch, TableRefusal } from './records/table-definitions.js'

export type ActionOp = 'write-local' | 'delete-local' | 'write-remote' | 'delete-remote'
export type ActionWhy = 'remote_to_local' | 'local_to_remote' | 'keep-local' | 'keep-remote' | 'merge'

interface ActionBase {
  op: ActionOp
  /** The hash each side had when planned (null = absent). */
  localHash: string | null
  remoteHash: string | null
  /** The content the target side ends with (null for deletes). */
  newHash: string | null
  /** Bytes to transfer (0 for deletes and records). */
  size: number
  /** Why: the category, or the resolution of a conflict. */
  why: ActionWhy
}

export interface FileAction extends ActionBase {
  kind: 'file'
  path: string
  /** A merge's content, written as it is (other writes copy the other side's file). */
  content?: Buffer
}

export interface RecordAction extends ActionBase {
  kind: 'record'
  table: string
  key: string
  /** The record to write (null for deletes). */
  data: RecordData | null
  /** The record being replaced on the target side, kept for backups (null if absent). */
  before: RecordData | null
}

export type Action = FileAction | RecordAction

/** Baseline updates that need no transfer (both sides already agree). */
export type BaselineUpdate =
  | { kind: 'file'; path: string; hash: string | null }
  | { kind: 'record'; table: string; key: string; hash: string | null; data: RecordData | null }

export interface Plan {
  direction: Direction
  actions: Action[]
  baselineUpdates: BaselineUpdate[]
  /** Conflicts this plan leaves as they are. */
  conflictsLeft: StatusEntry[]
  /** Changes on the other side that this direction does not carry (e.g. local edits on pull). */
  notCarried: StatusEntry[]
  /** What the checks found in the files this plan writes to the environment (planRun fills it in). */
  checks: PlanCheckResult
  /** The synced tables one side lacks or that differ (planRun fills it in from the look). */
  tables: PlanTables
}

/** A table one side lacks, with the statement that creates it there and how many records its other side has. */
export interface TableToCreate extends TableCreation {
  /** The records of the side that has the table: what the run carries once it is created. */
  records: number
}

/**
 * The tables a plan deals with before its records. A table one side lacks is left out of the
 * record comparison; this direction creates it (with the operator's yes) when it is in `create`,
 * then carries its records in the same run.
 */
export interface PlanTables {
  /** The tables this direction can create, each on its side (a push: the environment; a pull or clone: here; a sync: both). */
  create: TableToCreate[]
  /** Tables one side lacks that this direction does not create (a pull's missing environment table). */
  otherDirection: TableToCreate[]
  /** Tables that cannot be created, and why (their columns named). */
  refused: TableRefusal[]
  /** Tables both sides have whose columns differ (compared all the same). */
  mismatches: TableMismatch[]
  /** The environment's name when creating these tables changes a protected one (it must be typed then), else null. */
  confirmName: string | null
}

/** A plan's tables when there is nothing to create, refuse or report. */
export function noTables(): PlanTables {
  return { create: [], otherDirection: [], refused: [], mismatches: [], confirmName: null }
}

export interface PlanOptions {
  direction: Direction
  /** pull: take the cloud's side of conflicts too (backed up first). */
  overwriteLocal?: boolean
  /** push: take the local side of conflicts too. */
  overwriteRemote?: boolean
  /** pull/push: overwrite only these conflicts (by item label) in the run's direction. */
  overwriteItems?: ReadonlySet<string>
  /** sync: how each conflict is resolved, by item label; missing = skip. */
  resolutions?: ReadonlyMap<string, Resolution>
}

/** Record contents the planner needs: each side's current record. */
export interface RecordLookup {
  local(table: string, key: string): RecordData | null
  remote(table: string, key: string): RecordData | null
  /** The clean three-way merge of a conflicting file, when there is one. */
  fileMerge?(path: string): Buffer | null
}

function fileToLocal(e: FileStatusEntry, why: ActionWhy): FileAction {
  if (e.remoteHash === null) return { kind: 'file', op: 'delete-local', path: e.path, localHash: e.localHash, remoteHash: null, newHash: null, size: 0, why }
  return { kind: 'file', op: 'write-local', path: e.path, localHash: e.localHash, remoteHash: e.remoteHash, newHash: e.remoteHash, size: e.remoteSize ?? 0, why }
}

function fileToRemote(e: FileStatusEntry, why: ActionWhy): FileAction {
  if (e.localHash === null) return { kind: 'file', op: 'delete-remote', path: e.path, localHash: null, remoteHash: e.remoteHash, newHash: null, size: 0, why }
  return { kind: 'file', op: 'write-remote', path: e.path, localHash: e.localHash, remoteHash: e.remoteHash, newHash: e.localHash, size: e.localSize ?? 0, why }
}

function recordAction(e: RecordStatusEntry, op: ActionOp, data: RecordData | null, before: RecordData | null, why: ActionWhy): RecordAction {
  return {
    kind: 'record',
    op,
    table: e.table,
    key: e.key,
    localHash: e.localHash,
    remoteHash: e.remoteHash,
    newHash: data === null ? null : recordHash(data),
    size: 0,
    why,
    data,
    before,
  }
}

/**
 * The data of an in-sync record, for its base; null when the record changed since the look
 * (its data is read when first asked for): the hash both sides had stays the base, with no
 * merge base, and the change shows at the next look.
 */
function baseDataOf(records: RecordLookup, table: string, key: string): RecordData | null {
  try {
    return records.local(table, key)
  } catch (err) {
    if (err instanceof SyncDeskError && err.code === 'plan-stale') return null
    throw err
  }
}

function toLocal(e: StatusEntry, why: ActionWhy, records: RecordLookup): Action {
  if (e.kind === 'file') return fileToLocal(e, why)
  const data = records.remote(e.table, e.key)
  return recordAction(e, data === null ? 'delete-local' : 'write-local', data, records.local(e.table, e.key), why)
}

function toRemote(e: StatusEntry, why: ActionWhy, records: RecordLookup): Action {
  if (e.kind === 'file') return fileToRemote(e, why)
  const data = records.local(e.table, e.key)
  return recordAction(e, data === null ? 'delete-remote' : 'write-remote', data, records.remote(e.table, e.key), why)
}

const NO_RECORDS: RecordLookup = { local: () => null, remote: () => null }

/** Makes the plan for a direction from a status. */
export function makePlan(status: SyncStatus, opts: PlanOptions, records: RecordLookup = NO_RECORDS): Plan {
  const plan: Plan = { direction: opts.direction, actions: [], baselineUpdates: [], conflictsLeft: [], notCarried: [], checks: { problems: [], unchecked: [], refuses: false }, tables: noTables() }
  const pulls = opts.direction === 'pull' || opts.direction === 'clone' || opts.direction === 'sync'
  const pushes = opts.direction === 'push' || opts.direction === 'sync'

  for (const e of status.in_sync) {
    if (e.localHash === e.baseHash) continue
    if (e.kind === 'file') plan.baselineUpdates.push({ kind: 'file', path: e.path, hash: e.localHash })
    else plan.baselineUpdates.push({ kind: 'record', table: e.table, key: e.key, hash: e.localHash, data: baseDataOf(records, e.table, e.key) })
  }
  for (const e of status.remote_to_local) {
    if (pulls) plan.actions.push(toLocal(e, 'remote_to_local', records))
    else plan.notCarried.push(e)
  }
  for (const e of status.local_to_remote) {
    if (pushes) plan.actions.push(toRemote(e, 'local_to_remote', records))
    else plan.notCarried.push(e)
  }
  for (const e of status.conflicts) {
    let resolution: Resolution = 'skip'
    if (opts.direction === 'sync') resolution = opts.resolutions?.get(itemLabel(e)) ?? 'skip'
    // A merge named for a conflict applies in every direction: it writes both sides alike.
    else if (opts.resolutions?.get(itemLabel(e)) === 'merge') resolution = 'merge'
    else if (pulls && (opts.overwriteLocal || opts.overwriteItems?.has(itemLabel(e)))) resolution = 'remote'
    else if (opts.direction === 'push' && (opts.overwriteRemote || opts.overwriteItems?.has(itemLabel(e)))) resolution = 'local'
    if (resolution === 'remote') plan.actions.push(toLocal(e, 'keep-remote', records))
    else if (resolution === 'local') plan.actions.push(toRemote(e, 'keep-local', records))
    else if (resolution === 'merge' && e.kind === 'record' && planMerge(e, records, plan)) continue
    else if (resolution === 'merge' && e.kind === 'file' && planFileMerge(e, records, plan)) continue
    else plan.conflictsLeft.push(e)
  }
  return plan
}

/** The field-level merge of a record conflict: both sides get base + both sides' changes. */
function planMerge(e: RecordStatusEntry, records: RecordLookup, plan: Plan): boolean {
  const local = records.local(e.table, e.key)
  const remote = records.remote(e.table, e.key)
  if (!local || !remote || !e.baseData) return false
  const merge = mergeFields(e.baseData, local, remote)
  if (!('merged' in merge)) return false
  plan.actions.push(recordAction(e, 'write-local', merge.merged, local, 'merge'))
  plan.actions.push(recordAction(e, 'write-remote', merge.merged, remote, 'merge'))
  return true
}

/** A file conflict's clean three-way merge: the merged text written to both sides. */
function planFileMerge(e: FileStatusEntry, records: RecordLookup, plan: Plan): boolean {
  const merged = records.fileMerge?.(e.path)
  if (!merged) return false
  const newHash = sha256(merged)
  const base = { kind: 'file' as const, path: e.path, localHash: e.localHash, remoteHash: e.remoteHash, newHash, size: merged.byteLength, why: 'merge' as const, content: merged }
  plan.actions.push({ ...base, op: 'write-local' }, { ...base, op: 'write-remote' })
  return true
}

export interface GuardLimits {
  maxDeleteCount: number
  maxDeleteShare: number
}

/** Where the mass-delete guard stopped a plan, in words, or null when it may go on. */
export function massDeleteProblem(
  plan: Plan,
  counts: { baseline: number; local: number; remote: number },
  limits: GuardLimits,
  envName: string,
): string | null {
  const deletesLocal = plan.actions.filter((a) => a.op === 'delete-local').length
  const deletesRemote = plan.actions.filter((a) => a.op === 'delete-remote').length
  // An empty side against a large baseline is almost always a missing mount or a wiped folder.
  const large = 10
  if (deletesRemote > 0 && counts.local === 0 && counts.baseline >= large) {
    return `The local side has no items, but ${counts.baseline} were in sync before: this would delete ${deletesRemote} items in ${envName}.`
  }
  if (deletesLocal > 0 && counts.remote === 0 && counts.baseline >= large) {
    return `${envName} has no items, but ${counts.baseline} were in sync before: this would delete ${deletesLocal} local items.`
  }
  for (const [n, where] of [
    [deletesLocal, 'local items'],
    [deletesRemote, `items in ${envName}`],
  ] as const) {
    if (n === 0) continue
    if (n > limits.maxDeleteCount) return `This would delete ${n} ${where}, more than the limit of ${limits.maxDeleteCount}.`
    if (counts.baseline >= large && n / counts.baseline > limits.maxDeleteShare) {
      return `This would delete ${n} ${where}, ${Math.round((100 * n) / counts.baseline)}% of the ${counts.baseline} items in sync, more than the limit of ${Math.round(limits.maxDeleteShare * 100)}%.`
    }
  }
  return null
}

/** Totals of a plan, for summaries and progress. */
export function planTotals(plan: Plan): { items: number; bytes: number; toLocal: number; toRemote: number; deletesLocal: number; deletesRemote: number } {
  let bytes = 0
  let toLocal = 0
  let toRemote = 0
  let deletesLocal = 0
  let deletesRemote = 0
  for (const a of plan.actions) {
    bytes += a.size
    if (a.op === 'write-local') toLocal++
    else if (a.op === 'write-remote') toRemote++
    else if (a.op === 'delete-local') deletesLocal++
    else deletesRemote++
  }
  return { items: plan.actions.length, bytes, toLocal, toRemote, deletesLocal, deletesRemote }
}

/** Merges per-kind category maps into one status: each category is the parts' entries, in the parts' order. */
export function mergeStatus(parts: readonly CategoryMap<StatusEntry>[]): SyncStatus {
  const out: SyncStatus = { remote_to_local: [], local_to_remote: [], conflicts: [], in_sync: [] }
  for (const part of parts) for (const k of Object.keys(out) as (keyof SyncStatus)[]) appendAll(out[k], part[k])
  return out
}
