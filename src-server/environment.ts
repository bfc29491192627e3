/**
 * One environment as the server keeps it: the project folder, its filter, prior versions,
 * tokens, push/pull status and deployments, all behind one object.
 *
 * The HTTP routes and the `syncdesk-server` commands (`versions`, `restore`) share it, so a
 * restore from the command line follows the same rules as one over HTTP: the path is checked,
 * the write is conditional and the content it replaces is kept as a version in turn.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ApiManifestEntry, ApiSkippedFile } from '../src-shared/server-api.js'
import { isTempName } from '../src-main/engine/atomic.js'
import { openRecordStore } from '../src-main/engine/records/open-record-store.js'
import type { TableSpec } from '../src-main/engine/records/record-store.js'
import { DirStore, type DeleteRequest, type ItemResult, type ScanResult, type WriteRequest } from '../src-main/engine/dir-store.js'
import { createFilter, IGNORE_FILE, readIgnoreRules, type ScanFilter } from '../src-main/engine/filter.js'
import { Deployer } from './deployer.js'
import { ApiError } from './http-errors.js'
import { sortableId } from './ids.js'
import { assertSyncablePath } from './item-paths.js'
import { PathLocks } from './path-locks.js'
import { DEFAULT_TABLES, IDENTIFIER_RE, RecordVersionStore, ServerRecords, databaseSpec } from './records.js'
import { StatusStore } from './status-store.js'
import { TokenStore } from './tokens.js'
import { checkRetention, DEFAULT_VERSION_RETENTION, isVersionId, VersionStore, type PruneResult, type VersionMeta, type VersionRetention } from './versions.js'

/** The folder, inside the project, where the server keeps its own data. Never synced (hidden). */
export const SERVER_DATA_DIR = '.syncdesk-server'

/** Settings in `.syncdesk-server/config.json`; command-line flags win over them. */
export interface ServerConfigFile {
  name?: string
  deployCommand?: string
  deployTimeoutSec?: number
  extraExtensions?: string[]
  /** Tables counted in the status, with their key columns (default agents, skills, contexts keyed by id). */
  tables?: TableSpec[]
}

export interface EnvironmentOptions {
  projectDir: string
  /** The environment's name; default: config.json's, else the folder's name. */
  name?: string
  deployCommand?: string
  deployTimeoutSec?: number
  extraExtensions?: string[]
  /** How many files are hashed or written at once. */
  concurrency?: number
  /** True in the serving process (it owns deployments); false for one-off commands. */
  serving?: boolean
  /**
   * The database: a PostgreSQL URL (or `sqlite:PATH`). Default: `.syncdesk-server/database.sqlite`,
   * created when missing. Opened by `openDatabase`.
   */
  databaseUrl?: string
  /** How long a manifest is trusted without a scan while no change was seen (default MANIFEST_MAX_AGE_MS). */
  manifestMaxAgeMs?: number
  /** How long prior versions (files and records) are kept; default DEFAULT_VERSION_RETENTION. */
  retention?: Partial<VersionRetention>
  /** The clock versions are dated and pruned by (milliseconds; tests give a fake one). */
  now?: () => number
}

/** What one prune of an environment's prior versions removed. */
export interface EnvironmentPruneResult {
  retention: VersionRetention
  files: PruneResult
  records: PruneResult
}

/** The outcome of one item of a write request, as the API reports it. */
export interface ItemOutcome {
  path: string
  status: number
  hash?: string | null
  error?: { code: string; message: string; currentHash?: string | null }
}

/**
 * The manifest as `GET /v1/files` serves it, with its version.
 *
 * `version` is a digest of exactly what is served (every path, hash, size and mtime, and the
 * skipped files): equal versions mean equal bodies, across restarts too, so it can be an ETag.
 * `body` is the JSON answer, made once per version.
 */
export interface ServedManifest {
  version: string
  files: number
  skipped: number
  body: string
}

/**
 * How long a manifest is trusted without a scan even while no change was noticed: the backstop
 * for changes no watch sees (another machine writing into a network share).
 */
export const MANIFEST_MAX_AGE_MS = 30_000

