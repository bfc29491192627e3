/**
 * A directory of synced files: scan, read, and durable batched writes with preconditions.
 *
 * One implementation serves the local project, the folder remote and the environment server,
 * so every side obeys the same safety rules: item paths are checked before any filesystem
 * call, symlinks are never followed, writes are atomic and durable, every write and delete
 * is a compare-and-swap against the hash the caller expects, and the old content is handed
 * to a backup hook (a hard link: no copy) before it is replaced or deleted.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import crypto from 'node:crypto'
import { flushFilesystemOf, fsyncDir, isAbandonedTemp, isTempName, removeTempQuietly, sha256, tempPathFor } from './atomic.js'
import { appendAll } from './arrays.js'
import { mapLimit } from './concurrency.js'
import { FastCheckCache, RACY_WINDOW_MS } from './fast-check-cache.js'
import { describeError } from './errors.js'
import { pathProblem } from './paths.js'
import { pathPassesFilter } from './filter.js'
import type { ScanFilter } from './filter.js'

/** What a manifest knows of one file. */
export interface FileEntry {
  hash: string
  size: number
  mtimeMs: number
}

/** path → entry, for every synced file of one side. */
export type Manifest = Map<string, FileEntry>

/** A file that exists but is not synced, and why. Such paths are never treated as deleted. */
export interface ScanSkip {
  path: string
  reason: string
}

export interface ScanResult {
  files: Manifest
  skipped: ScanSkip[]
  /** Temp files SyncDesk made, found in the tree (absolute paths); a sweep removes the abandoned ones. */
  staleTemps: string[]
}

/** The outcome of one item of a batch. */
export type ItemResult =
  | { path: string; ok: true; hash: string | null }
  | { path: string; ok: false; reason: 'stale' | 'refused' | 'failed'; message: string }

export interface WriteRequest {
  path: string
  content: Uint8Array
  /** The hash the file must have now; null: it must not exist. */
  expectedHash: string | null
  /** The sha256 of `content`, set only by a caller that has just computed it (else computed here). */
  contentHash?: string
}

export interface DeleteRequest {
  path: string
  expectedHash: string
}

/** Called with the current file before it is replaced or deleted; it must preserve it. */
export type BackupHook = (itemPath: string, absPath: string) => Promise<void>

export interface DirStoreOptions {
  /** Where the fast-check cache lives; none: every scan hashes everything. */
  cacheFile?: string
  /** How many files are read, hashed or written at once. */
  concurrency?: number
  /** For fault-injection tests: called before each flush of a write batch. */
  hooks?: WriteHooks
}

/** Points in a write batch where a test may stop it (a crash) or look at the disk. */
export interface WriteHooks {
  /** 'temps-written': temp files written, not flushed; 'temps-flushed': on disk, none renamed yet. */
  at?: (point: 'temps-written' | 'temps-flushed') => void | Promise<void>
}

/** How many temp files of a write batch are open at once (then flushed together). */
const WRITE_SLICE = 2048


/** A file whose mtime is this close to the moment it was hashed is rehashed next time (racy-git rule). */
const RACY_MS = RACY_WINDOW_MS
/** Files above this size are hashed as a stream. */
const STREAM_HASH_BYTES = 16 * 1024 * 1024

export class DirStore {
  readonly root: string
  private readonly cacheFile?: string
  private readonly concurrency: number
  private cache = new FastCheckCache()
  private cacheLoaded = false
  private readonly hooks: WriteHooks
  /** Folders found to be real folders in this turn of the event loop (see parentsCheckedThisTurn). */
  private checkedThisTurn: Set<string> | null = null

  constructor(root: string, opts: DirStoreOptions = {}) {
    this.root = path.resolve(root)
    this.cacheFile = opts.cacheFile
    this.concurrency = opts.concurrency ?? 32
    this.hooks = opts.hooks ?? {}
  }

  /** The absolute path of an item; throws on an invalid item path. */
  abs(itemPath: string): string {
    const problem = pathProblem(itemPath)
    if (problem) throw new RefusedError(`refused path ${JSON.stringify(itemPath)}: ${problem}`)
    return path.join(this.root, ...itemPath.split('/'))
  }

