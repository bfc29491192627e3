/**
 * The operations layer: every use case of SyncDesk, once.
 *
 * Projects, environments, credentials, the project's database, status, two-phase runs, deploys,
 * backups and the demo live here; the CLI, the MCP server, `syncdesk serve` and the desktop
 * app are adapters that translate arguments in and words out. The host is built once at each
 * entry point from its ports (the credential store, the clock) and knows no transport.
 *
 * A run has two phases. `plan` looks at both sides and returns a plan id with the preview as
 * data; `apply(planId, choices)` runs that plan and nothing else, with the operator's
 * resolutions and confirmations, every item's hash re-checked. A plan applies once.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Direction, Resolution, StatusEntry, SyncProgress, SyncScope } from '../../src-shared/sync-types.js'
import { DEFAULT_BACKUP_RETENTION, backupsUsage, listBackups, restoreBackup, type BackupSummary } from '../engine/backups.js'
import { undoRun, type UndoResult } from '../engine/undo.js'
import { DirStore } from '../engine/dir-store.js'
import { SyncDeskError } from '../engine/errors.js'
import { createFilter } from '../engine/filter.js'
import { acquireLock, sweepStateTemps, type Lock } from '../engine/lock.js'
import { assertEnvName, findProject, initProject, type EnvironmentConfig, type Project } from '../engine/project.js'
import type { RecordStore } from '../engine/records/record-store.js'
import { applyRun, checkMergeEdits, dryRunReport, pruneProjectBackups, tablesToCreate, getStatus, openProjectDatabase, planRun, prepareRun, type KnownScans, type PlannedRun, type PreparedRun, type RunChoices, type RunReport, type StatusReport } from '../engine/sync-engine.js'
import { assertFolderOutsideProject, openRemote } from './open-remote.js'
import type { DeploymentInfo, EnvironmentInfo, Remote } from '../engine/remote.js'
import { ServerRemote } from '../remotes/server-remote.js'
import { GENERIC_VARIABLE, accountFor, tokenFromEnvironment, tokenVariableName, type CredentialStore } from '../secrets/credential-store.js'
import { waitForDeployment } from './deploy.js'

/** What the host is built from. */
export interface HostPorts {
  credentials: CredentialStore
  /** The process environment (tokens and the database password for headless use). */
  env?: NodeJS.ProcessEnv
  /** The clock (tests set it). */
  now?: () => Date
}

/** A prepared and planned run waiting for the operator's choices. */
export interface PlanHandle {
  id: string
  project: Project
  env: string
  direction: Direction
  scope: SyncScope
  prepared: PreparedRun
  planned: PlannedRun
  /** The choices the plan was made with (overwrites in the run's direction). */
  choices: RunChoices
  /** The environment's name must be typed to apply this plan (protected, or replacing its changes). */
  confirmName: string | null
  createdAt: Date
  /** Held from plan to apply when the caller asked (a terminal's run). */
  lock: Lock | null
  remote: Remote
  abort: AbortController
}

/** The options of `plan`. */
export interface PlanOptions extends RunChoices {
  scope?: SyncScope
  /** Hold the project's lock from now until apply or discard (a terminal's run, prompts included). */
  holdLock?: boolean
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
}

/** What the operator chose for a planned run. */
export interface ApplyChoices {
  /** sync: a resolution per conflict label; a conflict not named is skipped. */
  resolutions?: ReadonlyMap<string, Resolution>
  /** The environment's name as typed, when the plan asks for it. */
  confirmName?: string
  /** Go on past the mass-delete guard. */
  allowMassDelete?: boolean
  /**
   * Items (paths) to write to a protected environment in spite of the problems the checks
   * found in them; the others with problems are held back and reported.
   */
  allowProblems?: ReadonlySet<string>
  /** sync: merged texts the operator edited before approving them, by file path (see RunChoices). */
  mergeEdits?: ReadonlyMap<string, Buffer>
  /**
   * Create the tables the preview lists (`plan.tables.create`: true, all of them; a set, those
   * named) before the records are carried; without it they are left out and named.
   */
  createTables?: boolean | ReadonlySet<string>
  /** Asked about conflicts that appear while the run goes (an item that moved on); default skip. */
  resolve?: (conflict: StatusEntry) => Resolution | Promise<Resolution>
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
}