/** Reads `.syncdesk-server/config.json`; a missing file is an empty config, a broken one an error. */
export function readServerConfig(projectDir: string): ServerConfigFile {
  const file = path.join(projectDir, SERVER_DATA_DIR, 'config.json')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
  const parsed = JSON.parse(text) as ServerConfigFile
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${file} must hold a JSON object`)
  return parsed
}

export class Environment {
  readonly root: string
  readonly dataDir: string
  readonly name: string
  readonly store: DirStore
  readonly tokens: TokenStore
  readonly versions: VersionStore
  /** Prior rows of records (kept here whether or not the database is open, so they can be pruned). */
  readonly recordVersions: RecordVersionStore
  /** How long prior versions are kept. */
  readonly retention: VersionRetention
  /** The environment's clock (milliseconds). */
  readonly now: () => number
  readonly status: StatusStore
  readonly deployer: Deployer
  readonly locks = new PathLocks()
  /** The environment's database, once `openDatabase` found one; null: none. */
  records: ServerRecords | null = null
  private readonly databaseUrl: string | undefined
  private readonly tables: TableSpec[]
  private readonly extraExtensions: string[]
  private filterStamp = ''
  private cachedFilter: ScanFilter | null = null
  private readonly serving: boolean
  private readonly manifestMaxAgeMs: number
  /** Bumped by every write through the server and every change a watch saw on disk. */
  private changeSeq = 0
  /** The last manifest made, with the change count it is valid for and when its scan began. */
  private lastManifest: { seq: number; startedAt: number; value: ServedManifest } | null = null
  private manifestScan: { seq: number; promise: Promise<ServedManifest> } | null = null
  /** Watches on the served folders (serving process only), started with the first manifest. */
  private changes: TreeChanges | null = null
  private pruning: Promise<EnvironmentPruneResult> | null = null
  private pruneTimer: NodeJS.Timeout | null = null

  constructor(opts: EnvironmentOptions) {
    this.root = path.resolve(opts.projectDir)
    const st = fs.statSync(this.root)
    if (!st.isDirectory()) throw new Error(`${this.root} is not a folder`)
    this.dataDir = path.join(this.root, SERVER_DATA_DIR)
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 })
    const config = readServerConfig(this.root)
    this.name = opts.name ?? config.name ?? path.basename(this.root)
    this.extraExtensions = opts.extraExtensions ?? config.extraExtensions ?? []
    this.databaseUrl = opts.databaseUrl
    this.serving = opts.serving ?? false
    this.manifestMaxAgeMs = opts.manifestMaxAgeMs ?? MANIFEST_MAX_AGE_MS
    this.tables = (config.tables ?? [...DEFAULT_TABLES]).filter((t) => IDENTIFIER_RE.test(t?.name ?? '') && IDENTIFIER_RE.test(t?.key ?? ''))
    this.store = new DirStore(this.root, { cacheFile: path.join(this.dataDir, 'scan-cache.json'), concurrency: opts.concurrency ?? 64 })
    this.tokens = new TokenStore(path.join(this.dataDir, 'tokens.json'))
    this.versions = new VersionStore(path.join(this.dataDir, 'versions'))
    this.recordVersions = new RecordVersionStore(path.join(this.dataDir, 'record-versions'))
    this.retention = checkRetention({ ...DEFAULT_VERSION_RETENTION, ...stripUndefined(opts.retention ?? {}) })
    this.now = opts.now ?? Date.now
    this.status = new StatusStore(path.join(this.dataDir, 'status.json'))
    this.deployer = new Deployer({
      command: opts.deployCommand ?? config.deployCommand,
      timeoutMs: (opts.deployTimeoutSec ?? config.deployTimeoutSec ?? 600) * 1000,
      cwd: this.root,
      dir: path.join(this.dataDir, 'deployments'),
      reconcile: opts.serving ?? false,
    })
  }

  /** Opens the database (see EnvironmentOptions.databaseUrl); a failure to connect throws. */
  async openDatabase(): Promise<void> {
    if (this.records) return
    const spec = databaseSpec(this.root, this.databaseUrl)
    const store = spec.kind === 'sqlite' ? await openRecordStore({ kind: 'sqlite', path: spec.path, create: true }) : await openRecordStore({ kind: 'postgres', url: spec.url })
    const where = store.describe()
    const scrub = (m: string): string => this.scrub(m.split(where).join('database'))
    this.records = new ServerRecords(store, spec.kind, this.recordVersions, this.locks, this.status, this.tables, scrub, this.now)
  }

  /**
   * Removes the prior versions (of files and of records) past the retention; see
   * VersionStore.prune. One prune at a time: a call while one runs gets that one's result.
   */
  pruneVersions(opts: { dryRun?: boolean } = {}): Promise<EnvironmentPruneResult> {
    if (this.pruning && !opts.dryRun) return this.pruning
    const run = (async (): Promise<EnvironmentPruneResult> => {
      const now = this.now()
      const files = await this.versions.prune(this.retention, now, opts)
      const records = await this.recordVersions.prune(this.retention, now, opts)
      return { retention: this.retention, files, records }
    })()
    if (opts.dryRun) return run
    this.pruning = run
    return run.finally(() => {
      if (this.pruning === run) this.pruning = null
    })
  }

  /**
   * Prunes now and then every `intervalMs` while serving; `report` hears what each prune removed
   * (or why it failed). Stopped by `close`.
   */
  startPruning(intervalMs: number, report: (result: EnvironmentPruneResult | Error) => void): void {
    if (this.pruneTimer) return
    const once = (): void => {
      this.pruneVersions().then(report, (err: unknown) => report(err instanceof Error ? err : new Error(String(err))))
    }
    once()
    this.pruneTimer = setInterval(once, intervalMs)
    this.pruneTimer.unref()
  }

  /** The project's filter (defaults, extra extensions, `.syncdeskignore`), re-read when the ignore file changes. */
  filter(): ScanFilter {
    let stamp = 'none'
    try {
      const st = fs.statSync(path.join(this.root, IGNORE_FILE))
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`
    } catch {
      // No ignore file.
    }
    if (!this.cachedFilter || stamp !== this.filterStamp) {
      this.cachedFilter = createFilter({ extraExtensions: this.extraExtensions, ignoreRules: stamp === 'none' ? undefined : readIgnoreRules(this.root) })
      this.filterStamp = stamp
    }
    return this.cachedFilter
  }

  /** Scans the project (rehashing only what changed) and saves the scan cache. */
  async scan(): Promise<ScanResult> {
    const result = await this.store.scan(this.filter())
    await this.store.saveCache()
    return result
  }

  /**
   * The manifest and its version, made cheaply when nothing changed.
   *
   * While the served folder is watched (the serving process) and no change was seen since the
   * last scan (no write through the server, no event from a watch, less than
   * `manifestMaxAgeMs` ago), the last manifest is returned without touching the disk: a
   * no-change poll costs a comparison. Otherwise the folder is scanned (fast-check cache: only
   * changed files are hashed) and the version is the digest of the result. `fresh` always scans.
   */
  async manifest(opts: { fresh?: boolean } = {}): Promise<ServedManifest> {
    // Events of changes made just before this request (a file written, then a GET) are queued
    // already; let them land before deciding that nothing changed.
    await new Promise((resolve) => setImmediate(resolve))
    if (this.serving && !this.changes) this.changes = new TreeChanges(this.root, () => this.filter(), () => this.noteChange())
    const last = this.lastManifest
    if (!opts.fresh && last && last.seq === this.changeSeq && this.changes?.trusted && Date.now() - last.startedAt < this.manifestMaxAgeMs) return last.value
    const seq = this.changeSeq
    if (!opts.fresh && this.manifestScan?.seq === seq) return this.manifestScan.promise
    // New folders get their watch before the scan: a change in one after this is seen by the
    // watch, one before it by the scan.
    this.changes?.watchNewFolders()
    const startedAt = Date.now()
    const promise = this.scan().then((result) => {
      const value = serveManifest(result)
      if (!this.lastManifest || this.lastManifest.seq <= seq) this.lastManifest = { seq, startedAt, value }
      return value
    })
    this.manifestScan = { seq, promise }
    try {
      return await promise
    } finally {
      if (this.manifestScan?.promise === promise) this.manifestScan = null
    }
  }

  /** Says the served files may have changed: the next manifest scans. */
  noteChange(): void {
    this.changeSeq++
  }

  /**
   * Removes temp files an interrupted write left behind: only SyncDesk's own, and only those
   * whose writer is gone (another server on a shared folder may still be writing).
   */
  async sweepStaleTemps(): Promise<{ removed: number; kept: string[] }> {
    const { staleTemps } = await this.scan()
    return this.store.sweepTemps(staleTemps)
  }

  /**
   * Applies conditional writes and deletes (paths already checked), keeping the prior version
   * of everything replaced or deleted; every path is held for the duration.
   */
  async apply(writes: readonly WriteRequest[], deletes: readonly DeleteRequest[], by: string, op: VersionMeta['op'] = writes.length ? 'write' : 'delete'): Promise<{ writes: ItemOutcome[]; deletes: ItemOutcome[]; versionId: string | null }> {
    const all = [...writes.map((w) => w.path), ...deletes.map((d) => d.path)]
    return this.locks.run(all, async () => {
      const versionId = sortableId()
      const { hook, kept } = this.versions.hook(versionId)
      let writeResults: ItemResult[]
      let deleteResults: ItemResult[]
      try {
        writeResults = writes.length ? await this.store.writeBatch(writes, hook) : []
        deleteResults = deletes.length ? await this.store.deleteBatch(deletes, hook) : []
      } finally {
        this.noteChange()
      }
      if (kept() > 0) await this.versions.writeMeta(versionId, { at: new Date(this.now()).toISOString(), by, op })
      const w = await Promise.all(writeResults.map((r, i) => this.outcome(r, (writes[i] as WriteRequest).expectedHash === null ? 201 : 200)))
      const d = await Promise.all(deleteResults.map((r) => this.outcome(r, 200)))
      const done = [...w, ...d].filter((o) => o.status < 300).length
      if (done > 0) this.status.recordPush(by, done)
      return { writes: w, deletes: d, versionId: kept() > 0 ? versionId : null }
    })
  }

  private async outcome(r: ItemResult, okStatus: number): Promise<ItemOutcome> {
    if (r.ok) return { path: r.path, status: okStatus, hash: r.hash }
    const message = this.scrub(r.message)
    if (r.reason === 'stale') {
      let currentHash: string | null = null
      try {
        currentHash = await this.store.currentHash(r.path)
      } catch {
        // Not a regular file: reported as stale without a hash.
      }
      return { path: r.path, status: 412, error: { code: 'stale', message: `${r.path} changed on the environment since the plan was made.`, currentHash } }
    }
    if (r.reason === 'refused' || /symbolic link/.test(message)) return { path: r.path, status: 400, error: { code: 'path-refused', message } }
    if (/not a regular file|EISDIR|ENOTDIR/.test(message)) return { path: r.path, status: 409, error: { code: 'not-a-file', message } }
    return { path: r.path, status: 500, error: { code: 'io-error', message } }
  }

  /** Hides the server's absolute paths from messages sent to clients. */
  private scrub(message: string): string {
    return message.split(this.root).join('<project>')
  }

  /**
   * Restores a kept version of `itemPath`. With `ifMatch` (a hash, or null for "absent") the
   * restore is conditional; without, it replaces whatever is current, which is kept in turn.
   */
  async restore(id: string, itemPath: string, by: string, ifMatch?: string | null): Promise<ItemOutcome & { versionId: string | null }> {
    assertSyncablePath(itemPath, this.filter())
    if (!isVersionId(id)) throw new ApiError(400, 'bad-version-id', `Invalid version id ${JSON.stringify(id)}.`)
    let content: Buffer
    try {
      content = await this.versions.read(id, itemPath)
    } catch {
      throw new ApiError(404, 'version-not-found', `Version ${id} of ${itemPath} is not kept on this environment.`)
    }
    for (let attempt = 0; ; attempt++) {
      const expectedHash = ifMatch !== undefined ? ifMatch : await this.store.currentHash(itemPath)
      const res = await this.apply([{ path: itemPath, content, expectedHash }], [], by, 'restore')
      const outcome = res.writes[0] as ItemOutcome
      // Unconditional restore: retry once if the file moved between reading its hash and writing.
      if (outcome.status === 412 && ifMatch === undefined && attempt < 2) continue
      return { ...outcome, versionId: res.versionId }
    }
  }

  /** Flushes status and caches, stops a running deployment. */
  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    this.pruneTimer = null
    await this.pruning?.catch(() => undefined)
    this.changes?.close()
    this.changes = null
    await this.deployer.stop()
    await this.records?.close()
    this.records = null
    await this.status.flush()
    await this.store.saveCache()
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The manifest of a scan as served: sorted, serialized once, and its digest as the version. */
function serveManifest(result: ScanResult): ServedManifest {
  const files: ApiManifestEntry[] = []
  for (const [p, e] of result.files) files.push({ path: p, hash: e.hash, size: e.size, mtimeMs: e.mtimeMs })
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const skipped: ApiSkippedFile[] = [...result.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.reason < b.reason ? -1 : 1))
  const body = JSON.stringify({ files, skipped })
  // The body is a function of the manifest alone (sorted, fixed key order): its digest is the version.
  const version = crypto.createHash('sha256').update(body).digest('hex').slice(0, 40)
  return { version, files: files.length, skipped: skipped.length, body }
}