  /**
   * Scans the directory into a manifest, rehashing only files whose size, mtime or inode
   * changed since the cached scan.
   */
  async scan(filter: ScanFilter, signal?: AbortSignal): Promise<ScanResult> {
    // Let work started just before (a request, a worker) get going before this thread walks.
    await new Promise((resolve) => setImmediate(resolve))
    this.loadCache()
    const skipped: ScanSkip[] = []
    const staleTemps: string[] = []
    const files: Manifest = new Map()
    const toHash: { rel: string; abs: string; size: number; mtimeMs: number; ino: number }[] = []

    // One pass: walk, lstat and fast-check each file as it is found (no list of candidates).
    const visitFile = (rel: string, abs: string): void => {
      let st: fs.Stats
      try {
        st = fs.lstatSync(abs)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skipped.push({ path: rel, reason: `not readable (${describeError(err)})` })
        return
      }
      if (!st.isFile()) return
      const hash = this.cache.hashIfUnchanged(rel, st.size, st.mtimeMs, st.ino, RACY_MS)
      if (hash !== undefined) files.set(this.cache.sharedPath(rel), { hash, size: st.size, mtimeMs: st.mtimeMs })
      else toHash.push({ rel, abs, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino })
    }

    const walk = (relDir: string, absDir: string): void => {
      let entries: fs.Dirent[]
      try {
        entries = fs.readdirSync(absDir, { withFileTypes: true })
      } catch (err) {
        if (relDir === '') throw err
        skipped.push({ path: relDir, reason: `folder not readable (${describeError(err)})` })
        return
      }
      for (const entry of entries) {
        const raw = entry.name
        const name = ASCII_NAME.test(raw) ? raw : raw.normalize('NFC')
        const rel = relDir ? `${relDir}/${name}` : name
        if (entry.isFile() && isTempName(raw)) {
          staleTemps.push(absDir + path.sep + raw)
          continue
        }
        if (entry.isSymbolicLink()) {
          if (filter.includeDir(rel, name) || filter.includeFile(rel, name)) {
            skipped.push({ path: rel, reason: 'symbolic link (never followed)' })
          }
          continue
        }
        if (entry.isDirectory()) {
          if (!filter.includeDir(rel, name)) continue
          const problem = nameProblem(raw)
          if (problem) skipped.push({ path: rel, reason: `folder name not syncable: ${problem}` })
          else walk(rel, absDir + path.sep + raw)
          continue
        }
        if (!entry.isFile() || !filter.includeFile(rel, name)) continue
        const problem = nameProblem(raw)
        if (problem) {
          skipped.push({ path: rel, reason: `name not syncable: ${problem}` })
          continue
        }
        visitFile(rel, absDir + path.sep + raw)
      }
    }
    walk('', this.root)

    await mapLimit(
      toHash,
      this.concurrency,
      async ({ rel, abs, size, mtimeMs, ino }) => {
        const hashedAt = Date.now()
        try {
          const hash = size < STREAM_HASH_BYTES ? hashFileSync(abs) : await hashFile(abs, size)
          files.set(rel, { hash, size, mtimeMs })
          this.cache.set(rel, [size, mtimeMs, ino, hash, hashedAt])
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skipped.push({ path: rel, reason: `not readable (${describeError(err)})` })
        }
      },
      signal,
    )
    this.cache.retainOnly(files)
    return { files, skipped, staleTemps }
  }

