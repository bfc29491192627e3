/**
 * What the host shows a face: view models computed in the host, rendered as they are.
 *
 * A face (the dashboard, the CLI, MCP) never computes sync state: counts, labels, the words of
 * what happened on each side and the field-level merge arrive here already worked out. Large
 * lists arrive in pages. Pure types: no Node, no DOM.
 */
import type { Category, Direction, RecordData, SideChange, SkippedItem, SyncProgress, SyncScope } from './sync-types.js'
import type { ErrorPayload } from './errors.js'

/** A project the host knows. */
export interface ProjectView {
  id: string
  dir: string
  name: string
  /** True for the demo project the host made. */
  demo: boolean
  environments: EnvironmentView[]
  database: string | null
}

/** An environment of a project, as the operator sees it (never its token). */
export interface EnvironmentView {
  name: string
  kind: 'folder' | 'server'
  /** The folder or the server's URL. */
  location: string
  /** A colour the operator picked (#rrggbb), or null. */
  color: string | null
  /** Protected (production): its name must be typed before a run that changes it. */
  protected: boolean
  /** For a server: whether a token is known (keychain or environment variable). */
  hasToken: boolean | null
}

/** Counts of one status by category and kind. */
export interface StatusCounts {
  remote_to_local: number
  local_to_remote: number
  conflicts: number
  in_sync: number
  files: number
  records: number
}

/** What an environment's latest deployment is doing. */
export interface DeploymentView {
  id: string
  state: 'queued' | 'running' | 'succeeded' | 'failed'
  startedAt: string | null
  finishedAt: string | null
  exitCode: number | null
  logTail: string
}

/** The status of one environment, without its entries (those come in pages). */
export interface StatusSummary {
  projectId: string
  env: string
  counts: StatusCounts
  /** When this project last synced with the environment (ISO), if ever. */
  lastSyncAt: string | null
  /** When the host last looked at both sides (ISO). */
  checkedAt: string
  firstSync: boolean
  skipped: number
  warnings: string[]
  deployment: DeploymentView | null
  /** Reachable when last looked at; with the error when not. */
  reachable: boolean
  error: ErrorPayload | null
  /** A run is going on for this environment now. */
  syncing: boolean
}

/** One row of the pending list: an item and what happened on each side, in words. */
export interface StatusRow {
  category: Category
  kind: 'file' | 'record'
  /** The item's label: a path, or `table/key`. */
  label: string
  path?: string
  table?: string
  key?: string
  local: SideChange
  remote: SideChange
  /** "You edited it; Staging deleted it." — the environment named, never left/right. */
  description: string
  localMtimeMs: number | null
  remoteMtimeMs: number | null
  /** Records: the fields whose values differ. */
  fields?: string[]
  /** Conflicts: the two sides changed different fields (a record) or lines (a text file), so a merge keeps both. */
  mergeable?: boolean
}

/** A page of the pending list. */
export interface StatusPage {
  total: number
  offset: number
  rows: StatusRow[]
}

/** One item in full, for the conflict dialog: each side's content and the base. */
export type ItemDetail =
  | {
      kind: 'file'
      path: string
      category: Category | null
      /** Text content (UTF-8), or null where absent; binary content is not shown. */
      local: string | null
      remote: string | null
      /** The content both sides had at the last sync, when the host still has it. */
      base: string | null
      /** The clean three-way merge of a conflict (both sides' edits kept), or null when there is none. */
      merged: string | null
      binary: boolean
      localMtimeMs: number | null
      remoteMtimeMs: number | null
    }
  | {
      kind: 'record'
      table: string
      key: string
      category: Category | null
      local: RecordData | null
      remote: RecordData | null
      base: RecordData | null
      /** Field → whether it differs between the sides. */
      fields: { name: string; base: unknown; local: unknown; remote: unknown; differs: boolean; changedBy: 'local' | 'remote' | 'both' | 'none' }[]
      /** The field-level merge when the sides changed different fields, else null. */
      merged: RecordData | null
    }

/** One item a plan will change. */
export interface PlanItem {
  label: string
  kind: 'file' | 'record'
  /** upload, download, delete here, delete in the environment. */
  op: 'upload' | 'download' | 'delete-local' | 'delete-remote'
  /** Whether the other side's change is replaced (an overwrite of a conflict). */
  replaces: boolean
  bytes: number
}

/**
 * One problem the checks found in a file about to be written to an environment: where it is
 * and what is wrong, in plain words. Never the secret itself, nor the text around it.
 */
export interface FileProblem {
  /** The file (its path in the project). */
  path: string
  /** Where, 1-based; null when the problem is about the whole file. */
  line: number | null
  column: number | null
  /** The rule that found it: `yaml`, `json`, `check`, or a secret rule's id (`@secretlint/secretlint-rule-aws`). */
  rule: string
  /** A syntax error, something that looks like a secret, or a file that could not be checked reliably. */
  kind: 'syntax' | 'secret' | 'check'
  /** What is wrong, in plain words. */
  message: string
}

/** A file about to be written that the checks left out, and why (larger than the limit, not text). */
export interface UncheckedFile {
  path: string
  reason: string
}

/** One item of a plan with problems, and its problems. */
export interface ProblemItem {
  label: string
  problems: FileProblem[]
}

