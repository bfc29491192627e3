/**
 * The host's side of the resident status protocol (status-protocol.ts): a local socket in the
 * project's state folder that answers `syncdesk status` from the host's live index.
 *
 * Only the user who runs the host may connect: the socket is made owner-only (a restrictive
 * umask while it is bound, then chmod 0600) inside `.syncdesk/`, which is itself owner-only and
 * checked to be the project's own folder (no link, not another user's) before anything is made
 * in it. A socket file left by a host that crashed is found (nobody answers on it) and replaced;
 * one another host still answers on is left alone (that host serves the project). Every
 * request is parsed before it is acted on, and nothing a client sends (garbage, a request too
 * long, one for another project, a half-closed connection) can throw out of here: the host
 * answers `refused` or closes the connection, and goes on.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { describeError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import { checkStateDir } from '../engine/state-dir.js'
import type { Disposable } from './disposable.js'
import {
  MAX_REQUEST_BYTES,
  STATUS_PROTOCOL_VERSION,
  encodeMessage,
  socketDirProblem,
  socketLocation,
  schemas,
  type HostAnswer,
  type RefusalCode,
  type StatusRequest,
} from './status-protocol.js'

/** What `listenStatusSocket` is told. */
export interface StatusSocketOptions {
  /** The project whose status this socket serves (and no other). */
  project: Project
  /** Answers one checked request for this project; a throw becomes a refusal. */
  answer(req: StatusRequest): Promise<HostAnswer>
  /** Requests answered at once; more are refused as busy (default 8). */
  maxConcurrent?: number
  /** A connection that sends nothing for this long is closed (default 10 s). */
  idleMs?: number
}

/** A listening status socket. */
export interface StatusSocket extends Disposable {
  /** Where it listens. */
  readonly path: string
  dispose(): Promise<void>
}

/** Thrown when the socket cannot be made safely; the host then runs without one. */
export class StatusSocketUnsafe extends Error {}

/**
 * Starts listening for a project's status requests.
 *
 * Resolves with the socket, or null when another live host already serves this project.
 * Rejects when the state folder is not safe to put a socket in (a link, another user's).
 */
export async function listenStatusSocket(opts: StatusSocketOptions): Promise<StatusSocket | null> {
  const realDir = fs.realpathSync(opts.project.dir)
  const where = socketLocation(realDir)
  if (where.dir) prepareSocketDir(opts.project, realDir, where.dir, where.inStateDir)
  if (where.dir && (await claimSocketPath(where.path)) === 'taken') return null

  const maxConcurrent = opts.maxConcurrent ?? 8
  const idleMs = opts.idleMs ?? 10_000
  let active = 0
  const connections = new Set<net.Socket>()
  const encoded = new WeakMap<HostAnswer, string>()

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket)
    socket.on('close', () => connections.delete(socket))
    socket.on('error', () => socket.destroy())
    socket.setTimeout(idleMs, () => socket.destroy())
    const chunks: Buffer[] = []
    let size = 0
    let handled = false
    const onData = (chunk: Buffer) => {
      if (handled) return
      const nl = chunk.indexOf(0x0a)
      const take = nl >= 0 ? chunk.subarray(0, nl) : chunk
      size += take.length
      if (size > MAX_REQUEST_BYTES) {
        handled = true
        refuse(socket, 'invalid-request', `A request is at most ${MAX_REQUEST_BYTES} bytes.`)
        return
      }
      chunks.push(take)
      if (nl < 0) return
      handled = true
      socket.off('data', onData)
      void handle(socket, Buffer.concat(chunks).toString('utf8'))
    }
    socket.on('data', onData)
    socket.on('end', () => {
      if (!handled) {
        handled = true
        refuse(socket, 'invalid-request', 'A request is one line of JSON, ending with a newline.')
      }
    })
  })

  const handle = async (socket: net.Socket, line: string): Promise<void> => {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      return refuse(socket, 'invalid-request', 'The request is not JSON.')
    }
    const version = schemas().versionOnly.safeParse(raw)
    if (version.success && version.data.v !== STATUS_PROTOCOL_VERSION) return refuse(socket, 'version', `This host speaks version ${STATUS_PROTOCOL_VERSION} of the status protocol, not ${version.data.v}.`)
    const parsed = schemas().request.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return refuse(socket, 'invalid-request', `The request is not valid${issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'not the expected shape'}.`)
    }
    const req = parsed.data
    if (req.projectId !== opts.project.config.projectId || req.projectDir !== realDir) return refuse(socket, 'wrong-project', 'This host serves another project.')
    if (active >= maxConcurrent) return refuse(socket, 'busy', 'This host is answering too many requests at once.')
    active++
    try {
      // The request is in: the answer may take longer than a silence is allowed (the client keeps its own time).
      socket.setTimeout(0)
      send(socket, { type: 'accepted' })
      let answer: HostAnswer
      try {
        answer = await opts.answer(req)
      } catch (err) {
        answer = { type: 'refused', code: 'failed' satisfies RefusalCode, message: describeError(err) }
      }
      let text = encoded.get(answer)
      if (text === undefined) {
        try {
          text = encodeMessage(answer)
          // The host hands out the same answer while nothing changed: it is written once.
          encoded.set(answer, text)
        } catch (err) {
          text = encodeMessage({ type: 'refused', code: 'failed', message: `The answer could not be written: ${describeError(err)}` })
        }
      }
      finish(socket, text)
    } finally {
      active--
    }
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    // Made owner-only from the start: the umask covers the moment between bind and chmod.
    const previous = where.dir ? setUmask(0o177) : null
    try {
      server.listen(where.path, () => {
        server.off('error', onError)
        resolve()
      })
    } finally {
      if (previous !== null) setUmask(previous)
    }
  })
  server.on('error', () => undefined)
  let boundIno: number | null = null
  if (where.dir) {
    fs.chmodSync(where.path, 0o600)
    boundIno = fs.lstatSync(where.path).ino
  }

  let closing: Promise<void> | null = null
  return {
    path: where.path,
    dispose() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        for (const c of connections) c.destroy()
        // Removed only while it is still the one bound here (another host may have replaced it).
        if (boundIno !== null) {
          try {
            if (fs.lstatSync(where.path).ino === boundIno) fs.rmSync(where.path, { force: true })
          } catch {}
        }
      })()
      return closing
    },
  }
}