/** More folders than this are not watched (each costs a kernel watch); the manifest then scans every time. */
const MAX_WATCHED_FOLDERS = 50_000

/**
 * Watches every synced folder of the served tree, to know when the manifest may have changed.
 *
 * One `fs.watch` per folder (not per file): a folder's watch reports every change of the files
 * in it (writes, creations, deletions, renames), which is all the manifest needs to know; what
 * changed is for the scan to find. New folders are watched as they appear (before the scan
 * that follows, see Environment.manifest), folders that went away are let go. When watching
 * fails (the system's watch limit, too many folders), `trusted` turns false for good and the
 * manifest scans at every request, as it would without watches.
 */
class TreeChanges {
  trusted = true
  private readonly watches = new Map<string, fs.FSWatcher>()
  /** Entries (absolute paths) an event named, that may be new folders or folders gone. */
  private readonly touched = new Set<string>()
  private rewalk = false

  constructor(
    private readonly root: string,
    private readonly filter: () => ScanFilter,
    private readonly onChange: () => void,
  ) {
    this.walk(root, '')
  }

  /** Watches the folders that appeared since the last call, and lets go of those that went away. */
  watchNewFolders(): void {
    if (!this.trusted) return
    if (this.rewalk) {
      this.rewalk = false
      this.touched.clear()
      for (const dir of [...this.watches.keys()]) if (!isFolder(dir)) this.unwatch(dir)
      this.walk(this.root, '')
      return
    }
    const touched = [...this.touched]
    this.touched.clear()
    for (const abs of touched) {
      if (this.watches.has(abs) && !isFolder(abs)) this.unwatch(abs)
      else if (!this.watches.has(abs) && isFolder(abs)) {
        const rel = path.relative(this.root, abs).split(path.sep).join('/')
        if (this.included(rel)) this.walk(abs, rel)
      }
    }
  }

