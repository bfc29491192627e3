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
import { runSyncfs } from './syncfs-shell.js'

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
  return path.join(path.dirname(file), `${TEMP_MARKER}${HOST_TAG}-${process.pid}-${nextTempTag()}.tmp`)
}

/**
 * The random part of a temp name: a random start, counted up (a random draw per name cost a
 * fifth of a second on 10,000 files). With the pid beside it, two writers never share a name;
 * `wx` refuses a clash all the same.
 */
let tempCounter = crypto.randomBytes(6).readUIntBE(0, 6)
function nextTempTag(): string {
  tempCounter = (tempCounter + 1) % 0x1000000000000
  return tempCounter.toString(16).padStart(12, '0')
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

/**
 * Filesystems whose syncfs(2) writes back every dirty file and commits the metadata (their
 * journal, or tmpfs with nothing to write back): ext2/3/4, XFS, btrfs, F2FS, tmpfs. Network and
 * FUSE filesystems are left out: what their syncfs promises varies.
 */
const SYNCFS_TYPES = new Set([0xef53, 0x58465342, 0x9123683e, 0xf2f52010, 0x01021994])

/** Linux reports writeback errors through syncfs only from 5.8 on; before, it always said yes. */
const SYNCFS_REPORTS_ERRORS = (() => {
  if (process.platform !== 'linux') return false
  const [major = 0, minor = 0] = os.release().split(/[.-]/).map(Number)
  return major > 5 || (major === 5 && minor >= 8)
})()

/** How `sync -f` is run; tests point it elsewhere to see the fallback. */
export const syncfsCommand = { bin: 'sync', off: process.env.SYNCDESK_SYNCFS === 'off' }

/** Flushes in progress and the next one queued, per filesystem (group commit). */
const flushes = new Map<number, { running: Promise<boolean> | null; next: Promise<boolean> | null }>()

/**
 * Flushes the whole filesystem that holds `file` (syncfs(2), through coreutils' `sync -f`: Node
 * has no binding; see syncfs-shell.ts) and says whether that worked. False means nothing was promised: the
 * filesystem is not one whose syncfs is trusted, `sync` is missing, or it failed. The caller
 * then fsyncs each of its files, which is also how it learns which one failed.
 *
 * One syncfs costs one journal commit for any number of files; an fsync each costs one per
 * file. Callers that ask while a flush runs share the next one, which starts after it (their
 * writes may have come too late for the running one).
 */
export function flushFilesystemOf(file: string): Promise<boolean> {
  if (syncfsCommand.off || !SYNCFS_REPORTS_ERRORS) return Promise.resolve(false)
  let dev: number
  try {
    if (!SYNCFS_TYPES.has(fs.statfsSync(file).type)) return Promise.resolve(false)
    dev = fs.statSync(file).dev
  } catch {
    return Promise.resolve(false)
  }
  return groupFlush(dev, file)
}

function groupFlush(dev: number, file: string): Promise<boolean> {
  let slot = flushes.get(dev)
  if (!slot) {
    slot = { running: null, next: null }
    flushes.set(dev, slot)
  }
  const s = slot
  if (!s.running) {
    s.running = runSyncfs(syncfsCommand.bin, file, dev).finally(() => {
      s.running = null
    })
    return s.running
  }
  s.next ??= s.running.then(() => {
    s.next = null
    return groupFlush(dev, file)
  })
  return s.next
}


/**
 * sha256 of `data` (text as UTF-8), hex. One call to `crypto.hash` (Node 20.12+): for the
 * small inputs SyncDesk hashes most (records, small files) it is two to three times faster
 * than a Hash object.
 */
export function sha256(data: Uint8Array | string): string {
  return crypto.hash('sha256', data, 'hex')
}