/** How long a plan waits for its apply before it is dropped. */
const PLAN_TTL_MS = 30 * 60_000

/** The operations layer (see the file comment). */
export class SyncHost {
  private readonly plans = new Map<string, PlanHandle>()
  private readonly env: NodeJS.ProcessEnv
  private readonly now: () => Date

  constructor(readonly ports: HostPorts) {
    this.env = ports.env ?? process.env
    this.now = ports.now ?? (() => new Date())
  }

  // ---- projects ------------------------------------------------------------------------

  /**
   * The project at `dir`; with `findUp`, the nearest folder at or above it that holds a
   * project (as git finds its repository), else `dir` itself so that the error names it.
   */
  openProject(dir: string, opts: { findUp?: boolean } = {}): Project {
    return findProject(dir, opts)
  }

  /** Makes `.syncdesk/` in a folder; an existing project is left as it is. */
  initProject(dir: string): Promise<{ project: Project; created: boolean }> {
    return initProject(path.resolve(dir))
  }

  /**
   * Sets up a new folder to be cloned from an environment folder: checks first (so a refused
   * clone leaves no `.syncdesk/` behind), then makes the project and the environment.
   */
  async initFolderClone(dir: string, envName: string, folder: string): Promise<Project> {
    assertEnvName(envName)
    assertFolderOutsideProject(path.resolve(dir), folder)
    const { project } = await this.initProject(dir)
    if (!project.config.environments[envName]) await this.addFolderEnvironment(project, envName, folder)
    return project
  }

  // ---- environments --------------------------------------------------------------------

  /** The environment a command means: the one named, or the only one there is. */
  environmentName(project: Project, name: string | undefined): string {
    return project.environmentName(name)
  }

  /** Adds an environment that is a folder (a mounted share, a test fixture). */
  async addFolderEnvironment(project: Project, name: string, folder: string, look: { color?: string | null; protected?: boolean } = {}): Promise<EnvironmentConfig> {
    this.assertNewEnvironment(project, name)
    const abs = path.resolve(folder)
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new SyncDeskError('usage', `The folder ${abs} does not exist.`, 'Create it first (it may be empty).', { folder: abs })
    assertFolderOutsideProject(project.dir, abs)
    const env: EnvironmentConfig = { kind: 'folder', path: abs, ...lookOf(look) }
    project.config.environments[name] = env
    await project.save()
    return env
  }

  /**
   * Adds an environment server. A token given is checked against the server first, so a typo
   * is caught now and not at the first push, then kept in the keychain; with none, the
   * environment variable must provide it.
   */
  async addServerEnvironment(project: Project, name: string, rawUrl: string, token: string | null, look: { color?: string | null; protected?: boolean } = {}): Promise<{ env: EnvironmentConfig; tokenSource: 'keychain' | 'environment' }> {
    this.assertNewEnvironment(project, name)
    const url = parseServerUrl(rawUrl)
    if (token !== null) await this.checkAndKeepToken(project, name, url, token)
    else if (!tokenFromEnvironment(name, this.env)) {
      throw new SyncDeskError('usage', `No token given for ${name}.`, undefined, { tokenVariable: tokenVariableName(name), env: name })
    }
    const env: EnvironmentConfig = { kind: 'server', url, ...lookOf(look) }
    project.config.environments[name] = env
    await project.save()
    return { env, tokenSource: token !== null ? 'keychain' : 'environment' }
  }

  /** Changes an environment's colour, protection or location. */
  async editEnvironment(project: Project, name: string, patch: { color?: string | null; protected?: boolean; location?: string }): Promise<EnvironmentConfig> {
    const env = { ...project.environment(name) }
    if (patch.color !== undefined) {
      if (patch.color === null) delete env.color
      else env.color = patch.color
    }
    if (patch.protected !== undefined) env.protected = patch.protected
    if (patch.location !== undefined) {
      if (env.kind === 'folder') {
        const abs = path.resolve(patch.location)
        if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new SyncDeskError('usage', `The folder ${abs} does not exist.`, undefined, { folder: abs })
        assertFolderOutsideProject(project.dir, abs)
        env.path = abs
      } else env.url = parseServerUrl(patch.location)
    }
    project.config.environments[name] = env
    await project.save()
    return env
  }

