/**
 * Records in a PostgreSQL database (pg): the environment server's production database,
 * which several servers may share.
 *
 * Every value comes back from the server as text (a per-pool type parser that returns the
 * text unchanged; pg's global parsers are left alone) and is turned into its canonical form
 * here, by the column's type, so PostgreSQL and SQLite agree byte for byte. Sessions run
 * with TimeZone=UTC, DateStyle=ISO and extra_float_digits=1 (shortest round-trip floats).
 *
 * Writes: one transaction per batch. The batch's existing records are locked with one
 * `SELECT … FOR UPDATE` before their hashes are checked, so of two writers holding the same
 * expected hash, the second waits, sees the first one's row and gets `stale`; then one
 * multi-row `UPDATE … FROM unnest(…)` writes those whose hash is the expected one, and one
 * `INSERT … ON CONFLICT DO NOTHING` the records that must not exist (if another writer created
 * one in the meantime, no row is inserted and the result is `stale`). When any of these
 * statements fails (a row the database refuses), or the key's type makes rows hard to tell
 * apart by their key's text, the batch is redone row by row, one savepoint per record, so
 * one refused record does not fail the others.
 *
 * Types (domains resolve to their base type):
 * text, varchar, char, name, uuid, citext, enums → text; smallint, integer, bigint →
 * integer (beyond ±2^53 − 1 a decimal string); real, double precision → number; numeric →
 * number when a double holds it exactly, else its decimal text; boolean → boolean;
 * json, jsonb → json; timestamp, timestamptz → timestamp; date → date.
 * bytea → refused (binary); arrays and every other type → refused as not synced.
 */
import pg from 'pg'
import { SyncDeskError, describeError } from '../errors.js'
import { UnsupportedValueError, canonicalDate, canonicalInteger, canonicalEntry, canonicalTimestamp, numberFromDecimal, recordHash } from './canonical.js'
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
  unsupportedColumnError,
  type CheckedValue,
  type ColumnInfo,
  type ColumnKind,
  type TableInfo,
} from './columns.js'
import type { RecordDelete, RecordEntry, RecordResult, RecordStore, RecordWrite, TableSpec } from './record-store.js'
import { createTableStatement, postgresTypeToPortable, type ColumnDefinition, type CreateTableResult, type TableDefinition, type TableDefinitions } from './table-definitions.js'

type Row = Record<string, string | null>

/** Most rows one batched statement carries; a larger batch is split into several statements. */
export const MAX_ROWS_PER_STATEMENT = 1000

/** A table as the batched statements need it. */
interface PgTableInfo extends TableInfo {
  /**
   * Per column, the type its text values are cast to in a batched statement: the base type
   * without its modifier, so the column's own modifier (a varchar's length) is applied on
   * assignment and refuses what it refuses for a single-row write, rather than truncating.
   */
  casts: Map<string, string>
  /**
   * Whether a key's text is the only text that finds its row (integer keys, text and varchar
   * keys of a deterministic collation): batched writes match the rows they read and write back
   * to the records by that text. Other keys (uuid, citext, char, dates…) are written row by row.
   */
  exactKey: boolean
}

/** How long rows kept between listings are trusted at most before a listing reads them all again. */
export const ROW_CACHE_MAX_AGE_MS = 5 * 60_000

/** A row kept between listings: the version it was read at (`xmin/ctid`) and its entry (frozen). */
interface CachedRow {
  version: string
  entry: RecordEntry
}

/** The rows kept for one table, and what must not have changed for them to be used. */
interface RowCache {
  /** The table's identity and storage, the server's start time and the synced columns with their types. */
  signature: string
  /** When every row was last read (ms). */
  filledAt: number
  /** The next transaction id (64-bit) when every row was last read. */
  xmax: bigint
  rows: Map<string, CachedRow>
  /** The digest of every row version of the table (`versionsDigest`) when these rows were read. */
  versions: string
}

/** Freezes a kept entry so that no caller can change what later listings hand out. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** Thrown inside a batched statement's handling when its answer is not what it must be: the batch is redone row by row. */
class NotBatchable extends Error {}

/** Every type's value is handed over as the server's text; conversion happens per column. */
const textOnly = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig

/** Session settings that make the server's text forms predictable. */
const SESSION_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,YMD -c extra_float_digits=1'

