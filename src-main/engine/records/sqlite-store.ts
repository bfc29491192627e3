/**
 * Records in a SQLite database (better-sqlite3): the embedded default on both sides.
 *
 * WAL mode, a busy timeout so a second writer waits rather than fails, and every batch in
 * one `BEGIN IMMEDIATE` transaction: the write lock is taken before the current hashes are
 * read, so nothing can slip between the check and the write. Each record runs in its own
 * savepoint, so one refused record does not undo the others; statements are prepared once per
 * store, and a write reads back only the hash of what it stored.
 *
 * The row cache (sqlite-row-cache.ts) spares a listing the reading of the rows when the
 * database's files are as they were at the last listing, and otherwise the canonicalizing and
 * hashing of the rows whose stored values are those it last hashed.
 *
 * Column kinds come from the declared types (`PRAGMA table_xinfo`), in this order:
 * BLOB/BYTEA/BINARY/VARBINARY → refused; BOOL… → boolean (stored 0/1); JSON… → json (stored
 * as canonical JSON text); TIMESTAMP…/DATETIME → timestamp (stored as canonical text);
 * DATE → date; …INT… → integer; CHAR/CLOB/TEXT/UUID… → text; REAL/FLOA/DOUB → number;
 * NUMERIC/DECIMAL/other → number; no declared type → any.
 * SQLite stores what it is given whatever the declared type: a stored value that does not
 * fit its column's kind (say `n/a` in an INTEGER column) is handed out as it is, never
 * converted, so writing it back stores the same thing.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import Database from 'better-sqlite3'
import { SyncDeskError, describeError } from '../errors.js'
import { UnsupportedValueError, canonicalDate, canonicalInteger, canonicalEntry, canonicalTimestamp, recordHash } from './canonical.js'
import {
  RecordRefused,
  badKeyError,
  binaryColumnError,
  checkIdentifier,
  checkTableSpec,
  checkWriteColumns,
  keyText,
  keyValue,
  missingTableError,
  quoteIdent,
  staleResult,
  unreadableValueError,
  type CheckedValue,
  type ColumnInfo,
  type ColumnKind,
  type TableInfo,
} from './columns.js'
import type { RecordDelete, RecordEntry, RecordResult, RecordStore, RecordWrite, TableSpec } from './record-store.js'
import { announceListing, lazyEntry } from './listing-registry.js'
import { SqliteRowCache, databaseMarker, rowDigest, rowText, type CachedRow, type CachedTable } from './sqlite-row-cache.js'
import { createTableStatement, sqliteTypeToPortable, type ColumnDefinition, type CreateTableResult, type TableDefinition, type TableDefinitions } from './table-definitions.js'

type Bind = null | bigint | number | string

/** How many cache hits of each listing are re-hashed in full to check the cache. */
const SPOT_CHECKS = 3

/**
 * Opens a SQLite database as a record store.
 *
 * Without `create`, a missing file is an error (a mistyped path must not look like an
 * empty database). `cacheFile` keeps the row cache there instead of in the database's project.
 */
export function openSqliteStore(file: string, opts: { create?: boolean; cacheFile?: string } = {}): SqliteRecordStore {
  if (!opts.create && file !== ':memory:' && !fs.existsSync(file)) {
    throw new SyncDeskError('not-found', `SQLite database ${file} does not exist`, 'Check the project\'s database path.')
  }
  let db: Database.Database
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('busy_timeout = 5000')
  } catch (err) {
    throw new SyncDeskError('io', `cannot open SQLite database ${file}: ${describeError(err)}`)
  }
  return new SqliteRecordStore(db, file, opts.cacheFile)
}

/** The SQLite record store; see the module comment. */
export class SqliteRecordStore implements RecordStore, TableDefinitions {
  readonly dialect = 'sqlite' as const

