/**
 * A resident index of one folder tree (the project's, or a folder environment's on a local
 * disk) that can be made exact on demand: the index a new walk would give now.
 *
 * `settled()` first settles the tree watch (tree-watch.ts: every change made before the call
 * has been delivered) and looks again at the paths its events named; then applies the racy-git
 * rule as every walk does (fast-check-cache.ts): a file last hashed within the racy window of
 * its mtime is hashed again, since it may have changed since without its size, mtime or inode
 * showing it. When the watch cannot vouch for its events (`complete: false`), the tree is
 * walked whole instead. The watch's blind spots (a write through a hard link from outside, a
 * lost event, a clock jump) are covered by a full walk every `rescanIntervalMs`.
 *
 * A full walk and the changes that come in while it goes are never lost to each other: paths
 * applied to the old index meanwhile are applied to the new one too. Settled looks and full
 * walks run one at a time.
 */
import { DirStore, type ScanResult } from '../engine/dir-store.js'
import { RACY_WINDOW_MS } from '../engine/fast-check-cache.js'
import type { ScanFilter } from '../engine/filter.js'
import fs from 'node:fs'
import path from 'node:path'
import type { Clock } from './clock.js'
import { watchTree, type TreeWatch, type TreeWatchOptions } from './tree-watch.js'

/** What a live tree is made of. */
export interface LiveTreeOptions {
  dir: string
  filter: ScanFilter
  /** The fast-check cache of the tree (kept when the tree is disposed). */
  cacheFile?: string
  /** Where the tree watch writes its marker files (the project's state folder). */
  cookieDir: string | null
  clock: Clock
  /** A full walk this often (0: never). */
  rescanIntervalMs: number
  /** Starts the tree watch (default: watchTree; tests inject faults). */
  watchTree?: (opts: TreeWatchOptions) => TreeWatch
  /** The tree watch saw events (debounced): something in the tree may have changed. */
  onActivity?(): void
  /** A periodic walk found the tree changed. */
  onChanged?(): void
}

let nextTreeId = 1

/** One tree's resident index (see the file comment). */
export class LiveTree {
  private readonly id = nextTreeId++
  /** Counts the looks that may have changed the index. */
  private version = 0
  private current: ScanResult | null = null
  private readonly store: DirStore
  private watch: TreeWatch | null = null
  /** Files that may be racy (mtime within the racy window of when they were last looked at), and when that was. */
  private readonly racy = new Map<string, number>()
  /** While a full walk goes: the paths applied to the old index meanwhile. */
  private journal: Set<string> | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private rescanTimer: unknown = null
  private disposed = false

  constructor(private readonly opts: LiveTreeOptions) {
    this.store = new DirStore(opts.dir, { cacheFile: opts.cacheFile })
  }

  /** The index as it stands (exact only after `settled`). */
  get index(): ScanResult | null {
    return this.current
  }

  /** Changes whenever the index may have changed (unique to this tree): a status made from it can be kept until then. */
  get stamp(): string {
    return `${this.id}.${this.version}`
  }

  /** Watches the tree, then walks it. */
  async start(): Promise<void> {
    this.watch = (this.opts.watchTree ?? watchTree)({ dir: this.opts.dir, filter: this.opts.filter, cookieDir: this.opts.cookieDir, onActivity: this.opts.onActivity })
    await this.exclusive(() => this.fullWalk())
    this.scheduleRescan()
  }

  /** Looks at some paths again (files, or folders: walked), as a watcher reported them. */
  apply(paths: readonly string[]): void {
    const index = this.current
    if (!index || paths.length === 0) return
    this.version++
    this.refresh(index, paths)
  }

  private refresh(index: ScanResult, paths: readonly string[]): void {
    const t = Date.now()
    this.store.refresh(index, paths, this.opts.filter)
    if (this.journal) for (const p of paths) this.journal.add(p)
    let folder = false
    for (const p of paths) {
      const e = index.files.get(p)
      if (e) {
        if (e.mtimeMs >= t - RACY_WINDOW_MS) this.racy.set(p, t)
        else this.racy.delete(p)
      } else {
        this.racy.delete(p)
        folder ||= isFolder(path.join(this.opts.dir, ...p.split('/')))
      }
    }
    // A folder's files came in with it: which of them may be racy takes a look at all.
    if (folder) this.markRacy(t, false)
  }

