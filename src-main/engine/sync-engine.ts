/**
 * The sync engine's entry points: status, and running a direction (pull, push, sync, clone).
 *
 * Data flows one way: scan local ∥ list remote → classify against the baseline → plan →
 * (guard) → apply → save the baseline. Faces (CLI, desktop, web, MCP) call only these.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { CategoryMap, Direction, FileStatusEntry, RecordStatusEntry, Resolution, SkippedItem, StatusEntry, SyncProgress, SyncScope, SyncStatus } from '../../src-shared/sync-types.js'
import { itemLabel } from '../../src-shared/sync-types.js'
import type { FileProblem } from '../../src-shared/views.js'
import type { Remote, RemoteRecords, RemoteScan } from './remote.js'
import { applyPlan, type ApplyContext, type ApplyResult, type ItemProblem } from './apply.js'
import { BackupRun, DEFAULT_BACKUP_RETENTION, pruneBackups, type BackupPruneResult } from './backups.js'
import { emptyBaseline, loadBaseline, saveBaseline, type Baseline, type BaseRecord } from './baseline.js'
import { classify, classifyRecords, emptyStatus } from './classify.js'
import { DirStore, type Manifest, type ScanResult } from './dir-store.js'
import { SyncDeskError, describeError } from './errors.js'
import { pathPassesFilter } from './filter.js'
import { acquireLock, sweepStateTemps, type Lock } from './lock.js'
import { caseCollisions, pathProblem } from './paths.js'
import { makePlan, massDeleteProblem, mergeStatus, noTables, type Action, type FileAction, type Plan, type PlanTables, type RecordLookup, type TableToCreate } from './plan.js'
import type { Project } from './project.js'
import { appendAll } from './arrays.js'
import { sha256 } from './atomic.js'
import { BaseStore } from './base-store.js'
import { mergeText } from './text-merge.js'
import { openRecordStore } from './records/open-record-store.js'
import { checkSettings } from './checks/check-settings.js'
import { noChecks, planChecks, runChecks, type CheckCandidate, type FileChecks } from './checks/run-checks.js'
import { expectListing } from './records/listing-registry.js'
import type { RecordEntry, RecordStore, TableSpec } from './records/record-store.js'
import { createMissingTables, planMissingTables, type CreatedTables, type TableMismatch, type TableRefusal } from './records/table-definitions.js'

export interface StatusReport {
  env: string
  remote: string
  scope: SyncScope
  status: SyncStatus
  skipped: SkippedItem[]
  warnings: string[]
  /** False on a first sync or after a lost baseline. */
  baselineExisted: boolean
  /** When this project last synced with the environment (ISO time), if ever. */
  lastSyncAt: string | null
  counts: { local: number; remote: number; baseline: number }
  recordCounts: { local: number; remote: number; baseline: number }
  /** The synced tables one side lacks (left out of the comparison), that cannot be made, or that differ. */
  tables: TablesFound
}

/** What a look found of the synced tables themselves (see records/table-definitions.ts). */
export interface TablesFound {
  /** Tables one side lacks that can be created there from the other side's definition. */
  create: TableToCreate[]
  /** Tables that cannot be created, and why; their records are not compared. */
  refused: TableRefusal[]
  /** Tables both sides have whose columns differ; compared all the same. */
  mismatches: TableMismatch[]
}

interface Gathered {
  report: StatusReport
  local: DirStore
  localScan: ScanResult | null
  baseline: Baseline
  localRecords: RecordStore | null
  remoteRecords: RemoteRecords | null
  records: RecordLookup
}

/** Scans a caller already holds (a resident index kept by a watcher, a poller's last look). */
export interface KnownScans {
  /** The local tree as the caller's index has it; not changed by the engine. */
  local?: ScanResult
  /** The environment's last listing; the engine works on a copy. */
  remote?: { files: Manifest; skipped: { path: string; reason: string }[] }
}

export interface EngineOptions {
  /** Use these instead of looking again (status only: a run always looks again). */
  known?: KnownScans
  /** Status only: work out which file conflicts merge cleanly (reads both sides of each). */
  merges?: boolean
  scope?: SyncScope
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
  /** Opens the local database (faces supply the keychain for a PostgreSQL password). */
  openLocalRecords?: () => Promise<RecordStore | null>
}

/** Opens a project's own database from its config; null when it has none. */
export async function openProjectDatabase(project: Project, postgresPassword?: string): Promise<RecordStore | null> {
  const db = project.config.database
  if (!db) return null
  if (db.kind === 'sqlite') {
    const file = path.resolve(project.dir, db.path)
    if (!fs.existsSync(file)) throw new SyncDeskError('not-found', `The project's database ${file} is not there.`, undefined, { database: file })
    return openRecordStore({ kind: 'sqlite', path: file })
  }
  const url = new URL(db.url)
  if (postgresPassword !== undefined) url.password = encodeURIComponent(postgresPassword)
  return openRecordStore({ kind: 'postgres', url: url.toString() })
}

async function gather(project: Project, remote: Remote, opts: EngineOptions & { ignoreBaseline?: boolean; readOnly?: boolean }): Promise<Gathered> {
  opts.onProgress?.({ phase: 'scanning', itemsDone: 0, itemsTotal: 0, bytesDone: 0, bytesTotal: 0 })
  const scope = opts.scope ?? 'all'
  const warnings: string[] = []
  // The baseline is read when it is first needed: without a database, after both scans, so a
  // large one is not held while they peak (100,000 files: about 20 MB less at the peak). Its
  // warning still comes first. A run that ends meanwhile can only make this report's baseline
  // newer than its scans; applying a plan checks the baseline's stamp, so nothing acts on it.
  let baseline: Baseline | undefined
  const baselineNow = (): Baseline => {
    if (baseline) return baseline
    if (opts.ignoreBaseline) return (baseline = emptyBaseline())
    const loaded = loadBaseline(project.baselineFile(remote.envName), { readOnly: opts.readOnly })
    if (loaded.warning) warnings.unshift(loaded.warning)
    return (baseline = loaded.baseline)
  }

  const local = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
  const [files, recs] = await Promise.all([
    scope === 'records' ? null : gatherFiles(project, remote, local, baselineNow, opts, warnings),
    scope === 'files' ? null : gatherRecords(project, remote, baselineNow, opts, warnings, scope === 'records'),
  ])
  baseline = baselineNow()
  const status = mergeStatus([files?.status ?? emptyStatus(), recs?.status ?? emptyStatus()])
  return {
    report: {
      env: remote.envName,
      remote: remote.describe(),
      scope,
      status,
      skipped: files?.skipped ?? [],
      warnings,
      baselineExisted: baseline.existed,
      lastSyncAt: baseline.updatedAt ?? null,
      counts: files?.counts ?? { local: 0, remote: 0, baseline: 0 },
      recordCounts: recs?.counts ?? { local: 0, remote: 0, baseline: 0 },
      tables: recs?.tables ?? { create: [], refused: [], mismatches: [] },
    },
    local,
    localScan: files?.localScan ?? null,
    baseline,
    localRecords: recs?.localRecords ?? null,
    remoteRecords: recs?.remoteRecords ?? null,
    records: recs?.lookup ?? { local: () => null, remote: () => null },
  }
}

