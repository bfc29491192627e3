/**
 * The fast-check cache of a scanned directory: for each file, the size, mtime and inode it
 * had when it was hashed, the hash, and when it was hashed (the racy-git rule needs that).
 *
 * Kept on disk as parallel arrays (paths, hashes, and one flat array of numbers), which parse
 * several times faster and take far less memory than one small object per file: a project of
 * 100,000 files loads its cache in tens of milliseconds. Rows read from disk stay in those
 * arrays; only rows that change are held separately.
 */
import { writeFileAtomic } from './atomic.js'
import { readTextFile } from './read-text.js'

/**
 * The racy-git rule's window: a file whose mtime is this close to the moment it was hashed (or
 * later) may have changed again within its file system's timestamp granularity without its
 * size, mtime or inode showing it, so its hash is not trusted and it is hashed again at the
 * next look. dir-store.ts applies it to every scan (its RACY_MS has this value); the host's
 * resident index applies it at every status it answers (live-project.ts).
 */
export const RACY_WINDOW_MS = 2000

/** Whether a file with this mtime, hashed at `hashedAtMs`, must be hashed again (the racy-git rule). */
export function isRacy(mtimeMs: number, hashedAtMs: number, racyMs: number = RACY_WINDOW_MS): boolean {
  // Written as "not safely older", so that a broken number (NaN) counts as racy.
  return !(hashedAtMs - mtimeMs > racyMs)
}

/** A cached row: [size, mtimeMs, ino, hash, hashedAtMs]. */
export type CacheRow = [number, number, number, string, number]

const FIELDS = 4 // size, mtimeMs, ino, hashedAt

interface Stored {
  version: 2
  paths: string[]
  hashes: string[]
  numbers: number[]
}

export class FastCheckCache {
  private paths: string[] = []
  private hashes: string[] = []
  private numbers: Float64Array = new Float64Array(0)
  private index = new Map<string, number>()
  private alive = new Uint8Array(0)
  private changed = new Map<string, CacheRow | null>()
  private dirty = false

  /** Reads a cache file; a missing or broken one gives an empty cache (it is only an optimisation). */
  static load(file: string | undefined): FastCheckCache {
    const cache = new FastCheckCache()
    if (!file) return cache
    try {
      const stored = JSON.parse(readTextFile(file)) as Partial<Stored>
      const { paths, hashes, numbers } = stored
      if (stored.version !== 2 || !Array.isArray(paths) || !Array.isArray(hashes) || !Array.isArray(numbers)) return cache
      if (hashes.length !== paths.length || numbers.length !== paths.length * FIELDS) return cache
      cache.paths = paths
      cache.hashes = hashes
      cache.numbers = Float64Array.from(numbers)
      cache.alive = new Uint8Array(paths.length).fill(1)
      for (let i = 0; i < paths.length; i++) cache.index.set(paths[i] as string, i)
    } catch {
      // Missing or unreadable: start empty.
    }
    return cache
  }

  get(path: string): CacheRow | undefined {
    const c = this.changed.get(path)
    if (c !== undefined) return c ?? undefined
    const i = this.index.get(path)
    if (i === undefined || !this.alive[i]) return undefined
    const n = this.numbers
    const o = i * FIELDS
    return [n[o] as number, n[o + 1] as number, n[o + 2] as number, this.hashes[i] as string, n[o + 3] as number]
  }

  /** The cached hash when the file still has the size, mtime and inode it was hashed with. */
  hashIfUnchanged(path: string, size: number, mtimeMs: number, ino: number, racyMs: number): string | undefined {
    const c = this.changed.get(path)
    if (c !== undefined) {
      return c && c[0] === size && c[1] === mtimeMs && c[2] === ino && !isRacy(mtimeMs, c[4], racyMs) ? c[3] : undefined
    }
    const i = this.index.get(path)
    if (i === undefined || !this.alive[i]) return undefined
    const n = this.numbers
    const o = i * FIELDS
    return n[o] === size && n[o + 1] === mtimeMs && n[o + 2] === ino && !isRacy(mtimeMs, n[o + 3] as number, racyMs) ? this.hashes[i] : undefined
  }

  set(path: string, row: CacheRow): void {
    this.changed.set(path, row)
    this.dirty = true
  }

  delete(path: string): void {
    if (this.get(path) === undefined) return
    this.changed.set(path, null)
    this.dirty = true
  }

  /** Forgets every file not in `seen` (files gone since the last scan). */
  retainOnly(seen: { has(path: string): boolean }): void {
    for (let i = 0; i < this.paths.length; i++) {
      if (this.alive[i] && !seen.has(this.paths[i] as string)) {
        this.alive[i] = 0
        this.dirty = true
      }
    }
    for (const [p, row] of this.changed) {
      if (row !== null && !seen.has(p)) {
        this.changed.set(p, null)
        this.dirty = true
      }
    }
  }

  get isDirty(): boolean {
    return this.dirty
  }

  /** Writes the cache atomically; a failure costs speed on the next scan, never data. */
  async save(file: string): Promise<void> {
    if (!this.dirty) return
    const out: Stored = { version: 2, paths: [], hashes: [], numbers: [] }
    const push = (p: string, r: CacheRow) => {
      out.paths.push(p)
      out.hashes.push(r[3])
      out.numbers.push(r[0], r[1], r[2], r[4])
    }
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i] as string
      if (!this.alive[i] || this.changed.has(p)) continue
      push(p, this.get(p) as CacheRow)
    }
    for (const [p, row] of this.changed) if (row) push(p, row)
    try {
      await writeFileAtomic(file, JSON.stringify(out))
      this.dirty = false
    } catch {
      // The next scan rehashes what it cannot trust.
    }
  }
}
