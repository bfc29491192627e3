/**
 * The engine's reports turned into what a face shows: counts, rows in words, plan previews and
 * run summaries (src-shared/views.ts).
 *
 * The words are the operator's: an environment is named ("Staging changed it"), never "remote"
 * or "right". Every face renders these as they are; none computes sync state of its own.
 */
import { CATEGORIES, itemLabel, type Category, type SideChange, type StatusEntry, type SyncScope } from '../../src-shared/sync-types.js'
import type { DeploymentView, PlanChecks, PlanItem, PlanPreview, PlanTablesView, ProblemItem, RunSummary, StatusCounts, StatusRow } from '../../src-shared/views.js'
import type { Action, Plan } from '../engine/plan.js'
import type { DeploymentInfo } from '../engine/remote.js'
import type { RunReport, StatusReport } from '../engine/sync-engine.js'

/** An environment's name as a person reads it: `staging` → `Staging`. */
export function envTitle(env: string): string {
  return env.charAt(0).toUpperCase() + env.slice(1)
}

/** Counts by category and by kind. */
export function statusCounts(report: StatusReport): StatusCounts {
  const counts: StatusCounts = { remote_to_local: 0, local_to_remote: 0, conflicts: 0, in_sync: 0, files: 0, records: 0 }
  for (const c of CATEGORIES) {
    const entries = report.status[c]
    counts[c] = entries.length
    if (c === 'in_sync') continue
    for (const e of entries) counts[e.kind === 'file' ? 'files' : 'records']++
  }
  return counts
}

const YOU: Record<SideChange, string> = { added: 'You added it', modified: 'You changed it', deleted: 'You deleted it', unchanged: 'You did not change it' }
const VERB: Record<SideChange, string> = { added: 'added it', modified: 'changed it', deleted: 'deleted it', unchanged: 'did not change it' }

/** What happened to an item on each side, in words, naming the environment. */
export function describeChange(category: Category, local: SideChange, remote: SideChange, env: string): string {
  const where = envTitle(env)
  if (category === 'in_sync') return 'The same on your computer and in ' + where
  if (category === 'local_to_remote') return `${YOU[local]}; ${where} did not`
  if (category === 'remote_to_local') return `${where} ${VERB[remote]}; you did not`
  return `${YOU[local]}; ${where} ${VERB[remote]} too`
}

/** One status entry as a row of the pending list. */
export function statusRow(e: StatusEntry, category: Category, env: string): StatusRow {
  const row: StatusRow = {
    category,
    kind: e.kind,
    label: itemLabel(e),
    local: e.local,
    remote: e.remote,
    description: describeChange(category, e.local, e.remote, env),
    localMtimeMs: e.kind === 'file' ? e.localMtimeMs : null,
    remoteMtimeMs: e.kind === 'file' ? e.remoteMtimeMs : null,
  }
  if (e.kind === 'file') {
    row.path = e.path
    if (e.mergeable !== undefined) row.mergeable = e.mergeable
  } else {
    row.table = e.table
    row.key = e.key
    row.fields = e.fields
    if (e.mergeable !== undefined) row.mergeable = e.mergeable
  }
  return row
}

/** The filter of a page request. */
export interface RowFilter {
  category?: Category
  kind?: 'file' | 'record'
  search?: string
}

/**
 * The rows of a status matching a filter, pending categories first (in-sync items only when
 * asked for by category). Rows are made only for the page returned.
 */
export function statusPage(report: StatusReport, filter: RowFilter, offset: number, limit: number): { total: number; offset: number; rows: StatusRow[] } {
  const needle = filter.search?.trim().toLowerCase() ?? ''
  const categories: readonly Category[] = filter.category ? [filter.category] : ['conflicts', 'remote_to_local', 'local_to_remote']
  const rows: StatusRow[] = []
  let total = 0
  for (const c of categories) {
    for (const e of report.status[c]) {
      if (filter.kind && e.kind !== filter.kind) continue
      if (needle && !itemLabel(e).toLowerCase().includes(needle)) continue
      if (total >= offset && rows.length < limit) rows.push(statusRow(e, c, report.env))
      total++
    }
  }
  return { total, offset, rows }
}

function planOp(a: Action): PlanItem['op'] {
  if (a.op === 'write-remote') return 'upload'
  if (a.op === 'write-local') return 'download'
  return a.op
}