async function gatherFiles(project: Project, remote: Remote, local: DirStore, baselineNow: () => Baseline, opts: EngineOptions, warnings: string[]) {
  const filter = project.filter()
  // The remote's scan starts first: a worker thread or an HTTP request works while this thread walks.
  const known = opts.known
  const remoteScanning: Promise<RemoteScan> = known?.remote ? Promise.resolve({ files: new Map(known.remote.files), skipped: known.remote.skipped }) : remote.scan(filter, { signal: opts.signal })
  const [remoteScan, localScan] = await Promise.all([remoteScanning, known?.local ? Promise.resolve(known.local) : local.scan(filter, opts.signal)])
  // A remote is not trusted to list only valid paths: a bad one is reported, never planned.
  // The manifest is filtered in place (no copy: a large tree would hold two).
  const remoteFiles: Manifest = remoteScan.files
  const refused: SkippedItem[] = []
  const filtered = remoteScan.filtered === true
  for (const p of remoteFiles.keys()) {
    const problem = pathProblem(p)
    if (problem) refused.push({ side: 'remote', path: p, reason: `refused: ${problem}` })
    if (problem || (!filtered && !pathPassesFilter(filter, p))) remoteFiles.delete(p)
  }
  const skipped: SkippedItem[] = [
    ...localScan.skipped.map((s) => ({ side: 'local' as const, ...s })),
    ...remoteScan.skipped.map((s) => ({ side: 'remote' as const, ...s })),
    ...refused,
  ]
  const excluded = new Set(skipped.map((s) => s.path))
  for (const group of caseCollisions(localScan.files, remoteFiles)) {
    warnings.push(`These paths differ only by letter case and will clash on macOS and Windows: ${group.join(', ')}`)
  }
  const baseline = baselineNow()
  return {
    status: classify(localScan.files, remoteFiles, baseline.files, excluded),
    skipped,
    localScan,
    counts: { local: localScan.files.size, remote: remoteFiles.size, baseline: baseline.files.size },
  }
}

async function gatherRecords(project: Project, remote: Remote, baselineNow: () => Baseline, opts: EngineOptions, warnings: string[], required: boolean) {
  if (!project.config.database) {
    if (required) throw new SyncDeskError('usage', 'This project has no database to sync records from.', undefined, { database: null })
    return null
  }
  const localRecords = opts.openLocalRecords ? await opts.openLocalRecords() : await openProjectDatabase(project)
  if (!localRecords) return null
  const parts: CategoryMap<RecordStatusEntry>[] = []
  const localRows = new Map<string, Map<string, RecordEntry>>()
  const remoteRows = new Map<string, Map<string, RecordEntry>>()
  const counts = { local: 0, remote: 0, baseline: 0 }
  let remoteRecords: RemoteRecords | null = null
  let tables: TablesFound
  try {
    remoteRecords = remote.openRecords ? await remote.openRecords() : null
    // A table one side lacks is not an error: it is left out of the comparison, and a run in
    // the direction that can create it offers to (the statement shown first).
    const found = await planMissingTables(localRecords, remote, project.config.tables, { signal: opts.signal }).catch((err: unknown) => {
      // An environment server older than table definitions: its tables are compared as before.
      if (opts.signal?.aborted || !remoteRecords) throw err
      warnings.push(`The tables' definitions could not be compared, so a missing table cannot be created: ${err instanceof SyncDeskError ? err.message : describeError(err)}`)
      return { create: [], refused: [], mismatches: [] }
    })
    if (!remoteRecords && !found.create.some((c) => c.side === 'remote')) {
      await localRecords.close()
      const message = `${remote.envName} has no database, so records were not compared.`
      if (required) throw new SyncDeskError('remote-error', message)
      warnings.push(message)
      return null
    }
    tables = { create: [], refused: found.refused, mismatches: found.mismatches }
    const missing = new Set([...found.create, ...found.refused].map((t) => t.table))
    for (const table of project.config.tables) {
      if (missing.has(table.name)) continue
      // The environment's listing is asked for first, and given a turn of the event loop to go
      // out (on a connection already open, it does) before this thread reads the local rows:
      // the environment answers meanwhile. An answer that comes first waits for the local
      // listing, whose records it takes the data of (expectListing).
      // A store that announces no listing (PostgreSQL) releases the wait once it is done.
      const withdraw = expectListing(table.name)
      let l: Map<string, RecordEntry>
      const remoteListing = (remoteRecords as RemoteRecords).list(table, { signal: opts.signal })
      remoteListing.catch(() => undefined)
      try {
        await new Promise((resolve) => setImmediate(resolve))
        l = await localRecords.list(table)
      } finally {
        withdraw()
      }
      const r = await remoteListing
      const base: ReadonlyMap<string, BaseRecord> = baselineNow().records.get(table.name) ?? new Map()
      localRows.set(table.name, l)
      remoteRows.set(table.name, r)
      counts.local += l.size
      counts.remote += r.size
      counts.baseline += base.size
      parts.push(classifyRecords(table.name, l, r, base))
    }
    // What a created table would then carry: the records of the side that has it.
    for (const c of found.create) {
      const spec = project.config.tables.find((t) => t.name === c.table) as TableSpec
      const rows = c.side === 'remote' ? await localRecords.list(spec) : await (remoteRecords as RemoteRecords).list(spec, { signal: opts.signal })
      tables.create.push({ ...c, records: rows.size })
    }
  } catch (err) {
    await localRecords.close()
    throw err
  }
  appendAll(warnings, tableWarnings(tables, remote.envName))
  const lookup: RecordLookup = {
    local: (t, k) => localRows.get(t)?.get(k)?.data ?? null,
    remote: (t, k) => remoteRows.get(t)?.get(k)?.data ?? null,
  }
  return { status: mergeStatus(parts), localRecords, remoteRecords, lookup, counts, tables }
}

