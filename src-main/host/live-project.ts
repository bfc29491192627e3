/**
 * An open project kept live: a resident index of its files, a watcher that keeps the index
 * current, and a poller per environment that keeps that environment's last listing.
 *
 * The status after a save then costs the changed files (the watcher names them; only they are
 * looked at again) plus a classification, not a walk of both trees: the host's event follows a
 * save within a debounce and a few milliseconds. A server environment's no-change poll is a 304
 * (the server versions its manifest). When something else syncs the project (the CLI, another
 * window), its sync state changes on disk: the project's `baselines/` folder is watched too.
 */
import fs from 'node:fs'
import path from 'node:path'
import { DirStore, type ScanResult } from '../engine/dir-store.js'
import type { Project } from '../engine/project.js'
import type { Remote, RemoteScan } from '../engine/remote.js'
import type { KnownScans } from '../engine/sync-engine.js'
import { DisposableStore, toDisposable } from './disposable.js'
import { pollEnvironment, type EnvironmentPoller } from './environment-poller.js'
import { watchProject } from './project-watcher.js'

/** What a live project tells its host. */
export interface LiveProjectEvents {
  /** The local side or an environment changed: its status should be looked at again. */
  onStale(env: string | null): void
  onReachability(env: string, reachable: boolean, error: unknown | null): void
  onWatcherError(message: string): void
}

interface LiveEnvironment {
  remote: Remote | null
  scan: RemoteScan | null
  poller: EnvironmentPoller
}

/** An open project, watched and polled (see the file comment). */
export class LiveProject {
  private index: ScanResult | null = null
  private store: DirStore | null = null
  private filter: ReturnType<Project['filter']> | null = null
  /** Paths reported while the index could not take them (first look, paused). */
  private readonly pending = new Set<string>()
  private readonly envs = new Map<string, LiveEnvironment>()
  private readonly disposables = new DisposableStore()
  private paused = false

  constructor(
    private readonly project: Project,
    private readonly openRemote: (env: string) => Promise<Remote>,
    private readonly events: LiveProjectEvents,
    private readonly pollIntervalMs: number,
  ) {}

  /** Starts the watcher, the first look at the tree, and a poller per environment. */
  async start(): Promise<void> {
    const filter = this.project.filter()
    const store = new DirStore(this.project.dir, { cacheFile: this.project.cacheFile('local') })
    // What the index learned is kept for the next start (a failure costs speed, never data).
    this.disposables.add(toDisposable(() => store.saveCache().catch(() => undefined)))
    const watcher = watchProject({
      dir: this.project.dir,
      filter,
      // A save is one event: a short quiet period is enough, and the status follows it sooner.
      debounceMs: 20,
      onChange: (paths) => {
        // Changes seen before the first look or while paused are kept for later, never dropped.
        if (this.paused || !this.index) {
          for (const p of paths) this.pending.add(p)
          return
        }
        store.refresh(this.index, paths, filter)
        this.events.onStale(null)
      },
      onError: (message) => this.events.onWatcherError(message),
    })
    this.disposables.add(watcher)
    await watcher.ready
    this.index = await store.scan(filter)
    this.store = store
    this.filter = filter
    this.flushPending()
    this.watchSyncState()
    for (const env of Object.keys(this.project.config.environments)) this.startPoller(env)
  }

  /** What the host already knows of both sides of `env`, for a status without a new walk. */
  known(env: string): KnownScans {
    const e = this.envs.get(env)
    return { local: this.index ?? undefined, remote: e?.scan ?? undefined }
  }

  /** After a run wrote files: look at the tree and the environment again. */
  async resync(env: string): Promise<void> {
    const store = new DirStore(this.project.dir, { cacheFile: this.project.cacheFile('local') })
    this.index = await store.scan(this.project.filter())
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

  private flushPending(): void {
    if (this.paused || !this.index || !this.store || !this.filter || this.pending.size === 0) return
    this.store.refresh(this.index, [...this.pending], this.filter)
    this.pending.clear()
    this.events.onStale(null)
  }

  /** Checks an environment now (Refresh). */
  async pollNow(env: string): Promise<void> {
    await this.envs.get(env)?.poller.pollNow()
  }

  /** Stops the watcher and the pollers and closes the remotes. */
  async dispose(): Promise<void> {
    await this.disposables.dispose()
    for (const e of this.envs.values()) {
      e.poller.dispose()
      await e.remote?.close().catch(() => undefined)
    }
    this.envs.clear()
  }

  private startPoller(env: string): void {
    const state: LiveEnvironment = { remote: null, scan: null, poller: null as unknown as EnvironmentPoller }
    state.poller = pollEnvironment({
      intervalMs: this.pollIntervalMs,
      check: async (signal) => {
        state.remote ??= await this.openRemote(env)
        const scan = await state.remote.scan(this.project.filter(), { signal })
        const changed = !state.scan || !sameListing(state.scan, scan)
        state.scan = scan
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

/** Whether two listings of an environment hold the same files with the same content. */
function sameListing(a: RemoteScan, b: RemoteScan): boolean {
  if (a.files.size !== b.files.size || a.skipped.length !== b.skipped.length) return false
  for (const [p, e] of a.files) if (b.files.get(p)?.hash !== e.hash) return false
  return true
}
