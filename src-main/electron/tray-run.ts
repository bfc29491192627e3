/**
 * What Sync now, Pull and Push do from the tray: a run without the window, but only when
 * there is nothing to decide or confirm.
 *
 * The tray has no preview sheet, so it asks the host for a plan and applies it only when
 * the plan needs no confirmation (a protected environment, replaced changes, the
 * mass-delete guard) and, for a sync, no conflict to decide. Otherwise it drops the plan and
 * says the window should open at that environment, where the operator sees the preview.
 * Everything goes through the host's `dispatch`, like any request from the dashboard; the
 * environment acted on is the one the dashboard last showed.
 */
import type { RequestName } from '../../src-shared/ipc.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { PlanPreview, RunSummary, StatusSummary } from '../../src-shared/views.js'
import type { HostPort } from '../host/host-api.js'
import type { EnvTarget } from './renderer-location.js'

/** The runs the tray offers. */
export type TrayDirection = 'sync' | 'pull' | 'push'

/** How a run from the tray ended. */
export type TrayRunOutcome =
  | { kind: 'applied'; summary: RunSummary }
  | { kind: 'nothing-to-do' }
  | { kind: 'needs-window'; why: string }
  | { kind: 'failed'; error: ErrorPayload }

/** Why a plan needs the operator at the preview, or null when it can run as it is. */
export function whyPlanNeedsOperator(plan: PlanPreview): string | null {
  if (plan.confirmName) return `the name ${plan.confirmName} must be typed to confirm`
  if (plan.guard) return plan.guard
  if (plan.counts.replaceLocal > 0 || plan.counts.replaceRemote > 0) return 'it would replace changes'
  if (plan.direction === 'sync' && plan.conflicts.length > 0) return 'there are conflicts to decide'
  // Problems in files to send are shown before they go, wherever they go.
  if (plan.checks && plan.checks.itemsTotal > 0) return `the checks found problems in ${plan.checks.itemsTotal === 1 ? '1 file' : `${plan.checks.itemsTotal} files`} to send`
  return null
}

/** Codes of an apply that means "show the operator", not "it broke". */
const NEEDS_OPERATOR: ReadonlySet<string> = new Set(['confirmation-needed', 'guard', 'conflicts'])

/** Plans and, when nothing needs the operator, applies one run on one environment. */
export async function runFromTray(host: Pick<HostPort, 'dispatch'>, target: EnvTarget, direction: TrayDirection): Promise<TrayRunOutcome> {
  const planned = await host.dispatch('run:plan', { projectId: target.projectId, env: target.env, direction })
  if (!planned.ok) return { kind: 'failed', error: planned.error }
  const plan = planned.value as PlanPreview
  const why = plan.empty ? null : whyPlanNeedsOperator(plan)
  if (plan.empty || why) {
    await host.dispatch('run:cancel', { planId: plan.planId })
    return plan.empty ? { kind: 'nothing-to-do' } : { kind: 'needs-window', why: why! }
  }
  const applied = await host.dispatch('run:apply', { planId: plan.planId })
  if (applied.ok) return { kind: 'applied', summary: applied.value as RunSummary }
  if (NEEDS_OPERATOR.has(applied.error.code)) return { kind: 'needs-window', why: applied.error.message }
  return { kind: 'failed', error: applied.error }
}

/** The requests whose arguments name the environment the dashboard is showing. */
const SELECTING: ReadonlySet<RequestName> = new Set<RequestName>(['status:page', 'item:detail', 'run:plan'])

/** The environment a dashboard request shows, or null when it shows none in particular. */
export function selectionFrom(channel: RequestName, args: unknown): EnvTarget | null {
  if (!SELECTING.has(channel) || typeof args !== 'object' || args === null) return null
  const { projectId, env } = args as Record<string, unknown>
  return typeof projectId === 'string' && typeof env === 'string' ? { projectId, env } : null
}

/**
 * The environment the tray acts on: the one the dashboard last showed while it still
 * exists, else the only environment there is, else none (the tray opens the window).
 */
export function trayTarget(selected: EnvTarget | null, summaries: readonly StatusSummary[]): StatusSummary | null {
  if (selected) {
    const found = summaries.find((s) => s.projectId === selected.projectId && s.env === selected.env)
    if (found) return found
  }
  return summaries.length === 1 ? summaries[0]! : null
}