  private readonly rowCache: SqliteRowCache
  private readonly statements = new Map<string, Database.Statement>()
  /**
   * How the last listing was made, for tests and diagnostics: from the cache alone
   * ('marker'), every row read with the table's digest unchanged ('digest'), or read and
   * compared row by row ('read').
   */
  lastListing: 'marker' | 'digest' | 'read' | null = null

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    cacheFile?: string,
  ) {
    this.rowCache = SqliteRowCache.forDatabase(file, cacheFile)
  }

  describe(): string {
    return `SQLite ${this.file}`
  }

  async list(table: TableSpec): Promise<Map<string, RecordEntry>> {
    return announceListing(table.name, this.listNow(table))
  }

  /**
   * A table's rows by key. When the database's files are as the row cache last saw them (its
   * marker), the cached hashes are the listing, checked on a few rows read in full
   * (`fromMarker`); otherwise every row is read (`readAll`).
   */
  private async listNow(table: TableSpec): Promise<Map<string, RecordEntry>> {
    const info = this.tableInfo(table)
    const schema = schemaOf(info)
    const marker = this.file === ':memory:' ? null : databaseMarker(this.file)
    const cached = this.rowCache.tableOf(table.name, schema)
    if (marker?.settled && cached.marker === marker.key) {
      const out = this.fromMarker(info, cached)
      if (out) {
        this.lastListing = 'marker'
        return out
      }
      this.rowCache.drop(table.name)
    }
    return this.readAll(info, schema, marker)
  }

  /**
   * The listing from the cache alone: each row's cached hash, its data read when first asked
   * for (and checked against that hash) — by its key while the store is open, and after it was
   * closed from one read of the whole table (a run plans after its look closed the store). Null
   * when a spot check finds a row that differs from the cache.
   */
  private fromMarker(info: TableInfo, cached: CachedTable): Map<string, RecordEntry> | null {
    const keys = [...cached.rows.keys()]
    try {
      for (let n = 0; n < Math.min(SPOT_CHECKS, keys.length); n++) {
        const key = keys[Math.floor(Math.random() * keys.length)] as string
        const values = this.rowValues(info, keyValue(info.key, key))
        if (!values || this.entryOf(info, values).hash !== cached.rows.get(key)?.hash) return null
      }
    } catch {
      // A key that no longer finds its row, a table changed meanwhile: read it all.
      return null
    }
    let afterClose: Map<string, unknown[]> | null = null
    const valuesOf = (key: string): unknown[] | undefined => {
      try {
        if (this.db.open) return this.rowValues(info, keyValue(info.key, key))
        afterClose ??= this.readClosed(info)
        return afterClose.get(key)
      } catch (err) {
        if (err instanceof SyncDeskError) throw err
        throw new SyncDeskError('plan-stale', `Table ${info.spec.name} changed while SyncDesk was reading record ${key}: ${describeError(err)}`, 'Look again, then run again.', { table: info.spec.name, key })
      }
    }
    const out = new Map<string, RecordEntry>()
    for (const [key, row] of cached.rows) {
      out.set(key, lazyEntry(info.spec.name, key, row.hash, () => {
        const values = valuesOf(key)
        if (!values) throw new SyncDeskError('plan-stale', `Record ${key} of table ${info.spec.name} was deleted while SyncDesk was reading it.`, 'Look again, then run again.', { table: info.spec.name, key })
        return this.entryOf(info, values)
      }))
    }
    return out
  }

  /** Every row of a table by key, read through a read-only connection of its own (this store is closed). */
  private readClosed(info: TableInfo): Map<string, unknown[]> {
    let db: Database.Database
    try {
      db = new Database(this.file, { fileMustExist: true, readonly: true })
    } catch (err) {
      throw new SyncDeskError('io', `cannot open SQLite database ${this.file}: ${describeError(err)}`)
    }
    try {
      db.pragma('busy_timeout = 5000')
      const keyAt = [...info.columns.values()].indexOf(info.key)
      const out = new Map<string, unknown[]>()
      for (const values of rawRows(db.prepare(selectRows(info))).iterate() as Iterable<unknown[]>) out.set(keyOf(values[keyAt]), values)
      return out
    } finally {
      db.close()
    }
  }

  /**
   * Reads every row (raw, with safe integers) and the digest of them all (sqlite-row-cache.ts).
   * When it is the one the row cache holds for the table, every row gets its cached hash;
   * otherwise each row whose own digest is the cached one does. The canonical data of a row
   * with a cached hash is made from the values read here only when asked for; other rows are
   * canonicalized and hashed at once. The database's marker is kept with the rows when it was
   * settled, and the same before and after the read.
   */
  private async readAll(info: TableInfo, schema: string, marker: { key: string; settled: boolean } | null): Promise<Map<string, RecordEntry>> {
    const table = info.spec
    const stmt = rawRows(this.db.prepare(`${selectRows(info)} ORDER BY ${quoteIdent(table.key)}`))
    const keyAt = [...info.columns.values()].indexOf(info.key)
    const read: { key: string; values: unknown[]; blob: boolean }[] = []
    const all = crypto.createHash('sha256')
    for (const values of stmt.iterate() as Iterable<unknown[]>) {
      all.update(rowText(values))
      // A row with a blob (binary JSON) needs the database to be read: it is never cached.
      read.push({ key: keyOf(values[keyAt]), values, blob: values.some((v) => Buffer.isBuffer(v)) })
    }
    const after = marker ? databaseMarker(this.file) : null
    const digest = all.digest('base64')
    const cached = this.rowCache.tableOf(table.name, schema)
    const whole = cached.digest === digest
    const rows = whole ? cached.rows : new Map<string, CachedRow>()
    const hits: { entry: RecordEntry; values: unknown[] }[] = []
    const out = new Map<string, RecordEntry>()
    for (const { key, values, blob } of read) {
      // A row's own digest is needed only when the table's is not the cached one.
      const rowDigestNow = blob || whole ? null : rowDigest(rowText(values))
      const hit = blob ? undefined : cached.rows.get(key)
      let entry: RecordEntry
      if (hit && (whole || hit.digest === rowDigestNow)) {
        entry = lazyEntry(table.name, key, hit.hash, () => this.entryOf(info, values))
        hits.push({ entry, values })
      } else entry = this.entryOf(info, values)
      if (rowDigestNow !== null) (rows as Map<string, CachedRow>).set(key, { digest: rowDigestNow, hash: entry.hash })
      out.set(key, entry)
    }
    if (!this.cacheHolds(info, hits) || (whole && hits.length !== read.filter((r) => !r.blob).length)) {
      this.rowCache.drop(table.name)
      return this.readAll(info, schema, marker)
    }
    // The cache alone can stand for the table only when it holds every row, and each row's key
    // finds it again (a NULL, a text in an integer column, a number in a text one do not).
    const complete = rows.size === read.length && read.every((r) => findsItself(info, r.key, r.values[keyAt]))
    const kept = complete && marker?.settled && after?.settled && after.key === marker.key ? marker.key : null
    this.rowCache.replace(table.name, schema, { digest, rows, marker: kept })
    this.lastListing = whole ? 'digest' : 'read'
    await this.rowCache.save()
    return out
  }

  /** Re-hashes a few of a listing's cache hits in full: false when one differs (the cache is wrong). */
  private cacheHolds(info: TableInfo, hits: readonly { entry: RecordEntry; values: unknown[] }[]): boolean {
    for (let n = 0; n < Math.min(SPOT_CHECKS, hits.length); n++) {
      const hit = hits[Math.floor(Math.random() * hits.length)] as { entry: RecordEntry; values: unknown[] }
      if (this.entryOf(info, hit.values).hash !== hit.entry.hash) return false
    }
    return true
  }

  async write(table: TableSpec, writes: readonly RecordWrite[]): Promise<RecordResult[]> {
    const info = this.tableInfo(table)
    const t = quoteIdent(table.name)
    const k = quoteIdent(table.key)
    return this.batch(info, writes, (w) => {
      const values = checkWriteColumns(info, w.key, w.data, true)
      const keyBind = bindValue(values.get(table.key) ?? { type: 'null' })
      const currentHash = this.currentHash(info, keyBind)
      if (currentHash !== w.expectedHash) return staleResult(w.key, w.expectedHash, currentHash)
      const names = [...values.keys()]
      if (currentHash === null) {
        this.prepared(`INSERT INTO ${t} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`)
          .run(...names.map((n) => bindValue(values.get(n) ?? { type: 'null' })))
      } else {
        const set = names.filter((n) => n !== table.key)
        if (set.length > 0) {
          this.prepared(`UPDATE ${t} SET ${set.map((n) => `${quoteIdent(n)} = ?`).join(', ')} WHERE ${k} = ?`)
            .run(...set.map((n) => bindValue(values.get(n) ?? { type: 'null' })), keyBind)
        }
      }
      return { key: w.key, ok: true, hash: this.currentHash(info, keyBind) }
    })
  }

  async delete(table: TableSpec, deletes: readonly RecordDelete[]): Promise<RecordResult[]> {
    const info = this.tableInfo(table)
    return this.batch(info, deletes, (d) => {
      const kv = keyValue(info.key, d.key)
      const currentHash = this.currentHash(info, kv)
      if (currentHash !== d.expectedHash) return staleResult(d.key, d.expectedHash, currentHash)
      this.prepared(`DELETE FROM ${quoteIdent(table.name)} WHERE ${quoteIdent(table.key)} = ?`).run(kv)
      return { key: d.key, ok: true, hash: null }
    })
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }

  /** A table's definition (table-definitions.ts), or null when there is no such table. */
  async describeTable(name: string): Promise<TableDefinition | null> {
    checkIdentifier(name, 'table')
    const kind = this.db.prepare("SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')").get(name) as { type: string } | undefined
    if (!kind) return null
    const rows = this.db.pragma(`table_xinfo(${quoteIdent(name)})`) as { name: string; type: string; notnull: number; pk: number; hidden: number; dflt_value: string | null }[]
    const columns: ColumnDefinition[] = []
    const notes: string[] = []
    if (kind.type === 'view') notes.push(`"${name}" is a view: a table with its columns is created`)
    for (const r of rows) {
      if (r.hidden !== 0) {
        notes.push(`generated column "${r.name}" is not created (it is computed, not synced)`)
        continue
      }
      const mapped = sqliteTypeToPortable(r.type)
      columns.push({ name: r.name, declared: r.type, notNull: r.notnull !== 0, ...('type' in mapped ? { type: mapped.type } : { type: null, problem: mapped.problem }) })
      if (r.dflt_value !== null) notes.push(`the default of column "${r.name}" (${r.dflt_value}) is not copied`)
    }
    const primaryKey = rows
      .filter((r) => r.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((r) => r.name)
    const unique: string[] = []
    const indexes = this.db.pragma(`index_list(${quoteIdent(name)})`) as { name: string; unique: number; partial: number; origin: string }[]
    for (const ix of indexes) {
      if (ix.origin === 'pk') continue
      const cols = this.db.pragma(`index_info("${ix.name.replace(/"/g, '""')}")`) as { name: string | null }[]
      const col = cols[0]?.name
      if (ix.unique && !ix.partial && cols.length === 1 && col) {
        if (!unique.includes(col)) unique.push(col)
      } else notes.push(`index "${ix.name}" is not copied`)
    }
    if ((this.db.pragma(`foreign_key_list(${quoteIdent(name)})`) as unknown[]).length) notes.push('foreign keys are not copied')
    return { name, dialect: 'sqlite', columns, primaryKey, unique, notes }
  }

  /** Creates a table from a definition; one already there is left as it is (`created: false`). */
  async createTable(def: TableDefinition): Promise<CreateTableResult> {
    const statement = createTableStatement(def, 'sqlite')
    try {
      const made = this.db.transaction(() => {
        if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')").get(def.name)) return false
        this.db.exec(statement)
        return true
      })
      return { created: made.immediate(), statement }
    } catch (err) {
      if (/already exists/.test(describeError(err))) return { created: false, statement }
      throw new SyncDeskError('io', `${this.describe()}: cannot create table "${def.name}": ${describeError(err)}`)
    }
  }

  /** Runs one item function per item inside one IMMEDIATE transaction, each in a savepoint. */
  private batch<T extends { key: string }>(info: TableInfo, items: readonly T[], fn: (item: T) => RecordResult): RecordResult[] {
    const results: RecordResult[] = []
    const one = this.db.transaction((item: T) => fn(item))
    const all = this.db.transaction(() => {
      for (const item of items) {
        try {
          results.push(one(item))
        } catch (err) {
          results.push(failure(item.key, err))
        }
      }
    })
    try {
      all.immediate()
    } catch (err) {
      // The commit itself failed (disk full, locked past the timeout): nothing was stored.
      return items.map((item) => ({ key: item.key, ok: false, reason: 'failed', message: `${info.spec.name}: ${describeError(err)}` }))
    }
    return results
  }

  /** The hash of the row with this key now, or null when there is none. */
  private currentHash(info: TableInfo, keyBind: Bind): string | null {
    const row = this.rowValues(info, keyBind)
    if (!row) return null
    const { key, data } = this.valuesOf(info, row)
    return this.canonical(info, key, () => recordHash(data))
  }

  /** A row's raw values (with safe integers) by its key's bound value, or undefined when there is none. */
  private rowValues(info: TableInfo, keyBind: Bind): unknown[] | undefined {
    return rawRows(this.prepared(`${selectRows(info)} WHERE ${quoteIdent(info.spec.key)} = ?`)).get(keyBind) as unknown[] | undefined
  }

  /** A statement prepared once per store (SQLite re-prepares it itself when the schema changes). */
  private prepared(sql: string): Database.Statement {
    let stmt = this.statements.get(sql)
    if (!stmt) {
      stmt = this.db.prepare(sql)
      this.statements.set(sql, stmt)
    }
    return stmt
  }

  /** A row's entry from its raw values, in the order of `info.columns`. */
  private entryOf(info: TableInfo, values: readonly unknown[]): RecordEntry {
    const { key, data } = this.valuesOf(info, values)
    const { hash, data: canonical } = this.canonical(info, key, () => canonicalEntry(data))
    return { key, hash, data: canonical }
  }

  /** A row's key and its values in canonical types (not yet canonical JSON). */
  private valuesOf(info: TableInfo, values: readonly unknown[]): { key: string; data: Record<string, unknown> } {
    const cols = [...info.columns.values()]
    const key = keyOf(values[cols.indexOf(info.key)])
    const data: Record<string, unknown> = {}
    for (const [i, col] of cols.entries()) {
      try {
        data[col.name] = this.fromStored(col, values[i])
      } catch (err) {
        if (err instanceof UnsupportedValueError) throw unreadableValueError(this.describe(), info.spec.name, key, col.name, err.message)
        throw err
      }
    }
    return { key, data }
  }

  /** Runs a canonicalization, naming the record when it has no canonical form. */
  private canonical<T>(info: TableInfo, key: string, fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (err instanceof UnsupportedValueError) throw unreadableValueError(this.describe(), info.spec.name, key, '?', err.message)
      throw err
    }
  }

  /** A stored value in its canonical form (see the module comment). */
  private fromStored(col: ColumnInfo, v: unknown): unknown {
    if (v === null || v === undefined) return null
    if (Buffer.isBuffer(v)) {
      if (col.kind === 'json') return this.jsonFromBlob(v)
      throw new UnsupportedValueError('holds binary data, which is not synced')
    }
    const num = typeof v === 'bigint' ? canonicalInteger(v) : v
    switch (col.kind) {
      case 'boolean':
        if (v === 0n || v === 0) return false
        if (v === 1n || v === 1) return true
        return num
      case 'json':
        if (typeof v !== 'string') return num
        try {
          return JSON.parse(v) as unknown
        } catch {
          throw new UnsupportedValueError('holds text that is not JSON')
        }
      case 'timestamp':
        return typeof v === 'string' ? (canonicalTimestamp(v) ?? v) : num
      case 'date':
        return typeof v === 'string' ? (canonicalDate(v) ?? v) : num
      default:
        return num
    }
  }

  /** SQLite's own binary JSONB, read back as JSON. */
  private jsonFromBlob(blob: Buffer): unknown {
    try {
      const row = this.db.prepare('SELECT json(?) AS j').get(blob) as { j: string }
      return JSON.parse(row.j) as unknown
    } catch {
      throw new UnsupportedValueError('holds binary data that is not SQLite JSONB')
    }
  }

  private tableInfo(spec: TableSpec): TableInfo {
    checkTableSpec(spec)
    const db = this.describe()
    const rows = this.db.pragma(`table_xinfo(${quoteIdent(spec.name)})`) as { name: string; type: string; pk: number; hidden: number }[]
    if (rows.length === 0) throw missingTableError(db, spec.name)
    const columns = new Map<string, ColumnInfo>()
    for (const r of rows) {
      if (r.hidden !== 0) continue // generated (2, 3) or hidden virtual-table columns: computed, not synced
      const kind = sqliteKind(r.type)
      if (kind === 'binary') throw binaryColumnError(db, spec.name, r.name, r.type || 'BLOB')
      columns.set(r.name, { name: r.name, kind, declared: r.type || 'no declared type' })
    }
    const key = columns.get(spec.key)
    if (!key) throw badKeyError(db, spec, 'does not exist')
    const pks = rows.filter((r) => r.pk > 0)
    const isPk = pks.length === 1 && pks[0]?.name === spec.key
    if (!isPk && !this.hasUniqueIndexOn(spec)) throw badKeyError(db, spec, 'is not its primary key nor a unique column')
    return { spec, columns, key }
  }

  private hasUniqueIndexOn(spec: TableSpec): boolean {
    const indexes = this.db.pragma(`index_list(${quoteIdent(spec.name)})`) as { name: string; unique: number; partial: number }[]
    return indexes.some((ix) => {
      if (!ix.unique || ix.partial) return false
      const cols = this.db.pragma(`index_info("${ix.name.replace(/"/g, '""')}")`) as { name: string | null }[]
      return cols.length === 1 && cols[0]?.name === spec.key
    })
  }
}

