/**
 * Table definitions across SQLite and PostgreSQL: read one from a store, say it in types both
 * databases hold, write the CREATE TABLE statement for either, and compare two of them.
 *
 * A new environment has an empty database, and a new checkout an empty local one: a push (or a
 * pull) of records can only land once the tables exist. The definition of the side that has a
 * table is read column by column and each type is put in portable terms (PostgreSQL's names:
 * `text`, `varchar(200)`, `bigint`, `double precision`, `numeric(10,2)`, `jsonb`, `timestamptz`,
 * …), from which each database gets a type that reads back to the same canonical values
 * (columns.ts): the same column kind on both sides. A column with no portable type (a SQLite
 * column without a declared type, binary, arrays, …) stops the creation of its table, named;
 * nothing is ever created with a column left out. No SQL is built from data: every name is a
 * checked identifier and every type comes from a closed list.
 *
 * Kept: the columns with their types and NOT NULL, the primary key, single-column unique keys.
 * Not kept (and said so in `notes`): defaults, generated columns, CHECK and foreign keys,
 * other indexes.
 */
import { SyncDeskError, describeError } from '../errors.js'
import type { Remote, RemoteCallOptions } from '../remote.js'
import { checkIdentifier, quoteIdent, type ColumnKind } from './columns.js'
import type { RecordStore, TableSpec } from './record-store.js'

/** The two databases SyncDesk syncs records with. */
export type Dialect = 'sqlite' | 'postgres'

/**
 * A column type both databases hold, in PostgreSQL's words: `text`, `varchar`, `varchar(N)`,
 * `char`, `char(N)`, `uuid`, `smallint`, `integer`, `bigint`, `real`, `double precision`,
 * `numeric`, `numeric(P)`, `numeric(P,S)`, `boolean`, `json`, `jsonb`, `timestamp`,
 * `timestamptz`, `date`.
 */
export type PortableType = string

/** One column of a table definition. */
export interface ColumnDefinition {
  name: string
  /** Its type in portable terms; null when it has none (then `problem` says why). */
  type: PortableType | null
  /** The type as its database declares it, for messages. */
  declared: string
  notNull: boolean
  /** Why the column cannot be created in the other database (when `type` is null). */
  problem?: string
}

/** A table as both databases can create it. */
export interface TableDefinition {
  name: string
  /** The database it was read from. */
  dialect: Dialect
  /** The synced columns in table order (generated columns are not synced: see `notes`). */
  columns: ColumnDefinition[]
  /** The primary key's columns, in order (empty: none). */
  primaryKey: string[]
  /** Columns that are a single-column unique key besides the primary key. */
  unique: string[]
  /** What a created copy leaves out: defaults, generated columns, other constraints. */
  notes: string[]
}

/** What creating a table did: created, or found it there already (someone made it meanwhile). */
export interface CreateTableResult {
  created: boolean
  /** The statement run (or that would have run). */
  statement: string
}

/** A database that can say how its tables are defined, and create one from a definition. */
export interface TableDefinitions {
  readonly dialect: Dialect
  /** The definition of a table, or null when there is no such table. */
  describeTable(name: string, opts?: RemoteCallOptions): Promise<TableDefinition | null>
  /** Creates a table (never replaces one: an existing table is `created: false`). */
  createTable(def: TableDefinition, opts?: RemoteCallOptions): Promise<CreateTableResult>
}

/** A remote whose database can create tables (the server and folder remotes). */
export interface RemoteWithTables {
  /** The environment's database as table definitions; null when the environment cannot have one. */
  openTables(opts?: RemoteCallOptions): Promise<TableDefinitions | null>
}

/** True when a store (or a remote's records) can describe and create tables. */
export function hasTableDefinitions(x: unknown): x is TableDefinitions {
  const t = x as Partial<TableDefinitions> | null
  return !!t && typeof t.describeTable === 'function' && typeof t.createTable === 'function' && (t.dialect === 'sqlite' || t.dialect === 'postgres')
}

const PORTABLE = /^(?:(text|uuid|smallint|integer|bigint|real|double precision|boolean|json|jsonb|timestamp|timestamptz|date)|(varchar|char)(?:\((\d{1,8})\))?|numeric(?:\((\d{1,4})(?:,(\d{1,4}))?\))?)$/