  /** The index a new walk would give now (see the file comment). */
  settled(): Promise<ScanResult> {
    return this.exclusive(async () => {
      if (!this.watch || !this.current) throw new Error(`${this.opts.dir} is not watched yet.`)
      const s = await this.watch.settle()
      if (!s.complete) {
        await this.fullWalk()
        return this.current
      }
      this.apply(s.paths)
      // The racy-git rule, as every walk applies it: a file last hashed within the timestamp
      // granularity of its mtime may have changed since without its stat showing it.
      const racy: string[] = []
      const before: (string | undefined)[] = []
      for (const p of this.racy.keys()) {
        const e = this.current.files.get(p)
        if (!e) {
          this.racy.delete(p)
          continue
        }
        racy.push(p)
        before.push(`${e.hash}:${e.size}:${e.mtimeMs}`)
      }
      if (racy.length === 0) return this.current
      this.refresh(this.current, racy)
      for (let i = 0; i < racy.length; i++) {
        const e = this.current.files.get(racy[i] as string)
        if (!e || `${e.hash}:${e.size}:${e.mtimeMs}` !== before[i]) {
          this.version++
          break
        }
      }
      return this.current
    })
  }

  /** Walks the tree whole now (after a run wrote into it). Whether the index changed. */
  rescan(): Promise<boolean> {
    return this.exclusive(() => this.fullWalk())
  }

  /** Stops watching; the fast-check cache is saved (a failure costs speed, never data). */
  async dispose(): Promise<void> {
    this.disposed = true
    if (this.rescanTimer !== null) this.opts.clock.clearTimeout(this.rescanTimer)
    this.rescanTimer = null
    this.watch?.dispose()
    await this.store.saveCache().catch(() => undefined)
  }

  /** A full walk (the caller holds the queue); whether anything differs from the index before. */
  private async fullWalk(): Promise<boolean> {
    if (this.disposed) return false
    // Everything the watch named so far is covered by this walk (new folders get watched first).
    this.watch?.drain()
    const t = Date.now()
    this.journal = new Set()
    let scan: ScanResult
    let meanwhile: Set<string>
    try {
      scan = await this.store.scan(this.opts.filter)
    } finally {
      meanwhile = this.journal ?? new Set()
      this.journal = null
    }
    const before = this.current
    this.current = scan
    this.markRacy(t)
    if (meanwhile.size) this.refresh(scan, [...meanwhile])
    const changed = meanwhile.size > 0 || !before || !sameScan(before, scan)
    if (changed) this.version++
    return changed
  }

  /** Notes every file whose mtime is within the racy window of `t` (the look's start). */
  private markRacy(t: number, clear = true): void {
    if (clear) this.racy.clear()
    if (!this.current) return
    for (const [p, e] of this.current.files) if (e.mtimeMs >= t - RACY_WINDOW_MS && !this.racy.has(p)) this.racy.set(p, t)
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** The periodic full walk, for what the watch may have missed. */
  private scheduleRescan(): void {
    const ms = this.opts.rescanIntervalMs
    if (!(ms > 0) || this.disposed) return
    this.rescanTimer = this.opts.clock.setTimeout(() => {
      this.rescanTimer = null
      void this.rescan()
        .then(
          (changed) => {
            if (changed && !this.disposed) this.opts.onChanged?.()
          },
          () => undefined,
        )
        .finally(() => this.scheduleRescan())
    }, ms)
  }
}

function isFolder(abs: string): boolean {
  try {
    return fs.lstatSync(abs).isDirectory()
  } catch {
    return false
  }
}

/** Whether two scans list the same files (content, size, mtime) and the same skipped items. */
function sameScan(a: ScanResult, b: ScanResult): boolean {
  if (a.files.size !== b.files.size || a.skipped.length !== b.skipped.length) return false
  for (const [p, e] of a.files) {
    const o = b.files.get(p)
    if (!o || o.hash !== e.hash || o.size !== e.size || o.mtimeMs !== e.mtimeMs) return false
  }
  const skips = (s: ScanResult) => s.skipped.map((x) => `${x.path}\u0000${x.reason}`).sort().join('\u0001')
  return skips(a) === skips(b)
}
