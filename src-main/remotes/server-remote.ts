/**
 * The `server` environment: an environment server (`syncdesk-server`) over HTTP(S).
 *
 * Many small files cost few round trips: reads and writes go in batches (at most `batchItems`
 * items or `batchBytes` bytes each, a few in flight) over keep-alive connections; files larger
 * than `largeFileBytes` go one at a time as raw bytes. Every write carries its precondition, so
 * every call can be retried after a network error or a 5xx: a retried write that then meets
 * 412 is a success when the environment already holds exactly what it wrote (the first answer
 * was lost), and stale otherwise. The token is kept in a private field and never appears in
 * messages.
 */
import http from 'node:http'
import type { ApiDeployment, ApiFileVersion, ApiManifest, ApiRecordVersion } from '../../src-shared/server-api.js'
import https from 'node:https'
import { sha256 } from '../engine/atomic.js'
import { chunk, mapLimit } from '../engine/concurrency.js'
import { SyncDeskError } from '../engine/errors.js'
import type { ScanFilter } from '../engine/filter.js'
import { recordHash } from '../engine/records/canonical.js'
import { listedRecords } from '../engine/records/listing-registry.js'
import { textOf } from '../engine/read-text.js'
import type { RecordDelete, RecordEntry, RecordResult, RecordWrite, TableSpec } from '../engine/records/record-store.js'
import type { DeleteRequest, DeploymentInfo, EnvironmentInfo, ItemResult, Manifest, Remote, RemoteCallOptions, RemoteRecords, RemoteScan, WriteRequest } from '../engine/remote.js'
import { appendAll } from '../engine/arrays.js'
import type { CreateTableResult, RemoteWithTables, TableDefinition, TableDefinitions } from '../engine/records/table-definitions.js'

export interface ServerRemoteOptions {
  /** Most items in one batch request (default 500 files, 2,500 records). */
  batchItems?: number
  /** Most content bytes in one batch request (default 8 MiB). */
  batchBytes?: number
  /** Batch requests in flight at once (default 4). */
  inFlight?: number
  /** Files above this size are sent and fetched one at a time as raw bytes (default 8 MiB). */
  largeFileBytes?: number
  /** Give up on a request with no answer after this long (default 120 s). */
  requestTimeoutMs?: number
  /** Retries after a network error or a 5xx (default 3). */
  retries?: number
  /** The first retry delay; each next one doubles (default 250 ms). */
  retryBaseMs?: number
  /** No retry starts later than this after the first attempt (default 10 s). */
  retryBudgetMs?: number
}

/** `GET /v1/status` of an environment server. */
export interface ServerStatus {
  name: string
  lastPush: { at: string; by: string; items: number } | null
  lastPull: { at: string; by: string; items: number } | null
  /** The environment's database; null (or absent, from older servers) when it has none. */
  database?: { kind: 'sqlite' | 'postgres' } | null
  /** Records per table are there when the environment has a database. */
  items: { files: number; skipped: number; records?: Record<string, number> }
  /** The manifest's version, as in its ETag (absent from older servers). */
  manifestVersion?: string
  deploy: { configured: boolean; running: boolean; latest: ServerDeployment | null }
}

/** What the manifest requests of one ServerRemote cost. */
export interface ManifestTransfers {
  /** `GET /v1/files` requests answered. */
  requests: number
  /** Of those, how many were 304 Not Modified (no body). */
  notModified: number
  /** Body bytes received in all of them. */
  bodyBytes: number
}

/** The last manifest received, with its ETag (null from servers that send none). */
interface KeptManifest {
  etag: string | null
  version: string
  files: Manifest
  skipped: { path: string; reason: string }[]
}

/** A deployment as the environment server reports it (`logTail` as lines). */
export type ServerDeployment = ApiDeployment

/** A kept prior version of a file on the environment server. */
export type ServerVersion = ApiFileVersion

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** 0 for the first attempt; more when this answer came from a retry. */
  attempt: number
}

interface CallOptions {
  body?: Buffer
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Statuses the caller handles itself (no throw). */
  accept?: readonly number[]
}

interface WireOutcome {
  path: string
  status: number
  hash?: string | null
  error?: { code: string; message: string; currentHash?: string | null }
}

/** One record of a batch write, as the server answers it. */
interface WireRecordOutcome {
  key: string
  status: number
  hash?: string | null
  error?: { code: string; message: string; currentHash?: string | null }
}

/** A kept prior row of a record on the environment server. */
export type ServerRecordVersion = ApiRecordVersion

/** One item of a batch read: its content (base64) or why not. */
type ReadOutcome = WireOutcome & { content?: string }