/** A look's warnings without its offers to create the tables a plan lists to create (the plan says it). */
function withoutTableOffers(warnings: readonly string[], plan: Plan, env: string): string[] {
  const offers = new Set(tableWarnings({ create: plan.tables.create, refused: [], mismatches: [] }, env))
  return warnings.filter((w) => !offers.has(w))
}

/** The warnings of a look at the tables: which one side lacks (and which run creates it), which cannot be made, which differ. */
function tableWarnings(tables: TablesFound, env: string): string[] {
  const out: string[] = []
  for (const c of tables.create) {
    out.push(c.side === 'remote' ? `${env} has no table ${c.table}; a push can create it from the local definition` : `The local database has no table ${c.table}; a pull can create it from the environment's definition`)
  }
  for (const r of tables.refused) {
    if (r.reason.startsWith('neither ')) out.push(`Table ${r.table} is not synced: neither the local database nor ${env}'s has it.`)
    else if (r.side === 'remote') out.push(`${env} has no table ${r.table}, and it cannot be created from the local one: ${r.reason}.`)
    else out.push(`The local database has no table ${r.table}, and it cannot be created from ${env}'s: ${r.reason}.`)
  }
  for (const m of tables.mismatches) {
    out.push(`Table ${m.table} differs between the local database and ${env}: ${m.columns.map((c) => `column "${c.name}": ${c.problem}`).join('; ')}.`)
  }
  return out
}

/** What changed where, in the four categories. Changes nothing but caches. */
export async function getStatus(project: Project, remote: Remote, opts: EngineOptions = {}): Promise<StatusReport> {
  const g = await gather(project, remote, { ...opts, readOnly: true })
  // With a resident index the caller keeps the cache; a walk here saves what it learned.
  if (!opts.known?.local) await g.local.saveCache()
  if (opts.merges) await prepareMerges(project, remote, g.report, opts.signal)
  await g.localRecords?.close()
  return g.report
}

/** What the operator decided for a run: the second phase's input. */
export interface RunChoices {
  /** pull/clone: replace local changes in conflicts with the cloud's (backed up first). */
  overwriteLocal?: boolean
  /** push: replace the cloud's changes in conflicts with the local ones. */
  overwriteRemote?: boolean
  /** pull/push: overwrite only these conflicts (paths, or table/key), in the run's direction. */
  overwriteItems?: ReadonlySet<string>
  /** sync: each conflict's resolution, by item label; a conflict not named is skipped. */
  resolutions?: ReadonlyMap<string, Resolution>
  /** Items (paths) to write to a protected environment in spite of the problems the checks found in them. */
  allowProblems?: ReadonlySet<string>
  /**
   * sync: the merged text the operator edited before approving it, by file path. Used only for
   * a conflict resolved `merge` whose clean merge was offered; checked like any other write
   * (`checkMergeEdits`) before it is planned.
   */
  mergeEdits?: ReadonlyMap<string, Buffer>
  /**
   * Create the tables the plan lists in `tables.create` (true: all of them; a set: those named)
   * before the records are compared and written. Without it they are left out and named.
   */
  createTables?: boolean | ReadonlySet<string>
}

/**
 * A run made ready: both sides looked at, nothing changed yet (the first phase of a run).
 *
 * It holds the status the plan is made from and a stamp of the sync state then: applying it
 * later re-checks every item's hash, and refuses the whole run when the sync state itself moved
 * on (another run synced meanwhile), since the plan's directions would no longer be right.
 */
export interface PreparedRun {
  project: Project
  remote: Remote
  direction: Direction
  scope: SyncScope
  report: StatusReport
  records: RecordLookup
  baselineStamp: string
  staleTemps: string[]
  /** What the checks found in the files the run may write to the environment. */
  checks: FileChecks
}

/** A plan with what it needs the operator to confirm. */
export interface PlannedRun {
  plan: Plan
  /** The mass-delete guard's finding, or null when the plan may go on without a confirmation. */
  guard: string | null
  /** Conflicts whose environment side this plan replaces (labels): a push over the cloud's changes. */
  replacingRemote: string[]
}

/** The stamp of a sync state file: it changes with every save (each save is a new file). */
export function baselineStamp(file: string): string {
  try {
    const st = fs.statSync(file)
    return `${st.ino}:${st.size}:${st.mtimeMs}`
  } catch {
    return 'none'
  }
}

/**
 * First phase: looks at both sides and classifies, changing nothing but the scan cache (no
 * lock is needed).
 * With `writing`, the caller holds the lock and a damaged sync state may be moved aside.
 */
