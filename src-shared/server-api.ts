/**
 * Shapes of the environment server's HTTP API (`/v1`), shared by the server and its client.
 *
 * Pure types: the server (src-server) answers with them and the server remote
 * (src-main/remotes) reads them, so the two can never drift apart.
 */

export type DeploymentState = 'queued' | 'running' | 'succeeded' | 'failed'

/** One deployment, as `GET /v1/deployments/<id>` answers. */
export interface ApiDeployment {
  id: string
  state: DeploymentState
  /** The token name that asked for it. */
  by: string
  queuedAt: string
  startedAt: string | null
  finishedAt: string | null
  exitCode: number | null
  /** Why it failed, in words (exit code, signal, timeout, spawn error). */
  error: string | null
  /** The last lines of its output (stdout and stderr interleaved). */
  logTail: string[]
}

/** One kept prior version of one file, as `GET /v1/versions` lists it. */
export interface ApiFileVersion {
  id: string
  path: string
  size: number
  hash: string
  at: string | null
  by: string | null
  op: string | null
}

/** One kept prior row of a record, as `GET /v1/tables/<t>/versions` lists it. */
export interface ApiRecordVersion {
  id: string
  table: string
  key: string
  hash: string
  data: Record<string, unknown>
  op: 'write' | 'delete'
  at: string
  by: string
}

/** One file of the manifest, as `GET /v1/files` lists it. */
export interface ApiManifestEntry {
  path: string
  /** sha256 of the content, lower-case hex. */
  hash: string
  size: number
  mtimeMs: number
}

/** A file the environment has but does not sync (a symbolic link, an unreadable file), and why. */
export interface ApiSkippedFile {
  path: string
  reason: string
}

/**
 * `GET /v1/files`: every synced file, sorted by path.
 *
 * The answer carries `ETag: "<manifestVersion>"`; a client that sends it back in
 * `If-None-Match` gets `304 Not Modified` and no body while the manifest is unchanged.
 */
export interface ApiManifest {
  files: ApiManifestEntry[]
  skipped: ApiSkippedFile[]
}
