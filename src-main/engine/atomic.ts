/**
 * Durable writes (DESIGN.md safety rule 1): temp file, fsync, rename, fsync of the directory.
 *
 * A reader sees either the old or the new content, never a mix, even after a crash.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import crypto from 'node:crypto'
import os from 'node:os'

/**
 * The prefix of every temp file name SyncDesk makes.
 *
 * A temp name is short and of fixed form, `.syncdesk-tmp-<host>-<pid>-<random>.tmp` (at most
 * 50 bytes, whatever the item's name: a long item name never pushes it past the filesystem's
 * 255-byte limit). Only names of exactly that form are SyncDesk's: a user's file that merely
 * contains the prefix is an ordinary file, synced and never swept.
 */
export const TEMP_MARKER = '.syncdesk-tmp-'

const TEMP_NAME = /^\.syncdesk-tmp-([0-9a-f]{8})-([1-9]\d{0,9})-[0-9a-f]{12}\.tmp$/

/** A short tag of this machine's name: temp files of another machine (a shared folder) are judged by age. */
const HOST_TAG = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8)

/** How old another machine's temp file must be before it counts as abandoned. */
const FOREIGN_TEMP_AGE_MS = 3600_000

/** Whether a file name is one SyncDesk gives its temp files (and so never an item). */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_MARKER) && TEMP_NAME.test(name)
}

/**
 * A fresh temp file path beside `file` (same directory, so rename is atomic).
 *
 * The name holds a tag of this machine and the writer's pid, so that leftovers of a process
 * that is gone can be told from the temp files of a writer still at work.
 */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `${TEMP_MARKER}${HOST_TAG}-${process.pid}-${crypto.randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Whether a file is a temp file SyncDesk made whose writer is gone.
 *
 * Its name must have the temp form; then its writer, on this machine, must no longer run, or
 * (written by another machine into a shared folder) it must be over an hour old. In any doubt
 * (the name, the process, the file's age) the answer is no: a sweep leaves the file.
 */
export function isAbandonedTemp(file: string, now = Date.now()): boolean {
  const m = TEMP_NAME.exec(path.basename(file))
  if (!m) return false
  let mtime: number
  try {
    const st = fs.lstatSync(file)
    if (!st.isFile()) return false
    mtime = st.mtimeMs
  } catch {
    return false
  }
  if (m[1] !== HOST_TAG) return now - mtime > FOREIGN_TEMP_AGE_MS
  const pid = Number(m[2])
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Removes a temp file and never throws: a failed cleanup must not hide the error that led to it. */
export function removeTempQuietly(tmp: string): void {
  try {
    fs.rmSync(tmp, { force: true })
  } catch {
    // Left for the next run's sweep, which removes it once its writer is gone.
  }
}

/** Writes `data` to a new file at `file` and flushes it to disk; the file must not exist. */
export async function writeDurably(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fsp.open(file, 'wx', 0o644)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Flushes a directory's entries (renames, creations, deletions) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
  try {
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())))
  } catch (err) {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw err
  } finally {
    fs.closeSync(fd)
  }
}

/** Replaces `file` atomically and durably with `data`. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true })
  const tmp = tempPathFor(file)
  try {
    await writeDurably(tmp, data)
    await fsp.rename(tmp, file)
  } catch (err) {
    removeTempQuietly(tmp)
    throw err
  }
  await fsyncDir(path.dirname(file))
}

/** sha256 of `data`, hex. */
export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}