/**
 * The kind of a SQLite column from its declared type.
 *
 * The special names (BOOL, JSON, TIMESTAMP, DATE, BLOB) come first; the rest follows
 * SQLite's own affinity rules.
 */
export function sqliteKind(declared: string): ColumnKind | 'binary' {
  const t = declared.toUpperCase().trim()
  if (t === '') return 'any'
  if (/BLOB|BYTEA|BINARY/.test(t)) return 'binary'
  if (/^BOOL/.test(t)) return 'boolean'
  if (/^JSON/.test(t)) return 'json'
  if (/^(TIMESTAMP|DATETIME)/.test(t)) return 'timestamp'
  if (t === 'DATE') return 'date'
  if (t.includes('INT')) return 'integer'
  if (/CHAR|CLOB|TEXT|UUID|TIME/.test(t)) return 'text'
  return 'number'
}

/** `SELECT` of every column of a table, in the order of `info.columns` (the order of a raw row's values). */
function selectRows(info: TableInfo): string {
  return `SELECT ${[...info.columns.values()].map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteIdent(info.spec.name)}`
}

/** A statement set to hand out rows as arrays of raw values, integers as bigint (as rowText and valuesOf read them). */
function rawRows(stmt: Database.Statement): Database.Statement {
  stmt.safeIntegers(true)
  stmt.raw(true)
  return stmt
}

