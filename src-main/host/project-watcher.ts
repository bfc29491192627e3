/**
 * Watches an open project's folder and says which items changed, soon and in batches.
 *
 * The host keeps a live status per open project: a save in the editor must show up in the
 * dashboard within a second (DESIGN.md: the host's event within 100 ms). Rescanning on a timer
 * would be slow or wasteful; chokidar tells us what moved, and this module turns its events
 * into what the host needs: item paths (relative, POSIX, as the engine names them), only those
 * the project's scan filter syncs, each once per batch, one batch per quiet moment.
 *
 * What it handles, and why:
 * - Excluded folders (`.git`, `.syncdesk`, `node_modules`, `.syncdeskignore` rules) are never
 *   descended: chokidar's `ignored` gets the stats, so a folder is judged as a folder and not
 *   even read. A big `node_modules` costs nothing.
 * - Editors save atomically (write `.a.md.tmp123`, rename onto `a.md`): the temp name is no
 *   synced type and is ignored; the rename reports `a.md`. SyncDesk's own temp files
 *   (`.syncdesk-tmp-*.tmp`, see atomic.ts) are never reported.
 * - A burst (a checkout, an unzip, a pull writing 5,000 files) is batched: a batch goes out
 *   once events pause for `debounceMs`, and at the latest `maxDelayMs` after its first event,
 *   so the status moves along during a long burst instead of waiting for its end.
 * - chokidar drops a second change of one file within 50 ms of the first, and a folder made
 *   just now is read before its watch is set up, so files written into it in between go
 *   unseen (under load, over half of a checkout's files here). Two cheap checks close those
 *   gaps: a file reported while still inside that window is looked at again once the window is
 *   over (and reported again if it changed after the batch went out), and a new folder is
 *   walked as it settles (after 250 ms, 1 s and 3 s), its files recorded like events.
 * - A file is not reported twice for one state: each report remembers the file's stat (size,
 *   times, inode) for a few seconds, and a later event or walk that finds it just so is folded.
 *   So a burst of 5,000 files gives 5,000 paths, however many events and walks saw each.
 * - The project's `.syncdeskignore` is reported too when it changes: it is no item, but it
 *   changes what is synced, so the host makes a new filter (and a new watcher).
 */
import fs from 'node:fs'
import path from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { isTempName } from '../engine/atomic.js'
import { describeError } from '../engine/errors.js'
import { IGNORE_FILE, type ScanFilter } from '../engine/filter.js'
import type { Disposable } from './disposable.js'

/**
 * What `watchProject` is told.
 *
 * The filter is the one the project's scans use, so the watcher reports exactly the items a
 * scan would find; when `.syncdeskignore` changes (it is reported), the host makes a new one.
 */
export interface ProjectWatchOptions {
  /** The project's folder. */
  dir: string
  /** The project's scan filter: what is not synced is not watched or reported. */
  filter: ScanFilter
  /** A batch goes out once no event came for this long (default 50 ms). */
  debounceMs?: number
  /** …and at the latest this long after its first event, even while events keep coming (default 200 ms). */
  maxDelayMs?: number
  /** The item paths that changed (added, modified or deleted), sorted, each once. */
  onChange(paths: string[]): void
  /** Something went wrong watching (a folder that cannot be watched, the system's watch limit). */
  onError(message: string): void
}

/**
 * A running project watcher.
 *
 * `ready` resolves once the existing tree is watched (changes before that may go unreported:
 * the host scans once after `ready`). `dispose` stops it; no callback runs after that.
 */
export interface ProjectWatcher extends Disposable {
  readonly ready: Promise<void>
  dispose(): Promise<void>
}

const DEFAULT_DEBOUNCE_MS = 50
const DEFAULT_MAX_DELAY_MS = 200
/** chokidar drops further `change` events of a file for 50 ms after one; a little more to be sure. */
const CHANGE_THROTTLE_MS = 60
/**
 * When a new folder is walked for files no event reported, counted from its appearance.
 * chokidar reads a new folder before it watches it; under load (a checkout in another process)
 * it missed over half of 2,000 files written into 280 new folders here. The later walks catch
 * files written after the first one, before chokidar's watch was in place.
 */
const NEW_FOLDER_WALKS_MS = [250, 1000, 3000]
/** How long what a reported path looked like is remembered, to fold a second report of it. */
const REMEMBER_MS = 5000
/** A file whose mtime is this recent may change again within the same clock tick of its file system. */
const RACY_MS = 25

/**
 * Starts watching a project folder.
 *
 * Paths are reported relative to `dir` with `/` separators, NFC-normalized like the engine's
 * scan; files the filter does not sync are never reported, nor anything under an excluded
 * folder, nor symbolic links (never followed).
 */