  /** Forgets an environment: its config, sync state, cache and token (its files are not touched). */
  async removeEnvironment(project: Project, name: string): Promise<EnvironmentConfig> {
    const removed = project.environment(name)
    const lock = acquireLock(project.stateDir, `env remove ${name}`)
    try {
      delete project.config.environments[name]
      await project.save()
      fs.rmSync(project.baselineFile(name), { force: true })
      fs.rmSync(project.cacheFile(name), { force: true })
      fs.rmSync(project.recordsCacheFile(name), { force: true })
    } finally {
      lock.release()
    }
    if (removed.kind === 'server') await this.ports.credentials.delete(accountFor(project.dir, name)).catch(() => false)
    return removed
  }

  /** Checks that an environment answers; how many files it lists. */
  async testEnvironment(project: Project, name: string): Promise<{ files: number; describe: string }> {
    return this.withRemote(project, name, async (remote) => ({ files: (await remote.scan(project.filter())).files.size, describe: remote.describe() }))
  }

  // ---- credentials ---------------------------------------------------------------------

  /** Checks a server environment's token against it, then keeps it in the keychain. */
  async setToken(project: Project, name: string, token: string): Promise<void> {
    const env = project.environment(name)
    if (env.kind !== 'server') throw new SyncDeskError('usage', `${name} is a folder; it needs no token.`, undefined, { env: name })
    await this.checkAndKeepToken(project, name, env.url, token)
  }

  /** Whether a token is known for an environment, and where from (never the token itself). */
  async hasToken(project: Project, name: string): Promise<{ has: boolean; source: 'keychain' | 'environment' | null }> {
    if (tokenFromEnvironment(name, this.env)) return { has: true, source: 'environment' }
    const stored = await this.ports.credentials.get(accountFor(project.dir, name))
    return stored ? { has: true, source: 'keychain' } : { has: false, source: null }
  }

  /** Forgets an environment's token in the keychain. */
  deleteToken(project: Project, name: string): Promise<boolean> {
    project.environment(name)
    return this.ports.credentials.delete(accountFor(project.dir, name))
  }

  // ---- the project's database ----------------------------------------------------------

  /** Uses a SQLite file or a PostgreSQL database as the project's (a password goes to the keychain). */
  async setDatabase(project: Project, spec: { sqlite: string } | { postgres: string }): Promise<{ describe: string; counts: { table: string; records: number | null }[] }> {
    if ('sqlite' in spec) {
      const file = path.resolve(project.dir, spec.sqlite)
      if (!fs.existsSync(file)) throw new SyncDeskError('usage', `There is no database file at ${file}.`, undefined, { database: file })
      project.config.database = { kind: 'sqlite', path: spec.sqlite }
    } else {
      let url: URL
      try {
        url = new URL(spec.postgres)
      } catch {
        throw new SyncDeskError('usage', 'The PostgreSQL URL is not a valid URL (postgres://user@host:5432/db).')
      }
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new SyncDeskError('usage', 'The URL must start with postgres:// or postgresql://.')
      if (url.password) {
        await this.ports.credentials.set(databaseAccount(project), decodeURIComponent(url.password))
        url.password = ''
      }
      project.config.database = { kind: 'postgres', url: url.toString() }
    }
    await project.save()
    const store = await this.openLocalDatabase(project)
    try {
      // A synced table this database lacks is null: a pull can create it, a push leaves it out.
      const counted = async (t: { name: string; key: string }) => {
        try {
          return (await store?.list(t))?.size ?? 0
        } catch (err) {
          if (err instanceof SyncDeskError && err.code === 'not-found') return null
          throw err
        }
      }
      const counts = await Promise.all(project.config.tables.map(async (t) => ({ table: t.name, records: await counted(t) })))
      return { describe: store?.describe() ?? 'none', counts }
    } finally {
      await store?.close()
    }
  }

