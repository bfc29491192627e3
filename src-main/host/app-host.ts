/**
 * The host behind a UI (the desktop app, `syncdesk serve`): the contract's handlers over the
 * operations layer, the projects and settings it remembers, the last status of every
 * environment (so a page of 50,000 rows is cut here, not sent whole), and its events.
 *
 * `dispatch` is the one door: it parses every request with its schema before the handler
 * runs, and answers as data: a value, or an error as a code with details. A bad payload gets
 * an error, never a crash. Both transports (Electron IPC, WebSocket) call only `dispatch`.
 */
import path from 'node:path'
import { itemLabel, type StatusEntry } from '../../src-shared/sync-types.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import { isRequestName, requestSchemas, type Answer, type EventName, type Events, type RequestArgs, type RequestName, type Responses } from '../../src-shared/ipc.js'
import type { ActivityEntry, DeploymentView, EnvironmentView, ItemDetail, ProjectView, RestoreSummary, StatusSummary } from '../../src-shared/views.js'
import type { UndoResult } from '../engine/undo.js'
import { DirStore } from '../engine/dir-store.js'
import { SyncDeskError, describeError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import { mergeFields } from '../engine/records/canonical.js'
import { BaseStore } from '../engine/base-store.js'
import { isMergeableText, mergeText } from '../engine/text-merge.js'
import { baselineStamp, type RunReport, type StatusReport } from '../engine/sync-engine.js'
import type { CredentialStore } from '../secrets/credential-store.js'
import { listActivity, recordActivity } from './activity-log.js'
import { DEMO_ENV, createDemo } from './demo.js'
import { startEmbeddedServer, type EmbeddedServer } from './embedded-server.js'
import type { HostEventListener, HostPort } from './host-api.js'
import { HostStore } from './host-store.js'
import { LiveProject, filterKey, type LiveOptions } from './live-project.js'
import { SessionCredentials } from './session-credentials.js'
import type { HostAnswer, RefusalCode, StatusRequest } from './status-protocol.js'
import { listenStatusSocket, type StatusSocket } from './status-socket.js'
import { SyncHost } from './sync-host.js'
import { deploymentView, planPreview, runSummary, statusCounts, statusPage } from './view-models.js'

/** What the app host is built from. */
export interface AppHostOptions {
  /** Where the host keeps what it remembers (projects, settings). */
  dataDir: string
  credentials: CredentialStore
  hostKind: 'electron' | 'web'
  version: string
  /** Where "Try the demo" makes its project. */
  demoDir?: string
  env?: NodeJS.ProcessEnv
  now?: () => Date
  /** Keep open projects live: a watcher, a resident index and a poller per environment. */
  live?: boolean
  /** Serve the demo's environment with an embedded environment server (default: yes). */
  embeddedDemoServer?: boolean
  /**
   * Answer `syncdesk status` (and the MCP server) for each live project from its index, over a
   * local socket in the project's `.syncdesk/` (default: yes, when live).
   */
  statusSocket?: boolean
  /** How live projects keep time and watch (tests pass a fake clock and inject faults). */
  liveOptions?: LiveOptions
}

type Handlers = { [K in RequestName]: (args: RequestArgs<K>) => Promise<Responses[K]> }

interface EnvState {
  report: StatusReport | null
  summary: StatusSummary | null
  syncing: boolean
}

/** The contract's host (see the file comment). */
export class AppHost implements HostPort {
  readonly core: SyncHost
  private readonly credentials: SessionCredentials
  readonly store: HostStore
  private readonly listeners = new Set<HostEventListener>()
  private readonly envStates = new Map<string, EnvState>()
  private readonly handlers: Handlers
  private readonly now: () => Date
  private readonly lives = new Map<string, LiveProject>()
  private readonly embedded = new Map<string, EmbeddedServer>()
  private readonly refreshing = new Map<string, { again: boolean; running: Promise<void> | null }>()
  private readonly sockets = new Map<string, StatusSocket>()
  private readonly restarting = new Map<string, Promise<void>>()
  /** The last answer to each kind of status request, and the stamp of what it was made from. */
  private readonly answers = new Map<string, { stamp: string; answer: HostAnswer }>()
  private disposed = false

  constructor(private readonly opts: AppHostOptions) {
    this.credentials = new SessionCredentials(opts.credentials)
    this.core = new SyncHost({ credentials: this.credentials, env: opts.env, now: opts.now })
    this.store = new HostStore(opts.dataDir)
    this.now = opts.now ?? (() => new Date())
    this.handlers = this.makeHandlers()
  }

  /** Parses, runs and answers one request; never throws. */
  async dispatch(channel: string, args: unknown): Promise<Answer<RequestName>> {
    if (!isRequestName(channel)) return { ok: false, error: { code: 'invalid-request', message: `There is no request named ${JSON.stringify(String(channel).slice(0, 80))}.` } }
    const parsed = requestSchemas[channel].safeParse(args ?? {})
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''
      return { ok: false, error: { code: 'invalid-request', message: `The request ${channel} is not valid${where}: ${issue?.message ?? 'not the expected shape'}.`, details: { channel } } }
    }
    try {
      const handler = this.handlers[channel] as (a: unknown) => Promise<unknown>
      return { ok: true, value: (await handler(parsed.data)) as Responses[RequestName] }
    } catch (err) {
      return { ok: false, error: errorPayload(err) }
    }
  }

  /** Listens to every event; returns the function that stops listening. */
  onEvent(listener: HostEventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Sends an event to every listener (a listener that throws does not stop the others). */
  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of [...this.listeners]) {
      try {
        l(event, payload)
      } catch {
        // One broken listener (a closed socket) must not silence the others.
      }
    }
  }

  /** The operator's settings. */
  settings() {
    return this.store.settings
  }

  /** Releases plans and everything the host holds open. */
  async dispose(): Promise<void> {
    this.disposed = true
    // First the sockets: a status asked from now on is worked out by the one who asks.
    for (const socket of this.sockets.values()) await socket.dispose()
    this.sockets.clear()
    this.listeners.clear()
    for (const live of this.lives.values()) await live.dispose()
    this.lives.clear()
    for (const server of this.embedded.values()) await server.dispose()
    this.embedded.clear()
    await this.core.dispose()
  }

  /** Starts keeping a project live (once); its environments' statuses follow on their own. */
  private async startLive(project: Project): Promise<void> {
    const id = project.config.projectId
    if (!this.opts.live || this.lives.has(id)) return
    const live = new LiveProject(project, (env) => this.core.openRemoteFor(this.projectById(id), env), {
      onStale: (env) => {
        const envs = env ? [env] : Object.keys(this.projectById(id).config.environments)
        for (const e of envs) this.scheduleRefresh(id, e)
      },
      onReachability: (env, reachable, error) => {
        const state = this.envState(id, env)
        const payload = reachable ? null : errorPayload(error)
        if (state.summary) {
          state.summary = { ...state.summary, reachable, error: payload, checkedAt: this.now().toISOString() }
          this.emit('status:changed', state.summary)
        }
        this.emit('environment:reachability', { projectId: id, env, reachable, error: payload })
      },
      onWatcherError: (message) => this.emit('watcher:error', { projectId: id, message }),
      onFilterChanged: () => void this.restartLiveOnce(id).catch(() => undefined),
    }, this.store.settings.pollIntervalSec * 1000, this.opts.liveOptions)
    this.lives.set(id, live)
    live.setPaused(this.store.settings.pauseWatching)
    await live.start()
    if (this.opts.statusSocket !== false) await this.openStatusSocket(project)
  }

  /** Starts a project's live parts again, once however many ask at the same time. */
  private restartLiveOnce(projectId: string): Promise<void> {
    let running = this.restarting.get(projectId)
    if (!running) {
      running = this.restartLive(projectId).finally(() => this.restarting.delete(projectId))
      this.restarting.set(projectId, running)
    }
    return running
  }

  /**
   * Listens for status requests of a live project (once per project). Without a socket (one
   * cannot be made safely, another host serves the project) the CLI scans as it always did.
   */
  private async openStatusSocket(project: Project): Promise<void> {
    const id = project.config.projectId
    if (this.sockets.has(id) || this.disposed) return
    try {
      const socket = await listenStatusSocket({ project, answer: (req) => this.residentStatus(id, req) })
      if (!socket) return
      if (this.disposed || this.sockets.has(id)) await socket.dispose()
      else this.sockets.set(id, socket)
    } catch {
      // No socket: nothing is lost but the speed of the CLI's status.
    }
  }

  /**
   * A status asked through the socket: the one a new look would give (the live index made exact
   * first, the environment asked again), with the options the asker gave and no others.
   */
  private async residentStatus(projectId: string, req: StatusRequest): Promise<HostAnswer> {
    const refused = (code: RefusalCode, message: string): HostAnswer => ({ type: 'refused', code, message })
    for (let attempt = 0; attempt < 2; attempt++) {
      const live = this.lives.get(projectId)
      if (!live || this.disposed) return refused('unavailable', 'This project is not live in this host.')
      if (live.isPaused) return refused('unavailable', 'Watching is paused in this host.')
      const project = this.projectById(projectId)
      if (!project.config.environments[req.env]) return refused('unavailable', `This host does not know the environment ${req.env}.`)
      const known = await live.settledKnown(req.env, filterKey(project.filter()))
      if (!known) {
        // What is synced changed (.syncdeskignore, extensions): the index is made again first.
        await this.restartLiveOnce(projectId)
        continue
      }
      // Nothing changed since the last answer (both sides, the sync state, the config): it stands.
      // Records are read anew each time, and a server's own news too.
      const cacheable = !(req.scope !== 'files' && project.config.database) && !(req.withInfo && project.config.environments[req.env]?.kind === 'server')
      const stamp = cacheable ? `${live.stamp(req.env)}|${baselineStamp(project.baselineFile(req.env))}|${JSON.stringify(project.config)}` : null
      const key = `${projectId}\u0000${req.env}\u0000${req.scope}\u0000${req.withInfo}`
      const kept = this.answers.get(key)
      if (stamp !== null && kept?.stamp === stamp) return kept.answer
      const { report, info } = await this.core.status(project, req.env, { scope: req.scope, withInfo: req.withInfo, known })
      const answer: HostAnswer = { type: 'status', report, info }
      if (stamp !== null) this.answers.set(key, { stamp, answer })
      return answer
    }
    return refused('unavailable', 'This project\'s live parts are starting again.')
  }

  /** Starts a project's live parts again (its environments changed). */
  private async restartLive(projectId: string): Promise<void> {
    const live = this.lives.get(projectId)
    if (!live) return
    this.lives.delete(projectId)
    await live.dispose()
    await this.startLive(this.projectById(projectId))
  }

  /** Refreshes an environment's status soon, once, however many changes asked for it. */
  private scheduleRefresh(projectId: string, env: string): void {
    const key = `${projectId}\u0000${env}`
    let r = this.refreshing.get(key)
    if (!r) {
      r = { again: false, running: null }
      this.refreshing.set(key, r)
    }
    if (r.running) {
      r.again = true
      return
    }
    const entry = r
    const run = async () => {
      do {
        entry.again = false
        await this.refreshStatus(projectId, env).catch(() => undefined)
      } while (entry.again)
      entry.running = null
    }
    entry.running = run()
  }

  // ---- projects ------------------------------------------------------------------------

  /** Opens (and remembers) the project at `dir`, found from a subfolder as every command does. */
  async openProjectAt(dir: string, demo = false): Promise<ProjectView> {
    const project = this.core.openProject(dir, { findUp: true })
    const isDemo = demo || !!this.store.projects.find((p) => p.id === project.config.projectId)?.demo
    await this.store.remember({ id: project.config.projectId, dir: project.dir, demo: isDemo })
    if (isDemo) await this.ensureDemoServer(project)
    await this.startLive(project)
    const view = await this.projectView(project, demo)
    this.emit('projects:changed', await this.projectViews())
    return view
  }

  /**
   * The demo's environment is served by an embedded environment server (deploys included).
   * Where one cannot run (inside Electron, whose binary runs no scripts), the demo keeps its
   * folder environment, which shows everything but deploys.
   */
  private async ensureDemoServer(project: Project): Promise<void> {
    const id = project.config.projectId
    if (this.embedded.has(id) || this.opts.embeddedDemoServer === false) return
    const envDir = path.join(path.dirname(project.dir), 'environment-staging')
    try {
      this.embedded.set(id, await startEmbeddedServer(project, DEMO_ENV, envDir, this.credentials))
    } catch {
      project.config.environments[DEMO_ENV] = { kind: 'folder', path: envDir }
      await project.save()
    }
  }

  /**
   * Opens the project a start-up means: the folder named (an error when it is no project), else
   * the one found from `cwd`, else the last one opened, else (with `demo`) the demo; with none
   * of these the UI shows its welcome screen. Returns the project opened, if any.
   */
  async openStartProject(opts: { dir?: string; cwd?: string; demo?: boolean }): Promise<ProjectView | null> {
    if (opts.dir) return this.openProjectAt(opts.dir)
    if (opts.cwd) {
      const found = await this.openProjectAt(opts.cwd).catch(() => null)
      if (found) return found
    }
    const last = this.store.projects.find((p) => p.id === this.store.lastProjectId)
    if (last) {
      const opened = await this.openProjectAt(last.dir).catch(() => null)
      if (opened) return opened
    }
    if (!opts.demo) return null
    const demo = await this.dispatch('projects:create-demo', {})
    return demo.ok ? (demo.value as ProjectView) : null
  }

  /** The project a request names; a clear error for one the host does not know. */
  projectById(id: string): Project {
    const known = this.store.projects.find((p) => p.id === id)
    if (!known) throw new SyncDeskError('project-unknown', 'This project is not open in SyncDesk.', 'Open its folder again.', { projectId: id })
    return this.core.openProject(known.dir)
  }

  private async projectViews(): Promise<ProjectView[]> {
    const out: ProjectView[] = []
    for (const k of this.store.projects) {
      try {
        out.push(await this.projectView(this.core.openProject(k.dir), k.demo))
      } catch {
        // A project whose folder went away is left out of the list until it is back.
      }
    }
    return out
  }

  private async projectView(project: Project, demo: boolean): Promise<ProjectView> {
    const environments: EnvironmentView[] = []
    for (const name of Object.keys(project.config.environments)) environments.push(await this.environmentView(project, name))
    const db = project.config.database
    return { id: project.config.projectId, dir: project.dir, name: path.basename(project.dir), demo, environments, database: db ? (db.kind === 'sqlite' ? `SQLite ${db.path}` : 'PostgreSQL') : null }
  }

  private async environmentView(project: Project, name: string): Promise<EnvironmentView> {
    const e = project.environment(name)
    let hasToken: boolean | null = null
    if (e.kind === 'server') hasToken = await this.core.hasToken(project, name).then((t) => t.has, () => false)
    return { name, kind: e.kind, location: e.kind === 'folder' ? e.path : e.url, color: e.color ?? null, protected: e.protected ?? false, hasToken }
  }

  // ---- status --------------------------------------------------------------------------

  private envState(projectId: string, env: string): EnvState {
    const key = `${projectId}\u0000${env}`
    let s = this.envStates.get(key)
    if (!s) {
      s = { report: null, summary: null, syncing: false }
      this.envStates.set(key, s)
    }
    return s
  }

  /**
   * A deployment moved on: the summary kept for the environment says so too, so that the next
   * status it announces (a poll, a save) does not take the header back to an older deployment.
   */
  private deploymentChanged(projectId: string, env: string, deployment: DeploymentView): void {
    const state = this.envState(projectId, env)
    if (state.summary) state.summary = { ...state.summary, deployment }
    this.emit('deployment:changed', { projectId, env, deployment })
  }

  /**
   * Looks at both sides of an environment again, keeps the report and announces the summary.
   * With `askEnvironment` (the operator's "Check now"), the environment is asked afresh rather
   * than answered from the poller's last manifest, so a token revoked since is found at once.
   */
  async refreshStatus(projectId: string, env: string, opts: { askEnvironment?: boolean } = {}): Promise<StatusSummary> {
    const project = this.projectById(projectId)
    const state = this.envState(projectId, env)
    let summary: StatusSummary
    try {
      const known = this.lives.get(projectId)?.known(env)
      const { report, info } = await this.core.status(project, env, { withInfo: true, merges: true, known: opts.askEnvironment && known ? { local: known.local } : known })
      state.report = report
      summary = {
        projectId,
        env,
        counts: statusCounts(report),
        lastSyncAt: report.lastSyncAt,
        checkedAt: this.now().toISOString(),
        firstSync: !report.baselineExisted,
        skipped: report.skipped.length,
        warnings: report.warnings,
        deployment: info?.deployment ? deploymentView(info.deployment) : null,
        reachable: true,
        error: null,
        syncing: state.syncing,
      }
    } catch (err) {
      const error = errorPayload(err)
      const unreachable = error.code === 'remote-unreachable' || error.code === 'remote-refused' || error.code === 'remote-error' || error.code === 'keychain'
      if (!unreachable) throw err
      summary = { ...(state.summary ?? emptySummary(projectId, env, this.now())), checkedAt: this.now().toISOString(), reachable: false, error, syncing: state.syncing }
    }
    const wasReachable = state.summary?.reachable
    state.summary = summary
    if (wasReachable !== undefined && wasReachable !== summary.reachable) this.emit('environment:reachability', { projectId, env, reachable: summary.reachable, error: summary.error })
    this.emit('status:changed', summary)
    return summary
  }

  private async reportFor(projectId: string, env: string): Promise<StatusReport> {
    const state = this.envState(projectId, env)
    if (!state.report) await this.refreshStatus(projectId, env)
    if (!state.report) throw new SyncDeskError('remote-unreachable', `${env} cannot be reached, so its changes are not known.`, undefined, { env })
    return state.report
  }

  // ---- item detail ---------------------------------------------------------------------

  private async itemDetail(args: RequestArgs<'item:detail'>): Promise<ItemDetail> {
    const project = this.projectById(args.projectId)
    const report = await this.reportFor(args.projectId, args.env)
    const label = args.item.kind === 'file' ? args.item.path : `${args.item.table}/${args.item.key}`
    let found: { e: StatusEntry; category: keyof typeof report.status } | null = null
    for (const c of ['conflicts', 'remote_to_local', 'local_to_remote', 'in_sync'] as const) {
      const e = report.status[c].find((x) => itemLabel(x) === label)
      if (e) {
        found = { e, category: c }
        break
      }
    }
    if (!found) throw new SyncDeskError('not-found', `${label} is not an item of this project.`, undefined, { item: label })
    const { e, category } = found
    if (e.kind === 'file') {
      const local = e.localHash ? await new DirStore(project.dir).read(e.path).catch(() => null) : null
      const remote = e.remoteHash ? await this.core.withRemote(project, args.env, async (r) => (await r.readFiles([e.path])).get(e.path)) : null
      const asText = (b: Buffer | Error | null | undefined) => (b instanceof Buffer ? b : null)
      const l = asText(local)
      const r = asText(remote)
      const binary = [l, r].some((b) => b !== null && !isMergeableText(b))
      const base = binary ? null : new BaseStore(project.basesDir, project.config.mergeMaxBytes).read(e.baseHash)
      const merge = category === 'conflicts' && base && l && r ? mergeText(base, l, r) : null
      const text = (b: Buffer | null) => (b && !binary ? b.toString('utf8') : null)
      return { kind: 'file', path: e.path, category, local: text(l), remote: text(r), base: text(base), merged: merge && merge.clean ? merge.merged.toString('utf8') : null, binary, localMtimeMs: e.localMtimeMs, remoteMtimeMs: e.remoteMtimeMs }
    }
    const local = e.localData ?? null
    const remote = e.remoteData ?? null
    const base = e.baseData ?? null
    const names = [...new Set([...Object.keys(base ?? {}), ...Object.keys(local ?? {}), ...Object.keys(remote ?? {})])].sort()
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
    const fields = names.map((name) => {
      const b = base?.[name]
      const l = local?.[name]
      const r = remote?.[name]
      const byLocal = base !== null && !same(l, b)
      const byRemote = base !== null && !same(r, b)
      return { name, base: b ?? null, local: l ?? null, remote: r ?? null, differs: !same(l, r), changedBy: (byLocal && byRemote ? 'both' : byLocal ? 'local' : byRemote ? 'remote' : 'none') as 'local' | 'remote' | 'both' | 'none' }
    })
    const merge = local && remote && base ? mergeFields(base, local, remote) : null
    return { kind: 'record', table: e.table, key: e.key, category, local, remote, base, fields, merged: merge && 'merged' in merge ? merge.merged : null }
  }

  // ---- runs ----------------------------------------------------------------------------

  private async finishRun(projectId: string, planId: string, report: RunReport, project: Project, deploy: boolean): Promise<Responses['run:apply']> {
    let deployment = null
    if (deploy && report.direction === 'push' && (report.result?.problems.length ?? 0) === 0 && !report.errors.length) {
      deployment = await this.core.deploy(project, report.env, { onUpdate: (d) => this.deploymentChanged(projectId, report.env, deploymentView(d)) })
    }
    const summary = runSummary({ planId, projectId }, report, deployment, this.now())
    const changed = summary.done.upload + summary.done.download + summary.done.deleteLocal + summary.done.deleteRemote
    const entry: ActivityEntry = {
      at: summary.finishedAt,
      env: report.env,
      kind: 'run',
      direction: report.direction,
      result: summary.cancelled ? 'cancelled' : summary.errors.length ? 'failed' : summary.problems.length || summary.conflictsLeft.length ? 'partial' : 'done',
      counts: { changed, problems: summary.problems.length, conflictsLeft: summary.conflictsLeft.length },
      backupRunId: summary.backupRunId,
      message: `${report.direction} with ${report.env}: ${changed} item(s) changed`,
    }
    await recordActivity(project.stateDir, entry)
    return summary
  }

  private makeHandlers(): Handlers {
    return {
      'app:info': async () => ({ version: this.opts.version, host: this.opts.hostKind, lastProjectId: this.store.lastProjectId }),
      'projects:list': () => this.projectViews(),
      'projects:open': (a) => this.openProjectAt(a.dir),
      'projects:create-demo': async () => {
        const { projectDir } = await createDemo(this.opts.demoDir ?? path.join(this.opts.dataDir, 'demo'))
        return this.openProjectAt(projectDir, true)
      },
      'projects:remove': async (a) => {
        const removed = await this.store.forget(a.projectId)
        this.emit('projects:changed', await this.projectViews())
        return { removed }
      },
      'environments:list': async (a) => (await this.projectView(this.projectById(a.projectId), false)).environments,
      'environments:add': async (a) => {
        const project = this.projectById(a.projectId)
        const look = { color: a.color ?? null, protected: a.protected }
        if (a.kind === 'folder') await this.core.addFolderEnvironment(project, a.name, a.location, look)
        else await this.core.addServerEnvironment(project, a.name, a.location, a.token ?? null, look)
        await this.restartLive(a.projectId)
        this.emit('projects:changed', await this.projectViews())
        return this.environmentView(project, a.name)
      },
      'environments:edit': async (a) => {
        const project = this.projectById(a.projectId)
        await this.core.editEnvironment(project, a.env, { color: a.color, protected: a.protected, location: a.location })
        this.emit('projects:changed', await this.projectViews())
        return this.environmentView(project, a.env)
      },
      'environments:remove': async (a) => {
        await this.core.removeEnvironment(this.projectById(a.projectId), a.env)
        this.envStates.delete(`${a.projectId}\u0000${a.env}`)
        await this.restartLive(a.projectId)
        this.emit('projects:changed', await this.projectViews())
        return { removed: true }
      },
      'environments:test': async (a) => ({ ok: true as const, ...(await this.core.testEnvironment(this.projectById(a.projectId), a.env)) }),
      'credentials:set': async (a) => {
        await this.core.setToken(this.projectById(a.projectId), a.env, a.token)
        // The pollers hold remotes opened with the old token: they start again with the new one.
        await this.restartLive(a.projectId)
        this.scheduleRefresh(a.projectId, a.env)
        return { stored: true as const }
      },
      'credentials:has': (a) => this.core.hasToken(this.projectById(a.projectId), a.env),
      'credentials:delete': async (a) => {
        const deleted = await this.core.deleteToken(this.projectById(a.projectId), a.env)
        await this.restartLive(a.projectId)
        return { deleted }
      },
      'status:summary': async (a) => {
        const state = this.envState(a.projectId, a.env)
        if (a.refresh || !state.summary) return this.refreshStatus(a.projectId, a.env, { askEnvironment: a.refresh })
        return state.summary
      },
      'status:page': async (a) => statusPage(await this.reportFor(a.projectId, a.env), { category: a.category, kind: a.kind, search: a.search }, a.offset, a.limit),
      'item:detail': (a) => this.itemDetail(a),
      'run:plan': async (a) => {
        const project = this.projectById(a.projectId)
        const handle = await this.core.plan(project, a.env, a.direction, {
          scope: a.scope,
          overwriteLocal: a.overwriteLocal,
          overwriteRemote: a.overwriteRemote,
          overwriteItems: a.overwriteItems ? new Set(a.overwriteItems) : undefined,
        })
        // The look the plan was made from is the freshest status there is.
        this.envState(a.projectId, a.env).report = handle.prepared.report
        return planPreview({ planId: handle.id, projectId: a.projectId }, handle.prepared.report, handle.planned.plan, {
          scope: handle.scope,
          guard: handle.planned.guard,
          confirmName: handle.confirmName,
          itemLimit: a.itemLimit ?? 500,
          createdAt: handle.createdAt.toISOString(),
        })
      },
      'run:apply': async (a) => {
        const handle = this.core.planHandle(a.planId)
        const projectId = handle.project.config.projectId
        const state = this.envState(projectId, handle.env)
        state.syncing = true
        if (state.summary) this.emit('status:changed', { ...state.summary, syncing: true })
        let summary: Responses['run:apply']
        try {
          const report = await this.core.applyCancellable(a.planId, {
            resolutions: a.resolutions ? new Map(Object.entries(a.resolutions)) : undefined,
            confirmName: a.confirmName,
            allowMassDelete: a.allowMassDelete,
            allowProblems: a.allowProblems ? new Set(a.allowProblems) : undefined,
            createTables: a.createTables,
            mergeEdits: a.mergeEdits ? new Map(Object.entries(a.mergeEdits).map(([p, text]) => [p, Buffer.from(text, 'utf8')])) : undefined,
            onProgress: (p) => this.emit('run:progress', { ...p, planId: a.planId, projectId, env: handle.env }),
          })
          summary = await this.finishRun(projectId, a.planId, report, handle.project, !!a.deploy)
        } finally {
          state.syncing = false
          await this.lives.get(projectId)?.resync(handle.env).catch(() => undefined)
          await this.refreshStatus(projectId, handle.env).catch(() => undefined)
        }
        // Announced once the status after the run is known: a UI that reloads on it sees the new state.
        this.emit('run:finished', summary)
        return summary
      },
      'run:cancel': async (a) => ({ cancelled: await this.core.cancel(a.planId) }),
      'backups:list': async (a) => this.core.backups(this.projectById(a.projectId)).map((b) => ({ runId: b.runId, env: b.env, direction: b.direction, at: b.startedAt, overwritten: b.overwritten, deleted: b.deleted, created: b.created, bytes: b.bytes })),
      'backups:preview': async (a) => restoreSummary(await this.core.undo(this.projectById(a.projectId), a.runId, { dryRun: true })),
      'backups:restore': async (a) => {
        const project = this.projectById(a.projectId)
        const r = restoreSummary(await this.core.undo(project, a.runId))
        await recordActivity(project.stateDir, {
          at: this.now().toISOString(),
          env: '',
          kind: 'restore',
          result: r.left.length ? 'partial' : 'done',
          counts: { changed: r.restored.length + r.removed.length, problems: r.left.length, conflictsLeft: 0 },
          backupRunId: r.restoreRunId,
          message: `Undid ${a.runId}: ${r.restored.length + r.removed.length} item(s) put back`,
        })
        for (const env of Object.keys(project.config.environments)) {
          await this.lives.get(a.projectId)?.resync(env).catch(() => undefined)
          this.scheduleRefresh(a.projectId, env)
        }
        return { restored: r.restored, removed: r.removed, left: r.left, restoreRunId: r.restoreRunId }
      },
      'deploy:start': async (a) => {
        const project = this.projectById(a.projectId)
        const d = await this.core.deploy(project, a.env, { onUpdate: (x) => this.deploymentChanged(a.projectId, a.env, deploymentView(x)) })
        await recordActivity(project.stateDir, { at: this.now().toISOString(), env: a.env, kind: 'deploy', result: d.state === 'succeeded' ? 'done' : 'failed', counts: { changed: 0, problems: 0, conflictsLeft: 0 }, backupRunId: null, message: `Deploy of ${a.env} ${d.state}` })
        return deploymentView(d)
      },
      'deploy:status': async (a) => {
        const d = await this.core.deploymentStatus(this.projectById(a.projectId), a.env)
        return d ? deploymentView(d) : null
      },
      'activity:list': async (a) => listActivity(this.projectById(a.projectId).stateDir, a.limit),
      'settings:get': async () => this.store.settings,
      'settings:set': async (a) => {
        const before = this.store.settings.pollIntervalSec
        const settings = await this.store.updateSettings(a)
        for (const live of this.lives.values()) live.setPaused(settings.pauseWatching)
        // A new interval reaches the pollers already running: they start again with it.
        if (settings.pollIntervalSec !== before) for (const id of [...this.lives.keys()]) await this.restartLive(id)
        this.emit('settings:changed', settings)
        return settings
      },
    }
  }
}