export async function prepareRun(project: Project, remote: Remote, direction: Direction, opts: EngineOptions & { writing?: boolean } = {}): Promise<PreparedRun> {
  // Without the lock, the stamp is taken first (a run meanwhile shows as a change); with it,
  // after the look, which may have set a damaged sync state aside.
  const before = baselineStamp(project.baselineFile(remote.envName))
  const g = await gather(project, remote, { ...opts, ignoreBaseline: direction === 'clone', readOnly: !opts.writing })
  const stamp = opts.writing ? baselineStamp(project.baselineFile(remote.envName)) : before
  await g.local.saveCache()
  await g.localRecords?.close()
  if (direction === 'clone' && (g.report.counts.local > 0 || g.report.recordCounts.local > 0)) {
    throw new SyncDeskError(
      'not-empty',
      `Clone needs an empty project, but ${project.dir} already has ${g.report.counts.local} synced files and ${g.report.recordCounts.local} records.`,
      undefined,
      { files: g.report.counts.local, records: g.report.recordCounts.local },
    )
  }
  const merges = await prepareMerges(project, remote, g.report, opts.signal)
  const records: RecordLookup = { ...g.records, fileMerge: (p) => merges.get(p) ?? null }
  const checks = direction === 'push' || direction === 'sync' ? await checkWrites(project, g.local, writeCandidates(g.report.status, merges), opts.signal) : noChecks(checkSettings(project.config.checks))
  appendAll(g.report.warnings, checks.warnings)
  return { project, remote, direction, scope: opts.scope ?? 'all', report: g.report, records, baselineStamp: stamp, staleTemps: g.localScan?.staleTemps ?? [], checks }
}

/**
 * The files a push or a sync may write to the environment, whatever the operator chooses:
 * local changes, the local side of conflicts, and the clean merges of conflicts.
 */
function writeCandidates(status: SyncStatus, merges: ReadonlyMap<string, Buffer>): CheckCandidate[] {
  const out: CheckCandidate[] = []
  for (const list of [status.local_to_remote, status.conflicts]) {
    for (const e of list) if (e.kind === 'file' && e.localHash !== null) out.push({ path: e.path, hash: e.localHash, size: e.localSize ?? 0 })
  }
  for (const [p, content] of merges) out.push(contentCandidate(p, content))
  return out
}

/** A file to check whose content is not the local file's (a merge, or the operator's edit of one). */
function contentCandidate(itemPath: string, content: Buffer): CheckCandidate {
  return { path: itemPath, hash: sha256(content), size: content.byteLength, content }
}

/** The lookup with the operator's edited merges in place of the offered ones (only where one was offered). */
function withMergeEdits(records: RecordLookup, edits: ReadonlyMap<string, Buffer> | undefined): RecordLookup {
  if (!edits?.size) return records
  const offered = records.fileMerge
  return { ...records, fileMerge: (p) => (offered?.(p) ? (edits.get(p) ?? offered(p)) : null) }
}

/**
 * Checks the merged texts the operator edited, as the first phase checked the offered ones, so
 * that the plan made with them knows their problems (a protected environment refuses them
 * unless allowed). Edits for files with no offered merge are ignored, as the plan ignores them.
 */
export async function checkMergeEdits(prepared: PreparedRun, edits: ReadonlyMap<string, Buffer>): Promise<void> {
  const candidates: CheckCandidate[] = []
  for (const [p, content] of edits) {
    if (prepared.records.fileMerge?.(p)) candidates.push(contentCandidate(p, content))
  }
  if (candidates.length === 0) return
  const found = await checkWrites(prepared.project, new DirStore(prepared.project.dir), candidates)
  for (const [k, v] of found.found) prepared.checks.found.set(k, v)
  for (const [k, v] of found.unchecked) prepared.checks.unchecked.set(k, v)
}

/** Checks the contents about to be written (syntax, secrets), reading the local files as needed. */
function checkWrites(project: Project, local: DirStore, candidates: readonly CheckCandidate[], signal?: AbortSignal): Promise<FileChecks> {
  return runChecks(candidates, { settings: checkSettings(project.config.checks), read: (p) => local.read(p), cacheFile: project.checksCacheFile, signal })
}

/** The file writes of a plan to the environment. */
function writesOf(plan: Plan): FileAction[] {
  return plan.actions.filter((a): a is FileAction => a.kind === 'file' && a.op === 'write-remote' && a.newHash !== null)
}

/** The files a plan writes to the environment, with the content each gets. */
function remoteWrites(plan: Plan): { path: string; hash: string }[] {
  return writesOf(plan).map((a) => ({ path: a.path, hash: a.newHash as string }))
}

/**
 * The items a run holds back: those with problems, when the environment refuses them (it is
 * protected), except the ones the operator named.
 */
export function refusedItems(plan: Plan, refuse: boolean, allowed: ReadonlySet<string> | undefined): string[] {
  if (!refuse) return []
  const written = new Set(writesOf(plan).map((a) => a.path))
  const out = new Set<string>()
  for (const p of plan.checks.problems) if (written.has(p.path) && !allowed?.has(p.path)) out.add(p.path)
  return [...out]
}

/** How a plain sentence names an item's problems: "a YAML syntax error on line 3", "2 problems (…)". */
function problemWords(problems: readonly FileProblem[]): string {
  const one = (p: FileProblem) => {
    const what = p.kind === 'secret' ? 'what looks like a secret' : p.kind === 'check' ? 'content that could not be checked' : p.rule === 'json' ? 'a JSON syntax error' : 'a YAML syntax error'
    return p.line !== null ? `${what} on line ${p.line}` : what
  }
  const first = problems[0]
  if (!first) return 'problems'
  return problems.length === 1 ? one(first) : `${problems.length} problems (first ${one(first)})`
}

/** A plan without the actions of the refused items, and a problem for each of them. */
function holdBack(plan: Plan, refused: readonly string[], envName: string): { plan: Plan; problems: ItemProblem[] } {
  if (refused.length === 0) return { plan, problems: [] }
  const set = new Set(refused)
  const byItem = new Map<string, FileProblem[]>()
  for (const p of plan.checks.problems) if (set.has(p.path)) byItem.set(p.path, [...(byItem.get(p.path) ?? []), p])
  const problems: ItemProblem[] = []
  const kept: Action[] = []
  for (const a of plan.actions) {
    if (!set.has(actionLabel(a))) kept.push(a)
    else if (a.op === 'write-remote') problems.push({ path: actionLabel(a), op: a.op, reason: 'refused', message: `Not written to ${envName}, which is protected: it has ${problemWords(byItem.get(actionLabel(a)) ?? [])}.` })
  }
  return { plan: { ...plan, actions: kept }, problems }
}

