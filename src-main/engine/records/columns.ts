/**
 * What both record stores share: column kinds, identifier checks, value checks, messages.
 *
 * Each store maps its database's column types to one of a few kinds; a kind decides the
 * canonical form of a value read from that column and which values may be written to it.
 * Keeping that here makes SQLite and PostgreSQL agree byte for byte on canonical forms.
 */
import { SyncDeskError } from '../errors.js'
import { UnsupportedValueError, canonicalJson, canonicalTimestamp, canonicalValue } from './canonical.js'
import type { RecordResult, TableSpec } from './record-store.js'

/**
 * The kind of a column, which fixes its canonical form.
 *
 * - text: string
 * - integer: number when |n| ≤ 2^53 − 1, else the decimal string
 * - number: number (shortest round-trip form), or the decimal text when a double cannot hold it exactly
 * - boolean: true / false
 * - json: the parsed JSON value, canonicalized
 * - timestamp: canonical timestamp string (`2024-01-02T03:04:05.000Z`)
 * - date: `YYYY-MM-DD`
 * - any: a SQLite column declared without a type: integer, number or string as stored
 */
export type ColumnKind = 'text' | 'integer' | 'number' | 'boolean' | 'json' | 'timestamp' | 'date' | 'any'

/** One synced column of a table. */
export interface ColumnInfo {
  name: string
  kind: ColumnKind
  /** The type as the database declares it, for messages. */
  declared: string
}

/** A table's synced columns (generated columns are left out: they are computed, not synced). */
export interface TableInfo {
  spec: TableSpec
  columns: Map<string, ColumnInfo>
  key: ColumnInfo
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Checks a table or column name before it goes into SQL.
 *
 * Only plain identifiers are accepted (letters, digits, underscore; at most 63 characters,
 * PostgreSQL's limit) and they are always double-quoted, so names are matched exactly
 * (case-sensitive) and no SQL is ever built from data.
 */
export function checkIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name)) {
    throw new SyncDeskError(
      'config-invalid',
      `${what} name ${JSON.stringify(name)} is not a plain identifier`,
      'Use letters, digits and underscores only, starting with a letter or underscore.',
    )
  }
}

/** A checked identifier, double-quoted. */
export function quoteIdent(name: string): string {
  checkIdentifier(name, 'identifier')
  return `"${name}"`
}

/** Checks a table spec's names. */
export function checkTableSpec(spec: TableSpec): void {
  checkIdentifier(spec.name, 'table')
  checkIdentifier(spec.key, `key column of table "${spec.name}"`)
}

/** The error for a binary column: refused for the whole table. */
export function binaryColumnError(db: string, table: string, column: string, declared: string): SyncDeskError {
  return new SyncDeskError(
    'config-invalid',
    `${db}: table "${table}" column "${column}" is binary (${declared}); binary columns are not synced`,
    'SyncDesk syncs text, numbers, booleans, JSON, timestamps and dates. Remove the table from the synced tables or store the data as text.',
  )
}

/** The error for a column type SyncDesk does not sync: refused for the whole table. */
export function unsupportedColumnError(db: string, table: string, column: string, declared: string): SyncDeskError {
  return new SyncDeskError(
    'config-invalid',
    `${db}: table "${table}" column "${column}" has type ${declared}, which is not synced`,
    'SyncDesk syncs text, integers, reals, numerics, booleans, JSON/JSONB, timestamps and dates. Remove the table from the synced tables or change the column type.',
  )
}

/** The error for a table that is not there. */
export function missingTableError(db: string, table: string): SyncDeskError {
  return new SyncDeskError('not-found', `${db}: table "${table}" does not exist`, 'Create the table, or remove it from the project\'s synced tables.')
}

/** The error for a key column that is missing or not unique. */
export function badKeyError(db: string, spec: TableSpec, problem: string): SyncDeskError {
  return new SyncDeskError(
    'config-invalid',
    `${db}: the key column "${spec.key}" of table "${spec.name}" ${problem}`,
    'The key of a synced table must be its primary key or a single-column unique key.',
  )
}

/** The error for a stored value that has no canonical form (it stops the listing of the table). */
export function unreadableValueError(db: string, table: string, key: string, column: string, problem: string): SyncDeskError {
  return new SyncDeskError('io', `${db}: table "${table}" record ${JSON.stringify(key)} column "${column}": ${problem}`)
}

/** The text form of a key value (a record's key in the sync). */
export function keyText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  return canonicalJson(value)
}

/** A per-record refusal, thrown inside a store's write loop and turned into a `refused` result. */
export class RecordRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecordRefused'
  }
}

/**
 * A key's value for its column, checked: integer keys must be integer text.
 *
 * Returns a bigint for integer columns (exact for any 64-bit key), else the text.
 */
export function keyValue(col: ColumnInfo, key: string): bigint | string {
  if (col.kind === 'integer') {
    if (!/^-?\d{1,19}$/.test(key)) throw new RecordRefused(`key ${JSON.stringify(key)} is not an integer (column "${col.name}" is ${col.declared})`)
    const n = BigInt(key)
    if (n > INT64_MAX || n < INT64_MIN || String(n) !== key) throw new RecordRefused(`key ${JSON.stringify(key)} is not a canonical 64-bit integer`)
    return n
  }
  return key
}