/** Longest varchar/char length PostgreSQL accepts. */
const MAX_LENGTH = 10_485_760

/** Why `type` is not a portable type, or null when it is one. */
export function portableTypeProblem(type: unknown): string | null {
  if (typeof type !== 'string') return 'a column type must be text'
  const m = PORTABLE.exec(type)
  if (!m) return `${JSON.stringify(type.slice(0, 60))} is not a column type SyncDesk creates (text, varchar(N), char(N), uuid, smallint, integer, bigint, real, double precision, numeric(P,S), boolean, json, jsonb, timestamp, timestamptz, date)`
  if (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > MAX_LENGTH)) return `the length of ${type} must be from 1 to ${MAX_LENGTH}`
  if (m[4] !== undefined) {
    const p = Number(m[4])
    const s = m[5] === undefined ? 0 : Number(m[5])
    if (p < 1 || p > 1000 || s > p) return `${type}: the precision must be from 1 to 1000 and the scale at most the precision`
  }
  return null
}

/** The column kind (columns.ts) a portable type reads back as, on either database. */
export function portableKind(type: PortableType): ColumnKind {
  const base = type.replace(/\(.*$/, '')
  switch (base) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer'
    case 'real':
    case 'double precision':
    case 'numeric':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'json':
    case 'jsonb':
      return 'json'
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp'
    case 'date':
      return 'date'
    default:
      return 'text'
  }
}

/**
 * The portable type of a SQLite column from its declared type, or why it has none.
 *
 * It follows the kinds sqlite-store.ts reads (BOOL…, JSON…, TIMESTAMP…/DATETIME, DATE, …INT…,
 * CHAR/CLOB/TEXT/UUID/TIME, REAL/FLOA/DOUB, NUMERIC/DECIMAL/other) so a value reads the same on
 * the other side. SQLite integers are 64-bit: `INTEGER` and `BIGINT` become `bigint`, `INT`,
 * `INT4` and `MEDIUMINT` `integer`, `SMALLINT`, `INT2` and `TINYINT` `smallint`; `REAL`, `FLOAT`
 * and `DOUBLE` are SQLite's 8-byte floats, so `double precision`.
 */
export function sqliteTypeToPortable(declared: string): { type: PortableType } | { problem: string } {
  const t = declared.toUpperCase().trim().replace(/\s+/g, ' ')
  if (t === '') return { problem: 'it has no declared type (SQLite then stores anything in it); give it a type such as TEXT or INTEGER' }
  if (/BLOB|BYTEA|BINARY/.test(t)) return { problem: `it is binary (${declared}); binary columns are not synced` }
  if (/^BOOL/.test(t)) return { type: 'boolean' }
  if (/^JSONB/.test(t)) return { type: 'jsonb' }
  if (/^JSON/.test(t)) return { type: 'json' }
  if (/^(TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)/.test(t)) return { type: 'timestamptz' }
  if (/^(TIMESTAMP|DATETIME)/.test(t)) return { type: 'timestamp' }
  if (t === 'DATE') return { type: 'date' }
  if (t.includes('INT')) {
    if (/^(SMALLINT|INT2|TINYINT)\b/.test(t)) return { type: 'smallint' }
    if (/^(INT|INT4|MEDIUMINT)$/.test(t)) return { type: 'integer' }
    return { type: 'bigint' }
  }
  if (/CHAR|CLOB|TEXT|UUID|TIME/.test(t)) {
    if (t === 'UUID') return { type: 'uuid' }
    const varying = /^(?:VARCHAR|NVARCHAR|VARYING CHARACTER|CHARACTER VARYING|CHAR VARYING|NATIONAL CHARACTER VARYING)\s*(?:\(\s*(\d+)\s*\))?$/.exec(t)
    if (varying) return { type: withLength('varchar', varying[1]) }
    const fixed = /^(?:CHAR|CHARACTER|NCHAR|NATIVE CHARACTER|NATIONAL CHARACTER)\s*(?:\(\s*(\d+)\s*\))?$/.exec(t)
    if (fixed) return { type: withLength('char', fixed[1]) }
    return { type: 'text' }
  }
  if (/^(REAL|FLOA|DOUB)/.test(t)) return { type: 'double precision' }
  const numeric = /^(?:NUMERIC|DECIMAL)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/.exec(t)
  if (numeric?.[1] !== undefined) {
    const type = numeric[2] === undefined ? `numeric(${Number(numeric[1])})` : `numeric(${Number(numeric[1])},${Number(numeric[2])})`
    return portableTypeProblem(type) ? { type: 'numeric' } : { type }
  }
  return { type: 'numeric' }
}

