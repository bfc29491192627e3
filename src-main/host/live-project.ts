/**
 * An open project kept live: a resident index of its files, a watcher that keeps the index
 * current, and a poller per environment that keeps that environment's last listing.
 *
 * The status after a save then costs the changed files (the watcher names them; only they are
 * looked at again) plus a classification, not a walk of both trees: the host's event follows a
 * save within a debounce and a few milliseconds. A server environment's no-change poll is a 304
 * (the server versions its manifest). When something else syncs the project (the CLI, another
 * window), its sync state changes on disk: the project's `baselines/` folder is watched too.
 *
 * A status asked from outside (`syncdesk status` through the host's socket) must be the one a
 * new look would give, so `settledKnown` first makes both sides exact (live-tree.ts): the tree
 * watch settles (every change made before the request has been delivered) and the paths its
 * events named are looked at again, racy files are hashed again, and the tree is walked whole
 * when the watch cannot vouch for its events, or every `rescanIntervalMs` in any case. The
 * environment is asked again (a 304 from a server); a folder environment on a local disk is a
 * live tree of its own, settled the same way.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { ScanResult } from '../engine/dir-store.js'
import { IGNORE_FILE, type ScanFilter } from '../engine/filter.js'
import type { Project } from '../engine/project.js'
import type { Remote, RemoteScan } from '../engine/remote.js'
import type { KnownScans } from '../engine/sync-engine.js'
import { systemClock, type Clock } from './clock.js'
import { DisposableStore, toDisposable } from './disposable.js'
import { pollEnvironment, type EnvironmentPoller } from './environment-poller.js'
import { LiveTree } from './live-tree.js'
import { socketDirProblem } from './status-protocol.js'
import { watchProject } from './project-watcher.js'
import { isLocalFileSystem, type TreeWatch, type TreeWatchOptions } from './tree-watch.js'

/** What a live project tells its host. */
export interface LiveProjectEvents {
  /** The local side or an environment changed: its status should be looked at again. */
  onStale(env: string | null): void
  onReachability(env: string, reachable: boolean, error: unknown | null): void
  onWatcherError(message: string): void
  /** `.syncdeskignore` changed: what is synced changed, so the live parts start again with a new filter. */
  onFilterChanged?(): void
}

/** How a live project keeps time and watches (tests pass a fake clock and inject faults). */
export interface LiveOptions {
  /** Default: the system clock. */
  clock?: Clock
  /** A full look at the tree this often, for what the watcher may have missed (default 10 minutes; 0: never). */
  rescanIntervalMs?: number
  /** Starts the tree watches that settle the resident indexes (default: watchTree). */
  watchTree?: (opts: TreeWatchOptions) => TreeWatch
}

const DEFAULT_RESCAN_MS = 10 * 60_000

interface LiveEnvironment {
  remote: Remote | null
  scan: RemoteScan | null
  poller: EnvironmentPoller
}

/** The filter's identity: the project's extra extensions and `.syncdeskignore` rules. */
export function filterKey(filter: ScanFilter): string {
  return JSON.stringify(filter.spec ?? null)
}

/** An open project, watched and polled (see the file comment). */
export class LiveProject {
  private local: LiveTree | null = null
  private key = ''
  /** Paths reported while the index could not take them (first look, paused). */
  private readonly pending = new Set<string>()
  private readonly envs = new Map<string, LiveEnvironment>()
  /** Folder environments on a local disk, kept as live trees of their own. */
  private readonly envTrees = new Map<string, LiveTree>()
  private readonly disposables = new DisposableStore()
  private paused = false
  private disposed = false
  private readonly clock: Clock

  constructor(
    private readonly project: Project,
    private readonly openRemote: (env: string) => Promise<Remote>,
    private readonly events: LiveProjectEvents,
    private readonly pollIntervalMs: number,
    private readonly opts: LiveOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock
  }

