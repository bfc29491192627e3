/**
 * An environment as the engine sees it: a manifest of files, reads, and conditional writes.
 *
 * The folder remote and the server remote implement this one interface; the engine never
 * knows which it has. Every write and delete is conditional on the hash the engine planned
 * with, so a remote that moved on answers `stale` for that item instead of being overwritten.
 */
import type { DeleteRequest, ItemResult, Manifest, ScanSkip, WriteRequest } from './dir-store.js'
import type { ScanFilter } from './filter.js'
import type { RecordDelete, RecordEntry, RecordResult, RecordWrite, TableSpec } from './records/record-store.js'

export type { DeleteRequest, ItemResult, Manifest, WriteRequest }

export interface RemoteScan {
  files: Manifest
  /** Files the remote has but cannot sync (symlinks, unreadable); never treated as deleted. */
  skipped: ScanSkip[]
  /**
   * Set by a remote whose every path already passed the filter it was given (a folder, walked
   * by this build's own scan): the engine then only checks that each path is valid.
   */
  filtered?: boolean
}

export interface RemoteCallOptions {
  signal?: AbortSignal
}

/** An environment's database, as synced records (same preconditions as files). */
export interface RemoteRecords {
  list(table: TableSpec, opts?: RemoteCallOptions): Promise<Map<string, RecordEntry>>
  write(table: TableSpec, writes: readonly RecordWrite[], opts?: RemoteCallOptions): Promise<RecordResult[]>
  delete(table: TableSpec, deletes: readonly RecordDelete[], opts?: RemoteCallOptions): Promise<RecordResult[]>
}

/** One deployment of an environment, as its server reports it. */
export interface DeploymentInfo {
  id: string
  state: 'queued' | 'running' | 'succeeded' | 'failed'
  queuedAt?: string | null
  startedAt?: string | null
  finishedAt?: string | null
  exitCode?: number | null
  /** The last lines of the deploy command's output. */
  logTail: string
}

/** What an environment says of itself: last push and pull, and its deployment. */
export interface EnvironmentInfo {
  lastPush?: { at: string; by: string } | null
  lastPull?: { at: string; by: string } | null
  deployment?: DeploymentInfo | null
}

export interface Remote {
  /** The environment's name (`staging`, `production`, …). */
  readonly envName: string
  /** A short human description: `folder /mnt/share/proj` or `server https://…`. */
  describe(): string
  /** Lists the remote's files; the filter may be used to skip work, the engine filters again. */
  scan(filter: ScanFilter, opts?: RemoteCallOptions): Promise<RemoteScan>
  /** Reads files; each result is its content or why it could not be read. */
  readFiles(paths: readonly string[], opts?: RemoteCallOptions): Promise<Map<string, Buffer | Error>>
  /** Conditional writes (see WriteRequest.expectedHash); the remote keeps the prior version. */
  writeFiles(reqs: readonly WriteRequest[], opts?: RemoteCallOptions): Promise<ItemResult[]>
  /** Conditional deletes; the remote keeps the prior version. */
  deleteFiles(reqs: readonly DeleteRequest[], opts?: RemoteCallOptions): Promise<ItemResult[]>
  /** The environment's database, or null when it has none. Absent on remotes without records. */
  openRecords?(): Promise<RemoteRecords | null>
  /** Starts the environment's deploy; absent where the environment cannot deploy. */
  deploy?(opts?: RemoteCallOptions): Promise<DeploymentInfo>
  /** One deployment's state. */
  deployment?(id: string, opts?: RemoteCallOptions): Promise<DeploymentInfo>
  /** Last push and pull, and the deployment state. */
  info?(opts?: RemoteCallOptions): Promise<EnvironmentInfo>
  /**
   * A prior content of a file, as the environment kept it when it was replaced or deleted: the
   * newest kept version with exactly this hash, or null when none is kept (undo of a push).
   */
  readPrior?(path: string, hash: string, opts?: RemoteCallOptions): Promise<Buffer | null>
  /** Releases connections and saves caches. */
  close(): Promise<void>
}
