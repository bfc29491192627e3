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
export type Resolution = 'local' | 'remote' | 'skip' | 'merge'

/** One file in a status report. */
export interface FileStatusEntry {
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
  /** For conflicts: a three-way merge of the two sides' edits is clean (the base was kept). */
  mergeable?: boolean
  /** For mergeable text conflicts: the merged text (the same on both sides once chosen). */
  mergedText?: string
}

/** A record's content: its columns, as canonical JSON values. */
export type RecordData = Record<string, unknown>

/** One database record in a status report: `table` and `key` instead of `path`. */
export interface RecordStatusEntry {
  kind: 'record'
  table: string
  key: string
  local: SideChange
  remote: SideChange
  localHash: string | null
  remoteHash: string | null
  baseHash: string | null
  /** Top-level fields whose values differ between local and remote. */
  fields: string[]
  /** For conflicts: the two sides changed different fields, so a field-level merge keeps both. */
  mergeable?: boolean
  /** For conflicts: each side's record and the baseline's (null where absent). */
  localData?: RecordData | null
  remoteData?: RecordData | null
  baseData?: RecordData | null
  /** For mergeable conflicts: the field-level merge (base plus both sides' changes). */
  mergedData?: RecordData
}

export type StatusEntry = FileStatusEntry | RecordStatusEntry

/** Entries grouped into the four categories. */
export type CategoryMap<E> = Record<Category, E[]>

/** A status report: every item in exactly one category. */
export type SyncStatus = CategoryMap<StatusEntry>

/** What a sync covers: files, database records, or both. */
export type SyncScope = 'files' | 'records' | 'all'

/** The display name of an item: its path, or `table/key` for a record. */
export function itemLabel(e: StatusEntry): string {
  return e.kind === 'file' ? e.path : `${e.table}/${e.key}`
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
