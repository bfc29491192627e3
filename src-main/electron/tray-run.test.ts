import { describe, expect, it } from 'vitest'
import type { Answer, RequestName } from '../../src-shared/ipc.js'
import type { PlanPreview, RunSummary, StatusSummary } from '../../src-shared/views.js'
import type { HostPort } from '../host/host-api.js'
import { runFromTray, selectionFrom, trayTarget, whyPlanNeedsOperator } from './tray-run.js'

function plan(o: Partial<Omit<PlanPreview, 'counts'>> & { counts?: Partial<PlanPreview['counts']> } = {}): PlanPreview {
  const { counts, ...rest } = o
  return {
    planId: 'plan-1',
    projectId: 'p1',
    env: 'staging',
    direction: 'pull',
    scope: 'all',
    counts: { upload: 0, download: 2, deleteLocal: 0, deleteRemote: 0, replaceLocal: 0, replaceRemote: 0, conflictsLeft: 0, notCarried: 0, bytes: 10, ...counts },
    items: [],
    itemsTotal: 2,
    conflicts: [],
    guard: null,
    confirmName: null,
    empty: false,
    createdAt: '2026-12-01T10:00:00Z',
    ...rest,
  }
}

const summary = { planId: 'plan-1', env: 'staging', done: { download: 2 } } as unknown as RunSummary

/** A host port that answers plan, apply and cancel as told (the real host is built elsewhere). */
function scriptedHost(planAnswer: Answer<RequestName>, applyAnswer: Answer<RequestName> = { ok: true, value: summary }) {
  const sent: [string, unknown][] = []
  const host: Pick<HostPort, 'dispatch'> = {
    async dispatch(channel, args) {
      sent.push([channel, args])
      if (channel === 'run:plan') return planAnswer
      if (channel === 'run:apply') return applyAnswer
      return { ok: true, value: { cancelled: true } }
    },
  }
  return { host, sent }
}

const target = { projectId: 'p1', env: 'staging' }

describe('runFromTray', () => {
  it('applies a plan that needs nothing from the operator', async () => {
    const h = scriptedHost({ ok: true, value: plan() })
    expect(await runFromTray(h.host, target, 'pull')).toEqual({ kind: 'applied', summary })
    expect(h.sent).toEqual([
      ['run:plan', { projectId: 'p1', env: 'staging', direction: 'pull' }],
      ['run:apply', { planId: 'plan-1' }],
    ])
  })

  const needing: [string, PlanPreview, RegExp][] = [
    ['a protected environment', plan({ direction: 'push', confirmName: 'production' }), /production must be typed/],
    ['the mass-delete guard', plan({ guard: 'This would delete 412 files in Production.' }), /412 files/],
    ['replaced changes', plan({ counts: { replaceRemote: 1 } }), /replace/],
    ['a sync with conflicts to decide', plan({ direction: 'sync', conflicts: [{ label: 'a.md' } as PlanPreview['conflicts'][number]] }), /conflicts/],
  ]
  for (const [name, p, why] of needing) {
    it(`opens the window instead for ${name}, and drops the plan`, async () => {
      const h = scriptedHost({ ok: true, value: p })
      const outcome = await runFromTray(h.host, target, p.direction === 'clone' ? 'sync' : p.direction)
      expect(outcome).toMatchObject({ kind: 'needs-window', why: expect.stringMatching(why) })
      expect(h.sent.map(([c]) => c)).toEqual(['run:plan', 'run:cancel'])
    })
  }

  it('does nothing when there is nothing to do', async () => {
    const h = scriptedHost({ ok: true, value: plan({ empty: true, counts: { download: 0 } }) })
    expect(await runFromTray(h.host, target, 'push')).toEqual({ kind: 'nothing-to-do' })
    expect(h.sent.map(([c]) => c)).toEqual(['run:plan', 'run:cancel'])
  })

  it('reports a plan that fails', async () => {
    const error = { code: 'remote-unreachable' as const, message: 'Staging cannot be reached.' }
    const h = scriptedHost({ ok: false, error })
    expect(await runFromTray(h.host, target, 'sync')).toEqual({ kind: 'failed', error })
    expect(h.sent.map(([c]) => c)).toEqual(['run:plan'])
  })

  it('opens the window when the apply asks for a confirmation after all, and reports other failures', async () => {
    const ask = scriptedHost({ ok: true, value: plan() }, { ok: false, error: { code: 'confirmation-needed', message: 'Type production to confirm.' } })
    expect(await runFromTray(ask.host, target, 'push')).toEqual({ kind: 'needs-window', why: 'Type production to confirm.' })
    const broke = scriptedHost({ ok: true, value: plan() }, { ok: false, error: { code: 'io', message: 'disk full' } })
    expect(await runFromTray(broke.host, target, 'pull')).toMatchObject({ kind: 'failed', error: { code: 'io' } })
  })

  it('opens the window for a push whose files have problems, protected or not', () => {
    const checks = { items: [], itemsTotal: 2, problemsTotal: 3, unchecked: [], uncheckedTotal: 0, refuses: false } as unknown as NonNullable<PlanPreview['checks']>
    expect(whyPlanNeedsOperator(plan({ direction: 'push', checks }))).toBe('the checks found problems in 2 files to send')
    expect(whyPlanNeedsOperator(plan({ direction: 'push', checks: { ...checks, itemsTotal: 0, problemsTotal: 0 } }))).toBeNull()
  })

  it('lets a plain pull, push or sync through', () => {
    expect(whyPlanNeedsOperator(plan({ direction: 'push', counts: { upload: 3, download: 0 } }))).toBeNull()
    expect(whyPlanNeedsOperator(plan({ direction: 'pull', conflicts: [{ label: 'kept.md' } as PlanPreview['conflicts'][number]] }))).toBeNull()
  })
})

describe('the tray target', () => {
  const s = (projectId: string, env: string) => ({ projectId, env }) as StatusSummary

  it('follows the environment the dashboard shows', () => {
    expect(selectionFrom('status:page', { projectId: 'p1', env: 'qa', offset: 0, limit: 50 })).toEqual({ projectId: 'p1', env: 'qa' })
    expect(selectionFrom('item:detail', { projectId: 'p1', env: 'qa', item: { kind: 'file', path: 'a.md' } })).toEqual({ projectId: 'p1', env: 'qa' })
    expect(selectionFrom('status:summary', { projectId: 'p1', env: 'qa' })).toBeNull()
    expect(selectionFrom('status:page', { projectId: 1, env: 'qa' })).toBeNull()
    expect(selectionFrom('status:page', null)).toBeNull()
  })

  it('is the shown environment, else the only one, else none', () => {
    const staging = s('p1', 'staging')
    const prod = s('p1', 'production')
    expect(trayTarget({ projectId: 'p1', env: 'production' }, [staging, prod])).toBe(prod)
    expect(trayTarget({ projectId: 'p1', env: 'removed' }, [staging, prod])).toBeNull()
    expect(trayTarget(null, [staging])).toBe(staging)
    expect(trayTarget(null, [staging, prod])).toBeNull()
    expect(trayTarget(null, [])).toBeNull()
  })
})
