/**
 * The client's side of the resident status protocol (status-protocol.ts): asks the host that
 * keeps a project live (the desktop app, `syncdesk serve`) for a status, so that `syncdesk
 * status` need not scan the tree again.
 *
 * Any doubt means "no answer", never an error: no socket, a socket that is not the user's, no
 * `accepted` within a short time (a host that is gone or wedged), an answer that does not parse
 * or check, a refusal, a connection cut short. The caller then scans as it would without a
 * host, and the user sees the same output either way.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type { SyncScope } from '../../src-shared/sync-types.js'
import type { Project } from '../engine/project.js'
import type { EnvironmentInfo } from '../engine/remote.js'
import type { StatusReport } from '../engine/sync-engine.js'
import { encodeMessage, schemas, socketDirProblem, socketLocation, unpackReport, type StatusRequest } from './status-protocol.js'

/** How long the client waits. */
export interface ResidentTimeouts {
  /** For the connection and the host's `accepted` (default 300 ms). */
  connectMs?: number
  /** For the whole answer once accepted (default 15 s: the host is working on it). */
  answerMs?: number
}

/** The host's answer, or why there is none. */
export type ResidentAnswer = { ok: true; report: StatusReport; info: EnvironmentInfo | null } | { ok: false; why: string }

/** An answer is at most this large (a 100,000-item report is some 40 MB of JSON). */
const MAX_ANSWER_BYTES = 512 * 1024 * 1024

/**
 * Whether the resident host may answer a status of this scope for this project: it reads the
 * records itself, so only where it is sure to read the same database as this process. Never for
 * records alone (the host would only add a hop), nor for a PostgreSQL database (the host's
 * connection settings, from its own environment and keychain, may not be this process's), nor
 * for a SQLite path that leaves the project by `..` (the host may reach the project by another
 * path, and `..` from there is another folder).
 */
export function residentMayAnswer(project: Project, scope: SyncScope): boolean {
  const db = project.config.database
  if (scope === 'files' || !db) return true
  if (scope === 'records' || db.kind !== 'sqlite') return false
  return path.isAbsolute(db.path) || !path.normalize(db.path).split(/[\\/]/).includes('..')
}

/** Asks the project's resident host for the status of `env`; never throws. */
export async function askResidentHost(project: Project, q: { env: string; scope: SyncScope; withInfo: boolean }, timeouts: ResidentTimeouts = {}): Promise<ResidentAnswer> {
  let realDir: string
  try {
    realDir = fs.realpathSync(project.dir)
  } catch (err) {
    return { ok: false, why: `the project folder cannot be resolved (${(err as NodeJS.ErrnoException).code ?? String(err)})` }
  }
  const where = socketLocation(realDir)
  if (where.dir) {
    // Only a socket of this user's, in a folder of this user's, is asked anything.
    let st: fs.Stats
    try {
      st = fs.lstatSync(where.path)
    } catch {
      return { ok: false, why: 'no host runs for this project' }
    }
    if (!st.isSocket()) return { ok: false, why: `${where.path} is not a socket` }
    const uid = process.getuid?.()
    if (uid !== undefined && st.uid !== uid) return { ok: false, why: `${where.path} belongs to another user` }
    const problem = socketDirProblem(where.dir, { privateOnly: !where.inStateDir })
    if (problem) return { ok: false, why: `${where.dir}: ${problem}` }
  }
  const request: StatusRequest = { v: 1, type: 'status', projectDir: realDir, projectId: project.config.projectId, env: q.env, scope: q.scope, withInfo: q.withInfo }
  return converse(where.path, encodeMessage({ ...request }), timeouts.connectMs ?? 300, timeouts.answerMs ?? 15_000)
}

function converse(socketPath: string, request: string, connectMs: number, answerMs: number): Promise<ResidentAnswer> {
  return new Promise((resolve) => {
    let done = false
    const chunks: Buffer[] = []
    let size = 0
    let accepted = false
    const socket = net.createConnection(socketPath)
    const finish = (answer: ResidentAnswer) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    let timer = setTimeout(() => finish({ ok: false, why: `the host did not answer within ${connectMs} ms` }), connectMs)
    socket.on('connect', () => socket.write(request))
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, why: `the host cannot be reached (${err.code ?? err.message})` }))
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_ANSWER_BYTES) return finish({ ok: false, why: 'the answer is too large' })
      chunks.push(chunk)
      if (accepted) return
      // The first line says whether the host took the request; then the answer may take longer.
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks)
      const nl = all.indexOf(0x0a)
      if (nl < 0) return
      const first = parseLine(all.subarray(0, nl))
      if (schemas().accepted.safeParse(first).success) {
        accepted = true
        chunks.length = 0
        chunks.push(all.subarray(nl + 1))
        size = all.length - nl - 1
        clearTimeout(timer)
        timer = setTimeout(() => finish({ ok: false, why: `the host accepted but did not answer within ${answerMs} ms` }), answerMs)
        return
      }
      finish(refusalOf(first))
    })
    socket.on('end', () => {
      if (!accepted) return finish({ ok: false, why: 'the host closed the connection without answering' })
      const all = Buffer.concat(chunks)
      const nl = all.indexOf(0x0a)
      finish(answerOf(parseLine(nl >= 0 ? all.subarray(0, nl) : all)))
    })
  })
}

function parseLine(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

/** The host's last message as an answer. The data is the JSON as sent (its keys in their order). */
function answerOf(message: unknown): ResidentAnswer {
  const checked = schemas().answer.safeParse(message)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    return { ok: false, why: `the answer is malformed${issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''}` }
  }
  if (checked.data.type === 'refused') return { ok: false, why: `the host refused: ${checked.data.message}` }
  const raw = message as { report: { status: Record<string, unknown[]> }; info: EnvironmentInfo | null }
  return { ok: true, report: unpackReport(raw.report), info: raw.info }
}

function refusalOf(message: unknown): ResidentAnswer {
  const checked = schemas().answer.safeParse(message)
  if (checked.success && checked.data.type === 'refused') return { ok: false, why: `the host refused: ${checked.data.message}` }
  return { ok: false, why: 'the host answered something else than the protocol' }
}

/** How the engine words a case collision (sync-engine.ts, gatherFiles). */
const CASE_COLLISION = 'These paths differ only by letter case and will clash on macOS and Windows: '

/**
 * A report in one order whatever the order the trees were walked in: skipped items by side and
 * path, case-collision warnings sorted (and the paths in each). A resident index and a new walk
 * list the same items, not necessarily in the same order; the classification is sorted already.
 */
export function normalizeStatusReport(report: StatusReport): StatusReport {
  const skipped = [...report.skipped].sort((a, b) => (a.side !== b.side ? (a.side < b.side ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const others: string[] = []
  const collisions: string[] = []
  for (const w of report.warnings) {
    if (w.startsWith(CASE_COLLISION)) collisions.push(CASE_COLLISION + w.slice(CASE_COLLISION.length).split(', ').sort().join(', '))
    else others.push(w)
  }
  collisions.sort()
  for (const c of collisions) others.push(c)
  return { ...report, skipped, warnings: others }
}