const MiB = 1024 * 1024
const RETRYABLE_STATUS = new Set([500, 502, 503, 504])

function encodeItemPath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/')
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}

class NetworkError extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** The environment's database as records that can also describe and create tables. */
export type ServerRemoteRecords = RemoteRecords & TableDefinitions

export class ServerRemote implements Remote, RemoteWithTables {
  readonly #token: string
  private readonly url: URL
  private readonly prefix: string
  private readonly agent: http.Agent
  private readonly client: typeof http | typeof https
  private readonly o: Required<ServerRemoteOptions>
  /** Sizes from the last scan, to size read batches. */
  private knownSizes = new Map<string, number>()
  /** The last manifest and its ETag, for conditional requests. */
  private kept: KeptManifest | null = null
  private readonly transfers: ManifestTransfers = { requests: 0, notModified: 0, bodyBytes: 0 }
  /** Records per write or delete batch. */
  private readonly recordBatch: number

  /**
   * @param envName the environment's name, for messages
   * @param baseUrl the server's address (`https://host:7420`, optionally with a path prefix)
   * @param token a bearer token of the server (kept private, never logged)
   */
  constructor(
    readonly envName: string,
    baseUrl: string,
    token: string,
    opts: ServerRemoteOptions = {},
  ) {
    let url: URL
    try {
      url = new URL(baseUrl)
    } catch {
      throw new SyncDeskError('config-invalid', `The address of environment "${envName}" is not a URL.`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SyncDeskError('config-invalid', `The address of environment "${envName}" must start with http:// or https://.`)
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    this.url = url
    this.prefix = url.pathname.replace(/\/+$/, '')
    this.#token = token
    this.o = {
      batchItems: opts.batchItems ?? 500,
      batchBytes: opts.batchBytes ?? 8 * MiB,
      inFlight: opts.inFlight ?? 4,
      largeFileBytes: opts.largeFileBytes ?? 8 * MiB,
      requestTimeoutMs: opts.requestTimeoutMs ?? 120_000,
      retries: opts.retries ?? 3,
      retryBaseMs: opts.retryBaseMs ?? 250,
      retryBudgetMs: opts.retryBudgetMs ?? 10_000,
    }
    this.recordBatch = Math.max(1, Math.min(opts.batchItems ?? RECORD_WRITE_BATCH, MAX_RECORD_BATCH))
    this.client = url.protocol === 'https:' ? https : http
    const AgentClass = url.protocol === 'https:' ? https.Agent : http.Agent
    this.agent = new AgentClass({ keepAlive: true, maxSockets: Math.max(this.o.inFlight * 2, 4) })
  }

  /** The server's address, without credentials. */
  get baseUrl(): string {
    return `${this.url.origin}${this.prefix}`
  }

  describe(): string {
    return `server ${this.baseUrl}`
  }

  /**
   * The environment's manifest. The last one is kept with its ETag and asked for again with
   * `If-None-Match`: while nothing changed the server answers 304 with no body, and the kept
   * manifest is returned (a copy: the engine may trim what it is given).
   */
  async scan(_filter: ScanFilter, opts: RemoteCallOptions = {}): Promise<RemoteScan> {
    const m = await this.fetchManifest(opts.signal)
    return { files: new Map(m.files), skipped: [...m.skipped] }
  }

  /**
   * The version of the environment's manifest: it changes whenever a file is added, changed or
   * deleted there. A poller compares it with the one it saw last; asking costs a 304 while
   * nothing changed, and when something did, the new manifest is kept for the next `scan`.
   */
  async manifestVersion(opts: RemoteCallOptions = {}): Promise<string> {
    return (await this.fetchManifest(opts.signal)).version
  }

  /** What the manifest requests of this remote cost so far (for tests and diagnostics). */
  get manifestTransfers(): Readonly<ManifestTransfers> {
    return { ...this.transfers }
  }

  private async fetchManifest(signal?: AbortSignal): Promise<KeptManifest> {
    const kept = this.kept
    const headers: Record<string, string> = kept?.etag ? { 'if-none-match': kept.etag } : {}
    const ans = await this.call('GET', '/v1/files', { signal, headers, accept: [304] })
    this.transfers.requests++
    this.transfers.bodyBytes += ans.body.byteLength
    const etag = typeof ans.headers.etag === 'string' ? ans.headers.etag : null
    if (ans.status === 304) {
      if (!kept) throw this.protocolError('304 Not Modified to a request without If-None-Match')
      this.transfers.notModified++
      return kept
    }
    const body = parseJson<ApiManifest>(ans, this)
    if (!Array.isArray(body.files) || !Array.isArray(body.skipped)) throw this.protocolError('a manifest without files')
    const files: Manifest = new Map()
    const sizes = new Map<string, number>()
    for (const f of body.files) {
      files.set(f.path, { hash: f.hash, size: f.size, mtimeMs: f.mtimeMs })
      sizes.set(f.path, f.size)
    }
    this.knownSizes = sizes
    // A server older than manifest versions sends no ETag: the version is then the body's digest.
    const version = etag ? etag.replace(/^W\//, '').replace(/^"|"$/g, '') : sha256(ans.body)
    const m: KeptManifest = { etag, version, files, skipped: body.skipped }
    this.kept = m
    return m
  }

  async readFiles(paths: readonly string[], opts: RemoteCallOptions = {}): Promise<Map<string, Buffer | Error>> {
    const out = new Map<string, Buffer | Error>()
    const large = paths.filter((p) => (this.knownSizes.get(p) ?? 0) > this.o.largeFileBytes)
    const small = paths.filter((p) => (this.knownSizes.get(p) ?? 0) <= this.o.largeFileBytes)
    const chunks = chunk(small, this.o.batchItems, this.o.batchBytes, (p) => this.knownSizes.get(p) ?? 0)
    await mapLimit(chunks, this.o.inFlight, async (c) => {
      let pending: string[] = c
      while (pending.length > 0) {
        const res = await this.json<{ items: ReadOutcome[]; rest: string[] }>('POST', '/v1/files/read', { body: jsonBody({ paths: pending }), signal: opts.signal })
        for (const item of res.items) {
          if (item.status === 200 && typeof item.content === 'string') out.set(item.path, Buffer.from(item.content, 'base64'))
          else out.set(item.path, new Error(item.error?.message ?? `${item.path} could not be read (HTTP ${item.status}).`))
        }
        if (res.rest.length >= pending.length) throw this.protocolError('the batch read made no progress')
        pending = res.rest
      }
    }, opts.signal)
    await mapLimit(large, this.o.inFlight, async (p) => {
      const ans = await this.call('GET', `/v1/files/${encodeItemPath(p)}`, { signal: opts.signal, accept: [400, 404, 415] })
      out.set(p, ans.status === 200 ? ans.body : new Error(errorMessage(ans) ?? `${p} could not be read (HTTP ${ans.status}).`))
    }, opts.signal)
    this.throwIfAborted(opts.signal)
    return out
  }

  async writeFiles(reqs: readonly WriteRequest[], opts: RemoteCallOptions = {}): Promise<ItemResult[]> {
    const results = new Array<ItemResult>(reqs.length)
    const indexed = reqs.map((req, i) => ({ req, i }))
    const large = indexed.filter(({ req }) => req.content.byteLength > this.o.largeFileBytes)
    const small = indexed.filter(({ req }) => req.content.byteLength <= this.o.largeFileBytes)
    const chunks = chunk(small, this.o.batchItems, this.o.batchBytes, ({ req }) => req.content.byteLength)
    await mapLimit(chunks, this.o.inFlight, async (c) => {
      const items = c.map(({ req }) => ({
        path: req.path,
        content: Buffer.from(req.content.buffer, req.content.byteOffset, req.content.byteLength).toString('base64'),
        ...(req.expectedHash === null ? { ifNoneMatch: '*' } : { ifMatch: req.expectedHash }),
      }))
      const ans = await this.call('POST', '/v1/files/write', { body: jsonBody({ items }), signal: opts.signal })
      const res = parseJson<{ writes: WireOutcome[] }>(ans, this)
      c.forEach(({ req, i }, k) => {
        results[i] = this.writeResult(req, res.writes[k], ans.attempt)
      })
    }, opts.signal)
    await mapLimit(large, this.o.inFlight, async ({ req, i }) => {
      const ans = await this.call('PUT', `/v1/files/${encodeItemPath(req.path)}`, {
        body: Buffer.from(req.content.buffer, req.content.byteOffset, req.content.byteLength),
        headers: { 'content-type': 'application/octet-stream', ...(req.expectedHash === null ? { 'if-none-match': '*' } : { 'if-match': `"${req.expectedHash}"` }) },
        signal: opts.signal,
        accept: [400, 409, 412, 415, 428],
      })
      const body = safeJson(ans.body) as { hash?: string; error?: WireOutcome['error'] } | null
      const etagHash = /^"([0-9a-f]{64})"$/.exec(String(ans.headers.etag ?? ''))?.[1] ?? null
      results[i] = this.writeResult(req, { path: req.path, status: ans.status, hash: body?.hash ?? null, error: body?.error ? { ...body.error, currentHash: etagHash } : undefined }, ans.attempt)
    }, opts.signal)
    this.throwIfAborted(opts.signal)
    return results
  }

  async deleteFiles(reqs: readonly DeleteRequest[], opts: RemoteCallOptions = {}): Promise<ItemResult[]> {
    const results: ItemResult[] = []
    const chunks = chunk(reqs, this.o.batchItems)
    const parts = await mapLimit(chunks, this.o.inFlight, async (c) => {
      const ans = await this.call('POST', '/v1/files/write', { body: jsonBody({ deletes: c.map((d) => ({ path: d.path, ifMatch: d.expectedHash })) }), signal: opts.signal })
      const res = parseJson<{ deletes: WireOutcome[] }>(ans, this)
      return c.map((d, k): ItemResult => {
        const o = res.deletes[k]
        if (!o || o.path !== d.path) return { path: d.path, ok: false, reason: 'failed', message: `${d.path}: the environment's answer did not match the request.` }
        if (o.status < 300) return { path: d.path, ok: true, hash: null }
        // A retried delete whose first answer was lost: the file is gone, as asked.
        if (o.status === 412 && ans.attempt > 0 && o.error?.currentHash === null) return { path: d.path, ok: true, hash: null }
        return failureOf(d.path, o)
      })
    }, opts.signal)
    for (const p of parts) if (p) appendAll(results, p)
    this.throwIfAborted(opts.signal)
    return results
  }

  private writeResult(req: WriteRequest, o: WireOutcome | undefined, attempt: number): ItemResult {
    if (!o || o.path !== req.path) return { path: req.path, ok: false, reason: 'failed', message: `${req.path}: the environment's answer did not match the request.` }
    if (o.status === 200 || o.status === 201) return { path: req.path, ok: true, hash: o.hash ?? sha256(req.content) }
    if (o.status === 412 && attempt > 0) {
      // The first attempt may have written it and its answer was lost.
      const mine = sha256(req.content)
      if (o.error?.currentHash === mine) return { path: req.path, ok: true, hash: mine }
    }
    return failureOf(req.path, o)
  }

  /**
   * The environment's database as records, or null when the server has none (`GET /v1/database`
   * says `database: null`). Writes and deletes go through the batch endpoint, at most `batchItems`
   * records per request; 412 → `stale`.
   */
  async openRecords(): Promise<ServerRemoteRecords | null> {
    // Servers from before records answer 404 here: they have no database to offer.
    const ans = await this.call('GET', '/v1/database', { accept: [404] })
    const kind = ans.status === 404 ? null : parseJson<{ database?: { kind: string } | null }>(ans, this).database?.kind
    if (kind !== 'sqlite' && kind !== 'postgres') return null
    return {
      dialect: kind,
      list: (table, opts) => this.listRecords(table, opts),
      write: (table, writes, opts) => this.writeRecords(table, writes, opts),
      delete: (table, deletes, opts) => this.deleteRecords(table, deletes, opts),
      describeTable: (name, opts) => this.describeTable(name, opts),
      createTable: (def, opts) => this.createTable(def, opts),
    }
  }

  /** The environment's database as table definitions (see openRecords); null when it has none. */
  openTables(): Promise<TableDefinitions | null> {
    return this.openRecords()
  }

  /** How a table of the environment's database is defined; null when it has no such table. */
  async describeTable(name: string, opts: RemoteCallOptions = {}): Promise<TableDefinition | null> {
    const ans = await this.call('GET', `/v1/tables/${encodeURIComponent(name)}/definition`, { signal: opts.signal, accept: [404] })
    if (ans.status === 404) {
      const code = (safeJson(ans.body) as { error?: { code?: string } } | null)?.error?.code
      if (code === 'table-not-found') return null
      if (code === 'no-database') throw new SyncDeskError('remote-error', `${this.envName} has no database.`)
      throw new SyncDeskError('remote-error', `The environment server of ${this.envName} cannot describe or create tables (it is older than that).`, 'Update syncdesk-server there, or create the table by hand.')
    }
    const def = parseJson<{ definition?: TableDefinition }>(ans, this).definition
    if (!def || typeof def.name !== 'string' || !Array.isArray(def.columns)) throw this.protocolError('a table definition without columns')
    return def
  }

  /**
   * Creates a table in the environment's database from a definition (names and portable types,
   * never SQL; the server makes its own statement). A table already there is left as it is:
   * `created: false` (so is one made by a first attempt whose answer was lost, then retried).
   */
  async createTable(def: TableDefinition, opts: RemoteCallOptions = {}): Promise<CreateTableResult> {
    const body = { name: def.name, columns: def.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull })), primaryKey: def.primaryKey, unique: def.unique }
    const ans = await this.call('POST', '/v1/tables', { body: jsonBody(body), signal: opts.signal, accept: [400, 409, 422] })
    const res = safeJson(ans.body) as { statement?: string; error?: { code?: string; message?: string; statement?: string } } | null
    if (ans.status === 201) return { created: true, statement: res?.statement ?? '' }
    if (ans.status === 409 && res?.error?.code === 'table-exists') return { created: false, statement: res.error.statement ?? '' }
    throw new SyncDeskError('remote-error', `${this.envName} refused to create table "${def.name}": ${res?.error?.message ?? `HTTP ${ans.status}`}`)
  }

