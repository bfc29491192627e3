/**
 * Durable writes (DESIGN.md safety rule 1): temp file, fsync, rename, fsync of the directory.
 *
 * A reader sees either the old or the new content, never a mix, even after a crash.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import crypto from 'node:crypto'

/** The marker in every temp file name; scans never sync such files and sweep stale ones. */
export const TEMP_MARKER = '.syncdesk-tmp-'

/**
 * A fresh temp file path beside `file` (same directory, so rename is atomic). The name holds
 * the writer's pid, so that leftovers of a process that is gone can be told from the temp
 * files of a writer still at work.
 */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARKER}${process.pid}-${crypto.randomBytes(6).toString('hex')}`)
}

/**
 * Whether a temp file was left by a writer that is gone: its process no longer runs here, or
 * (for a folder another machine may write to) it is over an hour old.
 */
export function isAbandonedTemp(file: string, now = Date.now()): boolean {
  let mtime: number
  try {
    mtime = fs.statSync(file).mtimeMs
  } catch {
    return false
  }
  if (now - mtime > 3600_000) return true
  const pid = Number(/syncdesk-tmp-(\d+)-/.exec(path.basename(file))?.[1])
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
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
    await fsp.rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(path.dirname(file))
}

/** sha256 of `data`, hex. */
export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}