/** Sets the umask, returning the one before; null where it cannot be set (a worker thread). */
function setUmask(mask: number): number | null {
  try {
    return process.umask(mask)
  } catch {
    return null
  }
}

function send(socket: net.Socket, message: Record<string, unknown>): void {
  if (!socket.destroyed && socket.writable) socket.write(encodeMessage(message))
}

/** Writes the last message and closes; a client that went away costs nothing. */
function finish(socket: net.Socket, text: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy()
    return
  }
  socket.end(text)
}

function refuse(socket: net.Socket, code: RefusalCode, message: string): void {
  finish(socket, encodeMessage({ type: 'refused', code, message }))
}

/**
 * Checks the folder the socket goes in: for `.syncdesk/`, that it is the project's own state
 * folder (checkStateDir: no link, nothing of another user's; and the folder itself, resolved,
 * is `<project>/.syncdesk`); for the fallback folder, that it is private to this user (made 0700
 * when missing).
 */
function prepareSocketDir(project: Project, realDir: string, dir: string, inStateDir: boolean): void {
  if (inStateDir) {
    checkStateDir(project.stateDir)
    const problem = socketDirProblem(dir, { privateOnly: false })
    if (problem) throw new StatusSocketUnsafe(`${dir}: ${problem}`)
    if (fs.realpathSync(dir) !== path.join(realDir, '.syncdesk')) throw new StatusSocketUnsafe(`${dir} is not the project's own state folder`)
    return
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch {}
  const problem = socketDirProblem(dir, { privateOnly: true })
  if (problem) throw new StatusSocketUnsafe(`${dir}: ${problem}`)
}

/**
 * Makes the socket path free for this host: nothing there, or a socket nobody answers on (a
 * host that crashed), which is removed. 'taken' when a live host answers on it. Anything else
 * at that path (a file, a folder, a link) is not ours to remove.
 */
async function claimSocketPath(socketPath: string): Promise<'free' | 'taken'> {
  let st: fs.Stats
  try {
    st = fs.lstatSync(socketPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'free'
    throw err
  }
  if (!st.isSocket()) throw new StatusSocketUnsafe(`${socketPath} exists and is not a socket`)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) throw new StatusSocketUnsafe(`${socketPath} belongs to another user`)
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.createConnection(socketPath)
    const timer = setTimeout(() => {
      probe.destroy()
      // No answer either way in time: a host may be there, too busy to accept. Leave it.
      resolve(true)
    }, 500)
    probe.once('connect', () => {
      clearTimeout(timer)
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
  if (alive) return 'taken'
  fs.rmSync(socketPath, { force: true })
  return 'free'
}