  /** Every record of a table, by key. */
  async listRecords(table: TableSpec, opts: RemoteCallOptions = {}): Promise<Map<string, RecordEntry>> {
    const ans = await this.call('GET', `${this.tablePath(table)}/records?keyColumn=${encodeURIComponent(table.key)}&fields=hashes`, { signal: opts.signal, accept: [404] })
    if (ans.status === 404) {
      const code = (safeJson(ans.body) as { error?: { code?: string } } | null)?.error?.code
      // A missing table is `not-found`, as the local stores say it, so a run can offer to create it.
      if (code === 'table-not-found') {
        throw new SyncDeskError('not-found', `The database of ${this.envName} has no table "${table.name}".`, "A push can create it from the local table's definition; or create it there by hand, or stop syncing the table.", { env: this.envName, table: table.name, side: 'remote' })
      }
      throw new SyncDeskError('remote-error', `The environment "${this.envName}" at ${this.baseUrl} refused the request: ${errorMessage(ans) ?? 'HTTP 404'}`)
    }
    const body = parseJson<{ fields?: string; records: RecordEntry[] }>(ans, this)
    if (!Array.isArray(body.records)) throw this.protocolError('no records in the listing')
    const out = new Map<string, RecordEntry>()
    // A server older than hash-only listings sends every record's data with it.
    if (body.fields !== 'hashes') {
      for (const r of body.records) out.set(r.key, { key: r.key, hash: r.hash, data: r.data })
      return out
    }
    // The data of a record some local listing has with the same hash is that listing's; the
    // rest is read (listing-registry.ts). Until then a record keeps its place in key order.
    const local = await listedRecords(table.name)
    const missing: string[] = []
    for (const r of body.records) {
      if (typeof r?.key !== 'string' || typeof r.hash !== 'string') throw this.protocolError('a listed record without key or hash')
      const same = local?.get(r.key)
      // The same key and hash: the local entry itself (its data is frozen, made when first read).
      if (same && same.hash === r.hash) out.set(r.key, same)
      else {
        missing.push(r.key)
        out.set(r.key, { key: r.key, hash: r.hash, data: {} })
      }
    }
    const read = await mapLimit(chunk(missing, RECORD_READ_BATCH), this.o.inFlight, async (keys) => {
      const ans = await this.call('POST', `${this.tablePath(table)}/records/read?keyColumn=${encodeURIComponent(table.key)}`, { body: jsonBody({ keys, compare: true }), signal: opts.signal })
      const res = parseJson<{ records?: (RecordEntry & { status: number })[] }>(ans, this)
      if (!Array.isArray(res.records) || res.records.length !== keys.length) throw this.protocolError('the records read do not match the keys asked for')
      return res.records
    }, opts.signal)
    this.throwIfAborted(opts.signal)
    // A record read after the listing is taken as read (its hash and data together); one gone meanwhile is gone.
    for (const r of read.flat()) {
      if (r.status === 404) out.delete(r.key)
      else if (r.status === 200 && typeof r.hash === 'string' && r.data && typeof r.data === 'object') out.set(r.key, { key: r.key, hash: r.hash, data: r.data })
      else throw this.protocolError(`record ${r.key} could not be read (HTTP ${r.status})`)
    }
    return out
  }

