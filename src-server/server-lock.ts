/**
 * One server per project folder: a lock file created exclusively, holding the owner's pid.
 *
 * Two servers on one folder would each hold their own path locks and could both win a
 * compare-and-swap. A lock left by a server that died (SIGKILL, power loss) is reclaimed
 * only after checking its process is gone. The lock's folder is made (owner-only) when it is
 * missing, so a fresh project folder can be served before anything else was created in it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SyncDeskError } from '../src-main/engine/errors.js'

/** The pid in the lock file; null when it went away meanwhile (its owner released it). */
function readOwner(file: string): number | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'EISDIR') throw new SyncDeskError('locked', `${file} is a folder, not a server lock.`, 'Remove it, then start the server again.')
    throw err
  }
  return Number.parseInt(text, 10)
}

/** Takes the lock or throws SyncDeskError('locked') naming the owner. */
export function acquireServerLock(file: string): { release(): void } {
  const dir = path.dirname(file)
  if (fs.mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) fs.chmodSync(dir, 0o700)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600)
      fs.writeSync(fd, `${process.pid}\n`)
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      const release = (): void => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file)
        } catch {
          // Already gone.
        }
      }
      process.once('exit', release)
      return { release }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = readOwner(file)
    if (owner === null) continue
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new SyncDeskError('locked', `Another syncdesk-server (pid ${owner}) is serving this folder.`, `Stop it first, or remove ${file} if that process is not a syncdesk-server.`)
    }
    fs.rmSync(file, { force: true })
  }
  throw new SyncDeskError('locked', `Could not take the server lock ${file}.`, 'Another server may be starting on this folder: wait a moment, then start again.')
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
