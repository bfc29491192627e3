/**
 * The sync engine's entry points: status, and running a direction (pull, push, sync, clone).
 *
 * Data flows one way: scan local ∥ list remote → classify against the baseline → plan →
 * (guard) → apply → save the baseline. Faces (CLI, desktop, web, MCP) call only these.
 */
import type { Direction, Resolution, SkippedItem, StatusEntry, SyncProgress, SyncStatus } from '../../src-shared/sync-types.js'
import type { Remote } from '../remotes/remote.js'
import { applyPlan, type ApplyResult } from './apply.js'
import { BackupRun } from './backups.js'
import { emptyBaseline, loadBaseline, saveBaseline, type Baseline } from './baseline.js'
import { classify } from './classify.js'
import { DirStore, type Manifest, type ScanResult } from './dir-store.js'
import { SyncDeskError } from './errors.js'
import { pathPassesFilter } from './filter.js'
import { acquireLock } from './lock.js'
import { caseCollisions } from './paths.js'
import { makePlan, massDeleteProblem, type Plan } from './plan.js'
import type { Project } from './project.js'

export interface StatusReport {
  env: string
  remote: string
  status: SyncStatus
  skipped: SkippedItem[]
  warnings: string[]
  /** False on a first sync or after a lost baseline. */
  baselineExisted: boolean
  counts: { local: number; remote: number; baseline: number }
}

interface Gathered {
  report: StatusReport
  local: DirStore
  localScan: ScanResult
  baseline: Baseline
}

export interface EngineOptions {
  signal?: AbortSignal
  onProgress?: (p: SyncProgress) => void
}

async function gather(project: Project, remote: Remote, opts: EngineOptions & { ignoreBaseline?: boolean }): Promise<Gathered> {
  opts.onProgress?.({ phase: 'scanning', itemsDone: 0, itemsTotal: 0, bytesDone: 0, bytesTotal: 0 })
  const filter = project.filter()
  const local = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
  const [localScan, remoteScan] = await Promise.all([local.scan(filter, opts.signal), remote.scan(filter, { signal: opts.signal })])
  const remoteFiles: Manifest = new Map()
  for (const [p, e] of remoteScan.files) if (pathPassesFilter(filter, p)) remoteFiles.set(p, e)

  const warnings: string[] = []
  let baseline: Baseline
  if (opts.ignoreBaseline) baseline = emptyBaseline()
  else {
    const loaded = loadBaseline(project.baselineFile(remote.envName))
    baseline = loaded.baseline
    if (loaded.warning) warnings.push(loaded.warning)
  }
  const skipped: SkippedItem[] = [
    ...localScan.skipped.map((s) => ({ side: 'local' as const, ...s })),
    ...remoteScan.skipped.map((s) => ({ side: 'remote' as const, ...s })),
  ]
  const excluded = new Set(skipped.map((s) => s.path))
  for (const group of caseCollisions(new Set([...localScan.files.keys(), ...remoteFiles.keys()]))) {
    warnings.push(`These paths differ only by letter case and will clash on macOS and Windows: ${group.join(', ')}`)
  }
  const status = classify(localScan.files, remoteFiles, baseline.files, excluded)
  return {
    report: {
      env: remote.envName,
      remote: remote.describe(),
      status,
      skipped,
      warnings,
      baselineExisted: baseline.existed,
      counts: { local: localScan.files.size, remote: remoteFiles.size, baseline: baseline.files.size },
    },
    local,
    localScan,
    baseline,
  }
}

/** What changed where, in the four categories. Changes nothing but caches. */
export async function getStatus(project: Project, remote: Remote, opts: EngineOptions = {}): Promise<StatusReport> {
  const g = await gather(project, remote, opts)
  await g.local.saveCache()
  return g.report
}

export interface RunRequest extends EngineOptions {
  direction: Direction
  dryRun?: boolean
  /** pull/clone: replace local changes in conflicts with the cloud's (backed up first). */
  overwriteLocal?: boolean
  /** push: replace the cloud's changes in conflicts with the local ones. */
  overwriteRemote?: boolean
  /** sync: decides each conflict; without it, conflicts are skipped. */
  resolve?: (conflict: StatusEntry) => Resolution | Promise<Resolution>
  /** Lets a run go on past the mass-delete guard. */
  allowMassDelete?: boolean
  /** Asked when the guard trips and allowMassDelete is not set; true goes on. */
  confirmMassDelete?: (problem: string) => Promise<boolean>
}

export interface RunReport extends StatusReport {
  direction: Direction
  dryRun: boolean
  plan: Plan
  result: ApplyResult | null
  /** Where local backups of this run are, when it replaced or deleted local files. */
  backupRunId: string | null
}

/** Runs a direction: plans it, checks the guard, and (unless a dry run) applies it. */
export async function runDirection(project: Project, remote: Remote, req: RunRequest): Promise<RunReport> {
  const lock = req.dryRun ? null : acquireLock(project.stateDir, `${req.direction} ${remote.envName}`)
  let g: Gathered | undefined
  let backup: BackupRun | undefined
  let changed = false
  try {
    g = await gather(project, remote, { ...req, ignoreBaseline: req.direction === 'clone' })
    if (req.direction === 'clone' && g.localScan.files.size > 0) {
      throw new SyncDeskError(
        'not-empty',
        `Clone needs an empty project directory, but ${project.dir} already has ${g.localScan.files.size} synced files.`,
        'Use "syncdesk pull" to bring an existing project up to date, or clone into a new directory.',
      )
    }
    if (lock && g.localScan.staleTemps.length) await g.local.sweepTemps(g.localScan.staleTemps)

    const resolutions = new Map<string, Resolution>()
    if (req.direction === 'sync' && req.resolve) {
      for (const c of g.report.status.conflicts) resolutions.set(c.path, await req.resolve(c))
    }
    const plan = makePlan(g.report.status, {
      direction: req.direction,
      overwriteLocal: req.overwriteLocal,
      overwriteRemote: req.overwriteRemote,
      resolutions,
    })
    const problem = massDeleteProblem(plan, g.report.counts, project.config.guard, remote.envName)
    if (problem && !req.allowMassDelete && !(req.confirmMassDelete && (await req.confirmMassDelete(problem)))) {
      throw new SyncDeskError('guard', `Stopped by the mass-delete guard: ${problem}`, 'Nothing was changed. If this is what you want, run again with --allow-mass-delete.')
    }
    const report: RunReport = { ...g.report, direction: req.direction, dryRun: !!req.dryRun, plan, result: null, backupRunId: null }
    if (req.dryRun) return report

    backup = new BackupRun(project.backupsDir, remote.envName, req.direction)
    changed = plan.actions.length > 0 || plan.baselineUpdates.length > 0
    report.result = await applyPlan(plan, {
      local: g.local,
      remote,
      baseline: g.baseline,
      backup,
      signal: req.signal,
      onProgress: req.onProgress,
    })
    if (backup.changeCount > 0) report.backupRunId = backup.runId
    return report
  } finally {
    try {
      // Whatever was done is recorded, even when the run stopped half-way.
      if (g && changed) await saveBaseline(project.baselineFile(remote.envName), remote.envName, g.baseline)
      await backup?.finish()
      await g?.local.saveCache()
    } finally {
      lock?.release()
    }
  }
}