  /** Conditional record writes (expectedHash null: create). */
  async writeRecords(table: TableSpec, writes: readonly RecordWrite[], opts: RemoteCallOptions = {}): Promise<RecordResult[]> {
    // Each write is turned into JSON once; batches are cut by count and by bytes from those texts.
    const items = writes.map((w) => ({ w, json: JSON.stringify({ key: w.key, data: w.data, ...(w.expectedHash === null ? { ifNoneMatch: '*' } : { ifMatch: w.expectedHash }) }) }))
    const batches = chunk(items, this.recordBatch, this.o.batchBytes, (it) => it.json.length)
    const parts = await mapLimit(batches, this.o.inFlight, async (batch) => {
      const c = batch.map((it) => it.w)
      const body = Buffer.from(`{"writes":[${batch.map((it) => it.json).join(',')}]}`, 'utf8')
      const ans = await this.call('POST', `${this.tablePath(table)}/records/write?keyColumn=${encodeURIComponent(table.key)}`, { body, signal: opts.signal })
      const res = parseJson<{ writes: WireRecordOutcome[] }>(ans, this)
      return c.map((w, k): RecordResult => {
        const o = res.writes?.[k]
        if (!o || o.key !== w.key) return { key: w.key, ok: false, reason: 'failed', message: `${table.name}/${w.key}: the environment's answer did not match the request.` }
        if (o.status === 200 || o.status === 201) return { key: w.key, ok: true, hash: o.hash ?? null }
        // A retried write whose first answer was lost: the environment holds what was written.
        if (o.status === 412 && ans.attempt > 0 && o.error?.currentHash && o.error.currentHash === safeRecordHash(w.data)) return { key: w.key, ok: true, hash: o.error.currentHash }
        return recordFailure(w.key, o)
      })
    }, opts.signal)
    this.throwIfAborted(opts.signal)
    return parts.flat()
  }

