/**
 * A watch over a folder tree that can be settled: "every change made before now has been
 * seen, and these are the paths it touched". It is what makes a resident index exact enough to
 * answer `syncdesk status` with the report a new walk would give, as git's fsmonitor does it.
 *
 * How it knows. Every folder of the tree the scan would walk gets an fs.watch of its own, set up
 * before the folder is read, so a file is either seen by the reads that follow or reported by
 * the watch (a folder's watch names every entry made, changed, removed or moved in it, file
 * content writes included). On Linux all the watches of a process share one inotify queue,
 * read in order; `settle` writes a marker file into a folder it watches as well (the project's
 * state folder) and waits for the marker's event: once it is in, the event of every change made
 * before the marker has been delivered, and the paths they named are handed over for the caller
 * to look at again. That holds for changes made by any process on this machine, so the tree of
 * a folder environment on a local disk can be settled the same way.
 *
 * When it cannot know, it says so (`complete: false`) and the caller walks the whole tree:
 * another system than Linux (its watches are not known to share one ordered queue), a file
 * system where other machines write (NFS, SMB, FUSE: their writes raise no local events), so
 * many events at once that the kernel's queue may have overflowed (the kernel then drops
 * events without a word to libuv), a folder that could not be watched, more folders than it
 * watches, the marker not seen in time, the root moved. What it cannot see at all, the
 * caller's periodic full walk covers: a write through a hard link from outside the tree, a
 * write through a memory map.
 */
import fs from 'node:fs'
import path from 'node:path'
import { isTempName, tempPathFor } from '../engine/atomic.js'
import { IGNORE_FILE, type ScanFilter } from '../engine/filter.js'
import type { Disposable } from './disposable.js'

/** What `settle` and `drain` hand over. */
export interface SettleResult {
  /** Paths (relative, `/`, NFC, as the engine names items) named by events since the last hand-over: files and folders. */
  paths: string[]
  /** False when events may have been missed: the caller looks at the whole tree. */
  complete: boolean
}

/** What `watchTree` is told. */
export interface TreeWatchOptions {
  /** The tree's root. */
  dir: string
  /** The scan's filter: folders it does not walk are not watched, paths it does not sync not reported. */
  filter: ScanFilter
  /** A folder of SyncDesk's own (the project's state folder) where `settle` writes its marker. */
  cookieDir: string | null
  /** Called (at most once per `activityDebounceMs`) when events came in: something may have changed. */
  onActivity?(): void
  activityDebounceMs?: number
}

/** A running tree watch. */
export interface TreeWatch extends Disposable {
  /**
   * Waits until every change made before the call has been delivered, then hands over the paths
   * named since the last hand-over. Never rejects.
   */
  settle(): Promise<SettleResult>
  /** Hands over what was named so far without waiting (before a full walk, which covers it). */
  drain(): SettleResult
  dispose(): void
}

/** Where one queue orders every watch of the process. */
const ORDERED = process.platform === 'linux'
/** How long `settle` waits for its marker. */
const SETTLE_TIMEOUT_MS = 2000
/** More paths than this between two hand-overs: they are dropped and the next one is incomplete. */
const MAX_SUSPECTS = 100_000
/** At most this many folders are watched; a larger tree is walked whole at every settle. */
const MAX_WATCHES = 50_000
/**
 * Local file systems (statfs f_type), where every write on this machine raises an event:
 * ext2/3/4, xfs, btrfs, tmpfs, overlayfs, zfs, f2fs, ramfs, bcachefs, reiserfs, jfs.
 */
const LOCAL_FS = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630, 0x2fc12fc1, 0xf2f52010, 0x858458f6, 0xca451a4e, 0x52654973, 0x3153464a])

/** The kernel's queue length (events beyond it are dropped): /proc/sys/fs/inotify/max_queued_events. */
function queueLength(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim())
    return Number.isFinite(n) && n > 0 ? n : 16384
  } catch {
    return 16384
  }
}

/** Whether every write to `dir` made on this machine raises a local event (see LOCAL_FS). */
export function isLocalFileSystem(dir: string): boolean {
  try {
    return LOCAL_FS.has(Number(fs.statfsSync(dir).type))
  } catch {
    return false
  }
}

const ASCII = /^[\x20-\x7e]*$/