function withLength(base: 'varchar' | 'char', n: string | undefined): PortableType {
  if (n === undefined) return base
  const len = Number(n)
  return len >= 1 && len <= MAX_LENGTH ? `${base}(${len})` : base
}

/**
 * The portable type of a PostgreSQL column, or why it has none.
 *
 * `typname` is the type's name (a domain's base type), `formatted` what `format_type` says (for
 * lengths, precisions). Enums become `text` (their list of values is not kept), `citext` and
 * `name` too.
 */
export function postgresTypeToPortable(typname: string, typtype: string, typcategory: string, formatted: string): { type: PortableType } | { problem: string } {
  if (typcategory === 'A') return { problem: `it is an array (${formatted}); arrays are not synced` }
  if (typtype === 'e') return { type: 'text' }
  const len = /\((\d+)\)$/.exec(formatted)?.[1]
  switch (typname) {
    case 'text':
    case 'name':
    case 'citext':
      return { type: 'text' }
    case 'varchar':
      return { type: withLength('varchar', len) }
    case 'bpchar':
      return { type: withLength('char', len) }
    case 'uuid':
      return { type: 'uuid' }
    case 'int2':
      return { type: 'smallint' }
    case 'int4':
      return { type: 'integer' }
    case 'int8':
      return { type: 'bigint' }
    case 'float4':
      return { type: 'real' }
    case 'float8':
      return { type: 'double precision' }
    case 'numeric': {
      const m = /^numeric\((\d+),(\d+)\)$/.exec(formatted)
      return { type: m ? `numeric(${m[1]},${m[2]})` : 'numeric' }
    }
    case 'bool':
      return { type: 'boolean' }
    case 'json':
    case 'jsonb':
    case 'timestamp':
    case 'timestamptz':
    case 'date':
      return { type: typname }
    case 'bytea':
      return { problem: 'it is binary (bytea); binary columns are not synced' }
    default:
      return { problem: `its type ${formatted} is not synced` }
  }
}

/**
 * A portable type as a database declares it.
 *
 * SQLite gets names its own rules read back as the same kind (`DOUBLE PRECISION` is a float
 * there, `VARCHAR(200)` text). PostgreSQL gets the type itself, except `char(N)`, which becomes
 * `varchar(N)`: PostgreSQL pads `char` with spaces, so a value from the other side would never
 * read back the same.
 */
export function declaredType(type: PortableType, dialect: Dialect): string {
  const problem = portableTypeProblem(type)
  if (problem) throw new SyncDeskError('invalid-request', problem)
  if (dialect === 'postgres') return type.startsWith('char') ? type.replace(/^char/, 'varchar') : type
  return type.toUpperCase()
}

/**
 * Checks a definition before any statement is made from it: plain identifiers, distinct
 * columns, portable types, keys naming its columns, and a key to sync by.
 */
export function checkTableDefinition(def: Pick<TableDefinition, 'name' | 'columns' | 'primaryKey' | 'unique'>): void {
  checkIdentifier(def.name, 'table')
  if (def.columns.length === 0) throw new SyncDeskError('invalid-request', `Table "${def.name}" needs at least one column.`)
  if (def.columns.length > 1000) throw new SyncDeskError('invalid-request', `Table "${def.name}" has more than 1000 columns.`)
  const names = new Set<string>()
  for (const c of def.columns) {
    checkIdentifier(c.name, `column of table "${def.name}"`)
    if (names.has(c.name)) throw new SyncDeskError('invalid-request', `Table "${def.name}" names column "${c.name}" twice.`)
    names.add(c.name)
    if (c.type === null) throw new SyncDeskError('config-invalid', `Table "${def.name}" column "${c.name}" cannot be created: ${c.problem ?? 'it has no type both databases hold'}.`)
    const problem = portableTypeProblem(c.type)
    if (problem) throw new SyncDeskError('invalid-request', `Table "${def.name}" column "${c.name}": ${problem}.`)
  }
  for (const k of [...def.primaryKey, ...def.unique]) {
    if (!names.has(k)) throw new SyncDeskError('invalid-request', `Table "${def.name}" has a key on "${k}", which is not one of its columns.`)
  }
  if (new Set(def.primaryKey).size !== def.primaryKey.length) throw new SyncDeskError('invalid-request', `Table "${def.name}" names a primary key column twice.`)
  if (def.primaryKey.length === 0 && def.unique.length === 0) {
    throw new SyncDeskError('invalid-request', `Table "${def.name}" has no primary key nor unique column: a synced table needs one to key its records by.`)
  }
}