  /** Conditional record deletes. */
  async deleteRecords(table: TableSpec, deletes: readonly RecordDelete[], opts: RemoteCallOptions = {}): Promise<RecordResult[]> {
    const parts = await mapLimit(chunk(deletes, this.recordBatch), this.o.inFlight, async (c) => {
      const ans = await this.call('POST', `${this.tablePath(table)}/records/write?keyColumn=${encodeURIComponent(table.key)}`, { body: jsonBody({ deletes: c.map((d) => ({ key: d.key, ifMatch: d.expectedHash })) }), signal: opts.signal })
      const res = parseJson<{ deletes: WireRecordOutcome[] }>(ans, this)
      return c.map((d, k): RecordResult => {
        const o = res.deletes?.[k]
        if (!o || o.key !== d.key) return { key: d.key, ok: false, reason: 'failed', message: `${table.name}/${d.key}: the environment's answer did not match the request.` }
        if (o.status < 300) return { key: d.key, ok: true, hash: null }
        if (o.status === 412 && ans.attempt > 0 && o.error?.currentHash === null) return { key: d.key, ok: true, hash: null }
        return recordFailure(d.key, o)
      })
    }, opts.signal)
    this.throwIfAborted(opts.signal)
    return parts.flat()
  }

  /** Kept prior rows of a table (of one record when `key` is given), newest first. */
  async recordVersions(table: string, key?: string, opts: RemoteCallOptions = {}): Promise<ServerRecordVersion[]> {
    const q = key === undefined ? '' : `?key=${encodeURIComponent(key)}`
    return (await this.json<{ versions: ServerRecordVersion[] }>('GET', `/v1/tables/${encodeURIComponent(table)}/versions${q}`, { signal: opts.signal })).versions
  }

