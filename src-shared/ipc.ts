/**
 * The one contract between a UI and the host: requests (each answered once) and events.
 *
 * GitHub Desktop keeps one map from channel name to signature (`app/src/lib/ipc-shared.ts`);
 * this is that map, plus a zod schema per request that the host parses before any handler
 * runs (VS Code validates every IPC message likewise). Electron's preload and the web
 * dashboard's WebSocket bridge both carry exactly these channels, so the renderer cannot
 * tell which host it runs in. A secret goes in (credentials:set) and never comes out.
 */
import * as z from 'zod/mini'
import type { ErrorPayload } from './errors.js'
import type {
  ActivityEntry,
  BackupView,
  DeploymentView,
  EnvironmentView,
  ItemDetail,
  PlanPreview,
  ProjectView,
  RestoreSummary,
  RunProgress,
  RunSummary,
  Settings,
  StatusPage,
  StatusSummary,
} from './views.js'

const id = () => z.string().check(z.minLength(1), z.maxLength(200))
const envName = () => z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" and "_" only'))
const projectEnv = { projectId: id(), env: envName() }
const direction = z.enum(['pull', 'push', 'sync', 'clone'])
const scope = z.enum(['files', 'records', 'all'])
const category = z.enum(['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync'])
const color = z.nullable(z.string().check(z.regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #3b82f6')))
const item = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), path: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  z.strictObject({ kind: z.literal('record'), table: z.string().check(z.minLength(1), z.maxLength(63)), key: z.string().check(z.maxLength(1024)) }),
])
const resolution = z.enum(['local', 'remote', 'skip', 'merge'])
/** The longest edited merge a run takes, in UTF-16 code units (about 1 MiB of text, the merge base limit). */
export const MAX_MERGE_EDIT_CHARS = 1024 * 1024

/** The zod schema of every request's argument; `dispatch` parses with it before the handler runs. */
export const requestSchemas = {
  'app:info': z.strictObject({}),
  'projects:list': z.strictObject({}),
  'projects:open': z.strictObject({ dir: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  'projects:create-demo': z.strictObject({}),
  'projects:remove': z.strictObject({ projectId: id() }),
  'environments:list': z.strictObject({ projectId: id() }),
  'environments:add': z.strictObject({
    projectId: id(),
    name: envName(),
    kind: z.enum(['folder', 'server']),
    location: z.string().check(z.minLength(1), z.maxLength(4096)),
    token: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
    color: z.optional(color),
    protected: z.optional(z.boolean()),
  }),
  'environments:edit': z.strictObject({ ...projectEnv, color: z.optional(color), protected: z.optional(z.boolean()), location: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))) }),
  'environments:remove': z.strictObject(projectEnv),
  'environments:test': z.strictObject(projectEnv),
  'credentials:set': z.strictObject({ ...projectEnv, token: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  'credentials:has': z.strictObject(projectEnv),
  'credentials:delete': z.strictObject(projectEnv),
  'status:summary': z.strictObject({ ...projectEnv, refresh: z.optional(z.boolean()) }),
  'status:page': z.strictObject({
    ...projectEnv,
    category: z.optional(category),
    kind: z.optional(z.enum(['file', 'record'])),
    search: z.optional(z.string().check(z.maxLength(500))),
    offset: z.int().check(z.gte(0)),
    limit: z.int().check(z.gte(1), z.lte(1000)),
  }),
  'item:detail': z.strictObject({ ...projectEnv, item }),
  'run:plan': z.strictObject({
    ...projectEnv,
    direction,
    scope: z.optional(scope),
    overwriteLocal: z.optional(z.boolean()),
    overwriteRemote: z.optional(z.boolean()),
    /** Labels of conflicts to overwrite in the run's direction (pull/push). */
    overwriteItems: z.optional(z.array(z.string().check(z.maxLength(4096))).check(z.maxLength(100_000))),
    itemLimit: z.optional(z.int().check(z.gte(0), z.lte(10_000))),
  }),
  'run:apply': z.strictObject({
    planId: id(),
    /** sync: a resolution per conflict label; a conflict not named is skipped. */
    resolutions: z.optional(z.record(z.string().check(z.maxLength(4096)), resolution)),
    /** The environment's name as the operator typed it, when the preview asked for it. */
    confirmName: z.optional(z.string().check(z.maxLength(200))),
    allowMassDelete: z.optional(z.boolean()),
    /** Files to write to a protected environment although the checks found problems in them (the preview's checks.items). */
    allowProblems: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(4096))).check(z.maxLength(100_000))),
    /** Create the tables the preview lists in tables.create (each with its statement) before the records are carried. */
    createTables: z.optional(z.boolean()),
    /** sync: the merged text of a file conflict resolved `merge`, as the operator edited it, by path (UTF-8, at most 1 MiB each). */
    mergeEdits: z.optional(z.record(z.string().check(z.maxLength(4096)), z.string().check(z.maxLength(MAX_MERGE_EDIT_CHARS)))),
    deploy: z.optional(z.boolean()),
  }),
  'run:cancel': z.strictObject({ planId: id() }),
  'backups:list': z.strictObject({ projectId: id() }),
  'backups:preview': z.strictObject({ projectId: id(), runId: z.string().check(z.minLength(1), z.maxLength(200)) }),
  'backups:restore': z.strictObject({ projectId: id(), runId: z.string().check(z.minLength(1), z.maxLength(200)) }),
  'deploy:start': z.strictObject(projectEnv),
  'deploy:status': z.strictObject(projectEnv),
  'activity:list': z.strictObject({ projectId: id(), limit: z.optional(z.int().check(z.gte(1), z.lte(1000))) }),
  'settings:get': z.strictObject({}),
  'settings:set': z.strictObject({
    pollIntervalSec: z.optional(z.int().check(z.gte(5), z.lte(3600))),
    notifications: z.optional(z.boolean()),
    launchAtLogin: z.optional(z.boolean()),
    pauseWatching: z.optional(z.boolean()),
    closeToTray: z.optional(z.boolean()),
  }),
} as const