/** Whether a key's text, bound as a lookup does, is the stored key value itself. */
function findsItself(info: TableInfo, key: string, raw: unknown): boolean {
  try {
    return keyValue(info.key, key) === raw
  } catch {
    return false
  }
}

/** A row's key in its text form, from its raw stored value. */
function keyOf(raw: unknown): string {
  return keyText(typeof raw === 'bigint' ? canonicalInteger(raw) : raw)
}

/** What a row cache entry is valid for: the table's columns, their kinds and declared types, its key. */
function schemaOf(info: TableInfo): string {
  return JSON.stringify([info.spec.key, [...info.columns.values()].map((c) => [c.name, c.kind, c.declared])])
}

function bindValue(v: CheckedValue): Bind {
  switch (v.type) {
    case 'null':
      return null
    case 'integer':
      return v.value
    case 'number':
      return v.value
    case 'boolean':
      return v.value ? 1n : 0n
    case 'json':
      return v.text
    case 'text':
      return v.value
  }
}

function failure(key: string, err: unknown): RecordResult {
  if (err instanceof RecordRefused) return { key, ok: false, reason: 'refused', message: err.message }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG')) {
    return { key, ok: false, reason: 'refused', message: describeError(err) }
  }
  return { key, ok: false, reason: 'failed', message: err instanceof SyncDeskError ? err.message : describeError(err) }
}