  /**
   * Brings a scan up to date for some paths only (a watcher's report): each is looked at again
   * and rehashed when its size, mtime or inode changed. A path that is gone takes everything
   * under it along; one that is now a folder is walked. Costs the changed files, not a walk.
   */
  refresh(scan: ScanResult, paths: Iterable<string>, filter: ScanFilter): void {
    this.loadCache()
    const dropSkip = (p: string) => {
      const i = scan.skipped.findIndex((s) => s.path === p)
      if (i >= 0) scan.skipped.splice(i, 1)
    }
    for (const p of paths) {
      dropSkip(p)
      const problem = pathProblem(p)
      if (problem) {
        scan.files.delete(p)
        scan.skipped.push({ path: p, reason: `name not syncable: ${problem}` })
        continue
      }
      const abs = path.join(this.root, ...p.split('/'))
      let st: fs.Stats | null
      try {
        st = lstatOrNull(abs)
      } catch (err) {
        scan.files.delete(p)
        scan.skipped.push({ path: p, reason: `not readable (${describeError(err)})` })
        continue
      }
      if (st === null) {
        scan.files.delete(p)
        const prefix = `${p}/`
        for (const k of [...scan.files.keys()]) if (k.startsWith(prefix)) scan.files.delete(k)
        for (let i = scan.skipped.length - 1; i >= 0; i--) if ((scan.skipped[i] as ScanSkip).path.startsWith(prefix)) scan.skipped.splice(i, 1)
        continue
      }
      if (st.isDirectory()) {
        // What was known at or under this path is replaced by what the folder holds now.
        scan.files.delete(p)
        const prefix = `${p}/`
        for (const k of [...scan.files.keys()]) if (k.startsWith(prefix)) scan.files.delete(k)
        for (let i = scan.skipped.length - 1; i >= 0; i--) if ((scan.skipped[i] as ScanSkip).path.startsWith(prefix)) scan.skipped.splice(i, 1)
        if (!folderPasses(filter, p)) continue
        for (const rel of new DirStore(abs).listFiles(filter, p)) this.refresh(scan, [rel], filter)
        continue
      }
      if (st.isSymbolicLink()) {
        scan.files.delete(p)
        if (pathPassesFilter(filter, p)) scan.skipped.push({ path: p, reason: 'symbolic link (never followed)' })
        continue
      }
      if (!st.isFile() || !pathPassesFilter(filter, p) || isTempName(path.basename(abs))) {
        scan.files.delete(p)
        continue
      }
      try {
        const hash = this.cache.hashIfUnchanged(p, st.size, st.mtimeMs, st.ino, RACY_MS) ?? hashFileSync(abs)
        this.cache.set(p, [st.size, st.mtimeMs, st.ino, hash, Date.now()])
        scan.files.set(p, { hash, size: st.size, mtimeMs: st.mtimeMs })
      } catch (err) {
        scan.files.delete(p)
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') scan.skipped.push({ path: p, reason: `not readable (${describeError(err)})` })
      }
    }
  }

