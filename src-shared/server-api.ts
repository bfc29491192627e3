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