  private tablePath(table: TableSpec): string {
    return `/v1/tables/${encodeURIComponent(table.name)}`
  }

  /** The environment's status (name, last push/pull, counts, deployment). */
  status(opts: RemoteCallOptions = {}): Promise<ServerStatus> {
    return this.json<ServerStatus>('GET', '/v1/status', { signal: opts.signal })
  }

  /** Last push and pull, and the latest deployment (the engine's view of `status`). */
  async info(opts: RemoteCallOptions = {}): Promise<EnvironmentInfo> {
    const st = await this.status(opts)
    return { lastPush: st.lastPush, lastPull: st.lastPull, deployment: st.deploy.latest ? toDeploymentInfo(st.deploy.latest) : null }
  }

  /** Starts the environment's deploy command (needs the deploy scope); never retried. */
  async deploy(opts: RemoteCallOptions = {}): Promise<DeploymentInfo> {
    return toDeploymentInfo(await this.json<ServerDeployment>('POST', '/v1/deploy', { signal: opts.signal, noRetry: true }))
  }

  /** One deployment by id. */
  async deployment(id: string, opts: RemoteCallOptions = {}): Promise<DeploymentInfo> {
    return toDeploymentInfo(await this.json<ServerDeployment>('GET', `/v1/deployments/${encodeURIComponent(id)}`, { signal: opts.signal }))
  }

  /** Recent deployments, newest first. */
  async deployments(opts: RemoteCallOptions = {}): Promise<DeploymentInfo[]> {
    return (await this.json<{ deployments: ServerDeployment[] }>('GET', '/v1/deployments', { signal: opts.signal })).deployments.map(toDeploymentInfo)
  }

