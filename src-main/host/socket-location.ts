/**
 * Where a project's host (the desktop app, `syncdesk serve`) listens for status requests, and
 * whether one may be listening at all. Apart from the protocol (status-protocol.ts) and free of
 * its schemas, so that `syncdesk status` can tell "no host runs" before it loads anything more.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { findProjectDir } from '../engine/state-dir.js'

/** The socket's name in the state folder. */
export const SOCKET_NAME = 'host.sock'

/**
 * The longest Unix socket path used as is. The kernel's limit is 108 bytes on Linux and 104 on
 * macOS (with the terminating NUL); a longer one goes to a private folder of the user's instead.
 */
const MAX_SOCKET_PATH_BYTES = 100

/** Where a project's host listens, and the folder that holds it (null for a named pipe). */
export interface SocketLocation {
  path: string
  /** The folder the socket is in: the project's state folder, or a private folder of the user's. */
  dir: string | null
  /** The socket is in the project's state folder (not in the fallback folder). */
  inStateDir: boolean
}

/**
 * Where the host of the project at `realDir` (its folder resolved through links) listens.
 *
 * Unix: `.syncdesk/host.sock`; when that path is too long for a socket, a file named after a
 * hash of the folder in a private folder of the user's (`$XDG_RUNTIME_DIR/syncdesk`, else
 * `<tmp>/syncdesk-<uid>`). Windows: a named pipe named after that hash.
 */
export function socketLocation(realDir: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): SocketLocation {
  const digest = crypto.createHash('sha256').update(platform === 'win32' ? realDir.toLowerCase() : realDir).digest('hex').slice(0, 32)
  if (platform === 'win32') return { path: `\\\\.\\pipe\\syncdesk-${digest}`, dir: null, inStateDir: false }
  const inState = path.join(realDir, '.syncdesk', SOCKET_NAME)
  if (Buffer.byteLength(inState) <= MAX_SOCKET_PATH_BYTES) return { path: inState, dir: path.dirname(inState), inStateDir: true }
  const uid = process.getuid?.() ?? 0
  const base = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? path.join(env.XDG_RUNTIME_DIR, 'syncdesk') : path.join(os.tmpdir(), `syncdesk-${uid}`)
  return { path: path.join(base, `${digest}.sock`), dir: base, inStateDir: false }
}

/**
 * Why a folder may not hold a socket of ours: it is a link, not a folder, another user's, or
 * (for the fallback folder, which may sit in a shared /tmp) open to others. Null when it is fine.
 */
export function socketDirProblem(dir: string, opts: { privateOnly: boolean }): string | null {
  let st: fs.Stats
  try {
    st = fs.lstatSync(dir)
  } catch (err) {
    return `it cannot be checked (${(err as NodeJS.ErrnoException).code ?? String(err)})`
  }
  if (st.isSymbolicLink()) return 'it is a symbolic link'
  if (!st.isDirectory()) return 'it is not a folder'
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) return `it belongs to another user (uid ${st.uid})`
  if (opts.privateOnly && (st.mode & 0o077) !== 0) return 'others may open it'
  return null
}

/**
 * Whether a host may be listening for the project at `dir` (with `findUp`, at or above it): its
 * socket exists, or it is a named pipe, which cannot be looked for. False when there is surely
 * none (or no project), so the caller scans at once; the conversation decides the rest.
 */
export function mayHaveResidentHost(dir: string, findUp: boolean): boolean {
  try {
    const where = socketLocation(fs.realpathSync(findProjectDir(dir, findUp)))
    return where.dir === null || fs.lstatSync(where.path, { throwIfNoEntry: false }) !== undefined
  } catch {
    return false
  }
}
