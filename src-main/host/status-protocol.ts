/**
 * The resident status protocol: how `syncdesk status` (and the MCP server) ask a running host
 * (the desktop app, `syncdesk serve`) for a project's status instead of scanning it again.
 *
 * The host listens on a local socket in the project's own state folder (`.syncdesk/host.sock`,
 * owner-only), or on Windows on a named pipe whose name is derived from the project's path. A
 * conversation is one request and at most two answers, each one line of JSON with a version
 * field: the host says `accepted` at once (so a client can tell a live host from a wedged one
 * within a short time), then `status` with the report, or `refused` with why. Nothing is
 * authenticated beyond the file system's permissions; a host refuses a request for any project
 * but its own. Every message is checked against the schemas below on arrival, on both sides:
 * a malformed request gets a refusal (the host goes on), a malformed answer makes the client
 * scan as it would without a host.
 */
import * as z from 'zod/mini'
import type { EnvironmentInfo } from '../engine/remote.js'
import type { StatusReport } from '../engine/sync-engine.js'

export { SOCKET_NAME, socketDirProblem, socketLocation, type SocketLocation } from './socket-location.js'

/** The protocol's version: a host answers only requests of its own version. */
export const STATUS_PROTOCOL_VERSION = 1

/** A request is at most this long (it names a project and an environment). */
export const MAX_REQUEST_BYTES = 16 * 1024

/**
 * The keys of a file entry, in the engine's order. A file entry with exactly these keys in this
 * order goes on the wire as a row of their values (a third of the bytes, parsed and checked in
 * half the time); the client makes the object again, keys in the same order, so that its JSON is
 * the engine's. Any other entry goes as it is.
 */
export const FILE_ROW_KEYS = ['kind', 'path', 'local', 'remote', 'localHash', 'remoteHash', 'baseHash', 'localSize', 'remoteSize', 'localMtimeMs', 'remoteMtimeMs'] as const

/** In a row, a remote or base hash equal to the local one is written as 0. */
const SAME_AS_LOCAL = 0
const SIDES: ReadonlySet<unknown> = new Set(['added', 'modified', 'deleted', 'unchanged'])
const isHash = (v: unknown) => v === null || typeof v === 'string'
const isCount = (v: unknown) => v === null || typeof v === 'number'

/**
 * A file row: kind, path, the two sides' changes, three hashes (0: the local one), two sizes,
 * two mtimes. Checked by hand inside the schema: ten thousand rows in a millisecond or two,
 * where a tuple schema took a tenth of a second of every status.
 */
function isFileRow(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== FILE_ROW_KEYS.length) return false
  return (
    v[0] === 'file' &&
    typeof v[1] === 'string' &&
    SIDES.has(v[2]) &&
    SIDES.has(v[3]) &&
    isHash(v[4]) &&
    (v[5] === SAME_AS_LOCAL || isHash(v[5])) &&
    (v[6] === SAME_AS_LOCAL || isHash(v[6])) &&
    isCount(v[7]) &&
    isCount(v[8]) &&
    isCount(v[9]) &&
    isCount(v[10])
  )
}
/** What a client asks: the status of one environment of one project, as `SyncHost.status` takes it. */
export interface StatusRequest {
  v: typeof STATUS_PROTOCOL_VERSION
  type: 'status'
  /** The project's folder, resolved through links (the host compares it with its own). */
  projectDir: string
  projectId: string
  env: string
  scope: 'files' | 'records' | 'all'
  withInfo: boolean
}

/**
 * The schemas of the messages, made at their first use: a CLI command that asks no host does
 * not pay for building them.
 */