/** The CREATE TABLE statement for a definition in one database (checked first; one line). */
export function createTableStatement(def: Pick<TableDefinition, 'name' | 'columns' | 'primaryKey' | 'unique'>, dialect: Dialect): string {
  checkTableDefinition(def)
  const keyed = new Set(def.primaryKey)
  const parts = def.columns.map((c) => `${quoteIdent(c.name)} ${declaredType(c.type as PortableType, dialect)}${c.notNull || keyed.has(c.name) ? ' NOT NULL' : ''}`)
  if (def.primaryKey.length) parts.push(`PRIMARY KEY (${def.primaryKey.map(quoteIdent).join(', ')})`)
  for (const u of [...new Set(def.unique)].filter((u) => !(def.primaryKey.length === 1 && def.primaryKey[0] === u))) parts.push(`UNIQUE (${quoteIdent(u)})`)
  return `CREATE TABLE ${quoteIdent(def.name)} (${parts.join(', ')})`
}

/** How one column differs between the two sides' tables. */
export interface ColumnDifference {
  name: string
  /** Its declared type locally; null: the local table has no such column. */
  local: string | null
  /** Its declared type in the environment; null: the environment's table has no such column. */
  remote: string | null
  /** In words: "only in the local table", "text here, integer there", … */
  problem: string
}

/**
 * The columns that differ between two definitions of one table: a column only one side has, or
 * one whose values would not read back the same (another kind, say text against integer).
 * Lengths and sizes within one kind (varchar(100) against text) are not differences.
 */
export function compareTableDefinitions(local: TableDefinition, remote: TableDefinition): ColumnDifference[] {
  const out: ColumnDifference[] = []
  const remoteCols = new Map(remote.columns.map((c) => [c.name, c]))
  const localCols = new Map(local.columns.map((c) => [c.name, c]))
  const kind = (c: ColumnDefinition): string => (c.type === null ? `unsynced ${c.declared}` : portableKind(c.type))
  for (const c of local.columns) {
    const r = remoteCols.get(c.name)
    if (!r) out.push({ name: c.name, local: c.declared, remote: null, problem: 'only in the local table' })
    else if (kind(c) !== kind(r)) out.push({ name: c.name, local: c.declared, remote: r.declared, problem: `${c.declared || 'no type'} locally, ${r.declared || 'no type'} in the environment` })
  }
  for (const r of remote.columns) {
    if (!localCols.has(r.name)) out.push({ name: r.name, local: null, remote: r.declared, problem: "only in the environment's table" })
  }
  return out
}

/** Which side a table is missing from: where it would be created. */
export type TableSide = 'local' | 'remote'

/** A table one side lacks, with the statement that creates it from the other side's definition. */
export interface TableCreation {
  table: string
  side: TableSide
  /** The statement for that side's database (what a preview shows). */
  statement: string
  /** The definition it is made from (read from the other side). */
  definition: TableDefinition
}

/** A table that cannot be created, and why (its columns named). */
export interface TableRefusal {
  table: string
  side: TableSide
  reason: string
}

/** Columns of one table that differ between the two sides. */
export interface TableMismatch {
  table: string
  columns: ColumnDifference[]
}

/**
 * What `planMissingTables` found: tables to create (and where), tables that cannot be, and tables
 * both sides have with different columns. Plain data: it can go into a preview as it is.
 */
export interface MissingTablesPlan {
  create: TableCreation[]
  refused: TableRefusal[]
  mismatches: TableMismatch[]
}

/** What `createMissingTables` did. */
export interface CreatedTables {
  created: { table: string; side: TableSide; statement: string }[]
  /** Tables found there already when their turn came (made by someone else since the plan). */
  existed: { table: string; side: TableSide }[]
  failed: { table: string; side: TableSide; message: string }[]
}