/**
 * The checks of the files a plan writes to the environment (YAML and JSON syntax, secrets),
 * computed once by the host when it plans.
 */
export interface PlanChecks {
  /** The items with problems, in path order (all of them up to the preview's item limit). */
  items: ProblemItem[]
  itemsTotal: number
  problemsTotal: number
  /** Files that were not checked, and why (the first ones). */
  unchecked: UncheckedFile[]
  uncheckedTotal: number
  /**
   * The environment is protected: an item with problems is not written unless the operator
   * names it (`allowProblems` of run:apply). Otherwise the problems are warnings.
   */
  refuses: boolean
}

/** A synced table one side lacks that a run can create from the other side's definition. */
export interface TableCreationView {
  table: string
  /** Where it is created: `remote` in the environment, `local` here. */
  side: 'local' | 'remote'
  /** The CREATE TABLE statement run there (what the operator approves). */
  statement: string
  /** The records of the side that has the table: the run carries them once it is made. */
  records: number
  /** What the copy leaves out (defaults, indexes, other constraints), in words. */
  notes: string[]
}

/** One column that differs between the two sides' tables. */
export interface ColumnDifferenceView {
  name: string
  /** Its declared type here; null: the local table has no such column. */
  local: string | null
  /** Its declared type in the environment; null: the environment's table has no such column. */
  remote: string | null
  /** In words: "only in the local table", "REAL locally, integer in the environment". */
  problem: string
}

/**
 * The synced tables of a plan: the ones it creates first when the operator says so
 * (`createTables` of run:apply), those that cannot be created, and those whose columns differ.
 * A table one side lacks is left out of the records until it is created.
 */
export interface PlanTablesView {
  /** Tables this run creates, each on its side, when `createTables` is set. */
  create: TableCreationView[]
  /** Tables that cannot be created, and why (their columns named). */
  refused: { table: string; side: 'local' | 'remote'; reason: string }[]
  /** Tables both sides have whose columns differ (their records are compared all the same). */
  mismatches: { table: string; columns: ColumnDifferenceView[] }[]
  /** The environment's name to type when the tables are created in it (a protected environment), else null. */
  confirmName: string | null
}

/** A plan's preview: what will be uploaded, downloaded, replaced and deleted; what needs confirming. */
export interface PlanPreview {
  planId: string
  projectId: string
  env: string
  direction: Direction
  scope: SyncScope
  counts: { upload: number; download: number; deleteLocal: number; deleteRemote: number; replaceLocal: number; replaceRemote: number; conflictsLeft: number; notCarried: number; bytes: number }
  /** The first items of the plan (all of them up to the limit asked for). */
  items: PlanItem[]
  itemsTotal: number
  /** Conflicts the plan leaves (labels), and those it resolves. */
  conflicts: StatusRow[]
  /** The mass-delete guard's finding, or null. Applying needs `allowMassDelete` when set. */
  guard: string | null
  /** The environment's name must be typed to apply (protected, or replacing its changes). */
  confirmName: string | null
  /** What the checks found in the files this plan writes to the environment (the host always sets it; optional for previews made by hand, as in tests). */
  checks?: PlanChecks
  /** The tables this plan can create first, and those that cannot be or differ (the host always sets it; optional as `checks`). */
  tables?: PlanTablesView
  /** Nothing to do. */
  empty: boolean
  createdAt: string
}

/** A run's outcome, in counts and short lists. */
export interface RunSummary {
  planId: string
  projectId: string
  env: string
  direction: Direction
  dryRun: boolean
  done: { upload: number; download: number; deleteLocal: number; deleteRemote: number }
  /** Items that were not done, and why. */
  problems: { label: string; reason: 'stale' | 'refused' | 'failed'; message: string }[]
  conflictsLeft: string[]
  skipped: SkippedItem[]
  replanned: string[]
  backupRunId: string | null
  cancelled: boolean
  errors: string[]
  warnings: string[]
  deployment: DeploymentView | null
  /** The tables the run created first, each on its side, with the statement run (the host always sets it). */
  tablesCreated?: { table: string; side: 'local' | 'remote'; statement: string }[]
  finishedAt: string
}

/** A kept backup run that can be restored. */
export interface BackupView {
  runId: string
  env: string
  direction: string
  at: string
  overwritten: number
  deleted: number
  created: number
  /** The space the backup takes on disk, in bytes (when the host says it). */
  bytes?: number
}

/** What a restore did. */
export interface RestoreSummary {
  restored: string[]
  removed: string[]
  left: { path: string; reason: string }[]
  restoreRunId: string | null
}

/** One entry of a project's activity history. */
export interface ActivityEntry {
  at: string
  env: string
  kind: 'run' | 'restore' | 'deploy'
  direction?: Direction
  result: 'done' | 'partial' | 'failed' | 'cancelled'
  counts: { changed: number; problems: number; conflictsLeft: number }
  backupRunId: string | null
  message: string
}

/** The operator's settings. */
export interface Settings {
  /** Seconds between looks at each environment. */
  pollIntervalSec: number
  notifications: boolean
  launchAtLogin: boolean
  pauseWatching: boolean
  closeToTray: boolean
}

/** A run's progress, for one plan. */
export interface RunProgress extends SyncProgress {
  planId: string
  projectId: string
  env: string
}
