import { describe, expect, it } from 'vitest'
import type { EventName, Events } from '../../src-shared/ipc.js'
import type { DeploymentView, RunSummary, StatusSummary } from '../../src-shared/views.js'
import { createNotificationPolicy, envLabel, runNotice, type Notice } from './notification-policy.js'

const P = 'p1'

function status(env: string, o: Partial<Omit<StatusSummary, 'counts'>> & { counts?: Partial<StatusSummary['counts']> } = {}): StatusSummary {
  const { counts, ...rest } = o
  return {
    projectId: P,
    env,
    counts: { remote_to_local: 0, local_to_remote: 0, conflicts: 0, in_sync: 10, files: 10, records: 0, ...counts },
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

function run(env: string, o: Partial<RunSummary> = {}): RunSummary {
  return {
    planId: 'plan1',
    projectId: P,
    env,
    direction: 'pull',
    dryRun: false,
    done: { upload: 0, download: 0, deleteLocal: 0, deleteRemote: 0 },
    problems: [],
    conflictsLeft: [],
    skipped: [],
    replanned: [],
    backupRunId: null,
    cancelled: false,
    errors: [],
    warnings: [],
    deployment: null,
    finishedAt: '2026-12-01T10:00:00Z',
    ...o,
  }
}

function deployment(id: string, state: DeploymentView['state']): DeploymentView {
  return { id, state, startedAt: null, finishedAt: null, exitCode: state === 'failed' ? 2 : null, logTail: '' }
}

type Step = { at: number; event?: { [E in EventName]: [E, Events[E]] }[EventName]; notificationsOff?: boolean }
const s = (at: number, env: string, o?: Parameters<typeof status>[1]): Step => ({ at, event: ['status:changed', status(env, o)] })
const r2l = (n: number) => ({ counts: { remote_to_local: n } })
const refused = { code: 'remote-refused' as const, message: 'The server refused the token.' }
const offline = { code: 'remote-unreachable' as const, message: 'connect ECONNREFUSED' }

/** Runs the steps on a fake clock; after each, takes what is due. Returns every notice as "title | body". */
function play(steps: Step[]): string[] {
  let now = 0
  let on = true
  const policy = createNotificationPolicy({ now: () => now, enabled: () => on })
  const shown: Notice[] = []
  for (const step of steps) {
    now = step.at
    on = !step.notificationsOff
    const arrived = [...(step.event ? policy.observe(step.event[0], step.event[1] as never) : []), ...policy.takeDue()]
    for (const n of arrived) shown.push(n)
  }
  return shown.map((n) => `${n.title} | ${n.body}`)
}

const SEC = 1000
const MIN = 60 * SEC

describe('the notification policy', () => {
  const cases: { name: string; steps: Step[]; want: (string | RegExp)[] }[] = [
    {
      name: 'the first summary is the starting point, not news',
      steps: [s(0, 'staging', { counts: { remote_to_local: 3, conflicts: 2 } }), { at: 60 * SEC }],
      want: [],
    },
    {
      name: 'new changes in the cloud, told once after the window',
      steps: [s(0, 'staging'), s(5 * SEC, 'staging', r2l(3)), { at: 14 * SEC }, { at: 15 * SEC }, s(20 * SEC, 'staging', r2l(3)), s(90 * SEC, 'staging', r2l(3))],
      want: ['Staging has 3 new changes | They are in Staging but not on this computer yet. Pull to bring them here.'],
    },
    {
      name: 'many changes over several polls make one notice',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', r2l(1)), s(4 * SEC, 'staging', r2l(5)), s(9 * SEC, 'staging', r2l(12)), { at: 11 * SEC }, { at: 30 * SEC }],
      want: ['Staging has 12 new changes | They are in Staging but not on this computer yet. Pull to bring them here.'],
    },
    {
      name: 'one new change, in the singular',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', r2l(1)), { at: 11 * SEC }],
      want: ['Staging has 1 new change | It is in Staging but not on this computer yet. Pull to bring it here.'],
    },
    {
      name: 'more changes after the notice make a second one with only the new ones',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', r2l(2)), { at: 11 * SEC }, s(60 * SEC, 'staging', r2l(5)), { at: 70 * SEC }],
      want: [/^Staging has 2 new changes/, /^Staging has 3 new changes/],
    },
    {
      name: 'changes pulled before the window ends are not announced',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', r2l(4)), s(5 * SEC, 'staging', r2l(0)), { at: 20 * SEC }],
      want: [],
    },
    {
      name: 'fewer changes (the operator pulled) are not news',
      steps: [s(0, 'staging', r2l(6)), s(10 * SEC, 'staging', r2l(2)), { at: 30 * SEC }],
      want: [],
    },
    {
      name: 'two environments are told apart',
      steps: [s(0, 'staging'), s(0, 'production'), s(1 * SEC, 'staging', r2l(2)), s(2 * SEC, 'production', r2l(1)), { at: 12 * SEC }],
      want: [/^Staging has 2 new changes/, /^Production has 1 new change/],
    },
    {
      name: 'conflicts from 0 to some need review, said once',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', { counts: { conflicts: 2 } }), { at: 11 * SEC }, s(40 * SEC, 'staging', { counts: { conflicts: 2 } })],
      want: ['Conflicts with Staging | Both you and Staging changed 2 items since you last synced. Open SyncDesk to review them.'],
    },
    {
      name: 'more conflicts later are news again, with the total',
      steps: [s(0, 'staging', { counts: { conflicts: 1 } }), s(1 * SEC, 'staging', { counts: { conflicts: 3 } }), { at: 11 * SEC }],
      want: [/^Conflicts with Staging \| Both you and Staging changed 3 items/],
    },
    {
      name: 'counts that move during our own run are not news: the run says what happened',
      steps: [
        s(0, 'staging', r2l(4)),
        s(1 * SEC, 'staging', { syncing: true, counts: { remote_to_local: 6, conflicts: 1 } }),
        { at: 2 * SEC, event: ['run:finished', run('staging', { direction: 'sync', done: { download: 6, upload: 0, deleteLocal: 0, deleteRemote: 0 }, conflictsLeft: ['a.md'] })] },
        s(3 * SEC, 'staging', { counts: { conflicts: 1 } }),
        { at: 30 * SEC },
      ],
      want: ['Sync with Staging done | 6 brought here. 1 conflict is left to review.'],
    },
    {
      name: 'conflicts found while a long run goes on are left to the run notice',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', { syncing: true, counts: { conflicts: 2 } }), { at: 15 * SEC }, { at: 20 * SEC, event: ['run:finished', run('staging', { direction: 'sync', conflictsLeft: ['a.md', 'b.md'] })] }, s(21 * SEC, 'staging', { counts: { conflicts: 2 } }), { at: 40 * SEC }],
      want: ['Sync with Staging done | Nothing needed to change. 2 conflicts are left to review.'],
    },
    {
      name: 'changes that reach the cloud during a push are told after it',
      steps: [
        s(0, 'staging', { counts: { local_to_remote: 3 } }),
        s(1 * SEC, 'staging', { syncing: true, counts: { local_to_remote: 1, remote_to_local: 2 } }),
        { at: 2 * SEC, event: ['run:finished', run('staging', { direction: 'push', done: { download: 0, deleteLocal: 0, upload: 3, deleteRemote: 0 } })] },
        s(3 * SEC, 'staging', r2l(2)),
        { at: 13 * SEC },
      ],
      want: ['Push to Staging done | 3 sent to Staging.', /^Staging has 2 new changes/],
    },
    {
      name: 'conflicts seen just before the run finished are left to the run notice',
      steps: [s(0, 'staging'), s(1 * SEC, 'staging', { counts: { conflicts: 2 } }), { at: 2 * SEC, event: ['run:finished', run('staging', { direction: 'sync', conflictsLeft: ['a.md', 'b.md'] })] }, { at: 30 * SEC }],
      want: ['Sync with Staging done | Nothing needed to change. 2 conflicts are left to review.'],
    },
    {
      name: 'a dry run is a preview, not news',
      steps: [{ at: 0, event: ['run:finished', run('staging', { dryRun: true, done: { download: 3, upload: 0, deleteLocal: 0, deleteRemote: 0 } })] }],
      want: [],
    },
    {
      name: 'a deploy that succeeds',
      steps: [s(0, 'staging'), { at: 1 * SEC, event: ['deployment:changed', { projectId: P, env: 'staging', deployment: deployment('d1', 'running') }] }, { at: 9 * SEC, event: ['deployment:changed', { projectId: P, env: 'staging', deployment: deployment('d1', 'succeeded') }] }, s(20 * SEC, 'staging', { deployment: deployment('d1', 'succeeded') })],
      want: ['Staging deployed | The deploy in Staging finished: it runs the new version.'],
    },
    {
      name: 'a deploy that fails, seen only through the summaries',
      steps: [s(0, 'production', { deployment: deployment('d7', 'succeeded') }), s(10 * SEC, 'production', { deployment: deployment('d8', 'running') }), s(20 * SEC, 'production', { deployment: deployment('d8', 'failed') }), s(30 * SEC, 'production', { deployment: deployment('d8', 'failed') })],
      want: ['Deploy to Production failed | The deploy in Production stopped with an error. Open SyncDesk to read its log.'],
    },
    {
      name: 'the last deploy, already finished when the app starts, is not news',
      steps: [s(0, 'staging', { deployment: deployment('d1', 'failed') }), s(10 * SEC, 'staging', { deployment: deployment('d1', 'failed') })],
      want: [],
    },
    {
      name: 'a token refused is said at once, once per refusal',
      steps: [
        s(0, 'production', { reachable: false, error: refused }),
        s(10 * SEC, 'production', { reachable: false, error: refused }),
        { at: 5 * MIN },
        s(6 * MIN, 'production'),
        { at: 7 * MIN, event: ['environment:reachability', { projectId: P, env: 'production', reachable: false, error: refused }] },
      ],
      want: [/^Production refused SyncDesk's token \| Nothing can be brought/, /^Production refused SyncDesk's token/],
    },
    {
      name: 'unreachable for more than two minutes: said once, even with no event at the deadline',
      steps: [s(0, 'staging'), s(10 * SEC, 'staging', { reachable: false, error: offline }), s(70 * SEC, 'staging', { reachable: false, error: offline }), { at: 129 * SEC }, { at: 130 * SEC }, s(200 * SEC, 'staging', { reachable: false, error: offline }), { at: 20 * MIN }],
      want: ["Can't reach Staging | SyncDesk has not reached Staging for 2 minutes. It keeps trying."],
    },
    {
      name: 'unreachable for a moment only: nothing',
      steps: [s(0, 'staging'), { at: 10 * SEC, event: ['environment:reachability', { projectId: P, env: 'staging', reachable: false, error: offline }] }, { at: 60 * SEC, event: ['environment:reachability', { projectId: P, env: 'staging', reachable: true, error: null }] }, { at: 10 * MIN }],
      want: [],
    },
    {
      name: 'a second outage after coming back is news again',
      steps: [s(0, 'staging', { reachable: false, error: offline }), { at: 3 * MIN }, s(4 * MIN, 'staging'), s(5 * MIN, 'staging', { reachable: false, error: offline }), { at: 8 * MIN }],
      want: [/^Can't reach Staging/, /^Can't reach Staging/],
    },
    {
      name: 'while unreachable, the counts are not compared (no false "new changes" on return)',
      steps: [s(0, 'staging', r2l(5)), s(10 * SEC, 'staging', { reachable: false, error: offline, counts: { remote_to_local: 0 } }), s(30 * SEC, 'staging', r2l(5)), { at: 60 * SEC }],
      want: [],
    },
    {
      name: 'notifications off: nothing is shown, and turning them on brings no backlog',
      steps: [
        s(0, 'staging'),
        { ...s(1 * SEC, 'staging', r2l(4)), notificationsOff: true },
        { at: 11 * SEC, notificationsOff: true },
        { at: 12 * SEC, event: ['run:finished', run('staging', { done: { download: 4, upload: 0, deleteLocal: 0, deleteRemote: 0 } })], notificationsOff: true },
        { at: 20 * SEC },
        s(21 * SEC, 'staging'),
        { at: 40 * SEC },
      ],
      want: [],
    },
    {
      name: 'events that are not news to the operator',
      steps: [{ at: 0, event: ['watcher:error', { projectId: P, message: 'EMFILE' }] }, { at: 1, event: ['projects:changed', []] }],
      want: [],
    },
  ]

  for (const c of cases) {
    it(c.name, () => {
      const got = play(c.steps)
      expect(got).toHaveLength(c.want.length)
      c.want.forEach((w, i) => (typeof w === 'string' ? expect(got[i]).toBe(w) : expect(got[i]).toMatch(w)))
    })
  }

  it('names the environment to open with every notice', () => {
    let now = 0
    const policy = createNotificationPolicy({ now: () => now })
    policy.observe('status:changed', status('staging'))
    policy.observe('status:changed', status('staging', r2l(2)))
    expect(policy.nextDueAt()).toBe(10 * SEC)
    now = 10 * SEC
    expect(policy.takeDue()).toEqual([expect.objectContaining({ kind: 'remote-changes', projectId: P, env: 'staging' })])
    expect(policy.nextDueAt()).toBeNull()
  })

  it('keeps the window it was given', () => {
    let now = 0
    const policy = createNotificationPolicy({ now: () => now, coalesceMs: 500, unreachableMs: 1000 })
    policy.observe('status:changed', status('qa'))
    policy.observe('status:changed', status('qa', r2l(1)))
    policy.observe('environment:reachability', { projectId: P, env: 'dev', reachable: false, error: null })
    expect(policy.nextDueAt()).toBe(500)
    now = 500
    expect(policy.takeDue().map((n) => n.kind)).toEqual(['remote-changes'])
    expect(policy.nextDueAt()).toBe(1000)
    now = 1000
    expect(policy.takeDue().map((n) => n.kind)).toEqual(['unreachable'])
  })
})

describe('runNotice', () => {
  const cases: [string, RunSummary, string][] = [
    ['a pull', run('staging', { done: { download: 3, deleteLocal: 1, upload: 0, deleteRemote: 0 } }), 'Pull from Staging done | 3 brought here, 1 deleted here.'],
    ['a push', run('production', { direction: 'push', done: { download: 0, deleteLocal: 0, upload: 5, deleteRemote: 2 } }), 'Push to Production done | 5 sent to Production, 2 deleted in Production.'],
    ['a sync with items left alone', run('staging', { direction: 'sync', done: { download: 1, deleteLocal: 0, upload: 2, deleteRemote: 0 }, problems: [{ label: 'a.md', reason: 'stale', message: 'changed' }] }), 'Sync with Staging done | 1 brought here, 2 sent to Staging. 1 item was left alone.'],
    ['a cancelled push', run('staging', { direction: 'push', cancelled: true, done: { download: 0, deleteLocal: 0, upload: 4, deleteRemote: 0 } }), 'Push to Staging cancelled | 4 sent to Staging.'],
    ['a run that failed', run('staging', { direction: 'push', errors: ['connect ECONNREFUSED'] }), 'Push to Staging failed | Nothing was changed. Open SyncDesk to see why.'],
    ['a run with nothing to do', run('staging'), 'Pull from Staging done | Nothing needed to change.'],
    ['a copy', run('staging', { direction: 'clone', done: { download: 40, deleteLocal: 0, upload: 0, deleteRemote: 0 } }), 'Copy of Staging done | 40 brought here.'],
  ]
  for (const [name, summary, want] of cases) {
    it(`words ${name} for operators`, () => {
      const n = runNotice(summary)
      expect(`${n.title} | ${n.body}`).toBe(want)
      expect(n.body).not.toMatch(/remote_to_local|local_to_remote|upload|download|baseline/)
    })
  }
})

describe('envLabel', () => {
  it('raises the first letter and shows unsafe characters as escapes', () => {
    expect(envLabel('staging')).toBe('Staging')
    expect(envLabel('prod-eu')).toBe('Prod-eu')
    expect(envLabel('a\u001b[2J')).toBe('A\\x1b[2J')
  })
})
