/**
 * Keeping old content before it is replaced or deleted (DESIGN.md safety rule 3).
 *
 * A hard link costs no copy: the later rename or unlink only removes the item's name, and the
 * old content lives on under the backup folder. Where a link is impossible (another file
 * system, no link support) the content is copied and flushed.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { BackupHook } from './dir-store.js'

/** A backup hook that keeps each old file at `<dir>/<itemPath>`. */
export function preserveInto(dir: string): BackupHook {
  const made = new Set<string>()
  return async (itemPath, absPath) => {
    const target = path.join(dir, ...itemPath.split('/'))
    const parent = path.dirname(target)
    if (!made.has(parent)) {
      fs.mkdirSync(parent, { recursive: true, mode: 0o700 })
      made.add(parent)
    }
    fs.rmSync(target, { force: true })
    try {
      fs.linkSync(absPath, target)
    } catch {
      await fsp.copyFile(absPath, target)
      const handle = await fsp.open(target, 'r+')
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    }
  }
}

/** A sortable, unique id for a run: `20261121-235341-123-1a2b` (local time, milliseconds). */
export function newRunId(now = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}-${pad(now.getMilliseconds(), 3)}`
  return `${stamp}-${Math.random().toString(16).slice(2, 6).padEnd(4, '0')}`
}
