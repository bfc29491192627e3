/**
 * Which native notifications SyncDesk shows, and in which words.
 *
 * The host's events repeat what is still true at every look at an environment; a
 * notification must say only what is new, once, and many small changes must make one
 * notice ("Staging has 12 new changes"), not twelve. So the policy remembers, per
 * environment, what it last saw and what it already said, and holds countable news for a
 * short window before it speaks. It words everything for operators (UI.md): the
 * environment named, numbers first, no engine words. Pure: a clock is injected, no Electron,
 * no timers; the face calls takeDue() when nextDueAt() comes.
 *
 * The first summary of an environment is the starting point, not news: opening the app
 * does not announce what the dashboard already shows. A refused token is the exception:
 * it is announced on first sight too, since nothing works until the operator acts.
 */
import type { EventName, Events } from '../../src-shared/ipc.js'
import type { DeploymentView, RunSummary, StatusSummary } from '../../src-shared/views.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import { displayName } from '../../src-shared/display-text.js'

/** What a notice is about. */
export type NoticeKind = 'remote-changes' | 'conflicts' | 'run-finished' | 'deploy-succeeded' | 'deploy-failed' | 'token-refused' | 'unreachable'

/** One notification to show; clicking it opens the dashboard at that environment. */
export interface Notice {
  kind: NoticeKind
  title: string
  body: string
  projectId: string
  env: string
}

/** What the policy is built with. */
export interface NotificationPolicyOptions {
  /** Milliseconds since the epoch. */
  now(): number
  /** The operator's `notifications` setting, read at each decision; on when omitted. */
  enabled?(): boolean
  /** How long countable news is held so that a burst makes one notice; 10 s by default. */
  coalesceMs?: number
  /** How long an environment stays unreachable before it is worth a notice; 2 min by default. */
  unreachableMs?: number
}

/** The policy: feed it the host's events, show what it returns. */
export interface NotificationPolicy {
  /** Takes one host event; returns the notices due now (often none). */
  observe<E extends EventName>(event: E, payload: Events[E]): Notice[]
  /** The held notices whose time has come; each is returned once. */
  takeDue(): Notice[]
  /** When the next held notice is due (ms since the epoch), or null when none is held. */
  nextDueAt(): number | null
}

