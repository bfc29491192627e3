/**
 * The host's events, patched into the store: the store is a projection of main (STYLE.md).
 */
import type { Events } from '../../src-shared/ipc.js'
import { syncDesk } from '../bridge/sync-desk.js'
import { nextStep } from '../lib/error-words.js'
import { count, envTitle } from '../lib/words.js'
import { envKey, type SyncStore } from './types.js'
import type { Toast } from './ui-slice.js'

/** The in-app notification for a finished run, unless the sheet already shows it. */
export function runToast(s: Events['run:finished']): Omit<Toast, 'id'> {
  const where = envTitle(s.env)
  const d = s.done
  const changed = d.upload + d.download + d.deleteLocal + d.deleteRemote
  const verb = s.direction === 'push' ? `Push to ${where}` : s.direction === 'pull' ? `Pull from ${where}` : `Sync with ${where}`
  if (s.errors.length) return { tone: 'error', title: `${verb} did not finish`, body: s.errors[0] ?? null }
  if (s.cancelled) return { tone: 'warning', title: `${verb} was stopped`, body: changed ? `${count(changed, 'change')} made before it stopped.` : 'Nothing was changed.' }
  const left = s.conflictsLeft.length + s.problems.length
  return {
    tone: left ? 'warning' : 'ok',
    title: `${verb} finished`,
    body: `${changed ? `${count(changed, 'change')} made.` : 'Nothing needed to change.'}${left ? ` ${count(left, 'item')} left alone.` : ''}`,
  }
}

/** The in-app notification for an environment that stopped or started answering. */
export function reachabilityToast(r: Events['environment:reachability']): Omit<Toast, 'id'> {
  const where = envTitle(r.env)
  if (r.reachable) return { tone: 'ok', title: `${where} answers again`, body: 'Its changes are up to date.' }
  const title = r.error?.code === 'remote-refused' ? `${where} refused the token` : r.error?.code === 'keychain' ? `The keychain did not answer for ${where}` : `${where} can't be reached`
  return { tone: 'error', title, body: r.error ? nextStep(r.error) : null }
}

/** The in-app notification for a deployment that finished (none while it goes on). */
export function deploymentToast(d: Events['deployment:changed']): Omit<Toast, 'id'> | null {
  const where = envTitle(d.env)
  if (d.deployment.state === 'succeeded') return { tone: 'ok', title: `${where} is deployed`, body: 'The deploy finished without problems.' }
  if (d.deployment.state === 'failed') return { tone: 'error', title: `Deploy of ${where} failed`, body: d.deployment.logTail.trim().split('\n').pop() || 'Look at the deploy log on the server.' }
  return null
}

let stop: (() => void) | null = null

/** Starts hearing the host's events (once); returns the function that stops. */
export function listenToHost(get: () => SyncStore): () => void {
  if (stop) return stop
  const api = syncDesk()
  /** The desktop app notifies through the system; in a browser the dashboard does it itself. */
  const inBrowser = () => get().appInfo?.host !== 'electron'
  const offs = [
    api.on('run:finished', (s) => {
      if (inBrowser() && get().run?.preview?.planId !== s.planId) get().notify(runToast(s))
    }),
    api.on('environment:reachability', (r) => {
      if (inBrowser()) get().notify(reachabilityToast(r))
    }),
    api.on('deployment:changed', (d) => {
      const toast = inBrowser() ? deploymentToast(d) : null
      if (toast) get().notify(toast)
    }),
    api.on('status:changed', (s) => get().patchSummary(s)),
    api.on('projects:changed', (list) => {
      get().setProjects(list)
      get().loadAllSummaries()
    }),
    api.on('run:progress', (p) => get().patchProgress(p)),
    api.on('run:finished', (s) => get().finishRun(s)),
    api.on('deployment:changed', (d) => {
      const summary = get().summaries[envKey(d)]
      if (summary) get().patchSummary({ ...summary, deployment: d.deployment })
    }),
    api.on('watcher:error', (w) => get().reportError({ name: 'SyncDeskError', message: w.message, payload: { code: 'io', message: w.message } })),
  ]
  stop = () => {
    for (const off of offs) off()
    stop = null
  }
  return stop
}