const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

/**
 * A value to write, checked against its column's kind; the store turns it into a bind value.
 *
 * - null is passed on (the database's NOT NULL decides);
 * - integer: a safe integer number, or a decimal string (beyond ±2^53 − 1 that is the
 *   canonical form; other strings are left to the database to accept or refuse);
 * - number: a finite number, or a string (a decimal the double could not hold);
 * - boolean: true / false;
 * - json: any JSON value, written as canonical JSON text;
 * - timestamp: a string; when it parses as a timestamp it is written in canonical form;
 * - text, date: a string.
 * Strings are accepted in every scalar column because a value that did not fit its declared
 * type when read (SQLite stores what it is given) must be writable back unchanged; the
 * database then accepts or refuses it. Everything else of the wrong type is refused, except
 * in `loose` mode (see checkValue).
 */
export type CheckedValue =
  | { type: 'null' }
  | { type: 'integer'; value: bigint }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'json'; text: string }
  | { type: 'text'; value: string }

/**
 * Checks one value for one column; throws RecordRefused.
 *
 * `loose` (SQLite) also accepts a number of another kind (say 2 in a BOOLEAN column, 1.5 in
 * an INTEGER column): SQLite stores it as given, and it is what reading such a row hands out.
 */
export function checkValue(col: ColumnInfo, value: unknown, loose = false): CheckedValue {
  if (value === null || value === undefined) return { type: 'null' }
  const refuse = (what: string): never => {
    throw new RecordRefused(`column "${col.name}" (${col.declared}) cannot hold ${what}`)
  }
  if (col.kind === 'json') {
    try {
      return { type: 'json', text: canonicalJson(value) }
    } catch (err) {
      if (err instanceof UnsupportedValueError) refuse(err.message)
      throw err
    }
  }
  if (typeof value === 'object') return refuse(Array.isArray(value) ? 'an array' : 'an object')
  if (typeof value === 'string') {
    if (col.kind === 'integer' && /^-?\d+$/.test(value)) {
      const n = BigInt(value)
      if (n > INT64_MAX || n < INT64_MIN) refuse(`${value} (beyond 64-bit integers)`)
      return { type: 'integer', value: n }
    }
    if (col.kind === 'timestamp') return { type: 'text', value: canonicalTimestamp(value) ?? value }
    return { type: 'text', value }
  }
  if (typeof value === 'bigint') {
    if (!loose && col.kind !== 'integer' && col.kind !== 'number' && col.kind !== 'any') refuse('an integer')
    return { type: 'integer', value }
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(String(value))
    if (loose && col.kind !== 'integer') return { type: 'number', value: value === 0 ? 0 : value }
    if (loose && !Number.isInteger(value)) return { type: 'number', value }
    if (col.kind === 'integer') {
      if (!Number.isInteger(value)) refuse(`${value} (not an integer)`)
      if (!Number.isSafeInteger(value)) refuse(`${value} (beyond 2^53 − 1: give large integers as decimal strings)`)
      return { type: 'integer', value: BigInt(value) }
    }
    if (col.kind === 'number' || col.kind === 'any') return { type: 'number', value: value === 0 ? 0 : value }
    return refuse(`a number (${value})`)
  }
  if (typeof value === 'boolean') {
    if (col.kind !== 'boolean') refuse(`a boolean (${value})`)
    return { type: 'boolean', value }
  }
  return refuse(`a ${typeof value}`)
}

/** A record's data normalized for hashing and handing out. */
export function canonicalRecord(data: Record<string, unknown>): Record<string, unknown> {
  return canonicalValue(data) as Record<string, unknown>
}

/** The `stale` result for a record whose current hash is not the expected one. */
export function staleResult(key: string, expected: string | null, current: string | null): RecordResult {
  const message =
    expected === null
      ? `record ${JSON.stringify(key)} already exists`
      : current === null
        ? `record ${JSON.stringify(key)} no longer exists`
        : `record ${JSON.stringify(key)} changed since it was read`
  return { key, ok: false, reason: 'stale', message }
}

/** Checks the columns of a write against the table: known, not generated, key consistent. */
export function checkWriteColumns(info: TableInfo, key: string, data: Record<string, unknown>, loose = false): Map<string, CheckedValue> {
  const out = new Map<string, CheckedValue>()
  for (const [name, value] of Object.entries(data)) {
    if (value === undefined) continue
    const col = info.columns.get(name)
    if (!col) throw new RecordRefused(`table "${info.spec.name}" has no column "${name}"`)
    out.set(name, checkValue(col, value, loose))
  }
  const keyCol = info.key
  const given = data[keyCol.name]
  if (given !== undefined && given !== null && keyText(canonicalValue(given)) !== key) {
    throw new RecordRefused(`the data's "${keyCol.name}" (${keyText(given)}) is not the record's key ${JSON.stringify(key)}`)
  }
  if (given === null) throw new RecordRefused(`the key column "${keyCol.name}" cannot be null`)
  const kv = keyValue(keyCol, key)
  out.set(keyCol.name, typeof kv === 'bigint' ? { type: 'integer', value: kv } : { type: 'text', value: kv })
  return out
}