/**
 * Opens a PostgreSQL database as a record store; checks that it can connect.
 */
export async function openPostgresStore(url: string, opts: { maxConnections?: number } = {}): Promise<PostgresRecordStore> {
  const pool = new pg.Pool({ connectionString: url, types: textOnly, options: SESSION_OPTIONS, max: opts.maxConnections ?? 4 })
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => {})
  const store = new PostgresRecordStore(pool, redactUrl(url))
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => {})
    throw new SyncDeskError('io', `cannot connect to ${store.describe()}: ${describeError(err)}`)
  }
  return store
}

/** The PostgreSQL record store; see the module comment. */
export class PostgresRecordStore implements RecordStore, TableDefinitions {
  readonly dialect = 'postgres' as const

  /** Rows as last listed, per table and key column, with the version each was read at (see list). */
  private readonly rowCache = new Map<string, RowCache>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
  ) {}

  describe(): string {
    return `PostgreSQL ${this.where}`
  }

  /**
   * Every record, in key order, read in one REPEATABLE READ snapshot.
   *
   * Rows are kept between listings with the version they were read at (PostgreSQL's `xmin`, the
   * transaction that wrote that row version, and its `ctid`): a listing reads every row's key
   * and version, and reads and hashes again only the rows whose version is not the one kept;
   * first, one digest of all the row versions, computed by PostgreSQL, says whether any changed
   * at all (a no-change listing then reads no row).
   * In doubt everything is read again: the table's columns or storage changed, the server
   * restarted, the kept rows are older than ROW_CACHE_MAX_AGE_MS, transaction ids moved on by
   * 2^31 (so a 32-bit xmin cannot come round again), or more than a quarter of the rows changed.
   */
  async list(table: TableSpec): Promise<Map<string, RecordEntry>> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      try {
        const info = await this.tableInfo(client, table)
        const out = await this.listIn(client, info)
        await client.query('COMMIT')
        return out
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      }
    } finally {
      client.release()
    }
  }

  private async listIn(client: pg.PoolClient, info: PgTableInfo): Promise<Map<string, RecordEntry>> {
    const t = quoteIdent(info.spec.name)
    const k = quoteIdent(info.spec.key)
    const state = await client.query<{ storage: string; xmax: string }>(
      `SELECT c.oid::text || '/' || c.relfilenode::text || '/' || pg_postmaster_start_time()::text AS storage, txid_snapshot_xmax(txid_current_snapshot())::text AS xmax
         FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [t],
    )
    const now = Date.now()
    const xmax = BigInt(state.rows[0]?.xmax ?? '0')
    const signature = `${state.rows[0]?.storage ?? ''}\u0000${[...info.columns.values()].map((c) => `${c.name}:${c.kind}:${c.declared}:${info.casts.get(c.name) ?? ''}`).join('\u0000')}`
    const cacheKey = `${info.spec.name}\u0000${info.spec.key}`
    const kept = this.rowCache.get(cacheKey)
    const usable = kept && kept.signature === signature && now - kept.filledAt < ROW_CACHE_MAX_AGE_MS && xmax >= kept.xmax && xmax - kept.xmax < 2n ** 31n
    // Every row version of the table in one text, digested by PostgreSQL: equal means the same
    // row versions, hence the same rows. ORDER BY ctid: a plain scan may start mid-table.
    const digest = await client.query<{ d: string }>(`SELECT count(*)::text || '/' || coalesce(md5(string_agg(xmin::text || '/' || ctid::text, ',' ORDER BY ctid)), '') AS d FROM ${t}`)
    const versions = digest.rows[0]?.d ?? ''
    const full = async (): Promise<Map<string, RecordEntry>> => {
      const res = await client.query<Row>(`SELECT xmin::text AS "$xmin", ctid::text AS "$ctid", ${selectList(info)} FROM ${t} ORDER BY ${k}`)
      const out = new Map<string, RecordEntry>()
      const rows = new Map<string, CachedRow>()
      for (const row of res.rows) {
        const entry = this.entryOf(info, row)
        out.set(entry.key, entry)
        rows.set(entry.key, { version: `${row.$xmin}/${row.$ctid}`, entry: deepFreeze(entry) })
      }
      this.rowCache.set(cacheKey, { signature, filledAt: now, xmax, rows, versions })
      return out
    }
    if (!kept || !usable) return full()
    if (kept.versions === versions) {
      const out = new Map<string, RecordEntry>()
      for (const [key, row] of kept.rows) out.set(key, row.entry)
      return out
    }
    const marks = await client.query<{ v: string; c: string; k: string | null }>(`SELECT xmin::text || '/' || ctid::text AS v, ctid::text AS c, ${k} AS k FROM ${t} ORDER BY ${k}`)
    const order: { key: string; version: string }[] = []
    const changed: string[] = []
    for (const m of marks.rows) {
      const key = keyText(m.k === null ? null : fromText(info.key, m.k))
      order.push({ key, version: m.v })
      if (kept.rows.get(key)?.version !== m.v) changed.push(m.c)
    }
    if (changed.length * 4 > order.length) return full()
    const fresh = new Map<string, CachedRow>()
    if (changed.length > 0) {
      const res = await client.query<Row>(`SELECT xmin::text AS "$xmin", ctid::text AS "$ctid", ${selectList(info)} FROM ${t} WHERE ctid = ANY($1::tid[])`, [changed])
      for (const row of res.rows) {
        const entry = this.entryOf(info, row)
        fresh.set(entry.key, { version: `${row.$xmin}/${row.$ctid}`, entry: deepFreeze(entry) })
      }
    }
    const out = new Map<string, RecordEntry>()
    const rows = new Map<string, CachedRow>()
    for (const o of order) {
      const row = fresh.get(o.key) ?? kept.rows.get(o.key)
      // The same snapshot answered both reads, so this cannot happen; if it does, read it all.
      if (!row || row.version !== o.version || out.has(o.key)) return full()
      out.set(o.key, row.entry)
      rows.set(o.key, row)
    }
    this.rowCache.set(cacheKey, { signature, filledAt: kept.filledAt, xmax: kept.xmax, rows, versions })
    return out
  }

  async write(table: TableSpec, writes: readonly RecordWrite[]): Promise<RecordResult[]> {
    const t = quoteIdent(table.name)
    const k = quoteIdent(table.key)
    return this.batch(table, writes, async (client, info, w) => {
      const values = checkWriteColumns(info, w.key, w.data)
      const keyParam = param(values.get(table.key) ?? { type: 'null' })
      const currentHash = await this.currentHash(client, info, keyParam, true)
      if (currentHash !== w.expectedHash) return staleResult(w.key, w.expectedHash, currentHash)
      const names = [...values.keys()]
      // RETURNING reads the stored row back (defaults and conversions included) in the same round trip.
      const returning = `RETURNING ${selectList(info)}`
      if (currentHash === null) {
        const res = await client.query<Row>(
          `INSERT INTO ${t} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (${k}) DO NOTHING ${returning}`,
          names.map((n) => param(values.get(n) ?? { type: 'null' })),
        )
        // Another writer created the record after our check: theirs stands, ours is stale.
        const row = res.rows[0]
        if (res.rowCount === 0 || !row) return staleResult(w.key, null, 'created')
        return { key: w.key, ok: true, hash: this.hashOf(info, row).hash }
      }
      const set = names.filter((n) => n !== table.key)
      if (set.length === 0) return { key: w.key, ok: true, hash: currentHash }
      const res = await client.query<Row>(
        `UPDATE ${t} SET ${set.map((n, i) => `${quoteIdent(n)} = $${i + 1}`).join(', ')} WHERE ${k} = $${set.length + 1} ${returning}`,
        [...set.map((n) => param(values.get(n) ?? { type: 'null' })), keyParam],
      )
      const row = res.rows[0]
      return { key: w.key, ok: true, hash: row ? this.hashOf(info, row).hash : await this.currentHash(client, info, keyParam, false) }
    }, (client, info) => this.writeMany(client, info, writes))
  }

  async delete(table: TableSpec, deletes: readonly RecordDelete[]): Promise<RecordResult[]> {
    return this.batch(table, deletes, async (client, info, d) => {
      const kv = keyValue(info.key, d.key)
      const keyParam = typeof kv === 'bigint' ? kv.toString() : kv
      const currentHash = await this.currentHash(client, info, keyParam, true)
      if (currentHash !== d.expectedHash) return staleResult(d.key, d.expectedHash, currentHash)
      await client.query(`DELETE FROM ${quoteIdent(table.name)} WHERE ${quoteIdent(table.key)} = $1`, [keyParam])
      return { key: d.key, ok: true, hash: null }
    }, (client, info) => this.deleteMany(client, info, deletes))
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  /** A table's definition (table-definitions.ts), or null when there is no such table. */
  async describeTable(name: string): Promise<TableDefinition | null> {
    checkIdentifier(name, 'table')
    const rel = await this.pool.query<{ oid: string | null; relkind: string | null }>(
      'SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = to_regclass($1)',
      [quoteIdent(name)],
    )
    const found = rel.rows[0]
    if (!found?.oid) return null
    const oid = found.oid
    const cols = await this.pool.query<{ name: string; typname: string; typtype: string; typcategory: string; formatted: string; notnull: string; generated: string; identity: string; dflt: string | null }>(
      `SELECT a.attname AS name, coalesce(bt.typname, t.typname) AS typname, coalesce(bt.typtype, t.typtype) AS typtype,
              coalesce(bt.typcategory, t.typcategory) AS typcategory,
              CASE WHEN bt.oid IS NULL THEN format_type(a.atttypid, a.atttypmod) ELSE format_type(bt.oid, t.typtypmod) END AS formatted,
              (a.attnotnull OR t.typnotnull) AS notnull, a.attgenerated AS generated, a.attidentity AS identity,
              pg_get_expr(d.adbin, d.adrelid) AS dflt
         FROM pg_attribute a
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    )
    const columns: ColumnDefinition[] = []
    const notes: string[] = []
    if (found.relkind !== 'r' && found.relkind !== 'p') notes.push(`"${name}" is not a plain table: a table with its columns is created`)
    for (const r of cols.rows) {
      if (r.generated !== '') {
        notes.push(`generated column "${r.name}" is not created (it is computed, not synced)`)
        continue
      }
      const mapped = postgresTypeToPortable(r.typname, r.typtype, r.typcategory, r.formatted)
      columns.push({ name: r.name, declared: r.formatted, notNull: r.notnull === 't' || r.notnull === 'true', ...('type' in mapped ? { type: mapped.type } : { type: null, problem: mapped.problem }) })
      if (r.identity !== '') notes.push(`column "${r.name}" is an identity column here; the copy is not`)
      else if (r.dflt !== null) notes.push(`the default of column "${r.name}" (${r.dflt}) is not copied`)
      if (r.typtype === 'e') notes.push(`column "${r.name}" is an enum here; the copy is text`)
    }
    const keys = await this.pool.query<{ primary: string; plain: string; cols: string | null; name: string }>(
      `SELECT i.indisprimary AS primary, ic.relname AS name,
              (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = 1) AS plain,
              (SELECT json_agg(a.attname ORDER BY k.ord)
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE k.ord <= i.indnkeyatts)::text AS cols
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = $1
        ORDER BY i.indisprimary DESC, ic.relname`,
      [oid],
    )
    let primaryKey: string[] = []
    const unique: string[] = []
    for (const k of keys.rows) {
      const names = (JSON.parse(k.cols ?? 'null') as (string | null)[] | null) ?? []
      if (k.primary === 't' && names.every((n) => n !== null)) primaryKey = names as string[]
      else if (k.plain === 't' && names[0]) {
        if (!unique.includes(names[0])) unique.push(names[0])
      } else notes.push(`index "${k.name}" is not copied`)
    }
    const fks = await this.pool.query("SELECT 1 FROM pg_constraint WHERE conrelid = $1 AND contype IN ('f', 'c')", [oid])
    if ((fks.rowCount ?? 0) > 0) notes.push('foreign keys and CHECK constraints are not copied')
    return { name, dialect: 'postgres', columns, primaryKey, unique, notes }
  }

  /** Creates a table from a definition; one already there is left as it is (`created: false`). */
  async createTable(def: TableDefinition): Promise<CreateTableResult> {
    const statement = createTableStatement(def, 'postgres')
    try {
      await this.pool.query(statement)
      return { created: true, statement }
    } catch (err) {
      const code = (err as { code?: unknown }).code
      // 42P07: the table exists; 23505 on pg_type: another session created it at the same moment.
      if (code === '42P07' || code === '23505') return { created: false, statement }
      throw new SyncDeskError('io', `${this.describe()}: cannot create table "${def.name}": ${describeError(err)}`)
    }
  }

  /**
   * One transaction for the batch. First `many` (a few statements for the whole batch, inside a
   * savepoint); when it declines (null) or any of its statements fails, its savepoint is rolled
   * back and the batch is done row by row, one savepoint per item, so a row the database refuses
   * is refused alone. A failed commit fails every item.
   */
  private async batch<T extends { key: string }>(
    table: TableSpec,
    items: readonly T[],
    fn: (client: pg.PoolClient, info: PgTableInfo, item: T) => Promise<RecordResult>,
    many?: (client: pg.PoolClient, info: PgTableInfo) => Promise<RecordResult[] | null>,
  ): Promise<RecordResult[]> {
    const client = await this.pool.connect()
    let broken: unknown = undefined
    try {
      const info = await this.tableInfo(client, table)
      if (items.length === 0) return []
      await client.query('BEGIN')
      if (many && items.length > 1) {
        await client.query('SAVEPOINT batch')
        let done: RecordResult[] | null = null
        try {
          done = await many(client, info)
        } catch {
          done = null
        }
        if (done) {
          await client.query('RELEASE SAVEPOINT batch')
          await client.query('COMMIT')
          return done
        }
        await client.query('ROLLBACK TO SAVEPOINT batch')
      }
      const results: RecordResult[] = []
      for (const item of items) {
        await client.query('SAVEPOINT record')
        try {
          results.push(await fn(client, info, item))
          await client.query('RELEASE SAVEPOINT record')
        } catch (err) {
          results.push(failure(item.key, err))
          await client.query('ROLLBACK TO SAVEPOINT record')
        }
      }
      await client.query('COMMIT')
      return results
    } catch (err) {
      broken = err
      await client.query('ROLLBACK').catch(() => {})
      if (err instanceof SyncDeskError) throw err
      // The transaction did not commit: nothing of this batch was stored.
      return items.map((item) => ({ key: item.key, ok: false, reason: 'failed', message: `${table.name}: ${describeError(err)}` }))
    } finally {
      // A client whose connection broke is thrown away rather than reused.
      client.release(broken instanceof Error && !(broken instanceof SyncDeskError) ? broken : undefined)
    }
  }

  /**
   * The batched writes: the rows of the batch are locked and read in one statement, their hashes
   * checked here (a row that moved on is `stale` and left alone, as row by row), then one
   * INSERT … ON CONFLICT DO NOTHING per set of columns for the records that must not exist and
   * one UPDATE … FROM unnest(…) for those that must, at most MAX_ROWS_PER_STATEMENT rows each.
   * RETURNING reads every written row back (its hash) and tells which creates lost to another
   * writer (no row returned: `stale`). Null: this batch is written row by row instead.
   */
  private async writeMany(client: pg.PoolClient, info: PgTableInfo, writes: readonly RecordWrite[]): Promise<RecordResult[] | null> {
    if (!info.exactKey) return null
    const results: (RecordResult | undefined)[] = new Array<RecordResult | undefined>(writes.length)
    const checked: { i: number; w: RecordWrite; values: Map<string, CheckedValue> }[] = []
    const keys = new Set<string>()
    for (const [i, w] of writes.entries()) {
      if (keys.has(w.key)) return null
      keys.add(w.key)
      try {
        checked.push({ i, w, values: checkWriteColumns(info, w.key, w.data) })
      } catch (err) {
        results[i] = failure(w.key, err)
      }
    }
    const current = await this.lockRows(client, info, checked.map((c) => c.w.key))
    // Rows to write, grouped by statement: `i` (insert) or `u` (update) and the column names.
    const groups = new Map<string, { insert: boolean; names: string[]; rows: typeof checked }>()
    for (const c of checked) {
      const currentHash = current.get(c.w.key)?.hash ?? null
      if (currentHash !== c.w.expectedHash) {
        results[c.i] = staleResult(c.w.key, c.w.expectedHash, currentHash)
        continue
      }
      const insert = currentHash === null
      const names = insert ? [...c.values.keys()] : [...c.values.keys()].filter((n) => n !== info.spec.key)
      if (names.length === 0) {
        results[c.i] = { key: c.w.key, ok: true, hash: currentHash }
        continue
      }
      const sig = `${insert ? 'i' : 'u'}\u0000${names.join('\u0000')}`
      let g = groups.get(sig)
      if (!g) groups.set(sig, (g = { insert, names, rows: [] }))
      g.rows.push(c)
    }
    const t = quoteIdent(info.spec.name)
    const k = quoteIdent(info.spec.key)
    const keyCast = this.castOf(info, info.spec.key)
    for (const g of groups.values()) {
      for (let start = 0; start < g.rows.length; start += MAX_ROWS_PER_STATEMENT) {
        const rows = g.rows.slice(start, start + MAX_ROWS_PER_STATEMENT)
        const byKey = new Map(rows.map((c) => [c.w.key, c]))
        let sql: string
        let params: (string | null)[][]
        if (g.insert) {
          const u = g.names.map((n, j) => `u.v${j}::${this.castOf(info, n)}`).join(', ')
          sql = `INSERT INTO ${t} (${g.names.map(quoteIdent).join(', ')}) SELECT ${u} FROM unnest(${g.names.map((_, j) => `$${j + 1}::text[]`).join(', ')}) AS u(${g.names.map((_, j) => `v${j}`).join(', ')}) ON CONFLICT (${k}) DO NOTHING RETURNING ${selectList(info)}`
          params = g.names.map((n) => rows.map((c) => param(c.values.get(n) ?? { type: 'null' })))
        } else {
          const set = g.names.map((n, j) => `${quoteIdent(n)} = u.v${j + 1}::${this.castOf(info, n)}`).join(', ')
          const cols = ['v0', ...g.names.map((_, j) => `v${j + 1}`)].join(', ')
          sql = `UPDATE ${t} AS x SET ${set} FROM unnest(${[info.spec.key, ...g.names].map((_, j) => `$${j + 1}::text[]`).join(', ')}) AS u(${cols}) WHERE x.${k} = u.v0::${keyCast} RETURNING ${selectList(info, 'x')}`
          params = [rows.map((c) => c.w.key), ...g.names.map((n) => rows.map((c) => param(c.values.get(n) ?? { type: 'null' })))]
        }
        const res = await client.query<Row>(sql, params)
        const written = new Set<string>()
        for (const row of res.rows) {
          const entry = this.hashOf(info, row)
          const c = byKey.get(entry.key)
          if (!c || written.has(entry.key)) throw new NotBatchable(`unexpected row ${entry.key}`)
          written.add(entry.key)
          results[c.i] = { key: c.w.key, ok: true, hash: entry.hash }
        }
        for (const c of rows) {
          if (written.has(c.w.key)) continue
          // An update finds every row (they are locked); a create that finds one lost to another writer.
          if (!g.insert) throw new NotBatchable(`row ${c.w.key} not updated`)
          results[c.i] = staleResult(c.w.key, null, 'created')
        }
      }
    }
    return results.map((r, i) => r ?? { key: (writes[i] as RecordWrite).key, ok: false, reason: 'failed', message: 'no outcome' })
  }

  /**
   * The batched deletes: the rows are locked and read in one statement, their hashes checked
   * here, then one DELETE … WHERE key = ANY(…) per MAX_ROWS_PER_STATEMENT rows whose hash is the
   * expected one. Null: this batch is deleted row by row instead.
   */
  private async deleteMany(client: pg.PoolClient, info: PgTableInfo, deletes: readonly RecordDelete[]): Promise<RecordResult[] | null> {
    if (!info.exactKey) return null
    const results: (RecordResult | undefined)[] = new Array<RecordResult | undefined>(deletes.length)
    const checked: { i: number; d: RecordDelete }[] = []
    const keys = new Set<string>()
    for (const [i, d] of deletes.entries()) {
      if (keys.has(d.key)) return null
      keys.add(d.key)
      try {
        keyValue(info.key, d.key)
        checked.push({ i, d })
      } catch (err) {
        results[i] = failure(d.key, err)
      }
    }
    const current = await this.lockRows(client, info, checked.map((c) => c.d.key))
    const doomed: string[] = []
    for (const c of checked) {
      const currentHash = current.get(c.d.key)?.hash ?? null
      if (currentHash !== c.d.expectedHash) results[c.i] = staleResult(c.d.key, c.d.expectedHash, currentHash)
      else {
        doomed.push(c.d.key)
        results[c.i] = { key: c.d.key, ok: true, hash: null }
      }
    }
    for (let start = 0; start < doomed.length; start += MAX_ROWS_PER_STATEMENT) {
      const part = doomed.slice(start, start + MAX_ROWS_PER_STATEMENT)
      const res = await client.query(`DELETE FROM ${quoteIdent(info.spec.name)} WHERE ${quoteIdent(info.spec.key)} = ANY($1::${this.castOf(info, info.spec.key)}[])`, [part])
      if (res.rowCount !== part.length) throw new NotBatchable(`${res.rowCount ?? 0} of ${part.length} rows deleted`)
    }
    return results.map((r, i) => r ?? { key: (deletes[i] as RecordDelete).key, ok: false, reason: 'failed', message: 'no outcome' })
  }

  /** The rows of these keys, locked (FOR UPDATE) and read in one statement per MAX_ROWS_PER_STATEMENT keys. */
  private async lockRows(client: pg.PoolClient, info: PgTableInfo, keys: readonly string[]): Promise<Map<string, { key: string; hash: string }>> {
    const out = new Map<string, { key: string; hash: string }>()
    const keyCast = this.castOf(info, info.spec.key)
    for (let start = 0; start < keys.length; start += MAX_ROWS_PER_STATEMENT) {
      const part = keys.slice(start, start + MAX_ROWS_PER_STATEMENT)
      const res = await client.query<Row>(
        `SELECT ${selectList(info)} FROM ${quoteIdent(info.spec.name)} WHERE ${quoteIdent(info.spec.key)} = ANY($1::${keyCast}[]) FOR UPDATE`,
        [part],
      )
      for (const row of res.rows) {
        const entry = this.hashOf(info, row)
        out.set(entry.key, entry)
      }
    }
    return out
  }

  /** The type a column's text values are cast to in a batched statement. */
  private castOf(info: PgTableInfo, column: string): string {
    const cast = info.casts.get(column)
    if (!cast) throw new NotBatchable(`no type for column ${column}`)
    return cast
  }

  private async currentHash(client: pg.PoolClient, info: TableInfo, keyParam: string | null, lock: boolean): Promise<string | null> {
    const res = await client.query<Row>(
      `SELECT ${selectList(info)} FROM ${quoteIdent(info.spec.name)} WHERE ${quoteIdent(info.spec.key)} = $1${lock ? ' FOR UPDATE' : ''}`,
      [keyParam],
    )
    const row = res.rows[0]
    return row ? this.hashOf(info, row).hash : null
  }

  private entryOf(info: TableInfo, row: Row): RecordEntry {
    const { key, data } = this.valuesOf(info, row)
    const { hash, data: canonical } = canonicalEntry(data)
    return { key, hash, data: canonical }
  }

  /** A row's key and hash only: what a write checks and reads back (no data to hand out). */
  private hashOf(info: TableInfo, row: Row): { key: string; hash: string } {
    const { key, data } = this.valuesOf(info, row)
    return { key, hash: recordHash(data) }
  }

  /** A row's key and its values in canonical types (not yet canonical JSON). */
  private valuesOf(info: TableInfo, row: Row): { key: string; data: Record<string, unknown> } {
    const rawKey = row[info.key.name] ?? null
    const keyData = rawKey === null ? null : fromText(info.key, rawKey)
    const key = keyText(keyData)
    const data: Record<string, unknown> = {}
    for (const col of info.columns.values()) {
      const v = row[col.name] ?? null
      try {
        data[col.name] = v === null ? null : fromText(col, v)
      } catch (err) {
        if (err instanceof UnsupportedValueError) throw unreadableValueError(this.describe(), info.spec.name, key, col.name, err.message)
        throw err
      }
    }
    return { key, data }
  }


  private async tableInfo(client: pg.PoolClient, spec: TableSpec): Promise<PgTableInfo> {
    checkTableSpec(spec)
    const db = this.describe()
    const rel = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoteIdent(spec.name)])
    const oid = rel.rows[0]?.oid ?? null
    if (oid === null) throw missingTableError(db, spec.name)
    const res = await client.query<{ name: string; typname: string; basetype: string | null; typtype: string; typcategory: string; generated: string; declared: string; attnum: string; casttype: string; deterministic: string }>(
      `SELECT a.attname AS name, t.typname, bt.typname AS basetype, t.typtype, coalesce(bt.typcategory, t.typcategory) AS typcategory,
              a.attgenerated AS generated, format_type(a.atttypid, a.atttypmod) AS declared, a.attnum,
              format_type(coalesce(bt.oid, t.oid), NULL) AS casttype, coalesce(co.collisdeterministic, true) AS deterministic
         FROM pg_attribute a
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    )
    const columns = new Map<string, ColumnInfo>()
    const casts = new Map<string, string>()
    let keyAttnum: string | null = null
    let exactKey = false
    for (const r of res.rows) {
      if (r.generated !== '') continue // generated columns are computed, not synced
      const kind = pgKind(r.basetype ?? r.typname, r.typtype, r.typcategory)
      if (kind === 'binary') throw binaryColumnError(db, spec.name, r.name, r.declared)
      if (kind === 'unsupported') throw unsupportedColumnError(db, spec.name, r.name, r.declared)
      columns.set(r.name, { name: r.name, kind, declared: r.declared })
      casts.set(r.name, r.casttype)
      if (r.name === spec.key) {
        keyAttnum = r.attnum
        const base = r.basetype ?? r.typname
        const deterministic = r.deterministic === 't' || r.deterministic === 'true'
        exactKey = kind === 'integer' || ((base === 'text' || base === 'varchar') && deterministic)
      }
    }
    const key = columns.get(spec.key)
    if (!key || keyAttnum === null) throw badKeyError(db, spec, 'does not exist')
    const unique = await client.query(
      `SELECT 1 FROM pg_index i
        WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = $2`,
      [oid, keyAttnum],
    )
    if (unique.rowCount === 0) throw badKeyError(db, spec, 'is not its primary key nor a unique column')
    return { spec, columns, key, casts, exactKey }
  }
}

/** The kind of a PostgreSQL type (by its name, or its domain's base type name). */
export function pgKind(typname: string, typtype: string, typcategory: string): ColumnKind | 'binary' | 'unsupported' {
  if (typcategory === 'A') return 'unsupported'
  if (typtype === 'e') return 'text'
  switch (typname) {
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'uuid':
    case 'citext':
      return 'text'
    case 'int2':
    case 'int4':
    case 'int8':
      return 'integer'
    case 'float4':
    case 'float8':
    case 'numeric':
      return 'number'
    case 'bool':
      return 'boolean'
    case 'json':
    case 'jsonb':
      return 'json'
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp'
    case 'date':
      return 'date'
    case 'bytea':
      return 'binary'
    default:
      return 'unsupported'
  }
}

/** A value's server text in canonical form, by column kind. */
function fromText(col: ColumnInfo, v: string): unknown {
  switch (col.kind) {
    case 'integer':
      return canonicalInteger(BigInt(v))
    case 'number': {
      // NaN and ±Infinity have no JSON form, and a numeric a double cannot hold is kept as text.
      const n = numberFromDecimal(v)
      return n ?? v
    }
    case 'boolean':
      return v === 't' || v === 'true'
    case 'json':
      try {
        return JSON.parse(v) as unknown
      } catch {
        throw new UnsupportedValueError('holds text that is not JSON')
      }
    case 'timestamp':
      return canonicalTimestamp(v) ?? v
    case 'date':
      return canonicalDate(v) ?? v
    default:
      return v
  }
}

/** A checked value as a query parameter: always text (or null), so pg never guesses. */
function param(v: CheckedValue): string | null {
  switch (v.type) {
    case 'null':
      return null
    case 'integer':
      return v.value.toString()
    case 'number':
      return String(v.value)
    case 'boolean':
      return v.value ? 'true' : 'false'
    case 'json':
      return v.text
    case 'text':
      return v.value
  }
}

function selectList(info: TableInfo, alias?: string): string {
  return [...info.columns.values()].map((c) => `${alias ? `${alias}.` : ''}${quoteIdent(c.name)}`).join(', ')
}

/** Data errors (class 22) and constraint violations (class 23) refuse the record; the rest fail it. */
function failure(key: string, err: unknown): RecordResult {
  if (err instanceof RecordRefused) return { key, ok: false, reason: 'refused', message: err.message }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'))) {
    return { key, ok: false, reason: 'refused', message: describeError(err) }
  }
  return { key, ok: false, reason: 'failed', message: describeError(err) }
}

/** A connection URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    u.searchParams.delete('password')
    return u.toString()
  } catch {
    return 'database (unparsable URL)'
  }
}