  /** Kept prior versions (of one file, or all), newest first. */
  async versions(itemPath?: string, opts: RemoteCallOptions = {}): Promise<ServerVersion[]> {
    const q = itemPath === undefined ? '' : `?path=${encodeURIComponent(itemPath)}`
    return (await this.json<{ versions: ServerVersion[] }>('GET', `/v1/versions${q}`, { signal: opts.signal })).versions
  }

  /** The newest kept version of `itemPath` with this hash, or null (undo of a push). */
  async readPrior(itemPath: string, hash: string, opts: RemoteCallOptions = {}): Promise<Buffer | null> {
    const kept = (await this.versions(itemPath, opts)).find((v) => v.path === itemPath && v.hash === hash)
    if (!kept) return null
    const content = await this.readVersion(kept.id, itemPath, opts)
    return sha256(content) === hash ? content : null
  }

  /** The content of a kept version. */
  async readVersion(id: string, itemPath: string, opts: RemoteCallOptions = {}): Promise<Buffer> {
    return (await this.call('GET', `/v1/versions/${encodeURIComponent(id)}/${encodeItemPath(itemPath)}`, { signal: opts.signal })).body
  }

  /** Puts a kept version back; with `expectedHash` only if the file still has that hash (null: absent). */
  async restoreVersion(id: string, itemPath: string, expectedHash?: string | null, opts: RemoteCallOptions = {}): Promise<ItemResult> {
    const pre = expectedHash === undefined ? {} : expectedHash === null ? { ifNoneMatch: '*' } : { ifMatch: expectedHash }
    const ans = await this.call('POST', '/v1/versions/restore', { body: jsonBody({ id, path: itemPath, ...pre }), signal: opts.signal, accept: [400, 404, 409, 412, 415] })
    const body = safeJson(ans.body) as { hash?: string; error?: WireOutcome['error'] } | null
    if (ans.status === 200) return { path: itemPath, ok: true, hash: body?.hash ?? null }
    return failureOf(itemPath, { path: itemPath, status: ans.status, error: body?.error })
  }

  async close(): Promise<void> {
    this.agent.destroy()
  }

  private async json<T>(method: string, path: string, opts: CallOptions & { noRetry?: boolean }): Promise<T> {
    return parseJson<T>(await this.call(method, path, opts), this)
  }

  /** @internal A protocol error naming the environment. */
  protocolError(what: string): SyncDeskError {
    return new SyncDeskError('remote-error', `The environment "${this.envName}" at ${this.baseUrl} answered unexpectedly (${what}).`)
  }

  private throwIfAborted(signal?: AbortSignal): void {
    if (signal?.aborted) throw new SyncDeskError('cancelled', 'Cancelled.')
  }

  /**
   * One request with retries (network errors, 5xx) and exponential backoff within the retry
   * budget. 2xx and `accept`ed statuses are returned; anything else throws a SyncDeskError.
   */
  private async call(method: string, path: string, opts: CallOptions & { noRetry?: boolean }): Promise<Answer> {
    const started = Date.now()
    const retries = opts.noRetry ? 0 : this.o.retries
    for (let attempt = 0; ; attempt++) {
      this.throwIfAborted(opts.signal)
      let failure: string
      try {
        const ans = await this.send(method, path, opts)
        ans.attempt = attempt
        if (ans.status < 300 || opts.accept?.includes(ans.status)) return ans
        if (ans.status === 401 || ans.status === 403) {
          throw new SyncDeskError('remote-refused', `The token for ${this.envName} was refused: ${(errorMessage(ans) ?? `HTTP ${ans.status}`).replace(/\.$/, '')}.`, 'Check the token in your keychain, or create a new one on the server: syncdesk-server token create NAME --scopes read,write.')
        }
        if (!RETRYABLE_STATUS.has(ans.status)) {
          throw new SyncDeskError('remote-error', `The environment "${this.envName}" at ${this.baseUrl} refused the request: ${errorMessage(ans) ?? `HTTP ${ans.status}`}`)
        }
        failure = `HTTP ${ans.status}${errorMessage(ans) ? `: ${errorMessage(ans)}` : ''}`
        if (attempt >= retries || !this.mayRetry(started, attempt)) {
          throw new SyncDeskError('remote-error', `The environment "${this.envName}" at ${this.baseUrl} failed (${failure}).`)
        }
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err
        this.throwIfAborted(opts.signal)
        failure = err.reason
        if (attempt >= retries || !this.mayRetry(started, attempt)) {
          throw new SyncDeskError('remote-unreachable', `Cannot reach environment "${this.envName}" at ${this.baseUrl} (${failure}).`, 'Check that the environment server is running and the address is right.')
        }
      }
      await sleep(this.delay(attempt), opts.signal)
    }
  }

