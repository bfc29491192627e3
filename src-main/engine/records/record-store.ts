/**
 * A database seen as synced records: list them with their hashes, write and delete them
 * conditionally.
 *
 * The local project's database and the environment server's database are both behind this
 * one interface, over SQLite (embedded default) or PostgreSQL. It is the database twin of
 * DirStore: every write and delete is a compare-and-swap against the hash the caller
 * expects (safety rule 4), so a record that moved on since it was listed is never touched
 * and comes back as `stale`. Because a write only happens when the current row has the
 * expected hash, the caller already holds the exact old content (from `list`) for backups.
 *
 * Problems with a whole table (missing, binary or unsupported column types, a key column
 * that is not unique) throw a SyncDeskError; problems with one record come back in its
 * RecordResult.
 */

/** A synced table and its key column (the primary key or a single-column unique key). */
export interface TableSpec {
  name: string
  key: string
}

/** One record as listed: its key's text form, its hash, and its canonical column values. */
export interface RecordEntry {
  key: string
  hash: string
  data: Record<string, unknown>
}

/**
 * A conditional write of one record.
 *
 * `data` holds the columns to set (the key column may be included and must then match
 * `key`); columns left out keep their value on update and get their default on insert.
 */
export interface RecordWrite {
  key: string
  data: Record<string, unknown>
  /** The hash the record must have now; null: it must not exist. */
  expectedHash: string | null
}

/** A conditional delete of one record. */
export interface RecordDelete {
  key: string
  expectedHash: string
}

/**
 * The outcome of one record of a batch.
 *
 * `hash` is the hash of the row as stored after the write (read back, so defaults and type
 * conversions are included), null after a delete. `stale`: the record moved on and was not
 * touched; `refused`: this record cannot be stored as given (wrong type, unknown column,
 * constraint); `failed`: anything else.
 */
export type RecordResult =
  | { key: string; ok: true; hash: string | null }
  | { key: string; ok: false; reason: 'stale' | 'refused' | 'failed'; message: string }

/** The records of one database. */
export interface RecordStore {
  /** Where this store points, for messages (never with a password). */
  describe(): string
  /** Every record of a table, by key. */
  list(table: TableSpec): Promise<Map<string, RecordEntry>>
  /** Conditional writes, in one transaction; one result per write, in order. */
  write(table: TableSpec, writes: readonly RecordWrite[]): Promise<RecordResult[]>
  /** Conditional deletes, in one transaction; one result per delete, in order. */
  delete(table: TableSpec, deletes: readonly RecordDelete[]): Promise<RecordResult[]>
  close(): Promise<void>
}

/**
 * Which database a store opens.
 *
 * SQLite: `create` allows a missing file to be created (the environment server's embedded
 * database); without it a missing file is an error, so a mistyped path never yields an
 * empty database whose tables all look deleted. `cacheFile` is where its row cache is kept
 * (sqlite-row-cache.ts) when it is in no project of its own (a folder environment's database,
 * whose cache the reading project keeps).
 */
export type RecordStoreSpec = { kind: 'sqlite'; path: string; create?: boolean; cacheFile?: string } | { kind: 'postgres'; url: string }
