/**
 * The sync engine's entry points: status, and running a direction (pull, push, sync, clone).
 *
 * Data flows one way: scan local ∥ list remote → classify against the baseline → plan →
 * (guard) → apply → save the baseline. Faces (CLI, desktop, web, MCP) call only these.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { CategoryMap, Direction, RecordStatusEntry, Resolution, SkippedItem, StatusEntry, SyncProgress, SyncScope, SyncStatus } from '../../src-shared/sync-types.js'
import { itemLabel } from '../../src-shared/sync-types.js'
import type { Remote, RemoteRecords } from '../remotes/remote.js'
import { applyPlan, type ApplyContext, type ApplyResult } from './apply.js'
import { BackupRun } from './backups.js'
import { emptyBaseline, loadBaseline, saveBaseline, type Baseline } from './baseline.js'
import { classify, classifyRecords, emptyStatus } from './classify.js'
import { DirStore, type Manifest, type ScanResult } from './dir-store.js'
import { SyncDeskError, describeError } from './errors.js'
import { pathPassesFilter } from './filter.js'
import { acquireLock, sweepStateTemps } from './lock.js'
import { caseCollisions, pathProblem } from './paths.js'
import { makePlan, massDeleteProblem, mergeStatus, type Plan, type RecordLookup } from './plan.js'
import { openRecordStore, type RecordEntry, type RecordStore } from './records/record-store.js'

/** The plan for a run's direction, asking `req.resolve` about each conflict of a sync. */
async function planFor(g: Gathered, req: RunRequest, only?: ReadonlySet<string>): Promise<Plan> {
  const resolutions = new Map<string, Resolution>()
  if (req.direction === 'sync' && req.resolve) {
    for (const c of g.report.status.conflicts) {
      if (!only || only.has(itemLabel(c))) resolutions.set(itemLabel(c), await req.resolve(c))
    }
  }
  return makePlan(
    g.report.status,
    { direction: req.direction, overwriteLocal: req.overwriteLocal, overwriteRemote: req.overwriteRemote, overwriteItems: req.overwriteItems, resolutions },
    g.records,
  )
}

/** A plan cut down to some items (by label). */
function onlyItems(plan: Plan, labels: ReadonlySet<string>): Plan {
  const label = (x: { kind: 'file'; path: string } | { kind: 'record'; table: string; key: string }) => (x.kind === 'file' ? x.path : `${x.table}/${x.key}`)
  return {
    ...plan,
    actions: plan.actions.filter((a) => labels.has(label(a))),
    baselineUpdates: plan.baselineUpdates.filter((u) => labels.has(label(u))),
    conflictsLeft: plan.conflictsLeft.filter((e) => labels.has(itemLabel(e))),
    notCarried: [],
  }
}

function onlyKind(plan: Plan, kind: 'file' | 'record'): Plan {
  return { ...plan, actions: plan.actions.filter((a) => a.kind === kind) }
}
import type { Project } from './project.js'
import { appendAll } from './arrays.js'

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

export interface EngineOptions {
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
    if (!fs.existsSync(file)) throw new SyncDeskError('not-found', `The project's database ${file} is not there.`, 'Check the path with "syncdesk db add --sqlite PATH".')
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
  let baseline: Baseline
  if (opts.ignoreBaseline) baseline = emptyBaseline()
  else {
    const loaded = loadBaseline(project.baselineFile(remote.envName), { readOnly: opts.readOnly })
    baseline = loaded.baseline
    if (loaded.warning) warnings.push(loaded.warning)
  }

  const local = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
  const [files, recs] = await Promise.all([
    scope === 'records' ? null : gatherFiles(project, remote, local, baseline, opts, warnings),
    scope === 'files' ? null : gatherRecords(project, remote, baseline, opts, warnings, scope === 'records'),
  ])
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
    },
    local,
    localScan: files?.localScan ?? null,
    baseline,
    localRecords: recs?.localRecords ?? null,
    remoteRecords: recs?.remoteRecords ?? null,
    records: recs?.lookup ?? { local: () => null, remote: () => null },
  }
}

