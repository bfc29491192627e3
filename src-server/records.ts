/**
 * The environment's database as synced records: conditional writes and deletes that keep the
 * prior rows as versions, the same rules as files.
 *
 * The database is SQLite (`.syncdesk-server/database.sqlite`, the same file a folder
 * environment uses) or PostgreSQL (`--database-url` / `DATABASE_URL`), behind the engine's
 * RecordStore: every write is a compare-and-swap against the hash the client expects, so a
 * record that moved on is never touched and comes back as 412.
 *
 * Prior versions: before a batch touches the database, the current rows it is about to
 * replace or delete (those whose hash is the one the client expects) are written to
 * `.syncdesk-server/record-versions/<id>.json`; once the batch is done the file is rewritten
 * to hold only the rows that were really replaced or deleted (or removed when none were). A
 * crash in between leaves a file with a few rows that were not replaced after all: harmless,
 * each was the record's content at that time. Within one server, every record of a batch is
 * held (in-process locks) so the rows kept are exactly the ones replaced; servers sharing a
 * PostgreSQL database still get the database's own compare-and-swap.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../src-main/engine/atomic.js'
import { SyncDeskError, describeError } from '../src-main/engine/errors.js'
import type { RecordDelete, RecordEntry, RecordResult, RecordStore, RecordWrite, TableSpec } from '../src-main/engine/records/record-store.js'
import { checkTableDefinition, hasTableDefinitions, type CreateTableResult, type TableDefinition } from '../src-main/engine/records/table-definitions.js'
import { ApiError } from './http-errors.js'
import { sortableId } from './ids.js'
import type { PathLocks } from './path-locks.js'
import type { StatusStore } from './status-store.js'
import { checkRetention, isVersionId, type PruneResult, type VersionRetention } from './versions.js'
import type { ApiRecordVersion } from '../src-shared/server-api.js'

/** Table and column names the server accepts (plain SQL identifiers, at most 63 characters). */
export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** The tables a server counts in its status when config.json names none. */
export const DEFAULT_TABLES: readonly TableSpec[] = [
  { name: 'agents', key: 'id' },
  { name: 'skills', key: 'id' },
  { name: 'contexts', key: 'id' },
]

/** The outcome of one record of a write request, as the API reports it. */
export interface RecordOutcome {
  key: string
  status: number
  hash?: string | null
  error?: { code: string; message: string; currentHash?: string | null }
}

/** One kept prior row. */
export interface RecordVersionRow {
  key: string
  hash: string
  data: Record<string, unknown>
  /** What replaced it: a write or a delete. */
  op: 'write' | 'delete'
}

/** One version file: the rows one batch replaced or deleted. */
export interface RecordVersionFile {
  id: string
  at: string
  by: string
  table: string
  keyColumn: string
  rows: RecordVersionRow[]
}

/** One kept prior row as listed. */
export type RecordVersionEntry = ApiRecordVersion

/** Which database a server opens. */
export type DatabaseSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

/**
 * The database a server uses: `--database-url` (PostgreSQL, or `sqlite:PATH`) when given, else
 * the embedded SQLite file `.syncdesk-server/database.sqlite`, created on first start when it
 * is missing (a new environment just works: its tables are created by the first push that
 * needs them, see POST /v1/tables). A server given a URL never creates that file.
 */
export function databaseSpec(projectDir: string, databaseUrl: string | undefined): DatabaseSpec {
  if (databaseUrl !== undefined && databaseUrl.trim() !== '') {
    const url = databaseUrl.trim()
    if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url }
    if (/^sqlite:/i.test(url)) {
      const p = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
      if (!p) throw new SyncDeskError('usage', 'Give the SQLite file after "sqlite:" (sqlite:/path/to/database.sqlite).')
      return { kind: 'sqlite', path: path.resolve(projectDir, p) }
    }
    throw new SyncDeskError('usage', 'The database URL must start with postgres://, postgresql:// or sqlite:.')
  }
  return { kind: 'sqlite', path: embeddedDatabasePath(projectDir) }
}

