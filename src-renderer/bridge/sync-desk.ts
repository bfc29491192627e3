/**
 * The one `SyncDeskApi` the store talks to: Electron's preload, or the WebSocket bridge.
 *
 * Only store actions call it (STYLE.md); the components never do.
 */
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { SyncDeskApi } from '../../src-shared/ipc.js'
import { createWsBridge, socketUrl, takeToken } from './ws-bridge.js'

let api: SyncDeskApi | null = null

/** The host's API: `window.syncDesk` where the preload gave it, else the WebSocket bridge (made once). */
export function syncDesk(): SyncDeskApi {
  if (!api) {
    if (window.syncDesk) api = window.syncDesk
    else {
      const token = takeToken()
      api = createWsBridge({ url: token ? socketUrl(token) : null })
    }
  }
  return api
}

/** What a rejected request carried, as an error payload (anything else in plain words, never a stack). */
export function errorPayloadOf(err: unknown): ErrorPayload {
  const e = err as { name?: unknown; message?: unknown; payload?: ErrorPayload } | null
  if (e && e.name === 'SyncDeskError' && e.payload && typeof e.payload.message === 'string') return e.payload
  const message = e && typeof e.message === 'string' ? e.message : String(err)
  return { code: 'internal', message: `Something went wrong in the dashboard: ${message}` }
}