/** Most file conflicts whose merge is worked out ahead of a run (each costs a read of both sides). */
const MAX_MERGES = 1000
/** At most this many bytes of conflicting files are read for merges ahead of a run. */
const MAX_MERGE_BYTES = 64 * 1024 * 1024

/**
 * Works out the three-way merge of every text file conflict whose base is kept: the entry says
 * whether it is mergeable (and the merged text, when small), and the clean merges are handed to
 * the plan for a `merge` resolution. A missing base means no merge is offered.
 */
async function prepareMerges(project: Project, remote: Remote, report: StatusReport, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const merges = new Map<string, Buffer>()
  const bases = new BaseStore(project.basesDir, project.config.mergeMaxBytes)
  const candidates: { e: FileStatusEntry; base: Buffer }[] = []
  let budget = MAX_MERGE_BYTES
  for (const e of report.status.conflicts) {
    if (candidates.length >= MAX_MERGES) break
    if (e.kind !== 'file' || !e.baseHash || !e.localHash || !e.remoteHash) continue
    if ((e.localSize ?? 0) > bases.maxBytes || (e.remoteSize ?? 0) > bases.maxBytes) continue
    // Both sides of every candidate are held at once: stop before that gets large.
    budget -= (e.localSize ?? 0) + (e.remoteSize ?? 0)
    if (budget < 0) break
    const base = bases.read(e.baseHash)
    if (base) candidates.push({ e, base })
  }
  if (candidates.length === 0) return merges
  const local = new DirStore(project.dir)
  const remoteContents = await remote.readFiles(candidates.map((c) => c.e.path), { signal })
  for (const { e, base } of candidates) {
    const r = remoteContents.get(e.path)
    const l = await local.read(e.path).catch(() => null)
    if (!(r instanceof Buffer) || !l || sha256(l) !== e.localHash || sha256(r) !== e.remoteHash) continue
    const m = mergeText(base, l, r)
    e.mergeable = !!m && m.clean
    if (m && m.clean) {
      merges.set(e.path, m.merged)
      if (m.merged.byteLength <= 64 * 1024) e.mergedText = m.merged.toString('utf8')
    }
  }
  return merges
}

/**
 * After a run saved its sync state: keeps the base of every text file this run brought in sync
 * (a copy of the local file's content, in one new pack). `bases` holds those the run wrote
 * already (from the content it wrote); the others are read from the local files. Files that were
 * in sync already kept theirs when they got so. Once the packs are many, the bases no sync state
 * refers to go.
 */
function keepBases(project: Project, report: RunReport, bases: BaseStore): void {
  const keep = (p: string, hash: string | null) => {
    if (hash) bases.keepFile(hash, path.join(project.dir, ...p.split('/')))
  }
  for (const a of report.result?.done ?? []) if (a.kind === 'file') keep(a.path, a.newHash)
  // Files found equal on both sides that were not in sync before (a first sync's, mostly).
  for (const u of report.plan.baselineUpdates) if (u.kind === 'file') keep(u.path, u.hash)
  bases.save()
  bases.pruneIfDue(() => {
    const referenced = new Set<string>()
    let names: string[] = []
    try {
      names = fs.readdirSync(path.join(project.stateDir, 'baselines')).filter((n) => n.endsWith('.json'))
    } catch {}
    for (const n of names) for (const h of loadBaseline(path.join(project.stateDir, 'baselines', n), { readOnly: true }).baseline.files.values()) referenced.add(h)
    return referenced
  })
}

/**
 * The plan of a prepared run with the operator's choices, and what it needs confirmed. It changes
 * nothing; it reads the data of the records it moves when first needed (a record changed since
 * the look fails as plan-stale).
 */
export function planRun(prepared: PreparedRun, choices: RunChoices = {}): PlannedRun {
  const plan = makePlan(prepared.report.status, { direction: prepared.direction, ...choices }, withMergeEdits(prepared.records, choices.mergeEdits))
  const { project, remote, report } = prepared
  // A sync whose conflicts are not decided yet (a preview before the review) may send the local
  // side of any of them: their problems are shown too, so that the operator sees them in time.
  const writes = remoteWrites(plan)
  if (prepared.direction === 'sync' && !choices.resolutions) {
    for (const e of report.status.conflicts) if (e.kind === 'file' && e.localHash) writes.push({ path: e.path, hash: e.localHash })
  }
  plan.checks = planChecks(writes, prepared.checks, !!project.config.environments[remote.envName]?.protected)
  plan.tables = planTables(prepared.direction, report.tables)
  if (plan.tables.create.some((t) => t.side === 'remote') && project.config.environments[remote.envName]?.protected) plan.tables.confirmName = remote.envName
  // The guard looks at files and records apart: an empty database must not hide behind many files.
  const guard =
    massDeleteProblem(onlyKind(plan, 'file'), report.counts, project.config.guard, remote.envName) ??
    massDeleteProblem(onlyKind(plan, 'record'), report.recordCounts, project.config.guard, remote.envName)
  const replacingRemote = plan.actions.filter((a) => a.why === 'keep-local' && a.op.endsWith('-remote')).map(actionLabel)
  return { plan, guard, replacingRemote }
}

/** The tables of a look as a direction sees them: a push creates them in the environment, a pull or clone here, a sync both. */
function planTables(direction: Direction, found: TablesFound | undefined): PlanTables {
  const out = noTables()
  if (!found) return out
  const creates = (side: 'local' | 'remote') => direction === 'sync' || (side === 'remote' ? direction === 'push' : direction === 'pull' || direction === 'clone')
  for (const c of found.create) (creates(c.side) ? out.create : out.otherDirection).push(c)
  out.refused = found.refused
  out.mismatches = found.mismatches
  return out
}

/** The tables of a plan the operator said to create. */
export function tablesToCreate(plan: Plan, yes: RunChoices['createTables']): TableToCreate[] {
  if (!yes) return []
  return plan.tables.create.filter((c) => yes === true || yes.has(c.table))
}

