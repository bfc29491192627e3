/**
 * The words of sync, shared by every face (CLI, desktop, web dashboard, MCP).
 *
 * Pure types: no Node, no DOM. The four category names are the ones our users know from
 * `mage-agent sync-status`.
 */

/** What happened to an item on one side since the baseline. */
export type SideChange = 'added' | 'modified' | 'deleted' | 'unchanged'

/** The four categories of status, in the order we show them. */
export const CATEGORIES = ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync'] as const
export type Category = (typeof CATEGORIES)[number]

/** A direction the operator can run. */
export type Direction = 'pull' | 'push' | 'sync' | 'clone'

/** How one conflict is resolved in a sync. */
export type Resolution = 'local' | 'remote' | 'skip'

/** One item in a status report. Files carry `path`; records (later) carry `table` and `key`. */
export interface StatusEntry {
  kind: 'file'
  path: string
  local: SideChange
  remote: SideChange
  /** sha256 of each side's content and of the baseline; null where absent. */
  localHash: string | null
  remoteHash: string | null
  baseHash: string | null
  localSize: number | null
  remoteSize: number | null
  /** Modification times in ms since the epoch, where known. */
  localMtimeMs: number | null
  remoteMtimeMs: number | null
}

/** A status report: every item in exactly one category. */
export interface SyncStatus {
  remote_to_local: StatusEntry[]
  local_to_remote: StatusEntry[]
  conflicts: StatusEntry[]
  in_sync: StatusEntry[]
}

/** Something the scan did not sync, and why (symlinks, unreadable files, bad names). */
export interface SkippedItem {
  side: 'local' | 'remote'
  path: string
  reason: string
}

/** Progress of a run, in items and bytes. */
export interface SyncProgress {
  phase: 'scanning' | 'transferring' | 'finishing'
  itemsDone: number
  itemsTotal: number
  bytesDone: number
  bytesTotal: number
  currentPath?: string
}