  /** Starts the watcher, the first look at the tree, and a poller per environment. */
  async start(): Promise<void> {
    const filter = this.project.filter()
    this.key = filterKey(filter)
    const local = this.tree(this.project.dir, filter, this.project.cacheFile('local'), () => this.events.onStale(null))
    const watcher = watchProject({
      dir: this.project.dir,
      filter,
      // A save is one event: a short quiet period is enough, and the status follows it sooner.
      debounceMs: 20,
      onChange: (paths) => {
        if (paths.includes(IGNORE_FILE)) this.events.onFilterChanged?.()
        // Changes seen before the first look or while paused are kept for later, never dropped.
        if (this.paused || !this.local?.index) {
          for (const p of paths) this.pending.add(p)
          return
        }
        this.local.apply(paths)
        this.events.onStale(null)
      },
      onError: (message) => this.events.onWatcherError(message),
    })
    this.disposables.add(watcher)
    await watcher.ready
    await local.start()
    this.local = local
    this.disposables.add(toDisposable(() => local.dispose()))
    this.flushPending()
    this.watchSyncState()
    for (const [env, config] of Object.entries(this.project.config.environments)) {
      this.startPoller(env)
      if (config.kind === 'folder') await this.startEnvTree(env, config.path, filter)
    }
  }

  /** What the host already knows of both sides of `env`, for a status without a new walk. */
  known(env: string): KnownScans {
    const e = this.envs.get(env)
    const tree = this.envTrees.get(env)?.index
    return { local: this.local?.index ?? undefined, remote: tree ? asListing(tree) : (e?.scan ?? undefined) }
  }

  /**
   * Both sides of `env` as a new look would find them now (see the file comment): for a status
   * asked from outside. Null when the project's filter is no longer the one this index was made
   * with (`currentFilterKey`, from the project as it is now): the live parts must start again.
   */
  async settledKnown(env: string, currentFilterKey: string): Promise<KnownScans | null> {
    if (currentFilterKey !== this.key || this.disposed || !this.local) return null
    const e = this.envs.get(env)
    const tree = this.envTrees.get(env)
    const [local, remote] = await Promise.all([
      this.local.settled(),
      tree ? tree.settled().then(asListing) : e ? e.poller.pollNow().then(() => e.scan ?? undefined) : Promise.resolve(undefined),
    ])
    return { local, remote }
  }

  /**
   * Changes whenever what `settledKnown(env)` returns may have changed (both sides): a status made
   * from them can be kept until then. Read it after `settledKnown`.
   */
  stamp(env: string): string {
    const tree = this.envTrees.get(env)
    const scan = this.envs.get(env)?.scan
    return `${this.local?.stamp ?? '-'}|${tree ? tree.stamp : scan ? `scan ${objectId(scan)}` : '-'}`
  }

  /** After a run wrote files: look at the tree and the environment again. */
  async resync(env: string): Promise<void> {
    await this.local?.rescan()
    await this.envTrees.get(env)?.rescan()
    const e = this.envs.get(env)
    if (e) {
      e.scan = null
      await e.poller.pollNow()
    }
  }

  /** Stops or resumes reacting to local changes (the operator paused watching). */
  setPaused(paused: boolean): void {
    this.paused = paused
    if (!paused) this.flushPending()
  }

  /** Whether the operator paused watching (a status is then not answered from the index). */
  get isPaused(): boolean {
    return this.paused
  }

  private flushPending(): void {
    if (this.paused || !this.local?.index || this.pending.size === 0) return
    this.local.apply([...this.pending])
    this.pending.clear()
    this.events.onStale(null)
  }

  /** Checks an environment now (Refresh). */
  async pollNow(env: string): Promise<void> {
    await this.envs.get(env)?.poller.pollNow()
  }

  /** Stops the watcher and the pollers and closes the remotes. */
  async dispose(): Promise<void> {
    this.disposed = true
    await this.disposables.dispose()
    for (const e of this.envs.values()) {
      e.poller.dispose()
      await e.remote?.close().catch(() => undefined)
    }
    this.envs.clear()
    this.envTrees.clear()
  }