/** A plan as its preview: what will be uploaded, downloaded, replaced and deleted. */
export function planPreview(
  ids: { planId: string; projectId: string },
  report: StatusReport,
  plan: Plan,
  extra: { scope: SyncScope; guard: string | null; confirmName: string | null; itemLimit: number; createdAt: string },
): PlanPreview {
  const counts = { upload: 0, download: 0, deleteLocal: 0, deleteRemote: 0, replaceLocal: 0, replaceRemote: 0, conflictsLeft: plan.conflictsLeft.length, notCarried: plan.notCarried.length, bytes: 0 }
  const items: PlanItem[] = []
  for (const a of plan.actions) {
    const op = planOp(a)
    if (op === 'upload') counts.upload++
    else if (op === 'download') counts.download++
    else if (op === 'delete-local') counts.deleteLocal++
    else counts.deleteRemote++
    const replaces = a.why === 'keep-local' || a.why === 'keep-remote'
    if (replaces && a.op.endsWith('-local')) counts.replaceLocal++
    if (replaces && a.op.endsWith('-remote')) counts.replaceRemote++
    counts.bytes += a.size
    if (items.length < extra.itemLimit) items.push({ label: a.kind === 'file' ? a.path : `${a.table}/${a.key}`, kind: a.kind, op, replaces, bytes: a.size })
  }
  return {
    planId: ids.planId,
    projectId: ids.projectId,
    env: report.env,
    direction: plan.direction,
    scope: extra.scope,
    counts,
    items,
    itemsTotal: plan.actions.length,
    conflicts: report.status.conflicts.map((e) => statusRow(e, 'conflicts', report.env)),
    guard: extra.guard,
    confirmName: extra.confirmName,
    checks: planChecksView(plan, extra.itemLimit),
    tables: planTablesView(plan),
    empty: plan.actions.length === 0 && plan.baselineUpdates.length === 0 && plan.tables.create.length === 0,
    createdAt: extra.createdAt,
  }
}

/** The most problems a preview carries for one item (the first ones, by line). */
const PROBLEMS_PER_ITEM = 20

/** What the checks found, grouped by item, for a preview (up to `itemLimit` items). */
export function planChecksView(plan: Plan, itemLimit: number): PlanChecks {
  const { problems, unchecked, refuses } = plan.checks
  const items: ProblemItem[] = []
  let itemsTotal = 0
  let last: ProblemItem | null = null
  for (const p of problems) {
    if (!last || last.label !== p.path) {
      itemsTotal++
      last = { label: p.path, problems: [] }
      if (items.length < itemLimit) items.push(last)
    }
    if (last.problems.length < PROBLEMS_PER_ITEM) last.problems.push(p)
  }
  return { items, itemsTotal, problemsTotal: problems.length, unchecked: unchecked.slice(0, itemLimit), uncheckedTotal: unchecked.length, refuses }
}

/** The tables of a plan as its preview shows them: each to create with its statement, those refused, those that differ. */
export function planTablesView(plan: Plan): PlanTablesView {
  const t = plan.tables
  return {
    create: t.create.map((c) => ({ table: c.table, side: c.side, statement: c.statement, records: c.records, notes: [...c.definition.notes] })),
    refused: t.refused.map((r) => ({ ...r })),
    mismatches: t.mismatches.map((m) => ({ table: m.table, columns: m.columns.map((c) => ({ ...c })) })),
    confirmName: t.confirmName,
  }
}

/** A deployment as a face shows it. */
export function deploymentView(d: DeploymentInfo): DeploymentView {
  return { id: d.id, state: d.state, startedAt: d.startedAt ?? null, finishedAt: d.finishedAt ?? null, exitCode: d.exitCode ?? null, logTail: d.logTail }
}

/** A run's report as its summary. */
export function runSummary(ids: { planId: string; projectId: string }, r: RunReport, deployment: DeploymentInfo | null, now: Date): RunSummary {
  const done = { upload: 0, download: 0, deleteLocal: 0, deleteRemote: 0 }
  for (const a of r.result?.done ?? []) {
    const op = planOp(a)
    if (op === 'upload') done.upload++
    else if (op === 'download') done.download++
    else if (op === 'delete-local') done.deleteLocal++
    else done.deleteRemote++
  }
  return {
    planId: ids.planId,
    projectId: ids.projectId,
    env: r.env,
    direction: r.direction,
    dryRun: r.dryRun,
    done,
    problems: (r.result?.problems ?? []).map((p) => ({ label: p.path, reason: p.reason, message: p.message })),
    conflictsLeft: r.plan.conflictsLeft.map(itemLabel),
    skipped: r.skipped,
    replanned: r.replanned,
    backupRunId: r.backupRunId,
    cancelled: r.result?.cancelled ?? false,
    errors: r.errors,
    warnings: r.warnings,
    deployment: deployment ? deploymentView(deployment) : null,
    tablesCreated: (r.createdTables?.created ?? []).map((c) => ({ ...c })),
    finishedAt: now.toISOString(),
  }
}