  close(): void {
    for (const w of this.watches.values()) w.close()
    this.watches.clear()
    this.trusted = false
  }

  /** Whether a folder (relative) and every folder above it are synced. */
  private included(rel: string): boolean {
    const filter = this.filter()
    let prefix = ''
    for (const seg of rel.split('/')) {
      prefix = prefix ? `${prefix}/${seg}` : seg
      if (!filter.includeDir(prefix, seg)) return false
    }
    return true
  }

  /** Watches a folder and every synced folder under it (symbolic links are never followed). */
  private walk(abs: string, rel: string): void {
    if (!this.trusted) return
    this.watch(abs, rel)
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    const filter = this.filter()
    for (const e of entries) {
      if (!e.isDirectory()) continue
      const childRel = rel ? `${rel}/${e.name}` : e.name
      if (filter.includeDir(childRel, e.name)) this.walk(path.join(abs, e.name), childRel)
    }
  }

  private watch(abs: string, rel: string): void {
    if (!this.trusted || this.watches.has(abs)) return
    if (this.watches.size >= MAX_WATCHED_FOLDERS) {
      this.giveUp()
      return
    }
    let w: fs.FSWatcher
    try {
      w = fs.watch(abs, { persistent: false }, (_event, name) => this.changed(abs, rel, name === null ? null : String(name)))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      this.giveUp()
      return
    }
    w.on('error', () => {
      if (isFolder(abs)) this.giveUp()
      else this.unwatch(abs)
      this.onChange()
    })
    this.watches.set(abs, w)
  }

  private changed(abs: string, rel: string, name: string | null): void {
    if (name === null) {
      // No name: something changed in this folder, maybe a folder. Look again everywhere.
      this.rewalk = true
      this.onChange()
      return
    }
    // SyncDesk's own temp files come and go with every write through the server (which notes
    // its change itself); names that are neither synced files nor synced folders change nothing.
    if (isTempName(name)) return
    const childRel = rel ? `${rel}/${name}` : name
    if (childRel === IGNORE_FILE) this.rewalk = true
    else {
      const filter = this.filter()
      if (!filter.includeFile(childRel, name) && !filter.includeDir(childRel, name) && !this.watches.has(path.join(abs, name))) return
    }
    this.touched.add(path.join(abs, name))
    this.onChange()
  }

  private unwatch(abs: string): void {
    const prefix = abs + path.sep
    for (const [dir, w] of this.watches) {
      if (dir === abs || dir.startsWith(prefix)) {
        w.close()
        this.watches.delete(dir)
      }
    }
  }

  private giveUp(): void {
    this.close()
    this.onChange()
  }
}

function isFolder(abs: string): boolean {
  try {
    return fs.lstatSync(abs).isDirectory()
  } catch {
    return false
  }
}