async function gatherFiles(project: Project, remote: Remote, local: DirStore, baseline: Baseline, opts: EngineOptions, warnings: string[]) {
  const filter = project.filter()
  // The remote's scan starts first: a worker thread or an HTTP request works while this thread walks.
  const remoteScanning = remote.scan(filter, { signal: opts.signal })
  const [remoteScan, localScan] = await Promise.all([remoteScanning, local.scan(filter, opts.signal)])
  // A remote is not trusted to list only valid paths: a bad one is reported, never planned.
  // The manifest is filtered in place (no copy: a large tree would hold two).
  const remoteFiles: Manifest = remoteScan.files
  const refused: SkippedItem[] = []
  for (const p of remoteFiles.keys()) {
    const problem = pathProblem(p)
    if (problem) refused.push({ side: 'remote', path: p, reason: `refused: ${problem}` })
    if (problem || !pathPassesFilter(filter, p)) remoteFiles.delete(p)
  }
  // Nor is the sync state: an entry whose path would be refused is dropped (the next writing
  // run saves the state without it), never shown as an item.
  const dropped: string[] = []
  for (const p of baseline.files.keys()) {
    if (pathProblem(p)) {
      dropped.push(p)
      baseline.files.delete(p)
    }
  }
  if (dropped.length) {
    warnings.push(`Dropped ${dropped.length} entr${dropped.length === 1 ? 'y' : 'ies'} with a refused path from the sync state with ${remote.envName} (first: ${JSON.stringify(dropped[0])}).`)
  }
  const skipped: SkippedItem[] = [
    ...localScan.skipped.map((s) => ({ side: 'local' as const, ...s })),
    ...remoteScan.skipped.map((s) => ({ side: 'remote' as const, ...s })),
    ...refused,
  ]
  const excluded = new Set(skipped.map((s) => s.path))
  for (const group of caseCollisions(new Set([...localScan.files.keys(), ...remoteFiles.keys()]))) {
    warnings.push(`These paths differ only by letter case and will clash on macOS and Windows: ${group.join(', ')}`)
  }
  return {
    status: classify(localScan.files, remoteFiles, baseline.files, excluded),
    skipped,
    localScan,
    counts: { local: localScan.files.size, remote: remoteFiles.size, baseline: baseline.files.size },
  }
}

async function gatherRecords(project: Project, remote: Remote, baseline: Baseline, opts: EngineOptions, warnings: string[], required: boolean) {
  if (!project.config.database) {
    if (required) throw new SyncDeskError('usage', 'This project has no database to sync records from.', 'Add one with "syncdesk db add --sqlite PATH" or "--postgres URL".')
    return null
  }
  const localRecords = opts.openLocalRecords ? await opts.openLocalRecords() : await openProjectDatabase(project)
  const remoteRecords = remote.openRecords ? await remote.openRecords() : null
  if (!localRecords) return null
  if (!remoteRecords) {
    await localRecords.close()
    const message = `${remote.envName} has no database, so records were not compared.`
    if (required) throw new SyncDeskError('remote-error', message)
    warnings.push(message)
    return null
  }
  const parts: CategoryMap<RecordStatusEntry>[] = []
  const localRows = new Map<string, Map<string, RecordEntry>>()
  const remoteRows = new Map<string, Map<string, RecordEntry>>()
  const counts = { local: 0, remote: 0, baseline: 0 }
  try {
    for (const table of project.config.tables) {
      const [l, r] = await Promise.all([localRecords.list(table), remoteRecords.list(table, { signal: opts.signal })])
      const base = baseline.records.get(table.name) ?? new Map()
      localRows.set(table.name, l)
      remoteRows.set(table.name, r)
      counts.local += l.size
      counts.remote += r.size
      counts.baseline += base.size
      parts.push(classifyRecords(table.name, l, r, base))
    }
  } catch (err) {
    await localRecords.close()
    throw err
  }
  const lookup: RecordLookup = {
    local: (t, k) => localRows.get(t)?.get(k)?.data ?? null,
    remote: (t, k) => remoteRows.get(t)?.get(k)?.data ?? null,
  }
  return { status: mergeStatus(parts), localRecords, remoteRecords, lookup, counts }
}

/** What changed where, in the four categories. Changes nothing but caches. */
export async function getStatus(project: Project, remote: Remote, opts: EngineOptions = {}): Promise<StatusReport> {
  const g = await gather(project, remote, { ...opts, readOnly: true })
  await g.local.saveCache()
  await g.localRecords?.close()
  return g.report
}

export interface RunRequest extends EngineOptions {
  direction: Direction
  dryRun?: boolean
  /** pull/clone: replace local changes in conflicts with the cloud's (backed up first). */
  overwriteLocal?: boolean
  /** push: replace the cloud's changes in conflicts with the local ones. */
  overwriteRemote?: boolean
  /** pull/push: overwrite only these conflicts (paths, or table/key), in the run's direction. */
  overwriteItems?: ReadonlySet<string>
  /** sync: decides each conflict; without it, conflicts are skipped. */
  resolve?: (conflict: StatusEntry) => Resolution | Promise<Resolution>
  /** Lets a run go on past the mass-delete guard. */
  allowMassDelete?: boolean
  /** Asked when the guard trips and allowMassDelete is not set; true goes on. */
  confirmMassDelete?: (problem: string) => Promise<boolean>
  /** Asked before conflicts are overwritten in the environment (--overwrite-remote); true goes on. */
  confirmOverwriteRemote?: (items: string[]) => Promise<boolean>
}

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
}