/** The argument of a request, as its schema parses it. */
export type RequestArgs<K extends RequestName> = z.infer<(typeof requestSchemas)[K]>

/** What each request answers. */
export interface Responses {
  'app:info': { version: string; host: 'electron' | 'web'; lastProjectId: string | null }
  'projects:list': ProjectView[]
  'projects:open': ProjectView
  'projects:create-demo': ProjectView
  'projects:remove': { removed: boolean }
  'environments:list': EnvironmentView[]
  'environments:add': EnvironmentView
  'environments:edit': EnvironmentView
  'environments:remove': { removed: boolean }
  'environments:test': { ok: true; files: number; describe: string }
  'credentials:set': { stored: true }
  'credentials:has': { has: boolean; source: 'keychain' | 'environment' | null }
  'credentials:delete': { deleted: boolean }
  'status:summary': StatusSummary
  'status:page': StatusPage
  'item:detail': ItemDetail
  'run:plan': PlanPreview
  'run:apply': RunSummary
  'run:cancel': { cancelled: boolean }
  'backups:list': BackupView[]
  'backups:preview': RestoreSummary
  'backups:restore': RestoreSummary
  'deploy:start': DeploymentView
  'deploy:status': DeploymentView | null
  'activity:list': ActivityEntry[]
  'settings:get': Settings
  'settings:set': Settings
}

/** Every request's name. */
export type RequestName = keyof typeof requestSchemas

/** The requests from a UI to the host: each returns a promise of its response. */
export type Requests = { [K in RequestName]: (args: RequestArgs<K>) => Promise<Responses[K]> }

/** The events from the host to a UI, with their payloads. */
export interface Events {
  'status:changed': StatusSummary
  'run:progress': RunProgress
  'run:finished': RunSummary
  'deployment:changed': { projectId: string; env: string; deployment: DeploymentView }
  'environment:reachability': { projectId: string; env: string; reachable: boolean; error: ErrorPayload | null }
  'watcher:error': { projectId: string; message: string }
  'projects:changed': ProjectView[]
  'settings:changed': Settings
}

/** Every event's name. */
export type EventName = keyof Events

/** The names of every request, for checks at the edges (preload, WebSocket). */
export const REQUEST_NAMES = Object.keys(requestSchemas) as RequestName[]

/** The names of every event. */
export const EVENT_NAMES: readonly EventName[] = ['status:changed', 'run:progress', 'run:finished', 'deployment:changed', 'environment:reachability', 'watcher:error', 'projects:changed', 'settings:changed']

/** What one request answers on the wire: its value, or an error as data. */
export type Answer<K extends RequestName> = { ok: true; value: Responses[K] } | { ok: false; error: ErrorPayload }

/**
 * The object a UI talks to: `window.syncDesk`. Electron's preload and the web bridge each
 * make one; neither exposes anything else.
 */
export interface SyncDeskApi {
  /**
   * Sends a request; resolves with its answer, or rejects with `{ name: 'SyncDeskError',
   * message, payload }` (a plain object: Electron's contextBridge drops an Error's own
   * properties, electron/electron#25596, so both bridges reject the same plain shape).
   */
  invoke<K extends RequestName>(channel: K, args: RequestArgs<K>): Promise<Responses[K]>
  /** Listens to an event; returns the function that stops listening. */
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void
}

/** Whether a string names a request of the contract. */
export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name)
}

/** Whether a string names an event of the contract. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name)
}
