/**
 * The host's events, patched into the store: the store is a projection of main (STYLE.md).
 */
import { syncDesk } from '../bridge/sync-desk.js'
import { envKey, type SyncStore } from './types.js'

let stop: (() => void) | null = null

/** Starts hearing the host's events (once); returns the function that stops. */
export function listenToHost(get: () => SyncStore): () => void {
  if (stop) return stop
  const api = syncDesk()
  const offs = [
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
