/**
 * The hashes of a SQLite database's rows, kept between listings and between processes, keyed
 * by each row's exact stored content, and by the state of the database's files.
 *
 * A status lists every synced table. Reading SQLite's rows is cheap; turning each into its
 * canonical JSON and hashing it is what costs (most of a 10,000-row status). Two rules decide
 * when a cached hash is used:
 *
 * - **The files have not changed** (`databaseMarker`). SQLite's own `PRAGMA data_version` holds
 *   only within one connection, so the marker is the identity, size, mtime and ctime (in
 *   nanoseconds) of the database file and of its write-ahead log when that holds frames. Every
 *   commit writes one of the two, which moves both times (ctime cannot be set back by anyone),
 *   and a checkpoint writes the database file (the files beside its real path: SQLite resolves
 *   links). The racy-git rule covers the coarse clock: a marker is kept only when neither
 *   file's mtime or ctime is within `RACY_WINDOW_MS` of the listing that read the rows, only
 *   when it was the same before and after that read, and only when every row's key finds it
 *   again. A rollback journal on disk (a transaction under way, or one to roll back) is always
 *   doubt. When the marker holds, no row is read but a few random ones, hashed in full as a
 *   check: each hash is the cached one, and a record's data is read by its key when first asked
 *   for (failing as "changed meanwhile" if it no longer gives that hash).
 * - **Otherwise, the rows' stored values have not changed.** Every row is read, and a row's
 *   cached hash is used only when a digest of its stored values (sha256 of each value with its
 *   storage class, in column order) is the one the hash was made from, under the same table
 *   schema. Such an entry is a fact about content ("these stored values hash to H"), never
 *   about time: an edit by any process, however soon after the last listing, changes the
 *   digest.
 *
 * Either way a few hits are re-hashed in full; a mismatch (a broken cache, changed canonical
 * rules) drops the table's cache and lists it in full.
 *
 * The cache file lives in the project's own state folder, `.syncdesk/cache/`, found by walking
 * up from the database file. A folder environment's database is in no project: the project that
 * reads it keeps its cache (`records-env-<env>.json`, given as `cacheFile`). Any other database
 * in no project keeps its cache in memory only. The
 * folder and file are checked like the rest of the state folder (no symlink, owned by the user
 * running SyncDesk); a missing, broken or unsafe file is an empty cache: it is only speed.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../atomic.js'
import { RACY_WINDOW_MS } from '../fast-check-cache.js'
import { readTextFile } from '../read-text.js'

/** What the cache knows of one row: the digest of its stored values and the record hash they give. */
export interface CachedRow {
  digest: string
  hash: string
}

/** A table as last listed: the digest of all its rows in key order, and each row's. */
export interface CachedTable {
  digest: string | null
  rows: ReadonlyMap<string, CachedRow>
  /** The database's marker (`databaseMarker`) when these rows are all of the table as it was then; else null. */
  marker: string | null
}

interface StoredTable {
  schema: string
  digest: string | null
  marker?: string | null
  keys: string[]
  digests: string[]
  hashes: string[]
}

interface Stored {
  version: number
  tables: Record<string, StoredTable>
}

/**
 * Bumped whenever the digest, the canonical rules (canonical.ts) or the way sqlite-store.ts turns
 * stored values into record values change, so caches made by other versions are dropped.
 */
const CACHE_VERSION = 2

/** How many folders up from the database a project's `.syncdesk/` is looked for. */
const MAX_LEVELS_UP = 8

/** Cached rows of the tables of one database; see the module comment. */
export class SqliteRowCache {
  private tables = new Map<string, CachedTable & { schema: string }>()
  private loaded = false
  private dirty = false

  /** @param file where the cache is kept between processes; null: memory only */
  constructor(readonly file: string | null) {}

  /**
   * The cache of a database file: in `cacheFile` when one is given, else in its project's
   * `.syncdesk/cache/` when it is in one.
   */
  static forDatabase(dbFile: string, cacheFile?: string): SqliteRowCache {
    return new SqliteRowCache(dbFile === ':memory:' ? null : (cacheFile ?? cacheFileFor(dbFile)))
  }

  /** A table as last listed under this schema (no rows when none). */
  tableOf(table: string, schema: string): CachedTable {
    this.load()
    const t = this.tables.get(table)
    return t && t.schema === schema ? t : { digest: null, rows: new Map(), marker: null }
  }

  /** Replaces a table's cache with what a listing just found. */
  replace(table: string, schema: string, found: CachedTable): void {
    const old = this.tables.get(table)
    this.tables.set(table, { schema, ...found })
    if (!old || old.schema !== schema || old.digest !== found.digest || old.marker !== found.marker || (old.rows !== found.rows && !sameRows(old.rows, found.rows))) this.dirty = true
  }

  /** Forgets a table (its cache proved wrong). */
  drop(table: string): void {
    if (this.tables.delete(table)) this.dirty = true
  }

  /** Writes the cache file when something changed; a failure costs the next listing speed, never data. */
  async save(): Promise<void> {
    if (!this.dirty || !this.file) return
    const out: Stored = { version: CACHE_VERSION, tables: {} }
    for (const [name, t] of this.tables) {
      const s: StoredTable = { schema: t.schema, digest: t.digest, marker: t.marker, keys: [], digests: [], hashes: [] }
      for (const [key, r] of t.rows) {
        s.keys.push(key)
        s.digests.push(r.digest)
        s.hashes.push(r.hash)
      }
      out.tables[name] = s
    }
    try {
      if (!safeToUse(path.dirname(this.file), 'folder') || !safeToUse(this.file, 'file')) return
      await writeFileAtomic(this.file, JSON.stringify(out))
      this.dirty = false
    } catch {
      // The next listing hashes what this one could not record.
    }
  }