  /** Adds or removes a synced table (its records are not touched). */
  async setTables(project: Project, change: { add?: { name: string; key: string }; remove?: string }): Promise<{ name: string; key: string }[]> {
    const ident = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
    if (change.add) {
      const { name, key } = change.add
      if (!ident.test(name) || !ident.test(key)) throw new SyncDeskError('usage', 'Table and column names use letters, digits and "_".')
      project.config.tables = [...project.config.tables.filter((t) => t.name !== name), { name, key }]
      await project.save()
    }
    if (change.remove !== undefined) {
      if (!project.config.tables.some((t) => t.name === change.remove)) throw new SyncDeskError('usage', `The table "${change.remove}" is not synced.`)
      project.config.tables = project.config.tables.filter((t) => t.name !== change.remove)
      await project.save()
    }
    return project.config.tables
  }

  /**
   * Opens the project's database, with a PostgreSQL password from SYNCDESK_DB_PASSWORD or the
   * keychain. A keychain that cannot be read is said so, not hidden behind a login failure.
   */
  async openLocalDatabase(project: Project): Promise<RecordStore | null> {
    const db = project.config.database
    if (!db) return null
    if (db.kind === 'sqlite') return openProjectDatabase(project)
    const password = this.env.SYNCDESK_DB_PASSWORD ?? (await this.ports.credentials.get(databaseAccount(project))) ?? undefined
    return openProjectDatabase(project, password)
  }

  // ---- status --------------------------------------------------------------------------

  /** What changed where for one environment, and what the environment says of itself. */
  async status(project: Project, env: string, opts: { scope?: SyncScope; withInfo?: boolean; known?: KnownScans; merges?: boolean } = {}): Promise<{ report: StatusReport; info: EnvironmentInfo | null }> {
    return this.withRemote(project, env, async (remote) => ({
      report: await getStatus(project, remote, { scope: opts.scope, known: opts.known, merges: opts.merges, openLocalRecords: () => this.openLocalDatabase(project) }),
      info: opts.withInfo && remote.info ? await remote.info().catch(() => null) : null,
    }))
  }

  // ---- runs ----------------------------------------------------------------------------

  /** First phase: looks at both sides and plans; nothing changes. Returns the plan's handle. */
  async plan(project: Project, env: string, direction: Direction, opts: PlanOptions = {}): Promise<PlanHandle> {
    this.dropExpiredPlans()
    const envConfig = project.environment(env)
    const lock = opts.holdLock ? acquireLock(project.stateDir, `${direction} ${env}`) : null
    let remote: Remote | null = null
    try {
      // Holding the lock, this run may clear what an interrupted one left in .syncdesk/.
      if (lock) sweepStateTemps(project.stateDir)
      remote = await this.openRemoteFor(project, env)
      const prepared = await prepareRun(project, remote, direction, { scope: opts.scope, signal: opts.signal, onProgress: opts.onProgress, writing: !!lock, openLocalRecords: () => this.openLocalDatabase(project) })
      const choices: RunChoices = { overwriteLocal: opts.overwriteLocal, overwriteRemote: opts.overwriteRemote, overwriteItems: opts.overwriteItems }
      const planned = planRun(prepared, choices)
      // A protected environment's sync asks for the name as soon as a conflict could be kept mine.
      const mayChangeEnv = direction === 'sync' && prepared.report.status.conflicts.length > 0
      const confirmName = needsName(!!envConfig.protected, planned) || (!!envConfig.protected && mayChangeEnv) ? env : null
      const handle: PlanHandle = { id: crypto.randomUUID(), project, env, direction, scope: opts.scope ?? 'all', prepared, planned, choices, confirmName, createdAt: this.now(), lock, remote, abort: new AbortController() }
      this.plans.set(handle.id, handle)
      return handle
    } catch (err) {
      lock?.release()
      await remote?.close()
      throw err
    }
  }