/** The embedded database of an environment (the same file a folder environment uses). */
export function embeddedDatabasePath(projectDir: string): string {
  return path.join(projectDir, '.syncdesk-server', 'database.sqlite')
}

/** Kept prior rows, one JSON file per batch in `dir`. */
export class RecordVersionStore {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`)
  }

  /** Writes (or replaces) the rows kept under `id`; with no rows, removes the file. */
  async write(v: RecordVersionFile): Promise<void> {
    if (v.rows.length === 0) {
      await fsp.rm(this.file(v.id), { force: true })
      return
    }
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(this.file(v.id), JSON.stringify(v) + '\n')
  }

  /** One version file, or null. */
  async read(id: string): Promise<RecordVersionFile | null> {
    if (!isVersionId(id)) return null
    try {
      return JSON.parse(await fsp.readFile(this.file(id), 'utf8')) as RecordVersionFile
    } catch {
      return null
    }
  }

  /**
   * Removes kept rows past the retention, as VersionStore.prune does for files: of each record
   * (table and key), the rows beyond its newest `keepPerItem` that are also older than
   * `keepDays`. A file left with no row is removed. (An undo of a push does not read these: the
   * client keeps the rows it replaced in its own backup.)
   */
  async prune(retention: VersionRetention, now: number, opts: { dryRun?: boolean } = {}): Promise<PruneResult> {
    checkRetention(retention)
    const out: PruneResult = { removed: 0, bytes: 0, versions: 0 }
    const cutoff = now - retention.keepDays * 86_400_000
    const seen = new Map<string, number>()
    for (const id of await this.ids()) {
      const v = await this.read(id)
      if (!v || !Array.isArray(v.rows)) continue
      const made = Date.parse(v.at)
      const old = !Number.isFinite(made) || made < cutoff
      const rows: RecordVersionRow[] = []
      for (const r of v.rows) {
        const item = `${v.table}\u0000${r.key}`
        const rank = seen.get(item) ?? 0
        seen.set(item, rank + 1)
        if (rank < retention.keepPerItem || !old) rows.push(r)
        else {
          out.removed++
          out.bytes += Buffer.byteLength(JSON.stringify(r))
        }
      }
      if (rows.length === v.rows.length) continue
      if (rows.length === 0) out.versions++
      if (!opts.dryRun) await this.write({ ...v, rows })
    }
    return out
  }

  /** The ids of the kept files, newest first. */
  private async ids(): Promise<string[]> {
    let names: string[]
    try {
      names = await fsp.readdir(this.dir)
    } catch {
      return []
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter(isVersionId)
      .sort()
      .reverse()
  }

  /** Kept rows of one table (of one record when `key` is given), newest first. */
  async list(table: string, key?: string, limit = 1000): Promise<RecordVersionEntry[]> {
    const ids = await this.ids()
    const out: RecordVersionEntry[] = []
    for (const id of ids) {
      if (out.length >= limit) break
      const v = await this.read(id)
      if (!v || v.table !== table) continue
      for (const r of v.rows) {
        if (out.length >= limit) break
        if (key !== undefined && r.key !== key) continue
        out.push({ id, table, key: r.key, hash: r.hash, data: r.data, op: r.op, at: v.at, by: v.by })
      }
    }
    return out
  }
}

/** A write as the routes hand it over (precondition already checked). */
export type RecordWriteRequest = RecordWrite
/** A delete as the routes hand it over. */
export type RecordDeleteRequest = RecordDelete

/** The environment's database, with versions, locks and status. */
export class ServerRecords {
  /** Tables a client asked for since start (name → key column), counted in the status. */
  private readonly seen = new Map<string, string>()

  constructor(
    readonly store: RecordStore,
    readonly kind: 'sqlite' | 'postgres',
    readonly versions: RecordVersionStore,
    private readonly locks: PathLocks,
    private readonly status: StatusStore,
    private readonly tables: readonly TableSpec[],
    /** Hides server paths and addresses in messages sent to clients. */
    private readonly scrub: (message: string) => string,
    /** The clock the kept rows are dated by (milliseconds). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Every record of a table, in key order. Table problems become ApiErrors. */
  async list(spec: TableSpec): Promise<RecordEntry[]> {
    const rows = await this.guard(spec, () => this.store.list(spec))
    this.seen.set(spec.name, spec.key)
    return [...rows.values()]
  }

  /** Records of a table by key (missing keys are absent from the map). */
  async rows(spec: TableSpec): Promise<Map<string, RecordEntry>> {
    const rows = await this.guard(spec, () => this.store.list(spec))
    this.seen.set(spec.name, spec.key)
    return rows
  }

  /** Records that `by` read `n` records. */
  recordPull(by: string, n: number): void {
    if (n > 0) this.status.recordPull(by, n)
  }

  /**
   * Applies conditional writes and deletes of one table (keys distinct and checked), keeping
   * the rows they replace as a version; every key is held for the duration.
   */
  async apply(spec: TableSpec, writes: readonly RecordWrite[], deletes: readonly RecordDelete[], by: string): Promise<{ writes: RecordOutcome[]; deletes: RecordOutcome[]; versionId: string | null }> {
    const lockNames = [...writes, ...deletes].map((x) => `\u0000records\u0000${spec.name}\u0000${x.key}`)
    return this.locks.run(lockNames, async () => {
      const id = sortableId()
      const at = new Date(this.now()).toISOString()
      const replacing = writes.some((w) => w.expectedHash !== null) || deletes.length > 0
      const before = replacing ? await this.rows(spec) : new Map<string, RecordEntry>()
      this.seen.set(spec.name, spec.key)
      const candidates: RecordVersionRow[] = []
      const addCandidate = (key: string, expected: string | null, op: RecordVersionRow['op']): void => {
        const row = expected === null ? undefined : before.get(key)
        if (row && row.hash === expected) candidates.push({ key, hash: row.hash, data: row.data, op })
      }
      for (const w of writes) addCandidate(w.key, w.expectedHash, 'write')
      for (const d of deletes) addCandidate(d.key, d.expectedHash, 'delete')
      const version: RecordVersionFile = { id, at, by, table: spec.name, keyColumn: spec.key, rows: candidates }
      // The prior rows are kept before anything is replaced (safety rule 3).
      if (candidates.length) await this.versions.write(version)

      const writeResults = writes.length ? await this.guard(spec, () => this.store.write(spec, writes)) : []
      const deleteResults = deletes.length ? await this.guard(spec, () => this.store.delete(spec, deletes)) : []

      const done = new Set<string>()
      for (const r of [...writeResults, ...deleteResults]) if (r.ok) done.add(r.key)
      const kept = candidates.filter((c) => done.has(c.key))
      if (candidates.length) await this.versions.write({ ...version, rows: kept })

      const stale = [...writeResults, ...deleteResults].some((r) => !r.ok && r.reason === 'stale')
      const after = stale ? await this.rows(spec).catch(() => null) : null
      const currentHash = (key: string): string | null => after?.get(key)?.hash ?? null
      const w = writeResults.map((r, i) => this.outcome(r, (writes[i] as RecordWrite).expectedHash === null ? 201 : 200, currentHash))
      const d = deleteResults.map((r) => {
        // Deleting a record that is already gone succeeds, as it does for files.
        if (!r.ok && r.reason === 'stale' && after !== null && !after.has(r.key)) return { key: r.key, status: 200, hash: null }
        return this.outcome(r, 200, currentHash)
      })
      const pushed = [...w, ...d].filter((o) => o.status < 300).length
      if (pushed > 0) this.status.recordPush(by, pushed)
      return { writes: w, deletes: d, versionId: kept.length ? id : null }
    })
  }

  /** The definition of a table (null when there is none). */
  async definition(name: string): Promise<TableDefinition | null> {
    const store = this.store
    if (!hasTableDefinitions(store)) throw new ApiError(501, 'not-supported', 'This database cannot describe its tables.')
    try {
      return await store.describeTable(name)
    } catch (err) {
      throw tableError({ name, key: 'id' }, err, this.scrub)
    }
  }

  /**
   * Creates a table from a definition (checked here: plain identifiers, portable types, a key);
   * a table that exists is never replaced: `created: false`.
   */
  async createTable(def: Pick<TableDefinition, 'name' | 'columns' | 'primaryKey' | 'unique'>): Promise<CreateTableResult> {
    const store = this.store
    if (!hasTableDefinitions(store)) throw new ApiError(501, 'not-supported', 'This database cannot create tables.')
    try {
      checkTableDefinition(def)
    } catch (err) {
      throw new ApiError(400, 'bad-definition', err instanceof Error ? err.message : String(err))
    }
    const full: TableDefinition = { ...def, dialect: store.dialect, notes: [] }
    return this.locks.run([`\u0000table\u0000${def.name.toLowerCase()}`], async () => {
      let res: CreateTableResult
      try {
        res = await store.createTable(full)
      } catch (err) {
        throw tableError({ name: def.name, key: 'id' }, err, this.scrub)
      }
      const key = def.primaryKey.length === 1 ? def.primaryKey[0] : def.unique[0]
      if (key) this.seen.set(def.name, key)
      return res
    })
  }

  /** Record counts per table: the configured ones and those asked for since start (missing tables left out). */
  async counts(): Promise<Record<string, number>> {
    const specs = new Map<string, string>()
    for (const t of this.tables) specs.set(t.name, t.key)
    for (const [name, key] of this.seen) if (!specs.has(name)) specs.set(name, key)
    const out: Record<string, number> = {}
    for (const [name, key] of [...specs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      try {
        out[name] = (await this.store.list({ name, key })).size
      } catch {
        // A missing or unsyncable table is not counted.
      }
    }
    return out
  }

  /** The key column of a table: the configured one, else `id`. */
  keyColumnOf(table: string): string {
    return this.tables.find((t) => t.name === table)?.key ?? 'id'
  }

  async close(): Promise<void> {
    await this.store.close()
  }

  private outcome(r: RecordResult, okStatus: number, currentHash: (key: string) => string | null): RecordOutcome {
    if (r.ok) return { key: r.key, status: okStatus, hash: r.hash }
    const message = this.scrub(r.message)
    if (r.reason === 'stale') return { key: r.key, status: 412, error: { code: 'stale', message: `Record ${JSON.stringify(r.key)} changed on the environment since the plan was made (${message}).`, currentHash: currentHash(r.key) } }
    if (r.reason === 'refused') return { key: r.key, status: 422, error: { code: 'record-refused', message } }
    return { key: r.key, status: 500, error: { code: 'db-error', message } }
  }

  /** Runs a store call, turning table-level SyncDeskErrors into refusals. */
  private async guard<T>(spec: TableSpec, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw tableError(spec, err, this.scrub)
    }
  }
}

/** The refusal for a table-level problem of the store. */
export function tableError(spec: TableSpec, err: unknown, scrub: (m: string) => string = (m) => m): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof SyncDeskError) {
    const message = scrub(err.message)
    if (err.code === 'not-found') return new ApiError(404, 'table-not-found', `The environment's database has no table "${spec.name}".`)
    if (err.code === 'config-invalid') return new ApiError(422, 'table-not-synced', message)
    return new ApiError(500, 'db-error', message)
  }
  return new ApiError(500, 'db-error', scrub(`${spec.name}: ${describeError(err)}`))
}