  /** The item paths of the files under this store's root (prefixed), by the filter's rules. */
  private listFiles(filter: ScanFilter, prefix: string): string[] {
    const out: string[] = []
    const walk = (rel: string, abs: string) => {
      let entries: fs.Dirent[]
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        // Item paths are NFC, as the scan makes them; the file is found by its name on disk.
        const name = ASCII_NAME.test(e.name) ? e.name : e.name.normalize('NFC')
        const r = `${rel}/${name}`
        if (e.isDirectory()) {
          if (filter.includeDir(r, e.name)) walk(r, path.join(abs, e.name))
        } else out.push(r)
      }
    }
    walk(prefix, this.root)
    return out
  }

  private loadCache(): void {
    if (this.cacheLoaded) return
    this.cacheLoaded = true
    this.cache = FastCheckCache.load(this.cacheFile)
  }

  /** Saves the fast-check cache when it changed. A failure here costs speed, never data. */
  async saveCache(): Promise<void> {
    if (this.cacheFile) await this.cache.save(this.cacheFile)
  }

  /**
   * Removes temp files an interrupted run left, and only those: a file is removed when it has
   * SyncDesk's temp name and its writer is gone (isAbandonedTemp). Returns how many were
   * removed and the ones left because their writer may still be at work.
   */
  async sweepTemps(temps: readonly string[]): Promise<{ removed: number; kept: string[] }> {
    const kept: string[] = []
    let removed = 0
    await mapLimit(temps, this.concurrency, async (t) => {
      if (!isAbandonedTemp(t)) {
        kept.push(t)
        return
      }
      try {
        await fsp.rm(t, { force: true })
        removed++
      } catch {
        kept.push(t)
      }
    })
    return { removed, kept }
  }

  /** Reads one file's content, refusing anything that is not a regular file under the root. */
  async read(itemPath: string): Promise<Buffer> {
    return this.readSync(itemPath)
  }

  /**
   * Local metadata calls and reads of small files run synchronously: on a local disk they cost
   * microseconds, far less than a trip through the thread pool. Only fsync, which waits for
   * the disk, goes to the pool, many at a time.
   */
  private readSync(itemPath: string): Buffer {
    const abs = this.abs(itemPath)
    this.checkParents(itemPath, false, this.parentsCheckedThisTurn())
    const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    try {
      if (!fs.fstatSync(fd).isFile()) throw new RefusedError(`${itemPath} is not a regular file`)
      return fs.readFileSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** The current hash of an item (null when absent); used for stale-plan checks. */
  async currentHash(itemPath: string): Promise<string | null> {
    return this.currentHashSync(itemPath)
  }

  private currentHashSync(itemPath: string): string | null {
    this.loadCache()
    const abs = this.abs(itemPath)
    const st = lstatOrNull(abs)
    if (st === null) return null
    if (st.isSymbolicLink()) throw new RefusedError(`${itemPath} is a symbolic link (never followed)`)
    if (!st.isFile()) throw new RefusedError(`${itemPath} is not a regular file`)
    return this.cache.hashIfUnchanged(itemPath, st.size, st.mtimeMs, st.ino, RACY_MS) ?? sha256(this.readSync(itemPath))
  }

  /**
   * Writes many files durably (DESIGN.md rule 1), in four steps: every temp file is written;
   * all of them are flushed; each is checked against its expected hash and renamed into place;
   * then the folders are flushed. A flush is one syncfs of the filesystem where that is
   * trusted (see flushFilesystemOf), else an fsync of each temp file (many in flight) and of
   * each folder once. Nothing is renamed before its content is on disk, and no item is
   * reported written before its rename is.
   *
   * The batch goes in slices, each with its temp files open until they are flushed.
   */
  async writeBatch(reqs: readonly WriteRequest[], backup?: BackupHook, onItem?: (r: ItemResult, bytes: number) => void): Promise<ItemResult[]> {
    const results: ItemResult[] = []
    for (let from = 0; from < reqs.length; from += WRITE_SLICE) {
      appendAll(results, await this.writeSlice(reqs.slice(from, from + WRITE_SLICE), backup))
    }
    reqs.forEach((req, i) => onItem?.(results[i] as ItemResult, req.content.byteLength))
    return results
  }

  private async writeSlice(reqs: readonly WriteRequest[], backup?: BackupHook): Promise<ItemResult[]> {
    const results = new Array<ItemResult>(reqs.length)
    // Each temp file, and once flushed, its stat: renaming keeps its size, mtime and inode.
    const temps = new Array<{ abs: string; tmp: string; fd: number; st?: fs.Stats } | null>(reqs.length).fill(null)
    const dirsToSync = new Set<string>()
    const checked = new Set<string>()

    // 1. Temp files, written on this thread: with no fsync in flight, creating them is cheap.
    // Every failure below belongs to its item: the rest of the batch goes on.
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i] as WriteRequest
      let fd: number | null = null
      let tmp: string | null = null
      try {
        const abs = this.abs(req.path)
        for (const d of this.checkParents(req.path, true, checked)) dirsToSync.add(path.dirname(d))
        tmp = tempPathFor(abs)
        fd = fs.openSync(tmp, 'wx', 0o644)
        writeAll(fd, req.content)
        temps[i] = { abs, tmp, fd }
      } catch (err) {
        results[i] = failure(req.path, err)
        if (fd !== null) closeQuietly(fd)
        if (tmp) removeTempQuietly(tmp)
      }
    }

    // 2. Their content on disk: one syncfs, or an fsync of each.
    // A folder inside may be another filesystem (a mount): its temp files are fsynced each.
    await this.hooks.at?.('temps-written')
    const rootDev = devOf(this.root)
    const whole = temps.some((t) => t !== null) && (await flushFilesystemOf(this.root))
    await mapLimit(temps, this.concurrency, async (t, i) => {
      if (!t) return
      try {
        t.st = fs.fstatSync(t.fd)
        if (!whole || t.st.dev !== rootDev) await fsyncFd(t.fd)
      } catch (err) {
        results[i] = failure((reqs[i] as WriteRequest).path, err)
        removeTempQuietly(t.tmp)
        temps[i] = null
      } finally {
        closeQuietly(t.fd)
      }
    })
    await this.hooks.at?.('temps-flushed')

    // 3. Checked against the hash the plan expects, backed up, renamed into place.
    for (let i = 0; i < reqs.length; i++) {
      const t = temps[i]
      const req = reqs[i] as WriteRequest
      if (!t) continue
      try {
        const { abs, st } = t
        const current = this.currentHashSync(req.path)
        if (current !== req.expectedHash) {
          results[i] = { path: req.path, ok: false, reason: 'stale', message: `${req.path} changed since the plan was made` }
          removeTempQuietly(t.tmp)
          continue
        }
        if (current !== null && backup) await backup(req.path, abs)
        fs.renameSync(t.tmp, abs)
        const hash = req.contentHash ?? sha256(req.content)
        if (st) this.cache.set(req.path, [st.size, st.mtimeMs, st.ino, hash, Date.now()])
        dirsToSync.add(path.dirname(abs))
        results[i] = { path: req.path, ok: true, hash }
      } catch (err) {
        removeTempQuietly(t.tmp)
        results[i] = failure(req.path, err)
      }
    }

    // 4. The renames on disk.
    await this.flushDirs(dirsToSync, true, rootDev)
    return results
  }

  /**
   * Flushes folders whose entries changed: one syncfs where trusted, else an fsync of each.
   * `strict`: a failure to flush one is thrown (a write is not done until its rename is on disk).
   */
  private async flushDirs(dirs: ReadonlySet<string>, strict: boolean, rootDev = devOf(this.root)): Promise<void> {
    if (dirs.size === 0) return
    const whole = await flushFilesystemOf(this.root)
    await mapLimit([...dirs], this.concurrency, async (d) => {
      try {
        if (!whole || lstatOrNull(d)?.dev !== rootDev) await fsyncDir(d)
      } catch (err) {
        // A folder emptied by deletions may be gone.
        if (strict) throw err
      }
    })
  }

  /** Deletes many files, each only if it still has the expected hash; empty folders go too. */
  async deleteBatch(reqs: readonly DeleteRequest[], backup?: BackupHook, onItem?: (r: ItemResult) => void): Promise<ItemResult[]> {
    const dirsToSync = new Set<string>()
    const emptied = new Set<string>()
    const results: ItemResult[] = []
    for (const req of reqs) {
      try {
        const abs = this.abs(req.path)
        this.checkParents(req.path, false)
        const current = this.currentHashSync(req.path)
        if (current === null) {
          results.push({ path: req.path, ok: true, hash: null })
          continue
        }
        if (current !== req.expectedHash) {
          results.push({ path: req.path, ok: false, reason: 'stale', message: `${req.path} changed since the plan was made` })
          continue
        }
        if (backup) await backup(req.path, abs)
        fs.unlinkSync(abs)
        this.cache.delete(req.path)
        dirsToSync.add(path.dirname(abs))
        emptied.add(path.dirname(abs))
        results.push({ path: req.path, ok: true, hash: null })
      } catch (err) {
        results.push(failure(req.path, err))
      }
    }
    // Remove folders the deletions left empty, deepest first, never the root.
    const dirs = [...emptied].sort((a, b) => b.length - a.length)
    for (let dir of dirs) {
      while (dir !== this.root && dir.startsWith(this.root + path.sep)) {
        try {
          fs.rmdirSync(dir)
        } catch {
          break
        }
        dirsToSync.delete(dir)
        dir = path.dirname(dir)
        dirsToSync.add(dir)
      }
    }
    await this.flushDirs(dirsToSync, false)
    results.forEach((r) => onItem?.(r))
    return results
  }

  /**
   * The folders checked in this turn of the event loop, forgotten when it ends. Reads started
   * together (a chunk of a run, the checks before a push) share one check of their folders, as
   * the files of one write batch do; no other code of this process runs between them.
   */
  private parentsCheckedThisTurn(): Set<string> {
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = new Set()
      setImmediate(() => {
        this.checkedThisTurn = null
      })
    }
    return this.checkedThisTurn
  }

  /**
   * Checks that no parent of an item is a symlink or a file; with `create`, makes the missing
   * folders and returns the ones it made.
   */
  private checkParents(itemPath: string, create: boolean, checked?: Set<string>): string[] {
    const segments = itemPath.split('/').slice(0, -1)
    const created: string[] = []
    let dir = this.root
    for (const seg of segments) {
      dir = path.join(dir, seg)
      if (checked?.has(dir)) continue
      let st = lstatOrNull(dir)
      if (st === null) {
        if (!create) return created
        try {
          fs.mkdirSync(dir)
          created.push(dir)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
          st = fs.lstatSync(dir)
        }
      }
      if (st && st.isSymbolicLink()) throw new RefusedError(`${itemPath}: the folder ${path.relative(this.root, dir)} is a symbolic link (never followed)`)
      if (st && !st.isDirectory()) throw new RefusedError(`${itemPath}: ${path.relative(this.root, dir)} is a file, not a folder`)
      checked?.add(dir)
    }
    return created
  }
}