export const schemas = lazy(() => {
  const envName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/))

  /** What a client asks: the status of one environment of one project, as `SyncHost.status` takes it. */
  const request = z.strictObject({
    v: z.literal(STATUS_PROTOCOL_VERSION),
    type: z.literal('status'),
    /** The project's folder, resolved through links (the host compares it with its own). */
    projectDir: z.string().check(z.minLength(1), z.maxLength(4096)),
    projectId: z.string().check(z.minLength(1), z.maxLength(200)),
    env: envName,
    scope: z.enum(['files', 'records', 'all']),
    withInfo: z.boolean(),
  })

  /** Only the version, to tell a request of another version from a malformed one. */
  const versionOnly = z.looseObject({ v: z.number() })

  const side = z.enum(['added', 'modified', 'deleted', 'unchanged'])
  const maybeHash = z.nullable(z.string())
  const maybeNumber = z.nullable(z.number())
  const recordData = z.record(z.string(), z.unknown())

  const fileEntry = z.looseObject({
    kind: z.literal('file'),
    path: z.string(),
    local: side,
    remote: side,
    localHash: maybeHash,
    remoteHash: maybeHash,
    baseHash: maybeHash,
    localSize: maybeNumber,
    remoteSize: maybeNumber,
    localMtimeMs: maybeNumber,
    remoteMtimeMs: maybeNumber,
    mergeable: z.optional(z.boolean()),
    mergedText: z.optional(z.string()),
  })

  const recordEntry = z.looseObject({
    kind: z.literal('record'),
    table: z.string(),
    key: z.string(),
    local: side,
    remote: side,
    localHash: maybeHash,
    remoteHash: maybeHash,
    baseHash: maybeHash,
    fields: z.array(z.string()),
    mergeable: z.optional(z.boolean()),
    localData: z.optional(z.nullable(recordData)),
    remoteData: z.optional(z.nullable(recordData)),
    baseData: z.optional(z.nullable(recordData)),
    mergedData: z.optional(recordData),
  })

  const entrySchema = z.discriminatedUnion('kind', [fileEntry, recordEntry])
  /** A category's entries: rows, or entries as the engine makes them. */
  const entries = z.custom<unknown[]>((v) => Array.isArray(v) && v.every((e) => isFileRow(e) || entrySchema.safeParse(e).success), 'not a list of status entries')
  const counts = z.looseObject({ local: z.number(), remote: z.number(), baseline: z.number() })

  /** A StatusReport as the engine makes it (see sync-engine.ts). */
  const reportSchema = z.looseObject({
    env: z.string(),
    remote: z.string(),
    scope: z.enum(['files', 'records', 'all']),
    status: z.looseObject({ remote_to_local: entries, local_to_remote: entries, conflicts: entries, in_sync: entries }),
    skipped: z.array(z.looseObject({ side: z.enum(['local', 'remote']), path: z.string(), reason: z.string() })),
    warnings: z.array(z.string()),
    baselineExisted: z.boolean(),
    lastSyncAt: z.nullable(z.string()),
    counts,
    recordCounts: counts,
  })

  const when = z.nullable(z.looseObject({ at: z.string(), by: z.string() }))
  const maybeText = z.optional(z.nullable(z.string()))
  const infoSchema = z.nullable(
    z.looseObject({
      lastPush: z.optional(when),
      lastPull: z.optional(when),
      deployment: z.optional(
        z.nullable(
          z.looseObject({
            id: z.string(),
            state: z.enum(['queued', 'running', 'succeeded', 'failed']),
            queuedAt: maybeText,
            startedAt: maybeText,
            finishedAt: maybeText,
            exitCode: z.optional(z.nullable(z.number())),
            logTail: z.string(),
          }),
        ),
      ),
    }),
  )

  /** The host's first answer: it serves this project and is working on the request. */
  const accepted = z.strictObject({ v: z.literal(STATUS_PROTOCOL_VERSION), type: z.literal('accepted') })

  /** The host's last answer: the status, or why it does not give one. */
  const answer = z.discriminatedUnion('type', [
    z.strictObject({ v: z.literal(STATUS_PROTOCOL_VERSION), type: z.literal('status'), report: reportSchema, info: infoSchema }),
    z.strictObject({ v: z.literal(STATUS_PROTOCOL_VERSION), type: z.literal('refused'), code: z.string(), message: z.string() }),
  ])

  return {
    /** A request (see StatusRequest). */
    request: request as z.ZodMiniType<StatusRequest>,
    /** Only the version, to tell a request of another version from a malformed one. */
    versionOnly,
    /** The host's first answer: it serves this project and is working on the request. */
    accepted,
    /** The host's last answer: the status, or why it does not give one. */
    answer,
  }
})

function lazy<T>(make: () => T): () => T {
  let made: { value: T } | null = null
  return () => (made ??= { value: make() }).value
}

/** What the host answers last, as data. */
export type HostAnswer = { type: 'status'; report: StatusReport; info: EnvironmentInfo | null } | { type: 'refused'; code: string; message: string }

/** Why a host refuses: not its project, not its version, too many at once, not live, or a failure. */
export type RefusalCode = 'invalid-request' | 'version' | 'wrong-project' | 'busy' | 'unavailable' | 'failed'

/** One message as it goes on the wire: JSON, then a newline (a status's file entries as rows). */
export function encodeMessage(message: Record<string, unknown>): string {
  const out = message.type === 'status' && message.report ? { ...message, report: packReport(message.report as StatusReport) } : message
  return `${JSON.stringify({ v: STATUS_PROTOCOL_VERSION, ...out })}\n`
}

const CATEGORY_KEYS = ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync'] as const

/** A report with its common file entries as rows (see FILE_ROW_KEYS). */
function packReport(report: StatusReport): unknown {
  const status: Record<string, unknown[]> = {}
  for (const c of CATEGORY_KEYS) {
    const list = report.status[c]
    const packed = new Array<unknown>(list.length)
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as unknown as Record<string, unknown>
      packed[i] = isPlainFileEntry(e) ? fileRowOf(e) : e
    }
    status[c] = packed
  }
  return { ...report, status: { ...report.status, ...status } }
}

function isPlainFileEntry(e: Record<string, unknown>): boolean {
  if (e.kind !== 'file') return false
  let i = 0
  for (const k in e) if (k !== FILE_ROW_KEYS[i++] || e[k] === undefined) return false
  return i === FILE_ROW_KEYS.length
}

function fileRowOf(e: Record<string, unknown>): unknown[] {
  const local = e.localHash
  return [e.kind, e.path, e.local, e.remote, local, local !== null && e.remoteHash === local ? SAME_AS_LOCAL : e.remoteHash, local !== null && e.baseHash === local ? SAME_AS_LOCAL : e.baseHash, e.localSize, e.remoteSize, e.localMtimeMs, e.remoteMtimeMs]
}

/** The report of a checked status message, its rows made objects again (in place: the message is the caller's). */
export function unpackReport(report: { status: Record<string, unknown[]> }): StatusReport {
  for (const c of CATEGORY_KEYS) {
    const list = report.status[c] as unknown[]
    for (let i = 0; i < list.length; i++) {
      const row = list[i]
      if (!Array.isArray(row)) continue
      const local = row[4]
      list[i] = {
        kind: row[0],
        path: row[1],
        local: row[2],
        remote: row[3],
        localHash: local,
        remoteHash: row[5] === SAME_AS_LOCAL ? local : row[5],
        baseHash: row[6] === SAME_AS_LOCAL ? local : row[6],
        localSize: row[7],
        remoteSize: row[8],
        localMtimeMs: row[9],
        remoteMtimeMs: row[10],
      }
    }
  }
  return report as unknown as StatusReport
}