  private tree(dir: string, filter: ScanFilter, cacheFile: string, onChanged: () => void, onActivity?: () => void): LiveTree {
    return new LiveTree({
      dir,
      filter,
      cacheFile,
      // Marker files go only into a state folder of this user's (another user's CLI would refuse a file of ours there).
      cookieDir: socketDirProblem(this.project.stateDir, { privateOnly: false }) === null ? this.project.stateDir : null,
      clock: this.clock,
      rescanIntervalMs: this.opts.rescanIntervalMs ?? DEFAULT_RESCAN_MS,
      watchTree: this.opts.watchTree,
      onChanged,
      onActivity,
    })
  }

  /**
   * A folder environment on a local disk is watched like the project: its status then costs no
   * walk of it either. Elsewhere (a network share, whose other writers raise no events here) it
   * is looked at by its poller, and again at each status asked from outside.
   */
  private async startEnvTree(env: string, folder: string, filter: ScanFilter): Promise<void> {
    if (!isLocalFileSystem(folder)) return
    const tree = this.tree(folder, filter, this.project.cacheFile(env), () => this.events.onStale(env), () => {
      // Settled in the background so that the dashboard's status follows the environment's changes.
      void tree.settled().then(() => this.events.onStale(env), () => undefined)
    })
    try {
      await tree.start()
    } catch {
      // Not there or not readable: its poller says so, and a status looks at it as without a host.
      await tree.dispose()
      return
    }
    if (this.disposed) {
      await tree.dispose()
      return
    }
    this.envTrees.set(env, tree)
    this.disposables.add(toDisposable(() => tree.dispose()))
  }

  private startPoller(env: string): void {
    const state: LiveEnvironment = { remote: null, scan: null, poller: null as unknown as EnvironmentPoller }
    state.poller = pollEnvironment({
      intervalMs: this.pollIntervalMs,
      check: async (signal) => {
        state.remote ??= await this.openRemote(env)
        const scan = await state.remote.scan(this.project.filter(), { signal })
        // The listing kept is the same object while nothing in it changed: a status made from it stands.
        const changed = !state.scan || !sameListing(state.scan, scan)
        if (changed) state.scan = scan
        return changed ? 'changed' : 'same'
      },
      onChanged: () => this.events.onStale(env),
      onReachability: (reachable, error) => {
        if (!reachable) {
          void state.remote?.close().catch(() => undefined)
          state.remote = null
          // An old listing must not pass for the environment's state while it cannot be reached.
          state.scan = null
        }
        this.events.onReachability(env, reachable, error)
      },
    })
    this.envs.set(env, state)
  }

  /** Another run (the CLI, another window) saved a sync state: every status is looked at again. */
  private watchSyncState(): void {
    const dir = path.join(this.project.stateDir, 'baselines')
    try {
      const w = fs.watch(dir, () => this.events.onStale(null))
      w.on('error', () => undefined)
      this.disposables.add(toDisposable(() => w.close()))
    } catch {
      // No baselines folder yet: the first run makes it, and the host refreshes after its own runs.
    }
  }
}

const objectIds = new WeakMap<object, number>()
let nextObjectId = 1

/** A number of one object's own, for as long as it lives. */
function objectId(o: object): number {
  let id = objectIds.get(o)
  if (id === undefined) {
    id = nextObjectId++
    objectIds.set(o, id)
  }
  return id
}

/** A tree's index as an environment's listing. */
function asListing(scan: ScanResult): RemoteScan {
  return { files: scan.files, skipped: scan.skipped }
}

/** Whether two listings of an environment are the same: files (content, size, mtime) and skipped items. */
function sameListing(a: RemoteScan, b: RemoteScan): boolean {
  if (a.files.size !== b.files.size || a.skipped.length !== b.skipped.length) return false
  for (const [p, e] of a.files) {
    const o = b.files.get(p)
    if (!o || o.hash !== e.hash || o.size !== e.size || o.mtimeMs !== e.mtimeMs) return false
  }
  for (let i = 0; i < a.skipped.length; i++) {
    const x = a.skipped[i]
    const y = b.skipped[i]
    if (x?.path !== y?.path || x?.reason !== y?.reason) return false
  }
  return true
}