  private load(): void {
    if (this.loaded) return
    this.loaded = true
    if (!this.file || !safeToUse(path.dirname(this.file), 'folder') || !safeToUse(this.file, 'file')) return
    let stored: Stored
    try {
      stored = JSON.parse(readTextFile(this.file)) as Stored
    } catch {
      return
    }
    if (stored?.version !== CACHE_VERSION || typeof stored.tables !== 'object' || stored.tables === null) return
    for (const [name, t] of Object.entries(stored.tables)) {
      if (typeof t?.schema !== 'string' || !Array.isArray(t.keys) || !Array.isArray(t.digests) || !Array.isArray(t.hashes)) continue
      if (t.digests.length !== t.keys.length || t.hashes.length !== t.keys.length) continue
      const rows = new Map<string, CachedRow>()
      for (let i = 0; i < t.keys.length; i++) {
        const key = t.keys[i]
        const digest = t.digests[i]
        const hash = t.hashes[i]
        if (typeof key === 'string' && typeof digest === 'string' && typeof hash === 'string') rows.set(key, { digest, hash })
      }
      this.tables.set(name, { schema: t.schema, digest: typeof t.digest === 'string' ? t.digest : null, rows, marker: typeof t.marker === 'string' ? t.marker : null })
    }
  }
}

/**
 * The state of a SQLite database's files now, as one text (see the module comment), and whether
 * it is settled: neither file written (nor its times set) within the racy window before `now`.
 * The files are those SQLite writes: beside the database's real path, links resolved. Null when
 * there is doubt: a file that cannot be looked at, or a rollback journal on disk.
 */
export function databaseMarker(file: string, now = Date.now()): { key: string; settled: boolean } | null {
  let real: string
  try {
    real = fs.realpathSync(file)
  } catch {
    return null
  }
  const parts: string[] = []
  let settled = true
  for (const suffix of ['', '-wal', '-journal']) {
    let st: fs.BigIntStats | undefined
    try {
      st = fs.statSync(real + suffix, { bigint: true, throwIfNoEntry: false })
    } catch {
      return null
    }
    if (!st) {
      if (suffix === '') return null
      parts.push('-')
      continue
    }
    if (suffix === '-journal' || !st.isFile()) return null
    // An empty log holds nothing: each connection that opens the database may make it anew.
    if (suffix === '-wal' && st.size === 0n) {
      parts.push('-')
      continue
    }
    parts.push(`${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`)
    const latest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs
    if (Number(latest / 1_000_000n) >= now - RACY_WINDOW_MS) settled = false
  }
  return { key: parts.join('|'), settled }
}

/** The sha256 (base64) of a row's text (rowText). */
export function rowDigest(text: string): string {
  return crypto.hash('sha256', text, 'base64')
}

/**
 * A row's stored values as one text, as better-sqlite3 hands them out raw with safe integers:
 * each value tagged with its storage class (an INTEGER 1, a REAL 1.0 and a TEXT '1' differ) and
 * text and blobs length-prefixed, so the text of a row, and of rows one after another (a table's
 * digest), is never that of other values.
 */
export function rowText(values: readonly unknown[]): string {
  let text = ''
  for (const v of values) {
    if (v === null || v === undefined) text += 'n;'
    else if (typeof v === 'string') text += `s${v.length}:${v}`
    else if (typeof v === 'bigint') text += `i${v};`
    else if (typeof v === 'number') text += `r${Object.is(v, -0) ? '-0' : String(v)};`
    else if (Buffer.isBuffer(v)) text += `b${v.length}:${v.toString('hex')}`
    else text += `?${typeof v}${String(v).length}:${String(v)}`
  }
  return text
}

/** `<project>/.syncdesk/cache/records-<id>.json` for a database inside a project; else null. */
function cacheFileFor(dbFile: string): string | null {
  let real: string
  try {
    real = fs.realpathSync(dbFile)
  } catch {
    return null
  }
  let dir = path.dirname(real)
  for (let i = 0; i < MAX_LEVELS_UP; i++) {
    const state = path.join(dir, '.syncdesk')
    if (safeToUse(state, 'folder') && fs.existsSync(path.join(state, 'config.json'))) {
      const id = crypto.createHash('sha256').update(path.relative(dir, real)).digest('hex').slice(0, 16)
      return path.join(state, 'cache', `records-${id}.json`)
    }
    const up = path.dirname(dir)
    if (up === dir) break
    dir = up
  }
  return null
}

/** Whether a state entry may be read and written: missing (for a file), or ours and no symlink. */
function safeToUse(entry: string, want: 'folder' | 'file'): boolean {
  let st: fs.Stats
  try {
    st = fs.lstatSync(entry)
  } catch (err) {
    return want === 'file' && (err as NodeJS.ErrnoException).code === 'ENOENT'
  }
  if (st.isSymbolicLink()) return false
  if (want === 'folder' ? !st.isDirectory() : !st.isFile()) return false
  const uid = process.getuid?.()
  return uid === undefined || st.uid === uid
}

function sameRows(a: ReadonlyMap<string, CachedRow>, b: ReadonlyMap<string, CachedRow>): boolean {
  if (a.size !== b.size) return false
  for (const [key, r] of b) {
    const o = a.get(key)
    if (!o || o.digest !== r.digest || o.hash !== r.hash) return false
  }
  return true
}