  private delay(attempt: number): number {
    const base = this.o.retryBaseMs * 2 ** attempt
    return base / 2 + Math.random() * (base / 2)
  }

  private mayRetry(started: number, attempt: number): boolean {
    return Date.now() - started + this.delay(attempt) <= this.o.retryBudgetMs
  }

  /** One HTTP exchange; network failures reject with NetworkError (a reason without secrets). */
  private send(method: string, path: string, opts: CallOptions): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string | number> = {
        authorization: `Bearer ${this.#token}`,
        accept: 'application/json',
        ...(opts.headers ?? {}),
      }
      if (opts.body) {
        headers['content-length'] = opts.body.byteLength
        if (!headers['content-type']) headers['content-type'] = 'application/json'
      }
      let settled = false
      const fail = (reason: string): void => {
        if (settled) return
        settled = true
        reject(new NetworkError(reason))
      }
      const req = this.client.request(
        { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port || undefined, path: this.prefix + path, method, headers, agent: this.agent, signal: opts.signal },
        (res) => {
          const parts: Buffer[] = []
          res.on('data', (c: Buffer) => parts.push(c))
          res.on('end', () => {
            if (settled) return
            settled = true
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), attempt: 0 })
          })
          res.on('error', (err) => fail(networkReason(err)))
          res.on('aborted', () => fail('the connection closed mid-answer'))
        },
      )
      req.setTimeout(this.o.requestTimeoutMs, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })))
      req.on('error', (err) => fail(networkReason(err)))
      req.end(opts.body)
    })
  }
}

/** The engine's view of a deployment: the log tail as one text. */
function toDeploymentInfo(d: ServerDeployment): DeploymentInfo {
  return { id: d.id, state: d.state, queuedAt: d.queuedAt, startedAt: d.startedAt, finishedAt: d.finishedAt, exitCode: d.exitCode, logTail: d.logTail.join('\n') }
}

function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(textOf(body))
  } catch {
    return null
  }
}

function parseJson<T>(ans: Answer, remote: ServerRemote): T {
  const parsed = safeJson(ans.body)
  if (parsed === null || typeof parsed !== 'object') throw remote.protocolError(`HTTP ${ans.status} without a JSON body`)
  return parsed as T
}

function errorMessage(ans: Answer): string | null {
  const body = safeJson(ans.body) as { error?: { message?: unknown } } | null
  const m = body?.error?.message
  return typeof m === 'string' ? m : null
}

function failureOf(itemPath: string, o: WireOutcome): ItemResult {
  const message = o.error?.message ?? `${itemPath}: HTTP ${o.status}`
  if (o.status === 412) return { path: itemPath, ok: false, reason: 'stale', message }
  if (o.status >= 400 && o.status < 500) return { path: itemPath, ok: false, reason: 'refused', message }
  return { path: itemPath, ok: false, reason: 'failed', message }
}

function recordFailure(key: string, o: WireRecordOutcome): RecordResult {
  const message = o.error?.message ?? `record ${JSON.stringify(key)}: HTTP ${o.status}`
  if (o.status === 412) return { key, ok: false, reason: 'stale', message }
  if (o.status >= 400 && o.status < 500) return { key, ok: false, reason: 'refused', message }
  return { key, ok: false, reason: 'failed', message }
}

/** The hash a record would have if stored exactly as given; null when it has no canonical form. */
function safeRecordHash(data: Record<string, unknown>): string | null {
  try {
    return recordHash(data)
  } catch {
    return null
  }
}

function networkReason(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ECONNREFUSED') return 'connection refused: is the server running?'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve'
  if (code === 'ETIMEDOUT') return 'no answer in time'
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was reset'
  if (code === 'ABORT_ERR' || err.name === 'AbortError') return 'cancelled'
  if (code && code.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'CERT_HAS_EXPIRED') return `TLS failed (${code})`
  return code ?? err.message
}

/**
 * Records per write batch by default (`batchItems` when given). Each batch is one transaction
 * (one commit, one fsync) on the server, so a push of 10,000 records is 4 of them rather than
 * 20; `batchBytes` still caps each request body.
 */
const RECORD_WRITE_BATCH = 2500

/** The server's limit of records per batch request (src-server/routes/records.ts). */
const MAX_RECORD_BATCH = 10_000

/** Most keys one `POST …/records/read` of a listing asks for. */
const RECORD_READ_BATCH = 1000
