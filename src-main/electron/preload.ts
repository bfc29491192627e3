/**
 * The preload: gives the dashboard `window.syncDesk` and nothing else.
 *
 * Like VS Code's sandbox preload (`validateIPC`), it refuses any request or event the
 * contract does not name before anything is sent, and it never hands the page
 * `ipcRenderer` or an IPC event object (either would let the page send on any channel).
 * It runs sandboxed, where `require` knows only a few modules, so esbuild bundles it into
 * one CommonJS file with only `electron` left outside (dist/electron/preload.cjs).
 *
 * A refused request rejects with a plain `{ name, message, payload }` object rather than an
 * Error: contextBridge copies only the message of an Error into the page and drops every
 * other property (electron/electron#25596), which would lose the ErrorPayload the
 * dashboard words its messages from. A plain object crosses the bridge whole.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { EVENT_NAMES, REQUEST_NAMES, type Answer, type EventName, type Events, type RequestArgs, type RequestName, type Responses, type SyncDeskApi } from '../../src-shared/ipc.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.js'

const requests = new Set<string>(REQUEST_NAMES)
const events = new Set<string>(EVENT_NAMES)

/** What a failed request rejects with in the page. */
interface SyncDeskError {
  name: 'SyncDeskError'
  message: string
  payload: ErrorPayload
}

function failure(payload: ErrorPayload): SyncDeskError {
  return { name: 'SyncDeskError', message: payload.message, payload }
}

const api: SyncDeskApi = {
  invoke<K extends RequestName>(channel: K, args: RequestArgs<K>): Promise<Responses[K]> {
    if (typeof channel !== 'string' || !requests.has(channel)) {
      return Promise.reject(failure({ code: 'invalid-request', message: `SyncDesk has no request called ${String(channel)}.` }))
    }
    return ipcRenderer.invoke(INVOKE_CHANNEL, channel, args).then((answer: Answer<K>) => {
      if (answer.ok) return answer.value
      throw failure(answer.error)
    })
  },
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    if (typeof event !== 'string' || !events.has(event)) throw new Error(`SyncDesk has no event called ${String(event)}.`)
    if (typeof listener !== 'function') throw new Error('SyncDesk: a listener must be a function.')
    const relay = (_ipcEvent: unknown, message: { event?: unknown; payload?: unknown } | null) => {
      if (message && message.event === event) listener(message.payload as Events[E])
    }
    ipcRenderer.on(EVENT_CHANNEL, relay)
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, relay)
  },
}

contextBridge.exposeInMainWorld('syncDesk', api)
