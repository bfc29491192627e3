/**
 * One server per project folder: a lock file created exclusively, holding the owner's pid.
 *
 * Two servers on one folder would each hold their own path locks and could both win a
 * compare-and-swap. A lock left by a server that died (SIGKILL, power loss) is reclaimed
 * only after checking its process is gone.
 */
import fs from 'node:fs'
import { SyncDeskError } from '../src-main/engine/errors.js'

/** Takes the lock or throws SyncDeskError('locked') naming the owner. */
export function acquireServerLock(file: string): { release(): void } {
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
    const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10)
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new SyncDeskError('locked', `Another syncdesk-server (pid ${owner}) is serving this folder.`, `Stop it first, or remove ${file} if that process is not a syncdesk-server.`)
    }
    fs.rmSync(file, { force: true })
  }
  throw new SyncDeskError('locked', `Could not take the server lock ${file}.`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