/** Runs a direction: plans it, checks the guard, and (unless a dry run) applies it. */
export async function runDirection(project: Project, remote: Remote, req: RunRequest): Promise<RunReport> {
  const lock = req.dryRun ? null : acquireLock(project.stateDir, `${req.direction} ${remote.envName}`)
  if (lock) sweepStateTemps(project.stateDir)
  let g: Gathered | undefined
  let backup: BackupRun | undefined
  let recorded = () => false
  let outcome: RunReport | undefined
  try {
    g = await gather(project, remote, { ...req, ignoreBaseline: req.direction === 'clone', readOnly: req.dryRun })
    if (req.direction === 'clone' && (g.report.counts.local > 0 || g.report.recordCounts.local > 0)) {
      throw new SyncDeskError(
        'not-empty',
        `Clone needs an empty project, but ${project.dir} already has ${g.report.counts.local} synced files and ${g.report.recordCounts.local} records.`,
        'Use "syncdesk pull" to bring an existing project up to date, or clone into a new directory.',
      )
    }
    if (lock && g.localScan?.staleTemps.length) {
      const { kept } = await g.local.sweepTemps(g.localScan.staleTemps)
      if (kept.length) g.report.warnings.push(`Left ${kept.length} temp file(s) in the project whose writer may still be running (first: ${kept[0]}); they are removed once it is gone.`)
    }

    const plan = await planFor(g, req)
    // The guard looks at files and records apart: an empty database must not hide behind many files.
    const problem =
      massDeleteProblem(onlyKind(plan, 'file'), g.report.counts, project.config.guard, remote.envName) ??
      massDeleteProblem(onlyKind(plan, 'record'), g.report.recordCounts, project.config.guard, remote.envName)
    if (problem && !req.allowMassDelete && !(req.confirmMassDelete && (await req.confirmMassDelete(problem)))) {
      throw new SyncDeskError('guard', `Stopped by the mass-delete guard: ${problem}`, 'Nothing was changed. If this is what you want, run again with --allow-mass-delete.')
    }
    const replacing = plan.actions.filter((a) => a.why === 'keep-local' && a.op.endsWith('-remote'))
    if (replacing.length && req.overwriteRemote && req.confirmOverwriteRemote && !req.dryRun) {
      const labels = replacing.map((a) => (a.kind === 'file' ? a.path : `${a.table}/${a.key}`))
      if (!(await req.confirmOverwriteRemote(labels))) {
        throw new SyncDeskError('guard', `Nothing was pushed: replacing the changes made in ${remote.envName} was not confirmed.`)
      }
    }
    const report: RunReport = { ...g.report, direction: req.direction, dryRun: !!req.dryRun, plan, result: null, backupRunId: null, backedUp: 0, replanned: [], errors: [] }
    outcome = report
    if (req.dryRun) return report

    backup = new BackupRun(project.backupsDir, remote.envName, req.direction)
    // The baseline is saved when something was recorded: an item done, or items found equal.
    const progress: ApplyResult = { done: [], problems: [], cancelled: false }
    recorded = () => progress.done.length > 0 || plan.baselineUpdates.length > 0
    const contextOf = (gathered: Gathered, run: BackupRun): ApplyContext => ({
      local: gathered.local,
      remote,
      baseline: gathered.baseline,
      backup: run,
      localRecords: gathered.localRecords,
      remoteRecords: gathered.remoteRecords,
      tables: project.config.tables,
      signal: req.signal,
      onProgress: req.onProgress,
    })
    report.result = await applyPlan(plan, contextOf(g, backup), progress)
    // Items that moved on while the run went (a 412, a changed file) are planned again once,
    // from a fresh look at both sides: never overwritten blindly.
    const stale = new Set(report.result.problems.filter((p) => p.reason === 'stale').map((p) => p.path))
    if (stale.size > 0 && !report.result.cancelled) {
      await saveBaseline(project.baselineFile(remote.envName), remote.envName, g.baseline)
      await g.local.saveCache()
      await g.localRecords?.close()
      g = undefined
      g = await gather(project, remote, req)
      const replan = onlyItems(await planFor(g, req, stale), stale)
      const again = await applyPlan(replan, contextOf(g, backup))
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
      const file = project.baselineFile(remote.envName)
      await attempt(`Could not save the sync state ${file}`, () => saveBaseline(file, remote.envName, g!.baseline))
    }
    if (backup) {
      const saved = finishing.length
      await attempt('Could not save the list of local backups', () => backup!.finish())
      // Without its list the backup cannot be restored by name: do not offer it.
      if (finishing.length > saved && outcome) outcome.backupRunId = null
    }
    await attempt('Could not save the scan cache', async () => g?.local.saveCache())
    await attempt('Could not close the local database', async () => g?.localRecords?.close())
    lock?.release()
    if (finishing.length && outcome) appendAll(outcome.errors, finishing)
  }
}
