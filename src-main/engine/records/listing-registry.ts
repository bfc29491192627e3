/**
 * The record listings this process made last, per table, so that a remote listing can take
 * the data of records it has the same hash for instead of carrying it over the wire.
 *
 * A status lists each table on both sides at once and compares hashes; the data of a record
 * is needed only where the two sides differ (to show the fields, to merge, to pull). A record's
 * hash is the sha256 of its canonical JSON and its data that JSON read back, so any two records
 * with the same hash have the same data, whichever database they came from: an environment
 * server can then answer a listing with keys and hashes only, and the client asks for the data
 * of the records whose hash no local listing has (server-remote.ts). Listings are held weakly
 * once done: this never keeps a table's rows alive on its own.
 */
import { SyncDeskError } from '../errors.js'
import type { RecordEntry } from './record-store.js'

type Listing = ReadonlyMap<string, RecordEntry>

const pending = new Map<string, Promise<Listing | null>>()
const done = new Map<string, WeakRef<Listing>>()
/** Listings said to follow (`expectListing`): how to hand each its listing, or null for none. */
const expected = new Map<string, (listing: Promise<Listing> | null) => void>()

/**
 * Says that a listing of `table` is about to start in this process, so that a remote listing
 * answered before it waits for it rather than taking an older one or none. Returns the
 * function that withdraws it (no listing came, or it is done): call it in any case.
 */
export function expectListing(table: string): () => void {
  let hand!: (listing: Promise<Listing> | null) => void
  const placeholder = new Promise<Listing | null>((resolve) => {
    hand = (listing) => resolve(listing ? listing.catch(() => null) : null)
  })
  pending.set(table, placeholder)
  expected.set(table, hand)
  return () => {
    if (expected.get(table) !== hand) return
    expected.delete(table)
    hand(null)
    if (pending.get(table) === placeholder) pending.delete(table)
  }
}

/** Records a listing of a table as it starts; returns the same promise. */
export function announceListing<T extends Listing>(table: string, listing: Promise<T>): Promise<T> {
  const hand = expected.get(table)
  if (hand) {
    expected.delete(table)
    hand(listing)
  }
  pending.set(table, listing)
  const settle = (value: Listing | null) => {
    if (pending.get(table) !== listing) return
    pending.delete(table)
    if (value) done.set(table, new WeakRef(value))
    else done.delete(table)
  }
  listing.then(settle, () => settle(null))
  return listing
}

/**
 * The latest listing of a table in this process (waiting for one still under way), or null.
 *
 * A caller takes a record's data from it only where its hash is the one it looks for.
 */
export async function listedRecords(table: string): Promise<Listing | null> {
  const p = pending.get(table)
  if (p) return p.catch(() => null)
  return done.get(table)?.deref() ?? null
}

/**
 * A listed record whose data is made only when first read, by `make` (from the values already
 * read, or by reading the row by its key). The data made must have the hash given, or reading
 * it throws: a hash handed out is never paired with other data.
 */
export function lazyEntry(table: string, key: string, hash: string, make: () => RecordEntry): RecordEntry {
  let data: Record<string, unknown> | null = null
  return {
    key,
    hash,
    get data(): Record<string, unknown> {
      if (data) return data
      const made = make()
      if (made.hash !== hash) throw new SyncDeskError('plan-stale', `Record ${key} of table ${table} changed while SyncDesk was reading it.`, 'Look again, then run again.', { table, key })
      data = made.data
      return data
    },
  }
}
