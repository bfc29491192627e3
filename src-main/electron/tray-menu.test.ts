import { describe, expect, it } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import type { StatusSummary } from '../../src-shared/views.js'
import { TRAY_STATES, environmentLine, trayMenuTemplate, trayState, trayTooltip, type TrayActions } from './tray-menu.js'

function summary(env: string, o: Partial<Omit<StatusSummary, 'counts'>> & { counts?: Partial<StatusSummary['counts']> } = {}): StatusSummary {
  const { counts, ...rest } = o
  return {
    projectId: 'p1',
    env,
    counts: { remote_to_local: 0, local_to_remote: 0, conflicts: 0, in_sync: 4, files: 4, records: 0, ...counts },
    lastSyncAt: null,
    checkedAt: '2026-12-01T10:00:00Z',
    firstSync: false,
    skipped: 0,
    warnings: [],
    deployment: null,
    reachable: true,
    error: null,
    syncing: false,
    ...rest,
  }
}

const clean = summary('staging')
const pendingOne = summary('staging', { counts: { remote_to_local: 2, local_to_remote: 1 } })
const conflicted = summary('qa', { counts: { conflicts: 1, remote_to_local: 4 } })
const syncing = summary('production', { syncing: true })
const refused = summary('production', { reachable: false, error: { code: 'remote-refused', message: 'refused' } })
const offline = summary('production', { reachable: false, error: { code: 'remote-unreachable', message: 'ECONNREFUSED' } })

describe('trayState', () => {
  const cases: [string, StatusSummary[], string][] = [
    ['no environments', [], 'in-sync'],
    ['everything up to date', [clean, summary('production')], 'in-sync'],
    ['changes waiting on either side', [clean, pendingOne], 'pending'],
    ['a conflict beats changes waiting', [pendingOne, conflicted], 'conflicts'],
    ['an environment that cannot be reached beats conflicts', [conflicted, offline], 'error'],
    ['a refused token is an error', [clean, refused], 'error'],
    ['a run going on shows first', [conflicted, offline, syncing], 'syncing'],
  ]
  for (const [name, summaries, want] of cases) it(name, () => expect(trayState(summaries)).toBe(want))

  it('has an icon name for every state', () => {
    expect(TRAY_STATES).toEqual(['in-sync', 'pending', 'conflicts', 'syncing', 'error'])
  })
})

describe('trayTooltip', () => {
  const cases: [string, StatusSummary[], string][] = [
    ['no environments', [], 'SyncDesk — no environments yet'],
    ['one environment up to date', [clean], 'SyncDesk — Staging is up to date'],
    ['several up to date', [clean, summary('production')], 'SyncDesk — everything is up to date'],
    ['only those that need the operator, in words', [pendingOne, summary('production'), conflicted], 'SyncDesk — Staging: 3 changes waiting; Qa: 1 conflict, 4 changes waiting'],
    ['a refused token and a run', [refused, summary('qa', { syncing: true })], 'SyncDesk — Production: token refused; Qa: syncing'],
    ['an unreachable environment', [offline], "SyncDesk — Production: can't reach"],
  ]
  for (const [name, summaries, want] of cases) it(name, () => expect(trayTooltip(summaries)).toBe(want))

  it('is cut to what Windows shows', () => {
    const many = Array.from({ length: 20 }, (_, i) => summary(`environment-${i}`, { counts: { conflicts: 1 } }))
    const tip = trayTooltip(many)
    expect(tip.length).toBe(127)
    expect(tip.endsWith('…')).toBe(true)
  })

  it('words one environment at a time, numbers first', () => {
    expect(environmentLine(summary('staging', { counts: { local_to_remote: 1 } }))).toBe('Staging: 1 change waiting')
    expect(environmentLine(summary('staging', { counts: { conflicts: 3 } }))).toBe('Staging: 3 conflicts')
    expect(environmentLine(clean)).toBe('Staging: up to date')
  })
})

describe('trayMenuTemplate', () => {
  function recorder() {
    const calls: string[] = []
    const actions: TrayActions = {
      open: () => calls.push('open'),
      sync: () => calls.push('sync'),
      pull: () => calls.push('pull'),
      push: () => calls.push('push'),
      setPauseWatching: (p) => calls.push(`pause:${p}`),
      quit: () => calls.push('quit'),
    }
    return { calls, actions }
  }
  const click = (item: MenuItemConstructorOptions, checked = false) => item.click!({ checked } as never, undefined, {} as never)
  const byId = (items: MenuItemConstructorOptions[], id: string) => items.find((i) => i.id === id)!

  it('has the items an operator expects, in order', () => {
    const { actions } = recorder()
    const items = trayMenuTemplate({ state: 'pending', target: pendingOne, pauseWatching: false }, actions)
    expect(items.map((i) => (i.type === 'separator' ? '---' : i.label))).toEqual(['Open SyncDesk', '---', 'Staging: 3 changes waiting', 'Sync now', 'Pull', 'Push', '---', 'Pause watching', '---', 'Quit'])
    expect(byId(items, 'target').enabled).toBe(false)
    expect(byId(items, 'pause')).toMatchObject({ type: 'checkbox', checked: false })
  })

  it('runs each action on the chosen environment', () => {
    const { calls, actions } = recorder()
    const items = trayMenuTemplate({ state: 'pending', target: pendingOne, pauseWatching: true }, actions)
    expect(byId(items, 'pause').checked).toBe(true)
    for (const id of ['open', 'sync', 'pull', 'push', 'quit']) click(byId(items, id))
    click(byId(items, 'pause'), false)
    expect(calls).toEqual(['open', 'sync', 'pull', 'push', 'quit', 'pause:false'])
  })

  it('with no environment chosen, the runs open the window instead', () => {
    const { calls, actions } = recorder()
    const items = trayMenuTemplate({ state: 'in-sync', target: null, pauseWatching: false }, actions)
    expect(byId(items, 'target').label).toBe('No environment chosen')
    for (const id of ['sync', 'pull', 'push']) {
      expect(byId(items, id).enabled).toBe(true)
      click(byId(items, id))
    }
    expect(calls).toEqual(['open', 'open', 'open'])
  })

  it('disables the runs while the environment syncs or cannot be reached', () => {
    for (const target of [syncing, refused, offline]) {
      const items = trayMenuTemplate({ state: trayState([target]), target, pauseWatching: false }, recorder().actions)
      for (const id of ['sync', 'pull', 'push']) expect(byId(items, id).enabled, `${id} ${target.error?.code ?? 'syncing'}`).toBe(false)
      expect(byId(items, 'open').enabled).not.toBe(false)
    }
  })
})
