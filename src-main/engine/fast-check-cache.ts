/**
 * The fast-check cache of a scanned directory: for each file, the size, mtime and inode it
 * had when it was hashed, the hash, and when it was hashed (the racy-git rule needs that).
 *
 * Kept on disk in a small binary form: a header, the numbers of every row as one array of
 * doubles, then the paths and the hashes, each joined by NUL (which neither holds). Reading it
 * is a copy and two splits, not a parse: 100,000 files load in about 35 ms, where the JSON
 * form (version 2, still read, so an upgrade hashes nothing again) took about 110 ms. The file
 * keeps its name. Rows read from disk stay in those arrays; only rows that change are held
 * separately.
 */
import fs from 'node:fs'
import { writeFileAtomic } from './atomic.js'
import { textOf } from './read-text.js'

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

/** The JSON form of earlier versions. */
interface StoredJson {
  version: 2
  paths: string[]
  hashes: string[]
  numbers: number[]
}

/**
 * The binary form's header, 32 bytes: the magic `SDFCACHE`, the version (3), the row count,
 * the byte lengths of the paths and the hashes (all uint32, little-endian), and the double 1.5
 * in this machine's byte order, as the numbers are written: a file from a machine of the other
 * order does not read back 1.5 there, and is not used.
 */
const MAGIC = Buffer.from('SDFCACHE', 'latin1')
const VERSION = 3
const HEADER_BYTES = 32
const BYTE_ORDER_MARK = Buffer.from(new Float64Array([1.5]).buffer)
/** A hash's length: sha256 in hex. */
const HASH_CHARS = 64

interface Rows {
  /** Read from the JSON form: the next save writes the binary one. */
  legacy: boolean
  paths: string[]
  hashes: string[]
  numbers: Float64Array
}

/** The rows of a cache file's bytes, or null when they are not a cache this build can read. */
function decode(bytes: Buffer): Rows | null {
  if (bytes.length >= HEADER_BYTES && bytes.subarray(0, 8).equals(MAGIC)) {
    if (bytes.readUInt32LE(8) !== VERSION || !bytes.subarray(24, 32).equals(BYTE_ORDER_MARK)) return null
    const count = bytes.readUInt32LE(12)
    const pathBytes = bytes.readUInt32LE(16)
    const hashBytes = bytes.readUInt32LE(20)
    const numberBytes = count * FIELDS * 8
    if (bytes.length !== HEADER_BYTES + numberBytes + pathBytes + hashBytes) return null
    // Every hash is 64 characters and one NUL apart: a shifted or cut hash cannot pass.
    if (hashBytes !== (count === 0 ? 0 : count * (HASH_CHARS + 1) - 1)) return null
    // A copy of the numbers: a view would need them aligned, and would keep the whole file alive.
    const numbers = new Float64Array(count * FIELDS)
    Buffer.from(numbers.buffer).set(bytes.subarray(HEADER_BYTES, HEADER_BYTES + numberBytes))
    if (count === 0) return { legacy: false, paths: [], hashes: [], numbers }
    const at = HEADER_BYTES + numberBytes
    const paths = textOf(bytes.subarray(at, at + pathBytes)).split('\0')
    const hashes = textOf(bytes.subarray(at + pathBytes, at + pathBytes + hashBytes)).split('\0')
    if (paths.length !== count || hashes.length !== count) return null
    return { legacy: false, paths, hashes, numbers }
  }
  const stored = JSON.parse(textOf(bytes)) as Partial<StoredJson>
  const { paths, hashes, numbers } = stored
  if (stored.version !== 2 || !Array.isArray(paths) || !Array.isArray(hashes) || !Array.isArray(numbers)) return null
  if (hashes.length !== paths.length || numbers.length !== paths.length * FIELDS) return null
  if (!paths.every((p) => typeof p === 'string') || !hashes.every((h) => typeof h === 'string')) return null
  return { legacy: true, paths, hashes, numbers: Float64Array.from(numbers) }
}

/** The binary form of some rows (see decode). */
function encode(paths: readonly string[], hashes: readonly string[], numbers: readonly number[]): Buffer {
  const pathBytes = Buffer.from(paths.join('\0'), 'utf8')
  const hashBytes = Buffer.from(hashes.join('\0'), 'utf8')
  const header = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt32LE(VERSION, 8)
  header.writeUInt32LE(paths.length, 12)
  header.writeUInt32LE(pathBytes.length, 16)
  header.writeUInt32LE(hashBytes.length, 20)
  BYTE_ORDER_MARK.copy(header, 24)
  const nums = Float64Array.from(numbers)
  return Buffer.concat([header, Buffer.from(nums.buffer, nums.byteOffset, nums.byteLength), pathBytes, hashBytes])
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
      const rows = decode(fs.readFileSync(file))
      if (!rows) return cache
      cache.paths = rows.paths
      cache.hashes = rows.hashes
      cache.numbers = rows.numbers
      cache.dirty = rows.legacy
      cache.alive = new Uint8Array(rows.paths.length).fill(1)
      for (let i = 0; i < rows.paths.length; i++) cache.index.set(rows.paths[i] as string, i)
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

  /**
   * The cache's own copy of a path it holds, else `path` itself. A scan keys its manifest by
   * it: the path it just joined from the folder and the name is then garbage at once, instead
   * of a second copy of every path kept as long as the manifest (about 9 MB for 100,000 files).
   */
  sharedPath(path: string): string {
    const i = this.index.get(path)
    return i === undefined ? path : (this.paths[i] as string)
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
    const paths: string[] = []
    const hashes: string[] = []
    const numbers: number[] = []
    const push = (p: string, r: CacheRow) => {
      // A row the form cannot hold is left out (it cannot happen: hashes are sha256 hex, paths hold no NUL).
      if (r[3].length !== HASH_CHARS || p.includes('\0')) return
      paths.push(p)
      hashes.push(r[3])
      numbers.push(r[0], r[1], r[2], r[4])
    }
    for (let i = 0; i < this.paths.length; i++) {
      const p = this.paths[i] as string
      if (!this.alive[i] || this.changed.has(p)) continue
      push(p, this.get(p) as CacheRow)
    }
    for (const [p, row] of this.changed) if (row) push(p, row)
    try {
      await writeFileAtomic(file, encode(paths, hashes, numbers))
      this.dirty = false
    } catch {
      // The next scan rehashes what it cannot trust.
    }
  }
}