/** The remote's database as table definitions, when it can have one. */
async function remoteTables(remote: Remote, opts: RemoteCallOptions): Promise<TableDefinitions | null> {
  const r = remote as Remote & Partial<RemoteWithTables>
  if (typeof r.openTables === 'function') return r.openTables(opts)
  const records = remote.openRecords ? await remote.openRecords() : null
  return hasTableDefinitions(records) ? records : null
}

/**
 * Compares the synced tables of the local database and the environment's: which one side lacks
 * (to be created there from the other's definition), which cannot be created (their columns
 * named), and which differ in their columns. Changes nothing.
 *
 * A table neither side has is refused (there is no definition to make it from). When the
 * environment cannot have a database (a remote without records), every table the local side
 * has is refused with that reason.
 */
export async function planMissingTables(local: RecordStore, remote: Remote, tables: readonly TableSpec[], opts: RemoteCallOptions = {}): Promise<MissingTablesPlan> {
  const plan: MissingTablesPlan = { create: [], refused: [], mismatches: [] }
  if (!hasTableDefinitions(local)) throw new SyncDeskError('internal', `${local.describe()} cannot describe its tables.`)
  const there = await remoteTables(remote, opts)
  // Every table's two definitions at once: a status asks for them each time.
  const found = await Promise.all(tables.map(async (spec) => Promise.all([local.describeTable(spec.name), there ? there.describeTable(spec.name, opts) : null])))
  for (const [i, spec] of tables.entries()) {
    const [l, r] = found[i] as [TableDefinition | null, TableDefinition | null]
    if (l && r) {
      const columns = compareTableDefinitions(l, r)
      if (columns.length) plan.mismatches.push({ table: spec.name, columns })
      continue
    }
    if (!l && !r) {
      plan.refused.push({ table: spec.name, side: 'remote', reason: `neither the local database nor ${remote.envName}'s has table "${spec.name}"` })
      continue
    }
    const side: TableSide = l ? 'remote' : 'local'
    const from = (l ?? r) as TableDefinition
    const target = side === 'remote' ? there : local
    if (!target) {
      plan.refused.push({ table: spec.name, side, reason: `${remote.envName} has no database to create it in` })
      continue
    }
    const unmapped = from.columns.filter((c) => c.type === null)
    if (unmapped.length) {
      plan.refused.push({ table: spec.name, side, reason: unmapped.map((c) => `column "${c.name}": ${c.problem ?? 'no type both databases hold'}`).join('; ') })
      continue
    }
    if (!(from.primaryKey.length === 1 && from.primaryKey[0] === spec.key) && !from.unique.includes(spec.key)) {
      plan.refused.push({ table: spec.name, side, reason: `its key column "${spec.key}" is neither the primary key nor a unique column` })
      continue
    }
    try {
      plan.create.push({ table: spec.name, side, statement: createTableStatement(from, target.dialect), definition: from })
    } catch (err) {
      plan.refused.push({ table: spec.name, side, reason: err instanceof SyncDeskError ? err.message : describeError(err) })
    }
  }
  return plan
}

/**
 * Creates the tables a plan lists, each on its side; one that appeared since the plan is left
 * as it is (and reported), one that fails does not stop the others.
 */
export async function createMissingTables(local: RecordStore, remote: Remote, plan: Pick<MissingTablesPlan, 'create'>, opts: RemoteCallOptions = {}): Promise<CreatedTables> {
  const out: CreatedTables = { created: [], existed: [], failed: [] }
  if (plan.create.length === 0) return out
  const there = plan.create.some((c) => c.side === 'remote') ? await remoteTables(remote, opts) : null
  for (const c of plan.create) {
    const target = c.side === 'local' ? (hasTableDefinitions(local) ? local : null) : there
    if (!target) {
      out.failed.push({ table: c.table, side: c.side, message: c.side === 'local' ? 'the local database cannot create tables' : `${remote.envName} has no database to create it in` })
      continue
    }
    try {
      const res = await target.createTable(c.definition, opts)
      if (res.created) out.created.push({ table: c.table, side: c.side, statement: res.statement })
      else out.existed.push({ table: c.table, side: c.side })
    } catch (err) {
      out.failed.push({ table: c.table, side: c.side, message: err instanceof SyncDeskError ? err.message : describeError(err) })
    }
  }
  return out
}