  /** A plan waiting for its apply, or a clear error when it is unknown or was used. */
  planHandle(planId: string): PlanHandle {
    this.dropExpiredPlans()
    const handle = this.plans.get(planId)
    if (!handle) throw new SyncDeskError('plan-unknown', 'This preview is no longer available (it was applied, cancelled or is too old).', 'Look at the changes again.', { planId })
    return handle
  }

  /**
   * Whether applying a handle with these resolutions needs the environment's name typed: it
   * changes a protected environment, or it replaces the environment's own changes by an
   * overwrite (a sync's per-item choices are choices enough, unless the environment is protected).
   */
  confirmNameFor(handle: PlanHandle, resolutions?: ReadonlyMap<string, Resolution>, createTables?: ApplyChoices['createTables']): string | null {
    if (handle.confirmName !== null) return handle.confirmName
    // Read the config again: an environment protected since the preview is protected now.
    if (!this.isProtected(handle)) return null
    // Creating a table in a protected environment changes it as much as a write does.
    if (tablesToCreate(handle.planned.plan, createTables).some((t) => t.side === 'remote')) return handle.env
    return needsName(true, this.planWith(handle, resolutions)) ? handle.env : null
  }

  /** The plan of a handle with sync resolutions chosen (the preview a face shows before apply). */
  planWith(handle: PlanHandle, resolutions?: ReadonlyMap<string, Resolution>): PlannedRun {
    return resolutions ? planRun(handle.prepared, { ...handle.choices, resolutions }) : handle.planned
  }

  /**
   * Second phase: runs a plan with the operator's choices. The plan is used once, whatever
   * happens; an item that moved on since the preview is planned again or reported, never
   * overwritten.
   */
  async apply(planId: string, choices: ApplyChoices = {}): Promise<RunReport> {
    const handle = this.planHandle(planId)
    // A wrong name keeps the plan: the operator types it again.
    const confirmName = this.confirmNameFor(handle, choices.resolutions, choices.createTables)
    if (confirmName !== null && choices.confirmName !== confirmName) {
      throw new SyncDeskError('confirmation-needed', `Type the environment's name (${confirmName}) to confirm this run: it changes ${confirmName}${handle.planned.replacingRemote.length ? ` and replaces ${handle.planned.replacingRemote.length} of its own changes` : ''}.`, 'Nothing was changed.', { env: confirmName, replacing: handle.planned.replacingRemote.length })
    }
    this.plans.delete(planId)
    try {
      const runChoices: RunChoices = { ...handle.choices, resolutions: choices.resolutions, allowProblems: choices.allowProblems, mergeEdits: choices.mergeEdits, createTables: choices.createTables }
      if (choices.mergeEdits?.size) await checkMergeEdits(handle.prepared, choices.mergeEdits)
      const planned = choices.resolutions ? planRun(handle.prepared, runChoices) : handle.planned
      const signal = anySignal([handle.abort.signal, choices.signal])
      return await applyRun(handle.prepared, planned, runChoices, {
        allowMassDelete: choices.allowMassDelete,
        // Read the config again: an environment protected since the preview refuses problems now.
        refuseProblems: this.isProtected(handle),
        lock: handle.lock ?? undefined,
        resolve: choices.resolve,
        // Only a run whose lock was held from its first look plans moved-on items again.
        replanStale: !!handle.lock,
        signal,
        onProgress: choices.onProgress,
        scope: handle.scope,
        openLocalRecords: () => this.openLocalDatabase(handle.project),
      })
    } finally {
      handle.lock?.release()
      await handle.remote.close()
    }
  }

  /** A plan as the report of a dry run: exactly what applying it would do, and the items it would hold back. */
  dryRunReport(handle: PlanHandle, resolutions?: ReadonlyMap<string, Resolution>, allowProblems?: ReadonlySet<string>): RunReport {
    return dryRunReport(handle.prepared, this.planWith(handle, resolutions), allowProblems)
  }

  /** Whether a plan's environment is protected now (its config is read again). */
  private isProtected(handle: PlanHandle): boolean {
    return !!this.openProject(handle.project.dir).config.environments[handle.env]?.protected
  }