/** The options of the second phase. */
export interface ApplyOptions extends EngineOptions {
  /** The operator went past the mass-delete guard (for a guarded plan, required). */
  allowMassDelete?: boolean
  /** The lock, when the caller already holds it; otherwise it is taken here. */
  lock?: Lock
  /** Asked about conflicts that appear while the run goes (an item that moved on); default skip. */
  resolve?: (conflict: StatusEntry) => Resolution | Promise<Resolution>
  /**
   * Plan items that moved on again, from a fresh look (a terminal's run, whose lock was held
   * from the first look). Without it they are reported as stale and left alone: a preview the
   * operator approved is never extended to content they did not see.
   */
  replanStale?: boolean
  /**
   * Hold back the items with problems that `allowProblems` does not name (a protected
   * environment). Default: what the plan said when it was made.
   */
  refuseProblems?: boolean
}

/**
 * Second phase: carries out a planned run, re-checking every item's hash, and saves the sync
 * state. Items that moved on since the preview are planned again once from a fresh look, never
 * overwritten blindly; a run whose sync state moved on is refused as a whole.
 */
export async function applyRun(prepared: PreparedRun, planned: PlannedRun, choices: RunChoices, opts: ApplyOptions = {}): Promise<RunReport> {
  const { project, remote } = prepared
  if (planned.guard && !opts.allowMassDelete) {
    throw new SyncDeskError('guard', `Stopped by the mass-delete guard: ${planned.guard}`, 'Nothing was changed.', { problem: planned.guard })
  }
  const lock = opts.lock ?? acquireLock(project.stateDir, `${prepared.direction} ${remote.envName}`)
  const baselineFile = project.baselineFile(remote.envName)
  let g: Gathered | undefined
  let backup: BackupRun | undefined
  let recorded = () => false
  let outcome: RunReport | undefined
  // The merge bases of what the run writes, kept as it goes; saved only after the sync state.
  const bases = new BaseStore(project.basesDir, project.config.mergeMaxBytes)
  try {
    if (!opts.lock) sweepStateTemps(project.stateDir)
    if (baselineStamp(baselineFile) !== prepared.baselineStamp) {
      throw new SyncDeskError('plan-stale', `Another run synced with ${remote.envName} since this preview was made, so it no longer matches.`, 'Nothing was changed. Look at the changes again.', { env: remote.envName })
    }
    const loaded = prepared.direction === 'clone' ? { baseline: emptyBaseline() } : loadBaseline(baselineFile)
    const local = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
    const creating = tablesToCreate(planned.plan, choices.createTables)
    const hasRecords = creating.length > 0 || planned.plan.actions.some((a) => a.kind === 'record') || planned.plan.baselineUpdates.some((u) => u.kind === 'record')
    const localRecords = hasRecords ? await openLocal(project, opts) : null
    let remoteRecords: RemoteRecords | null = null
    try {
      remoteRecords = hasRecords && remote.openRecords ? await remote.openRecords() : null
    } catch (err) {
      await localRecords?.close()
      throw err
    }
    g = { report: prepared.report, local, localScan: null, baseline: loaded.baseline, localRecords, remoteRecords, records: prepared.records }
    const refuse = opts.refuseProblems ?? planned.plan.checks.refuses
    const refused = refusedItems(planned.plan, refuse, choices.allowProblems)
    const report: RunReport = {
      ...prepared.report,
      direction: prepared.direction,
      dryRun: false,
      plan: { ...planned.plan, checks: { ...planned.plan.checks, refuses: refuse, problems: [...planned.plan.checks.problems] } },
      result: null,
      backupRunId: null,
      backedUp: 0,
      replanned: [],
      errors: [],
      refused,
      createdTables: null,
    }
    // The tables this direction can create are in the plan (and its summary): not warnings too.
    report.warnings = withoutTableOffers(report.warnings, planned.plan, remote.envName)
    appendAll(report.warnings, allowedWithoutProblems(planned.plan, choices.allowProblems))
    outcome = report
    if (prepared.staleTemps.length) {
      const { kept } = await local.sweepTemps(prepared.staleTemps)
      if (kept.length) report.warnings.push(`Left ${kept.length} temp file(s) in the project whose writer may still be running (first: ${kept[0]}); they are removed once it is gone.`)
    }

    backup = new BackupRun(project.backupsDir, remote.envName, prepared.direction)
    // Items with problems a protected environment refuses are not written; the rest go.
    const held = holdBack(planned.plan, refused, remote.envName)
    let plan = held.plan
    // The sync state is saved when something was recorded: an item done, or items found equal.
    const progress: ApplyResult = { done: [], problems: held.problems, cancelled: false }
    recorded = () => progress.done.length > 0 || plan.baselineUpdates.length > 0
    const contextOf = (gathered: Gathered, run: BackupRun): ApplyContext => ({
      local: gathered.local,
      remote,
      baseline: gathered.baseline,
      backup: run,
      localRecords: gathered.localRecords,
      remoteRecords: gathered.remoteRecords,
      tables: project.config.tables,
      signal: opts.signal,
      onProgress: opts.onProgress,
      keepBase: (hash, content) => bases.keepContent(hash, content),
    })
    if (creating.length) {
      // The tables first, then their records with the others, in this same run.
      const made = await createTablesFirst(project, remote, g, creating, prepared.direction, opts.signal)
      report.createdTables = made.tables
      plan = { ...plan, actions: [...plan.actions, ...made.plan.actions], baselineUpdates: [...plan.baselineUpdates, ...made.plan.baselineUpdates] }
      report.plan.actions = [...report.plan.actions, ...made.plan.actions]
      report.plan.conflictsLeft = [...report.plan.conflictsLeft, ...made.plan.conflictsLeft]
      report.plan.notCarried = [...report.plan.notCarried, ...made.plan.notCarried]
      appendAll(progress.problems, made.problems)
      for (const t of made.tables.existed) report.warnings.push(`Table ${t.table} was made ${t.side === 'remote' ? `in ${remote.envName}` : 'here'} by someone else meanwhile; its records were compared as they are.`)
    }
    report.result = await applyPlan(plan, contextOf(g, backup), progress)
    // Items that moved on while the run went (a 412, a changed file) are planned again once,
    // from a fresh look at both sides: never overwritten blindly.
    const stale = new Set(report.result.problems.filter((p) => p.reason === 'stale').map((p) => p.path))
    if (stale.size > 0 && !report.result.cancelled && opts.replanStale) {
      await saveBaseline(baselineFile, remote.envName, g.baseline)
      await g.local.saveCache()
      await closeStores(g)
      g = undefined
      g = await gather(project, remote, { ...opts, scope: prepared.scope, openLocalRecords: () => openLocal(project, opts) })
      const resolutions = new Map(choices.resolutions ?? [])
      if (prepared.direction === 'sync' && opts.resolve) {
        for (const c of g.report.status.conflicts) if (stale.has(itemLabel(c)) && !resolutions.has(itemLabel(c))) resolutions.set(itemLabel(c), await opts.resolve(c))
      }
      const replan = onlyItems(makePlan(g.report.status, { direction: prepared.direction, ...choices, resolutions }, g.records), stale)
      // What goes now was never in the preview: it is checked as the first look's content was.
      const fresh = await checkWrites(project, g.local, writesOf(replan).map((a) => ({ path: a.path, hash: a.newHash as string, size: a.size, content: a.content })), opts.signal)
      replan.checks = planChecks(remoteWrites(replan), fresh, refuse)
      appendAll(report.plan.checks.problems, replan.checks.problems)
      const refusedAgain = refusedItems(replan, refuse, choices.allowProblems).filter((p) => !refused.includes(p))
      appendAll(report.refused, refusedAgain)
      const heldAgain = holdBack(replan, refusedAgain, remote.envName)
      const again = await applyPlan(heldAgain.plan, contextOf(g, backup), { done: [], problems: heldAgain.problems, cancelled: false })
      const r = report.result
      r.problems = [...r.problems.filter((p) => !(p.reason === 'stale' && stale.has(p.path))), ...again.problems]
      appendAll(r.done, again.done)
      r.cancelled ||= again.cancelled
      appendAll(report.plan.conflictsLeft, replan.conflictsLeft)
      report.replanned = [...stale].sort()
      recorded = () => true
    }
    if (backup.changeCount > 0) report.backupRunId = backup.runId
    report.backedUp = backup.replacedCount
    return report
  } finally {
    // Whatever was done is recorded, even when the run stopped half-way. A failure here does
    // not hide what the run did: it is added to the report (or, when the run itself failed,
    // that first error is the one reported).
    const finishing: string[] = []
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn()
      } catch (err) {
        finishing.push(`${what}: ${err instanceof SyncDeskError ? err.message : describeError(err)}`)
      }
    }
    if (g && recorded()) {
      const saved = finishing.length
      await attempt(`Could not save the sync state ${baselineFile}`, () => saveBaseline(baselineFile, remote.envName, g!.baseline))
      // The bases follow the sync state, never before it: a crash leaves at worst a base too many.
      if (finishing.length === saved && outcome) await attempt('Could not keep the merge bases', async () => keepBases(project, outcome!, bases))
    }
    // Bases the run kept but could not save behind its sync state go (save leaves none).
    bases.discard()
    if (backup) {
      const saved = finishing.length
      await attempt('Could not save the list of local backups', () => backup!.finish())
      // Without its list the backup cannot be restored by name: do not offer it.
      if (finishing.length > saved && outcome) outcome.backupRunId = null
      // A new backup: the old ones past the retention go (the lock is still held). A failure
      // here is said, but does not fail a run whose changes are all recorded.
      if (backup.changeCount > 0) {
        try {
          pruneProjectBackups(project, [backup.runId])
        } catch (err) {
          outcome?.warnings.push(`Could not remove the old local backups: ${describeError(err)}`)
        }
      }
    }
    await attempt('Could not save the scan cache', async () => g?.local.saveCache())
    await attempt('Could not close the local database', async () => (g ? closeStores(g) : undefined))
    if (!opts.lock) lock.release()
    if (finishing.length && outcome) appendAll(outcome.errors, finishing)
  }
}