/** Starts watching a tree (see the file comment). The folders are watched when it returns. */
export function watchTree(opts: TreeWatchOptions): TreeWatch {
  const { filter } = opts
  const root = path.resolve(opts.dir)
  const rootIno = inoOf(root)
  // Half the kernel's queue within a second may mean the queue overflowed while this thread was busy.
  const burstLimit = Math.floor(queueLength() / 2)
  let usable = ORDERED && rootIno !== null && isLocalFileSystem(root)
  /** The watched folders, with the inode each watch is on (a folder replaced needs a new watch). */
  const watches = new Map<string, { w: fs.FSWatcher; ino: number }>()
  const suspects = new Set<string>()
  let incomplete = false
  let disposed = false
  let windowStart = 0
  let windowCount = 0
  const cookies = new Map<string, () => void>()
  let cookieWatch: fs.FSWatcher | null = null
  let activityTimer: NodeJS.Timeout | null = null

  const absOf = (rel: string): string => (rel ? path.join(root, ...rel.split('/')) : root)

  const activity = (): void => {
    if (!opts.onActivity || activityTimer || disposed) return
    activityTimer = setTimeout(() => {
      activityTimer = null
      if (!disposed) opts.onActivity?.()
    }, opts.activityDebounceMs ?? 50)
    activityTimer.unref()
  }

  const note = (rel: string): void => {
    if (suspects.size >= MAX_SUSPECTS && !suspects.has(rel)) {
      suspects.clear()
      incomplete = true
      return
    }
    suspects.add(rel)
  }

  /** An event of the watch on folder `dirRel`, naming `name` (an entry, or the folder itself). */
  const onEvent = (dirRel: string, name: string | null): void => {
    if (disposed) return
    const now = performance.now()
    if (now - windowStart > 1000) {
      windowStart = now
      windowCount = 0
    }
    if (++windowCount > burstLimit) incomplete = true
    activity()
    if (!name) {
      note(dirRel)
      return
    }
    const entry = ASCII.test(name) ? name : name.normalize('NFC')
    // The folder's own events (removed, moved) carry its name: the folder is looked at too.
    if (dirRel && entry === path.posix.basename(dirRel)) note(dirRel)
    const rel = dirRel ? `${dirRel}/${entry}` : entry
    if (rel === IGNORE_FILE || (!isTempName(entry) && (filter.includeDir(rel, entry) || filter.includeFile(rel, entry)))) note(rel)
  }

  /** Watches a folder, then reads it and watches its folders likewise (watch first, then read). */
  const watchFolder = (rel: string): void => {
    if (disposed || watches.has(rel)) return
    if (watches.size >= MAX_WATCHES) {
      usable = false
      return
    }
    const abs = absOf(rel)
    let w: fs.FSWatcher
    try {
      w = fs.watch(abs, { persistent: false }, (_event, name) => onEvent(rel, name === null ? null : String(name)))
    } catch (err) {
      // Gone already: its parent's event names it. Not watchable (permissions, the system's limit): nothing is known of it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') incomplete = true
      return
    }
    w.on('error', () => {
      w.close()
      if (watches.get(rel)?.w === w) watches.delete(rel)
      // Events may have been lost before the error: the next hand-over is incomplete.
      incomplete = true
      note(rel)
    })
    watches.set(rel, { w, ino: inoOf(abs) ?? -1 })
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      const name = ASCII.test(e.name) ? e.name : e.name.normalize('NFC')
      const child = rel ? `${rel}/${name}` : name
      if (filter.includeDir(child, name)) watchFolder(child)
    }
  }

  /** Stops watching a folder that is gone, and every folder under it. */
  const unwatchUnder = (rel: string): void => {
    const prefix = `${rel}/`
    for (const [r, { w }] of watches) {
      if (r !== rel && !r.startsWith(prefix)) continue
      w.close()
      watches.delete(r)
    }
  }

  const drain = (): SettleResult => {
    const named = [...suspects]
    suspects.clear()
    let complete = !incomplete && usable
    incomplete = false
    if (inoOf(root) !== rootIno) complete = false
    const paths: string[] = []
    for (const p of named) {
      let st: fs.Stats | null = null
      try {
        st = fs.lstatSync(absOf(p))
      } catch {}
      // A file of a kind that is not synced (named like a folder might be) is nothing to look at.
      if (st?.isFile() && p !== IGNORE_FILE && !filter.includeFile(p, path.posix.basename(p))) continue
      paths.push(p)
      // A folder made or moved in is watched before the caller reads it; one gone is let go; one
      // replaced (removed and made again) is watched anew, its old watch being on the old folder.
      if (st?.isDirectory()) {
        const known = watches.get(p)
        if (known && known.ino !== st.ino) unwatchUnder(p)
        watchFolder(p)
      } else if (watches.has(p) || hasWatchUnder(p)) unwatchUnder(p)
    }
    return { paths, complete }
  }

  const hasWatchUnder = (rel: string): boolean => {
    const prefix = `${rel}/`
    for (const r of watches.keys()) if (r.startsWith(prefix)) return true
    return false
  }

  const settle = async (): Promise<SettleResult> => {
    if (disposed) return { paths: [], complete: false }
    if (!cookieWatch || !opts.cookieDir || !usable) return { ...drain(), complete: false }
    const file = tempPathFor(path.join(opts.cookieDir, 'settle'))
    const name = path.basename(file)
    const seen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        cookies.delete(name)
        resolve(false)
      }, SETTLE_TIMEOUT_MS)
      cookies.set(name, () => {
        clearTimeout(timer)
        cookies.delete(name)
        resolve(true)
      })
    })
    try {
      fs.closeSync(fs.openSync(file, 'wx', 0o600))
    } catch {
      cookies.get(name)?.()
      return { ...drain(), complete: false }
    }
    const arrived = await seen
    fs.rmSync(file, { force: true })
    if (disposed) return { paths: [], complete: false }
    const result = drain()
    return arrived ? result : { ...result, complete: false }
  }

  if (opts.cookieDir && usable) {
    try {
      cookieWatch = fs.watch(opts.cookieDir, { persistent: false }, (_event, name) => {
        if (name !== null) cookies.get(String(name))?.()
      })
      cookieWatch.on('error', () => {
        cookieWatch?.close()
        cookieWatch = null
      })
    } catch {
      cookieWatch = null
    }
  }
  if (usable) watchFolder('')

  return {
    settle,
    drain,
    dispose() {
      if (disposed) return
      disposed = true
      if (activityTimer) clearTimeout(activityTimer)
      for (const { w } of watches.values()) w.close()
      watches.clear()
      suspects.clear()
      cookieWatch?.close()
      cookieWatch = null
      for (const done of [...cookies.values()]) done()
    },
  }
}

function inoOf(abs: string): number | null {
  try {
    return fs.statSync(abs).ino
  } catch {
    return null
  }
}
