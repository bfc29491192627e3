/**
 * Plans: what a direction will do to each item, decided before anything is touched.
 *
 * A plan is pure data, so a dry run prints exactly what a real run would do. Every action
 * carries the hashes it was planned against; apply re-checks them before it acts.
 */
import type { Direction, Resolution, StatusEntry, SyncStatus } from '../../src-shared/sync-types.js'

export type ActionOp = 'write-local' | 'delete-local' | 'write-remote' | 'delete-remote'

export interface Action {
  op: ActionOp
  path: string
  /** The hash each side had when planned (null = absent). */
  localHash: string | null
  remoteHash: string | null
  /** The content the target side ends with (null for deletes). */
  newHash: string | null
  /** Bytes to transfer (0 for deletes). */
  size: number
  /** Why: the category, or the resolution of a conflict. */
  why: 'remote_to_local' | 'local_to_remote' | 'keep-local' | 'keep-remote'
}

/** Baseline updates that need no transfer (both sides already agree). */
export interface BaselineUpdate {
  path: string
  hash: string | null
}

export interface Plan {
  direction: Direction
  actions: Action[]
  baselineUpdates: BaselineUpdate[]
  /** Conflicts this plan leaves as they are. */
  conflictsLeft: StatusEntry[]
  /** Changes on the other side that this direction does not carry (e.g. local edits on pull). */
  notCarried: StatusEntry[]
}

export interface PlanOptions {
  direction: Direction
  /** pull: take the cloud's side of conflicts too (backed up first). */
  overwriteLocal?: boolean
  /** push: take the local side of conflicts too. */
  overwriteRemote?: boolean
  /** sync: how each conflict is resolved; missing = skip. */
  resolutions?: ReadonlyMap<string, Resolution>
}

function toLocal(e: StatusEntry, why: Action['why']): Action {
  if (e.remoteHash === null) return { op: 'delete-local', path: e.path, localHash: e.localHash, remoteHash: null, newHash: null, size: 0, why }
  return { op: 'write-local', path: e.path, localHash: e.localHash, remoteHash: e.remoteHash, newHash: e.remoteHash, size: e.remoteSize ?? 0, why }
}

function toRemote(e: StatusEntry, why: Action['why']): Action {
  if (e.localHash === null) return { op: 'delete-remote', path: e.path, localHash: null, remoteHash: e.remoteHash, newHash: null, size: 0, why }
  return { op: 'write-remote', path: e.path, localHash: e.localHash, remoteHash: e.remoteHash, newHash: e.localHash, size: e.localSize ?? 0, why }
}

/** Makes the plan for a direction from a status. */
export function makePlan(status: SyncStatus, opts: PlanOptions): Plan {
  const plan: Plan = { direction: opts.direction, actions: [], baselineUpdates: [], conflictsLeft: [], notCarried: [] }
  const pulls = opts.direction === 'pull' || opts.direction === 'clone' || opts.direction === 'sync'
  const pushes = opts.direction === 'push' || opts.direction === 'sync'

  for (const e of status.in_sync) {
    if (e.localHash !== e.baseHash) plan.baselineUpdates.push({ path: e.path, hash: e.localHash })
  }
  for (const e of status.remote_to_local) {
    if (pulls) plan.actions.push(toLocal(e, 'remote_to_local'))
    else plan.notCarried.push(e)
  }
  for (const e of status.local_to_remote) {
    if (pushes) plan.actions.push(toRemote(e, 'local_to_remote'))
    else plan.notCarried.push(e)
  }
  for (const e of status.conflicts) {
    let resolution: Resolution = 'skip'
    if (opts.direction === 'sync') resolution = opts.resolutions?.get(e.path) ?? 'skip'
    else if (pulls && opts.overwriteLocal) resolution = 'remote'
    else if (opts.direction === 'push' && opts.overwriteRemote) resolution = 'local'
    if (resolution === 'remote') plan.actions.push(toLocal(e, 'keep-remote'))
    else if (resolution === 'local') plan.actions.push(toRemote(e, 'keep-local'))
    else plan.conflictsLeft.push(e)
  }
  return plan
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
    return `The local project has no files, but ${counts.baseline} were in sync before: this would delete ${deletesRemote} files in ${envName}.`
  }
  if (deletesLocal > 0 && counts.remote === 0 && counts.baseline >= large) {
    return `${envName} has no files, but ${counts.baseline} were in sync before: this would delete ${deletesLocal} local files.`
  }
  for (const [n, where] of [
    [deletesLocal, 'local files'],
    [deletesRemote, `files in ${envName}`],
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