/** Whether every folder of `p` (itself included) is one the filter enters. */
function folderPasses(filter: ScanFilter, p: string): boolean {
  let rel = ''
  for (const seg of p.split('/')) {
    rel = rel ? `${rel}/${seg}` : seg
    if (!filter.includeDir(rel, seg)) return false
  }
  return true
}

/** The device of a path (its filesystem), or null when it cannot be looked at. */
function devOf(abs: string): number | null {
  try {
    return fs.statSync(abs).dev
  } catch {
    return null
  }
}

function lstatOrNull(abs: string): fs.Stats | null {
  try {
    // An absent file is the common case of a first sync: no error is made for it.
    return fs.lstatSync(abs, { throwIfNoEntry: false }) ?? null
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0
  while (off < data.byteLength) off += fs.writeSync(fd, data, off, data.byteLength - off)
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // The data was flushed (or the item already failed); a failed close changes neither.
  }
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())))
}

class RefusedError extends Error {}

/**
 * Why a directory entry's name cannot be an item name, or null. A name from readdir has no
 * `/` or NUL; it may still hold a backslash, a control character or a non-NFC form.
 */
function nameProblem(name: string): string | null {
  if (ASCII_NAME.test(name)) return null
  // macOS and Windows find a file by either Unicode form; Linux needs the form on disk.
  if (NORMALIZATION_INSENSITIVE) return pathProblem(name.normalize('NFC'))
  return pathProblem(name)
}

const ASCII_NAME = /^[\x20-\x5b\x5d-\x7e]+$/
const NORMALIZATION_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32'

function failure(itemPath: string, err: unknown): ItemResult {
  if (err instanceof RefusedError) return { path: itemPath, ok: false, reason: 'refused', message: err.message }
  return { path: itemPath, ok: false, reason: 'failed', message: `${itemPath}: ${describeError(err)}` }
}

function hashFileSync(abs: string): string {
  const fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  try {
    return sha256(fs.readFileSync(fd))
  } finally {
    fs.closeSync(fd)
  }
}

/** sha256 of a file's content, streamed for large files. */
export async function hashFile(abs: string, size: number): Promise<string> {
  if (size < STREAM_HASH_BYTES) {
    const handle = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    try {
      return sha256(await handle.readFile())
    } finally {
      await handle.close()
    }
  }
  const hash = crypto.createHash('sha256')
  const handle = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  try {
    for await (const piece of handle.createReadStream({ autoClose: false })) hash.update(piece as Buffer)
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