  /** Drops a plan without running it (and releases its lock). */
  async discard(planId: string): Promise<boolean> {
    const handle = this.plans.get(planId)
    if (!handle) return false
    this.plans.delete(planId)
    handle.lock?.release()
    await handle.remote.close()
    return true
  }

  /** Stops a run between batches (what was done is recorded), or drops a plan not yet applied. */
  async cancel(planId: string): Promise<boolean> {
    const running = this.running.get(planId)
    if (running) {
      running.abort()
      return true
    }
    return this.discard(planId)
  }

  private readonly running = new Map<string, AbortController>()

  /** Applies a plan and lets `cancel(planId)` stop it while it goes. */
  async applyCancellable(planId: string, choices: ApplyChoices = {}): Promise<RunReport> {
    const controller = new AbortController()
    this.running.set(planId, controller)
    try {
      return await this.apply(planId, { ...choices, signal: anySignal([controller.signal, choices.signal]) })
    } finally {
      this.running.delete(planId)
    }
  }

  // ---- deploys -------------------------------------------------------------------------

  /** Starts the environment's deploy and waits for its outcome. */
  async deploy(project: Project, env: string, opts: { onUpdate?: (d: DeploymentInfo) => void } = {}): Promise<DeploymentInfo> {
    return this.withRemote(project, env, async (remote) => {
      if (!remote.deploy) throw new SyncDeskError('usage', `${env} cannot deploy (only environment servers can).`, undefined, { env })
      const started = await remote.deploy()
      opts.onUpdate?.(started)
      return waitForDeployment(remote, started, { onUpdate: opts.onUpdate })
    })
  }

  /** The environment's latest deployment, or null when it never deployed. */
  async deploymentStatus(project: Project, env: string): Promise<DeploymentInfo | null> {
    return this.withRemote(project, env, async (remote) => {
      if (!remote.info) throw new SyncDeskError('usage', `${env} has no deployments (only environment servers deploy).`, undefined, { env })
      return (await remote.info()).deployment ?? null
    })
  }

  // ---- backups -------------------------------------------------------------------------

  /** The project's backup runs, newest first, with the space each takes. */
  backups(project: Project): BackupSummary[] {
    return listBackups(project.backupsDir)
  }

  /**
   * The project's backup runs, the space they take together (a file linked into several counted
   * once) and how long they are kept (the project's `backups` setting over the defaults).
   */
  backupsUsage(project: Project): { runs: BackupSummary[]; totalBytes: number; retention: { keepRuns: number; keepDays: number } } {
    return { ...backupsUsage(project.backupsDir), retention: { ...DEFAULT_BACKUP_RETENTION, ...project.config.backups } }
  }

  /**
   * Undoes a run, pull or push: local changes come back from the local backup, the
   * environment's from its kept versions; what changed since is left and named. With `dryRun`
   * it only says what it would do. The undo can itself be undone.
   */
  async undo(project: Project, runId: string, opts: { dryRun?: boolean } = {}): Promise<UndoResult> {
    const lock = opts.dryRun ? null : acquireLock(project.stateDir, `undo ${runId}`)
    const records = await this.openLocalDatabase(project)
    const local = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
    try {
      const u = await undoRun(project.backupsDir, runId, { local, database: records ? { records, tables: project.config.tables } : null, openRemote: (env) => this.openRemoteFor(project, env), filter: project.filter() }, opts)
      // The undo made a backup of its own: the old ones past the retention go (the lock is held).
      if (lock && u.undoRunId) pruneQuietly(project, [u.undoRunId, u.runId])
      return u
    } finally {
      await records?.close()
      if (lock) await local.saveCache()
      lock?.release()
    }
  }

  /** What undoing a run would put back, remove and leave (changes nothing). */
  async restorePreview(project: Project, runId: string): Promise<Awaited<ReturnType<typeof restoreBackup>>> {
    const store = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
    const records = await this.openLocalDatabase(project)
    try {
      return await restoreBackup(project.backupsDir, runId, store, records ? { records, tables: project.config.tables } : null, { dryRun: true })
    } finally {
      await records?.close()
    }
  }