export function watchProject(opts: ProjectWatchOptions): ProjectWatcher {
  const debounceMs = Math.max(0, opts.debounceMs ?? DEFAULT_DEBOUNCE_MS)
  const maxDelayMs = Math.max(debounceMs, opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS)
  const { filter } = opts

  let root: string
  try {
    root = fs.realpathSync(path.resolve(opts.dir))
    if (!fs.statSync(root).isDirectory()) throw Object.assign(new Error(`${root} is not a folder`), { code: 'ENOTDIR' })
  } catch (err) {
    const message = `The project folder ${opts.dir} cannot be watched: ${describeError(err)}.`
    let stopped = false
    queueMicrotask(() => {
      if (!stopped) opts.onError(message)
    })
    return {
      ready: Promise.resolve(),
      dispose: async () => {
        stopped = true
      },
    }
  }

  let disposed = false
  const pending = new Set<string>()
  /** When the latest event of each pending path came. */
  const lastEventAt = new Map<string, number>()
  let batchStartedAt = 0
  let lastEvent = 0
  let flushTimer: NodeJS.Timeout | null = null
  /** Paths reported inside chokidar's throttle window: what they looked like then, and when to look again. */
  const recheck = new Map<string, { sig: string; due: number }>()
  let recheckTimer: NodeJS.Timeout | null = null
  /** What each recently reported path looked like when it went out (see flush). */
  const reported = new Map<string, { sig: string; at: number; racy: boolean }>()
  let prunedAt = 0
  /** New folders (relative): when they appeared, and how many walks they had. */
  const newFolders = new Map<string, { at: number; walks: number }>()
  let folderTimer: NodeJS.Timeout | null = null
  let isReady = false
  const errorsSeen = new Set<string>()

  const relOf = (abs: string): string | null => {
    const rel = path.relative(root, abs)
    if (rel === '') return ''
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null
    const posix = path.sep === '/' ? rel : rel.split(path.sep).join('/')
    return ASCII.test(posix) ? posix : posix.normalize('NFC')
  }
  const absOf = (rel: string): string => path.join(root, ...rel.split('/'))

  /** Whether every folder on the way to `rel` (not `rel` itself) is synced. */
  const parentsIncluded = (segments: readonly string[]): boolean => {
    let prefix = ''
    for (let i = 0; i < segments.length - 1; i++) {
      const seg = segments[i] as string
      prefix = prefix ? `${prefix}/${seg}` : seg
      if (!filter.includeDir(prefix, seg)) return false
    }
    return true
  }

  const isItem = (rel: string): boolean => {
    const segments = rel.split('/')
    const name = segments[segments.length - 1] as string
    if (rel === IGNORE_FILE) return true
    return !isTempName(name) && parentsIncluded(segments) && filter.includeFile(rel, name)
  }

  // chokidar asks twice: once without stats (the name only), once with. Without stats, only
  // what can be neither a synced folder nor a synced file is refused.
  const ignored = (abs: string, stats?: fs.Stats): boolean => {
    const rel = relOf(abs)
    if (rel === null || rel === '') return false
    if (rel === IGNORE_FILE) return false
    const segments = rel.split('/')
    if (!parentsIncluded(segments)) return true
    const name = segments[segments.length - 1] as string
    if (isTempName(name)) return true
    if (!stats) return !filter.includeDir(rel, name) && !filter.includeFile(rel, name)
    if (stats.isDirectory()) return !filter.includeDir(rel, name)
    if (stats.isFile()) return !filter.includeFile(rel, name)
    return true
  }

  // A path goes out unless it was reported already exactly as it is now: a new folder's walk
  // and chokidar's late events for the same files must not tell the host twice. "Exactly"
  // needs a timestamp older than the file system's clock tick (RACY_MS): a file whose mtime is
  // that fresh may change again within the same tick, unseen in its stat, and is never folded.
  const flush = (): void => {
    flushTimer = null
    if (disposed || pending.size === 0) return
    const now = performance.now()
    const wall = Date.now()
    const paths: string[] = []
    for (const p of pending) {
      const st = lstatOrNull(absOf(p))
      const sig = signature(st)
      const before = reported.get(p)
      if (before && !before.racy && before.sig === sig) continue
      reported.set(p, { sig, at: now, racy: st !== null && wall - st.mtimeMs < RACY_MS })
      paths.push(p)
      const at = lastEventAt.get(p) ?? 0
      if (now - at < CHANGE_THROTTLE_MS) recheck.set(p, { sig, due: at + CHANGE_THROTTLE_MS })
    }
    pending.clear()
    lastEventAt.clear()
    armRecheck()
    if (now - prunedAt > 1000) {
      prunedAt = now
      for (const [p, r] of reported) if (now - r.at > REMEMBER_MS) reported.delete(p)
    }
    if (paths.length === 0) return
    paths.sort()
    try {
      opts.onChange(paths)
    } catch (err) {
      reportError(`A watcher listener failed: ${describeError(err)}`)
    }
  }

  const armFlush = (): void => {
    if (disposed || flushTimer) return
    const now = performance.now()
    const wait = Math.min(debounceMs - (now - lastEvent), maxDelayMs - (now - batchStartedAt))
    if (wait <= 0) {
      flush()
      return
    }
    flushTimer = setTimeout(() => {
      flushTimer = null
      armFlush()
    }, wait)
  }

  const record = (rel: string): void => {
    if (disposed) return
    const now = performance.now()
    if (pending.size === 0) batchStartedAt = now
    pending.add(rel)
    lastEventAt.set(rel, now)
    lastEvent = now
    armFlush()
  }

  const runRecheck = (): void => {
    recheckTimer = null
    if (disposed) return
    const now = performance.now()
    for (const [p, { sig, due }] of recheck) {
      if (due > now) continue
      recheck.delete(p)
      if (!pending.has(p) && signature(lstatOrNull(absOf(p))) !== sig) record(p)
    }
    armRecheck()
  }

  const armRecheck = (): void => {
    if (disposed || recheckTimer || recheck.size === 0) return
    let first = Infinity
    for (const { due } of recheck.values()) first = Math.min(first, due)
    recheckTimer = setTimeout(runRecheck, Math.max(0, first - performance.now()))
  }

  // Every file a walk finds is recorded; flush drops those already reported as they are.
  const walkNewFolders = (): void => {
    folderTimer = null
    if (disposed) return
    const now = performance.now()
    for (const [rel, folder] of newFolders) {
      if (now - folder.at < (NEW_FOLDER_WALKS_MS[folder.walks] ?? Infinity)) continue
      folder.walks++
      if (folder.walks >= NEW_FOLDER_WALKS_MS.length) newFolders.delete(rel)
      walkFolder(absOf(rel), rel, record)
    }
    armFolderTimer()
  }

  const armFolderTimer = (): void => {
    if (disposed || folderTimer || newFolders.size === 0) return
    let first = Infinity
    for (const f of newFolders.values()) first = Math.min(first, f.at + (NEW_FOLDER_WALKS_MS[f.walks] ?? 0))
    folderTimer = setTimeout(walkNewFolders, Math.max(0, first - performance.now()))
  }

  const noteNewFolder = (rel: string): void => {
    // A folder inside one that waits for its walks is covered by them.
    if (newFolders.has(rel) || hasAncestorIn(rel, newFolders)) return
    newFolders.set(rel, { at: performance.now(), walks: 0 })
    armFolderTimer()
  }

  /** Walks a folder like the scan does (filter, no symlinks, no temp files), calling `found` per file. */
  const walkFolder = (absDir: string, relDir: string, found: (rel: string) => void): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(absDir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const name = ASCII.test(e.name) ? e.name : e.name.normalize('NFC')
      const rel = `${relDir}/${name}`
      if (e.isDirectory()) {
        if (filter.includeDir(rel, name)) walkFolder(path.join(absDir, e.name), rel, found)
      } else if (e.isFile() && !isTempName(name) && filter.includeFile(rel, name)) {
        found(rel)
      }
    }
  }

  const reportError = (message: string): void => {
    if (disposed || errorsSeen.has(message)) return
    errorsSeen.add(message)
    try {
      opts.onError(message)
    } catch {
      // The error listener itself failed: there is nowhere left to report it.
    }
  }

  const watcher: FSWatcher = watch(root, {
    ignored,
    ignoreInitial: true,
    followSymlinks: false,
    // Atomic-save folding waits 100 ms on every delete; a delete and a re-create are the same
    // path to us, folded by the batch anyway.
    atomic: false,
    // Permission errors on a folder are reported once by the scan; the watcher goes on.
    ignorePermissionErrors: true,
  })

  watcher.on('all', (event, p) => {
    if (disposed) return
    const rel = relOf(p)
    if (rel === null || rel === '') return
    if (event === 'addDir') {
      if (isReady) noteNewFolder(rel)
      return
    }
    if (event === 'unlinkDir') return
    if (isItem(rel)) record(rel)
  })

  watcher.on('error', (err) => reportError(watchErrorMessage(err, opts.dir)))

  let stopReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => {
    stopReady = resolve
    watcher.once('ready', () => {
      isReady = true
      resolve()
    })
  })

  return {
    ready,
    async dispose() {
      if (disposed) return
      disposed = true
      for (const t of [flushTimer, recheckTimer, folderTimer]) if (t) clearTimeout(t)
      flushTimer = recheckTimer = folderTimer = null
      pending.clear()
      stopReady()
      await watcher.close()
    },
  }
}

const ASCII = /^[\x20-\x7e]*$/

function lstatOrNull(abs: string): fs.Stats | null {
  try {
    return fs.lstatSync(abs)
  } catch {
    return null
  }
}

/** What a file looks like, to tell whether it changed: size, times, inode, type; or absent. */
function signature(st: fs.Stats | null): string {
  return st ? `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.mode}` : 'absent'
}

function hasAncestorIn(rel: string, set: { has(key: string): boolean }): boolean {
  for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) if (set.has(rel.slice(0, i))) return true
  return false
}

/** A watch error in words. ENOSPC here is the system's limit of watches, not a full disk. */
function watchErrorMessage(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOSPC' || code === 'EMFILE') {
    return `Changes in ${dir} may go unnoticed: the system's limit of watched files is reached${process.platform === 'linux' ? ' (raise fs.inotify.max_user_watches)' : ''}. The status still updates at each scan.`
  }
  return `Watching ${dir} failed: ${describeError(err)}.`
}