/** A run in one go, for a terminal or a script: prepare, plan with the choices, confirm, apply. */
export interface RunRequest extends EngineOptions, RunChoices {
  direction: Direction
  dryRun?: boolean
  /** sync: decides each conflict not in `resolutions`; without it, such conflicts are skipped. */
  resolve?: (conflict: StatusEntry) => Resolution | Promise<Resolution>
  /** Lets a run go on past the mass-delete guard. */
  allowMassDelete?: boolean
  /** Asked when the guard trips and allowMassDelete is not set; true goes on. */
  confirmMassDelete?: (problem: string) => Promise<boolean>
  /** Asked before conflicts are overwritten in the environment (overwriteRemote); true goes on. */
  confirmOverwriteRemote?: (items: string[]) => Promise<boolean>
}

/** What a run did: its status, its plan, and what applying it did (null for a dry run). */
export interface RunReport extends StatusReport {
  direction: Direction
  dryRun: boolean
  plan: Plan
  result: ApplyResult | null
  /** The backup run that can undo this run's local changes, when it made any. */
  backupRunId: string | null
  /** How many local files and rows the run replaced or deleted (their old content is in the backup). */
  backedUp: number
  /** Items that changed while the run went and were planned again from a fresh look. */
  replanned: string[]
  /** Problems after the transfers (saving the sync state, the backup list): the run failed. */
  errors: string[]
  /** Items held back because of the problems the checks found (a protected environment); a dry run: those it would hold back. */
  refused: string[]
  /** The tables this run created first (null: it created none, or it is a dry run; the plan's `tables.create` says what it would). */
  createdTables: CreatedTables | null
}

/**
 * Runs a direction in one go: the two phases back to back, with the lock held from the first
 * look to the last write (a terminal's run never meets a preview that went stale), and the
 * operator's decisions asked through the request's callbacks.
 */