/** An environment's name as a sentence shows it: "Staging" for `staging`. */
export function envLabel(env: string): string {
  const name = displayName(env)
  return name.charAt(0).toUpperCase() + name.slice(1)
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

interface EnvMemory {
  /** The counts of the last summary of a reachable environment; null until there is one. */
  counts: { remoteToLocal: number; conflicts: number } | null
  /** `${id}:${state}` of the last deployment seen; null for none, undefined before any summary. */
  deployment: string | null | undefined
  refusedSaid: boolean
  unreachableSince: number | null
  unreachableSaid: boolean
}

/** News held until `dueAt`; `build` words it then, or returns null when it is no longer true. */
interface Held {
  dueAt: number
  build(): Notice | null
}

const DIRECTION_WORDS = {
  pull: (env: string) => `Pull from ${env}`,
  push: (env: string) => `Push to ${env}`,
  sync: (env: string) => `Sync with ${env}`,
  clone: (env: string) => `Copy of ${env}`,
} as const

/** The words of a finished run: what was done, what is left. */
export function runNotice(run: RunSummary): Notice {
  const env = envLabel(run.env)
  const what = DIRECTION_WORDS[run.direction](env)
  const d = run.done
  const doneCount = d.download + d.deleteLocal + d.upload + d.deleteRemote
  const base = { kind: 'run-finished' as const, projectId: run.projectId, env: run.env }
  if (doneCount === 0 && run.errors.length > 0 && !run.cancelled) {
    return { ...base, title: `${what} failed`, body: 'Nothing was changed. Open SyncDesk to see why.' }
  }
  const parts: string[] = []
  if (d.download > 0) parts.push(`${d.download} brought here`)
  if (d.deleteLocal > 0) parts.push(`${d.deleteLocal} deleted here`)
  if (d.upload > 0) parts.push(`${d.upload} sent to ${env}`)
  if (d.deleteRemote > 0) parts.push(`${d.deleteRemote} deleted in ${env}`)
  const sentences = [parts.length ? `${parts.join(', ')}.` : 'Nothing needed to change.']
  const left = run.conflictsLeft.length
  if (left > 0) sentences.push(`${plural(left, 'conflict is', 'conflicts are')} left to review.`)
  if (run.problems.length > 0) sentences.push(`${plural(run.problems.length, 'item was', 'items were')} left alone.`)
  return { ...base, title: run.cancelled ? `${what} cancelled` : `${what} done`, body: sentences.join(' ') }
}

/** Creates a policy with its own memory. */
export function createNotificationPolicy(options: NotificationPolicyOptions): NotificationPolicy {
  const coalesceMs = options.coalesceMs ?? 10_000
  const unreachableMs = options.unreachableMs ?? 120_000
  const enabled = () => options.enabled?.() ?? true
  const memory = new Map<string, EnvMemory>()
  const held = new Map<string, Held>()
  const envKey = (projectId: string, env: string) => JSON.stringify([projectId, env])

  function memoryOf(projectId: string, env: string): EnvMemory {
    const key = envKey(projectId, env)
    let mem = memory.get(key)
    if (!mem) {
      mem = { counts: null, deployment: undefined, refusedSaid: false, unreachableSince: null, unreachableSaid: false }
      memory.set(key, mem)
    }
    return mem
  }

  /** Adds countable news to what is held for this environment, opening the window if none is open. */
  function hold(kind: 'remote-changes' | 'conflicts', projectId: string, env: string, added: number, build: (added: number) => Notice | null): void {
    const key = JSON.stringify([kind, projectId, env])
    const open = held.get(key) as (Held & { added: number }) | undefined
    if (open) {
      open.added += added
      return
    }
    const entry: Held & { added: number } = { dueAt: options.now() + coalesceMs, added, build: () => build(entry.added) }
    held.set(key, entry)
  }

  function deploymentNotice(projectId: string, env: string, mem: EnvMemory, deployment: DeploymentView | null): Notice | null {
    const seen = deployment ? `${deployment.id}:${deployment.state}` : null
    if (seen === mem.deployment) return null
    mem.deployment = seen
    if (!deployment) return null
    const name = envLabel(env)
    if (deployment.state === 'succeeded') return { kind: 'deploy-succeeded', title: `${name} deployed`, body: `The deploy in ${name} finished: it runs the new version.`, projectId, env }
    if (deployment.state === 'failed') return { kind: 'deploy-failed', title: `Deploy to ${name} failed`, body: `The deploy in ${name} stopped with an error. Open SyncDesk to read its log.`, projectId, env }
    return null
  }

  /** Reachability and token news from a summary or a reachability event. */
  function reachabilityNotices(projectId: string, env: string, mem: EnvMemory, reachable: boolean, error: ErrorPayload | null): Notice[] {
    const out: Notice[] = []
    const name = envLabel(env)
    const refused = error?.code === 'remote-refused'
    if (refused && !mem.refusedSaid) {
      mem.refusedSaid = true
      out.push({ kind: 'token-refused', title: `${name} refused SyncDesk's token`, body: `Nothing can be brought from or sent to ${name} until you enter a new token for it.`, projectId, env })
    } else if (!refused) {
      mem.refusedSaid = false
    }
    const key = JSON.stringify(['unreachable', projectId, env])
    if (!reachable && !refused) {
      if (mem.unreachableSince === null) {
        mem.unreachableSince = options.now()
        const since = mem.unreachableSince
        held.set(key, {
          dueAt: since + unreachableMs,
          build: () => {
            if (mem.unreachableSince !== since || mem.unreachableSaid) return null
            mem.unreachableSaid = true
            const minutes = Math.max(1, Math.round((options.now() - since) / 60_000))
            return { kind: 'unreachable', title: `Can't reach ${name}`, body: `SyncDesk has not reached ${name} for ${plural(minutes, 'minute', 'minutes')}. It keeps trying.`, projectId, env }
          },
        })
      }
    } else {
      mem.unreachableSince = null
      mem.unreachableSaid = false
      held.delete(key)
    }
    return out
  }

  function onStatus(s: StatusSummary): Notice[] {
    const mem = memoryOf(s.projectId, s.env)
    const out = reachabilityNotices(s.projectId, s.env, mem, s.reachable, s.error)
    // An unreachable environment's counts say nothing about it: keep the last known ones.
    if (!s.reachable) return out
    if (mem.deployment === undefined) mem.deployment = s.deployment ? `${s.deployment.id}:${s.deployment.state}` : null
    const deployed = deploymentNotice(s.projectId, s.env, mem, s.deployment)
    if (deployed) out.push(deployed)
    // During our own run the counts move because of the run: the counts from before it are
    // kept, the run's own notice says what it did, and the first summary after it is
    // compared with those (changes that came meanwhile are still news).
    if (s.syncing) return out
    const before = mem.counts
    mem.counts = { remoteToLocal: s.counts.remote_to_local, conflicts: s.counts.conflicts }
    // The first summary is the starting point.
    if (!before) return out
    const name = envLabel(s.env)
    const latest = () => memoryOf(s.projectId, s.env).counts
    const newRemote = s.counts.remote_to_local - before.remoteToLocal
    if (newRemote > 0) {
      hold('remote-changes', s.projectId, s.env, newRemote, (added) => {
        const n = Math.min(added, latest()?.remoteToLocal ?? 0)
        if (n <= 0) return null
        const them = n === 1 ? 'it' : 'them'
        return { kind: 'remote-changes', title: `${name} has ${plural(n, 'new change', 'new changes')}`, body: `${n === 1 ? 'It is' : 'They are'} in ${name} but not on this computer yet. Pull to bring ${them} here.`, projectId: s.projectId, env: s.env }
      })
    }
    if (s.counts.conflicts > before.conflicts) {
      hold('conflicts', s.projectId, s.env, s.counts.conflicts - before.conflicts, () => {
        const n = latest()?.conflicts ?? 0
        if (n <= 0) return null
        return { kind: 'conflicts', title: `Conflicts with ${name}`, body: `Both you and ${name} changed ${plural(n, 'item', 'items')} since you last synced. Open SyncDesk to review ${n === 1 ? 'it' : 'them'}.`, projectId: s.projectId, env: s.env }
      })
    }
    return out
  }

  function onRun(run: RunSummary): Notice[] {
    if (run.dryRun) return []
    const mem = memoryOf(run.projectId, run.env)
    // The run's notice names the conflicts it left: they are not news again.
    if (mem.counts) mem.counts.conflicts = Math.max(mem.counts.conflicts, run.conflictsLeft.length)
    held.delete(JSON.stringify(['conflicts', run.projectId, run.env]))
    const out = [runNotice(run)]
    const deployed = run.deployment ? deploymentNotice(run.projectId, run.env, mem, run.deployment) : null
    if (deployed) out.push(deployed)
    return out
  }

  function decide<E extends EventName>(event: E, payload: Events[E]): Notice[] {
    switch (event) {
      case 'status:changed':
        return onStatus(payload as Events['status:changed'])
      case 'run:finished':
        return onRun(payload as Events['run:finished'])
      case 'deployment:changed': {
        const p = payload as Events['deployment:changed']
        const n = deploymentNotice(p.projectId, p.env, memoryOf(p.projectId, p.env), p.deployment)
        return n ? [n] : []
      }
      case 'environment:reachability': {
        const p = payload as Events['environment:reachability']
        return reachabilityNotices(p.projectId, p.env, memoryOf(p.projectId, p.env), p.reachable, p.error)
      }
      default:
        return []
    }
  }

  return {
    observe(event, payload) {
      // Memory is kept while notifications are off, so turning them on brings no backlog.
      const notices = decide(event, payload)
      return enabled() ? notices : []
    },
    takeDue() {
      const now = options.now()
      const due: Notice[] = []
      for (const [key, h] of held) {
        if (h.dueAt > now) continue
        held.delete(key)
        const n = h.build()
        if (n && enabled()) due.push(n)
      }
      return due
    },
    nextDueAt() {
      let next: number | null = null
      for (const h of held.values()) if (next === null || h.dueAt < next) next = h.dueAt
      return next
    },
  }
}