  /** Undoes a run's local changes (files and records); the restore can itself be undone. */
  async restore(project: Project, runId: string): Promise<Awaited<ReturnType<typeof restoreBackup>>> {
    const lock = acquireLock(project.stateDir, `backups restore ${runId}`)
    try {
      const store = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
      const records = await this.openLocalDatabase(project)
      try {
        const r = await restoreBackup(project.backupsDir, runId, store, records ? { records, tables: project.config.tables } : null)
        pruneQuietly(project, [r.restoreRunId, runId])
        return r
      } finally {
        await records?.close()
        await store.saveCache()
      }
    } finally {
      lock.release()
    }
  }

  // ---- remotes -------------------------------------------------------------------------

  /** Runs `fn` with the environment's remote open, and closes it afterwards. */
  async withRemote<T>(project: Project, env: string, fn: (remote: Remote) => Promise<T>): Promise<T> {
    const remote = await this.openRemoteFor(project, env)
    try {
      return await fn(remote)
    } finally {
      await remote.close()
    }
  }

  /** Opens an environment's remote with this host's credentials. */
  openRemoteFor(project: Project, env: string): Promise<Remote> {
    return openRemote(project, env, { credentials: this.ports.credentials, env: this.env })
  }

  /** Releases every plan waiting for its apply. */
  async dispose(): Promise<void> {
    for (const id of [...this.plans.keys()]) await this.discard(id)
  }

  private dropExpiredPlans(): void {
    const now = this.now().getTime()
    // A plan holding the lock belongs to a terminal that is asking its operator: it does not expire.
    for (const [id, h] of this.plans) if (!h.lock && now - h.createdAt.getTime() > PLAN_TTL_MS) void this.discard(id)
  }

  private assertNewEnvironment(project: Project, name: string): void {
    assertEnvName(name)
    if (project.config.environments[name]) throw new SyncDeskError('env-exists', `There is already an environment named "${name}".`, undefined, { env: name })
  }

  private async checkAndKeepToken(project: Project, name: string, url: string, token: string): Promise<void> {
    const remote = new ServerRemote(name, url, token)
    try {
      await remote.scan(createFilter())
    } finally {
      await remote.close()
    }
    await this.ports.credentials.set(accountFor(project.dir, name), token).catch((err: unknown) => {
      // The keychain's hint names the variable generically; name this environment's.
      if (err instanceof SyncDeskError && err.hint) throw new SyncDeskError(err.code, err.message, err.hint.split(GENERIC_VARIABLE).join(tokenVariableName(name)), err.details)
      throw err
    })
  }
}

export { tokenFromEnvironment, tokenVariableName }

/** Prunes the project's local backups past its retention; a failure to is not the operation's failure (the next run tries again). */
function pruneQuietly(project: Project, keep: readonly string[]): void {
  try {
    pruneProjectBackups(project, keep)
  } catch {
    // Left for the next run: what was just done is whole.
  }
}

/** Whether a plan needs the environment's name: it changes a protected one, or overwrites its changes. */
function needsName(isProtected: boolean, planned: PlannedRun): boolean {
  return (isProtected && planned.plan.actions.some((a) => a.op.endsWith('-remote'))) || planned.replacingRemote.length > 0
}

/** The keychain account of a project's PostgreSQL password (environment names cannot hold "#"). */
export function databaseAccount(project: Project): string {
  return accountFor(project.dir, '#database')
}

function lookOf(look: { color?: string | null; protected?: boolean }): Pick<EnvironmentConfig, 'color' | 'protected'> {
  return { ...(look.color ? { color: look.color } : {}), ...(look.protected ? { protected: true } : {}) }
}

/** Checks an environment server's URL: http(s), no credentials in it. */
function parseServerUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new SyncDeskError('usage', `${raw} is not a URL (like https://staging.example.com:7420).`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SyncDeskError('usage', 'The URL must start with https:// (or http:// on a trusted network).')
  if (url.username || url.password) throw new SyncDeskError('usage', 'Put no credentials in the URL: the token is given separately and kept in the OS keychain.')
  return url.toString()
}

/** One signal that aborts when any of `signals` does. */
function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present)
}
