/**
 * Classification, the heart of sync (DESIGN.md): each item into one of four categories by
 * comparing each side's hash with the baseline.
 */
import type { Category, SideChange, StatusEntry, SyncStatus } from '../../src-shared/sync-types.js'
import type { Manifest } from './dir-store.js'

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

export function emptyStatus(): SyncStatus {
  return { remote_to_local: [], local_to_remote: [], conflicts: [], in_sync: [] }
}

/**
 * Classifies every item known to either side or the baseline. Items in `excluded` (present
 * but unreadable, symlinks) are left out: they are never taken for deleted.
 */
export function classify(local: Manifest, remote: Manifest, base: ReadonlyMap<string, string>, excluded: ReadonlySet<string> = new Set()): SyncStatus {
  const status = emptyStatus()
  const paths = new Set<string>([...local.keys(), ...remote.keys(), ...base.keys()])
  for (const p of [...paths].sort()) {
    if (excluded.has(p)) continue
    const l = local.get(p)
    const r = remote.get(p)
    const b = base.get(p)
    // Deleted on both sides and gone from the baseline: nothing to show.
    if (!l && !r && b === undefined) continue
    const entry: StatusEntry = {
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