export async function runDirection(project: Project, remote: Remote, req: RunRequest): Promise<RunReport> {
  const lock = req.dryRun ? null : acquireLock(project.stateDir, `${req.direction} ${remote.envName}`)
  try {
    if (lock) sweepStateTemps(project.stateDir)
    const prepared = await prepareRun(project, remote, req.direction, { ...req, writing: !!lock })
    const resolutions = new Map(req.resolutions ?? [])
    if (req.direction === 'sync' && req.resolve) {
      for (const c of prepared.report.status.conflicts) if (!resolutions.has(itemLabel(c))) resolutions.set(itemLabel(c), await req.resolve(c))
    }
    const choices: RunChoices = { overwriteLocal: req.overwriteLocal, overwriteRemote: req.overwriteRemote, overwriteItems: req.overwriteItems, resolutions, allowProblems: req.allowProblems, createTables: req.createTables }
    const planned = planRun(prepared, choices)
    if (planned.guard && !req.allowMassDelete && !(req.confirmMassDelete && (await req.confirmMassDelete(planned.guard)))) {
      throw new SyncDeskError('guard', `Stopped by the mass-delete guard: ${planned.guard}`, 'Nothing was changed.', { problem: planned.guard })
    }
    if (planned.replacingRemote.length && req.overwriteRemote && req.confirmOverwriteRemote && !req.dryRun) {
      if (!(await req.confirmOverwriteRemote(planned.replacingRemote))) {
        throw new SyncDeskError('guard', `Nothing was pushed: replacing the changes made in ${remote.envName} was not confirmed.`, undefined, { env: remote.envName })
      }
    }
    if (req.dryRun) return dryRunReport(prepared, planned, req.allowProblems)
    return await applyRun(prepared, planned, choices, { ...req, allowMassDelete: true, lock: lock ?? undefined, replanStale: true })
  } finally {
    lock?.release()
  }
}

/**
 * Creates the tables of a run (each on its side) and plans their records: nothing of a table one
 * side lacked was in sync, so its records are compared as on a first sync (the side that had it
 * sends them all; rows someone put in a table made meanwhile are compared as they are).
 */
async function createTablesFirst(project: Project, remote: Remote, g: Gathered, creating: readonly TableToCreate[], direction: Direction, signal?: AbortSignal): Promise<{ tables: CreatedTables; plan: Plan; problems: ItemProblem[] }> {
  const local = g.localRecords
  if (!local) throw new SyncDeskError('internal', 'The local database is not open to create tables.')
  const tables = await createMissingTables(local, remote, { create: [...creating] }, { signal })
  const problems: ItemProblem[] = tables.failed.map((f) => ({
    path: f.table,
    op: f.side === 'remote' ? 'write-remote' : 'write-local',
    reason: 'failed',
    message: `Table ${f.table} could not be created ${f.side === 'remote' ? `in ${remote.envName}` : 'here'}, so its records were not carried: ${f.message}`,
  }))
  // A folder environment gets its database with its first table.
  if (!g.remoteRecords && remote.openRecords) g.remoteRecords = await remote.openRecords()
  const parts: CategoryMap<RecordStatusEntry>[] = []
  const localRows = new Map<string, Map<string, RecordEntry>>()
  const remoteRows = new Map<string, Map<string, RecordEntry>>()
  const there = g.remoteRecords
  for (const t of [...tables.created, ...tables.existed]) {
    const spec = project.config.tables.find((s) => s.name === t.table)
    if (!spec || !there) continue
    const [l, r] = await Promise.all([local.list(spec), there.list(spec, { signal })])
    localRows.set(spec.name, l)
    remoteRows.set(spec.name, r)
    g.baseline.records.delete(spec.name)
    parts.push(classifyRecords(spec.name, l, r, new Map()))
  }
  const plan = makePlan(mergeStatus(parts), { direction }, { local: (t, k) => localRows.get(t)?.get(k)?.data ?? null, remote: (t, k) => remoteRows.get(t)?.get(k)?.data ?? null })
  return { tables, plan, problems }
}

/** Removes the project's local backups past its retention (config `backups`, else the defaults), never those named. */
export function pruneProjectBackups(project: Project, keep: readonly string[] = []): BackupPruneResult {
  return pruneBackups(project.backupsDir, { ...DEFAULT_BACKUP_RETENTION, ...project.config.backups, keep })
}

function actionLabel(x: { kind: 'file'; path: string } | { kind: 'record'; table: string; key: string }): string {
  return x.kind === 'file' ? x.path : `${x.table}/${x.key}`
}

/** A plan cut down to some items (by label). */
function onlyItems(plan: Plan, labels: ReadonlySet<string>): Plan {
  return {
    ...plan,
    actions: plan.actions.filter((a) => labels.has(actionLabel(a))),
    baselineUpdates: plan.baselineUpdates.filter((u) => labels.has(actionLabel(u))),
    conflictsLeft: plan.conflictsLeft.filter((e) => labels.has(itemLabel(e))),
    notCarried: [],
  }
}

function onlyKind(plan: Plan, kind: 'file' | 'record'): Plan {
  return { ...plan, actions: plan.actions.filter((a) => a.kind === kind) }
}

async function openLocal(project: Project, opts: EngineOptions): Promise<RecordStore | null> {
  return opts.openLocalRecords ? opts.openLocalRecords() : openProjectDatabase(project)
}

async function closeStores(g: Gathered): Promise<void> {
  await g.localRecords?.close()
  g.localRecords = null
}

/** A plan as the report of a dry run: exactly what applying it would do, and what it would hold back. */
export function dryRunReport(prepared: PreparedRun, planned: PlannedRun, allowProblems?: ReadonlySet<string>): RunReport {
  const plan = planned.plan
  return { ...prepared.report, direction: prepared.direction, dryRun: true, plan, result: null, backupRunId: null, backedUp: 0, replanned: [], errors: [], createdTables: null, refused: refusedItems(plan, plan.checks.refuses, allowProblems), warnings: [...withoutTableOffers(prepared.report.warnings, plan, prepared.remote.envName), ...allowedWithoutProblems(plan, allowProblems)] }
}

/** A warning for each item named to be written in spite of its problems that has none in this plan. */
function allowedWithoutProblems(plan: Plan, allowed: ReadonlySet<string> | undefined): string[] {
  if (!allowed?.size) return []
  const withProblems = new Set(plan.checks.problems.map((p) => p.path))
  return [...allowed].filter((a) => !withProblems.has(a)).map((a) => `${a} was named to go in spite of its problems, but the checks found none in it in this run.`)
}
