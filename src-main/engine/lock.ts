/**
 * One writer per project (DESIGN.md safety rule 7): a lock file created exclusively.
 *
 * A lock left by a process that is gone (same host, no such pid) is reclaimed; a live one
 * stops the run with a message naming its owner.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isAbandonedTemp } from './atomic.js'
import { ensureStateDir } from './state-dir.js'
import { SyncDeskError } from './errors.js'

interface LockOwner {
  pid: number
  host: string
  startedAt: string
  command?: string
}

export interface Lock {
  release(): void
}

function ownerIsGone(owner: LockOwner | null): boolean {
  if (!owner) return true
  if (owner.host !== os.hostname()) return false
  try {
    process.kill(owner.pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner
    return typeof raw.pid === 'number' && typeof raw.host === 'string' ? raw : null
  } catch {
    return null
  }
}

/**
 * Creates the lock file with its owner already inside: written to a temp file, then hard-linked
 * into place (link fails if the lock exists). So a crash never leaves an empty lock, and a lock
 * without a readable owner is always a leftover.
 */
function createLockFile(file: string, owner: LockOwner): boolean {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(owner), { mode: 0o644 })
  try {
    fs.linkSync(tmp, file)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
    // A file system without hard links: create exclusively and write at once.
    try {
      const fd = fs.openSync(file, 'wx', 0o644)
      fs.writeSync(fd, JSON.stringify(owner))
      fs.closeSync(fd)
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw e
    }
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}

/** Takes the project's writer lock or throws a 'locked' error naming the owner. */
export function acquireLock(stateDir: string, command?: string): Lock {
  const file = path.join(stateDir, 'lock')
  ensureStateDir(stateDir)
  const me: LockOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command }
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLockFile(file, me)) {
      let released = false
      return {
        release() {
          if (released) return
          released = true
          try {
            if (readOwner(file)?.pid === process.pid) fs.unlinkSync(file)
          } catch {}
        },
      }
    }
    if (!fs.existsSync(file)) continue // released meanwhile: try again
    const owner = readOwner(file)
    if (owner && !ownerIsGone(owner)) {
      throw new SyncDeskError(
        'locked',
        `Another SyncDesk run is working on this project (pid ${owner.pid} on ${owner.host}${owner.command ? `, ${owner.command}` : ''}, since ${owner.startedAt}).`,
        'Wait for it to finish and try again.',
      )
    }
    // Reclaim a stale lock (its owner is gone, or it has none): rename is atomic, so only one
    // reclaimer wins.
    try {
      fs.renameSync(file, `${file}.stale-${process.pid}`)
      fs.rmSync(`${file}.stale-${process.pid}`, { force: true })
    } catch {}
  }
  throw new SyncDeskError('locked', 'Could not take the project lock; another SyncDesk run may be starting.', 'Try again in a moment.')
}

/**
 * Removes what an interrupted run left in `.syncdesk/`: temp files of state writes (baseline,
 * caches, backup lists, the pack of merge bases) and of lock creation. Call while holding the lock.
 */
export function sweepStateTemps(stateDir: string): void {
  const dirs = [stateDir, path.join(stateDir, 'baselines'), path.join(stateDir, 'cache'), path.join(stateDir, 'bases')]
  try {
    for (const run of fs.readdirSync(path.join(stateDir, 'backups'))) dirs.push(path.join(stateDir, 'backups', run))
  } catch {}
  for (const dir of dirs) {
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      const lockTemp = /^lock\.(\d+)\.tmp$/.exec(name)
      const gone = lockTemp && ownerIsGone({ pid: Number(lockTemp[1]), host: os.hostname(), startedAt: '' })
      if (gone || isAbandonedTemp(path.join(dir, name))) {
        fs.rmSync(path.join(dir, name), { force: true })
      }
    }
  }
}
