/**
 * Classification, the heart of sync (DESIGN.md): each item into one of four categories by
 * comparing each side's hash with the baseline.
 */
import type { Category, CategoryMap, FileStatusEntry, RecordData, RecordStatusEntry, SideChange } from '../../src-shared/sync-types.js'
import { diffFields, mergeFields } from './records/canonical.js'
import type { Manifest } from './dir-store.js'
import type { BaseRecord } from './baseline.js'

/** What a side did to an item, given the baseline hash and the side's hash. */
export function sideChange(base: string | undefined, side: string | undefined): SideChange {
  if (base === undefined) return side === undefined ? 'unchanged' : 'added'
  if (side === undefined) return 'deleted'
  return side === base ? 'unchanged' : 'modified'
}

/** The category of one item from its baseline, local and remote hashes (undefined = absent). */
export function categoryOf(base: string | undefined, local: string | undefined, remote: string | undefined): Category {
  const localChanged = local !== base
  const remoteChanged = remote !== base
  if (!localChanged && !remoteChanged) return 'in_sync'
  if (localChanged && !remoteChanged) return 'local_to_remote'
  if (!localChanged && remoteChanged) return 'remote_to_local'
  return local === remote ? 'in_sync' : 'conflicts'
}

export function emptyStatus<E>(): CategoryMap<E> {
  return { remote_to_local: [], local_to_remote: [], conflicts: [], in_sync: [] }
}

/** Whether a path is excluded itself or lies under an excluded folder (unreadable, a symlink). */
function isExcluded(p: string, excluded: ReadonlySet<string>): boolean {
  if (excluded.size === 0) return false
  if (excluded.has(p)) return true
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
    if (excluded.has(p.slice(0, i))) return true
  }
  return false
}

/**
 * Classifies every item known to either side or the baseline. Items in `excluded` (present
 * but unreadable, symlinks), and everything under an excluded folder, are left out: they are
 * never taken for deleted.
 */
export function classify(local: Manifest, remote: Manifest, base: ReadonlyMap<string, string>, excluded: ReadonlySet<string> = new Set()): CategoryMap<FileStatusEntry> {
  const status = emptyStatus<FileStatusEntry>()
  for (const p of sortedPaths(local, remote, base)) {
    if (isExcluded(p, excluded)) continue
    const l = local.get(p)
    const r = remote.get(p)
    const b = base.get(p)
    // Deleted on both sides and gone from the baseline: nothing to show.
    if (!l && !r && b === undefined) continue
    const entry: FileStatusEntry = {
      kind: 'file',
      path: p,
      local: sideChange(b, l?.hash),
      remote: sideChange(b, r?.hash),
      localHash: l?.hash ?? null,
      remoteHash: r?.hash ?? null,
      baseHash: b ?? null,
      localSize: l?.size ?? null,
      remoteSize: r?.size ?? null,
      localMtimeMs: l?.mtimeMs ?? null,
      remoteMtimeMs: r?.mtimeMs ?? null,
    }
    status[categoryOf(b, l?.hash, r?.hash)].push(entry)
  }
  return status
}

/**
 * Every path of the three, once, in code-unit order (as `Array.prototype.sort` orders them).
 * The baseline is saved sorted, so in a project at rest its order is taken as it is (checked,
 * and sorted when it is not), and only the paths it lacks are sorted and merged in: a status
 * of 100,000 files sorts nothing.
 */
export function sortedPaths(local: ReadonlyMap<string, unknown>, remote: ReadonlyMap<string, unknown>, base: ReadonlyMap<string, unknown>): string[] {
  const known = [...base.keys()]
  for (let i = 1; i < known.length; i++) {
    if ((known[i - 1] as string) >= (known[i] as string)) {
      known.sort()
      break
    }
  }
  const extra: string[] = []
  for (const p of local.keys()) if (!base.has(p)) extra.push(p)
  for (const p of remote.keys()) if (!base.has(p) && !local.has(p)) extra.push(p)
  if (extra.length === 0) return known
  extra.sort()
  const out: string[] = new Array(known.length + extra.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < known.length && j < extra.length) out[k++] = (known[i] as string) < (extra[j] as string) ? (known[i++] as string) : (extra[j++] as string)
  while (i < known.length) out[k++] = known[i++] as string
  while (j < extra.length) out[k++] = extra[j++] as string
  return out
}

/** A record as the classifier sees it. */
export interface RecordItem {
  hash: string
  data: RecordData
}

/**
 * Classifies the records of one table like files: by hash against the baseline. Conflicts
 * carry both sides' records, the baseline's, the fields that differ and whether a
 * field-level merge would keep both sides' changes.
 */
export function classifyRecords(
  table: string,
  local: ReadonlyMap<string, RecordItem>,
  remote: ReadonlyMap<string, RecordItem>,
  base: ReadonlyMap<string, BaseRecord>,
): CategoryMap<RecordStatusEntry> {
  const status = emptyStatus<RecordStatusEntry>()
  const keys = new Set<string>([...local.keys(), ...remote.keys(), ...base.keys()])
  for (const key of [...keys].sort()) {
    const l = local.get(key)
    const r = remote.get(key)
    const b = base.get(key)
    if (!l && !r && !b) continue
    const category = categoryOf(b?.hash, l?.hash, r?.hash)
    const entry: RecordStatusEntry = {
      kind: 'record',
      table,
      key,
      local: sideChange(b?.hash, l?.hash),
      remote: sideChange(b?.hash, r?.hash),
      localHash: l?.hash ?? null,
      remoteHash: r?.hash ?? null,
      baseHash: b?.hash ?? null,
      fields: l && r && l.hash !== r.hash ? diffFields(l.data, r.data) : [],
    }
    if (category === 'conflicts') {
      entry.localData = l?.data ?? null
      entry.remoteData = r?.data ?? null
      entry.baseData = b?.data ?? null
      // A base whose data the baseline lost offers no field merge: the conflict is decided by hand.
      const merge = l && r && b?.data ? mergeFields(b.data, l.data, r.data) : null
      entry.mergeable = !!merge && 'merged' in merge
      if (merge && 'merged' in merge) entry.mergedData = merge.merged
    }
    status[category].push(entry)
  }
  return status
}