/** An undo as the contract shows it: what came back here and in the environment, what was left. */
function restoreSummary(u: UndoResult): RestoreSummary {
  const inEnv = (p: string) => (u.env ? `${p} (in ${u.env})` : p)
  return {
    restored: [...(u.local?.restored ?? []), ...u.remote.restored.map(inEnv)],
    removed: [...(u.local?.removed ?? []), ...u.remote.removed.map(inEnv)],
    left: [...(u.local?.left ?? []), ...u.remote.left.map((l) => ({ path: inEnv(l.path), reason: l.reason }))],
    restoreRunId: u.undoRunId,
  }
}

/** Any thrown value as an error payload: SyncDesk's own with its code, a system error named. */
export function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof SyncDeskError) return err.toPayload()
  const errno = err as NodeJS.ErrnoException
  if (typeof errno?.code === 'string' && /^E[A-Z]+$/.test(errno.code)) return { code: 'io', message: `${describeError(err)}${errno.path ? ` (${errno.path})` : ''}`, details: { errno: errno.code } }
  return { code: 'internal', message: `Something went wrong in SyncDesk: ${describeError(err)}` }
}

function emptySummary(projectId: string, env: string, now: Date): StatusSummary {
  return { projectId, env, counts: { remote_to_local: 0, local_to_remote: 0, conflicts: 0, in_sync: 0, files: 0, records: 0 }, lastSyncAt: null, checkedAt: now.toISOString(), firstSync: false, skipped: 0, warnings: [], deployment: null, reachable: true, error: null, syncing: false }
}

