/**
 * The web dashboard's `SyncDeskApi`: the contract over one WebSocket to `syncdesk serve`.
 *
 * Electron's preload gives the page `window.syncDesk`; a browser has none, so this builds the
 * very same object over `ws://<host>/ws?token=…` (src-main/web/ws-host.ts): a request is
 * `{id, channel, args}` and is answered once with `{id, answer}`, events arrive as
 * `{event, payload}`. It rejects with the preload's plain `{ name: 'SyncDeskError', message,
 * payload }`, so the store cannot tell which host it talks to. The socket reconnects with
 * backoff; a request made while it is down waits for it (up to a limit), and one in flight
 * when it drops is refused in plain words, since its answer is lost.
 */
import { isEventName, isRequestName, type Answer, type EventName, type Events, type RequestArgs, type RequestName, type Responses, type SyncDeskApi } from '../../src-shared/ipc.js'
import type { ErrorPayload } from '../../src-shared/errors.js'

/** What a failed request rejects with (the preload's shape, a plain object). */
export interface SyncDeskFailure {
  name: 'SyncDeskError'
  message: string
  payload: ErrorPayload
}

/** A failure from an error payload. */
export function failure(payload: ErrorPayload): SyncDeskFailure {
  return { name: 'SyncDeskError', message: payload.message, payload }
}

/** Where the token is kept for the tab's life (a reload must not lose it; another tab must not see it). */
export const TOKEN_KEY = 'syncdesk.token'

/**
 * The dashboard's token: taken from `?token=` (then kept in sessionStorage and removed from
 * the address bar, so it is not bookmarked, shared or kept in history), else the one kept.
 */
export function takeToken(loc: Location = window.location, storage: Storage = window.sessionStorage, history: History = window.history): string | null {
  const params = new URLSearchParams(loc.search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    try {
      storage.setItem(TOKEN_KEY, fromUrl)
    } catch {
      // Storage refused (private mode): the token still works until the tab is reloaded.
    }
    params.delete('token')
    const rest = params.toString()
    history.replaceState(history.state, '', `${loc.pathname}${rest ? `?${rest}` : ''}${loc.hash}`)
    return fromUrl
  }
  try {
    return storage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

/** The socket's address for a token, on the host that served the page. */
export function socketUrl(token: string, loc: Location = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}/ws?token=${encodeURIComponent(token)}`
}

/** How the bridge is built. */
export interface WsBridgeOptions {
  /** The socket's URL; null when the page was opened without a token. */
  url: string | null
  /** How long a request waits for a connection before it is refused. */
  waitForConnectionMs?: number
  /** The first reconnect delay; it doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** Only for tests: another WebSocket constructor. */
  WebSocketImpl?: typeof WebSocket
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (reason: SyncDeskFailure) => void
  text: string
  timer: ReturnType<typeof setTimeout> | null
}

const NO_TOKEN: ErrorPayload = {
  code: 'usage',
  message: 'This page was opened without its key, so it cannot reach SyncDesk. Open the address that syncdesk serve printed.',
}
const NO_ANSWER: ErrorPayload = {
  code: 'io',
  message: 'SyncDesk does not answer. Check that it is still running, then reload this page.',
}
const LOST: ErrorPayload = {
  code: 'io',
  message: 'The connection to SyncDesk was lost before it answered. It reconnects by itself; look at the dashboard again in a moment.',
}

/** Builds the `SyncDeskApi` over a WebSocket (see the file comment). */
export function createWsBridge(opts: WsBridgeOptions): SyncDeskApi {
  const Impl = opts.WebSocketImpl ?? WebSocket
  const waitMs = opts.waitForConnectionMs ?? 15_000
  const initialBackoff = opts.initialBackoffMs ?? 250
  const maxBackoff = opts.maxBackoffMs ?? 5_000
  const listeners = new Map<EventName, Set<(payload: never) => void>>()
  /** Sent, waiting for the answer. */
  const inflight = new Map<number, Pending>()
  /** Not sent yet: waiting for the socket to open. */
  const queued = new Map<number, Pending>()
  let socket: WebSocket | null = null
  let nextId = 1
  let attempt = 0
  let openedBefore = false
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null

  const emit = (event: EventName, payload: unknown) => {
    for (const l of [...(listeners.get(event) ?? [])]) {
      try {
        ;(l as (p: unknown) => void)(payload)
      } catch {
        // One listener's mistake must not silence the others.
      }
    }
  }

  const connect = () => {
    if (!opts.url) return
    reconnectTimer = null
    let ws: WebSocket
    try {
      ws = new Impl(opts.url)
    } catch {
      scheduleReconnect()
      return
    }
    socket = ws
    ws.onopen = () => {
      attempt = 0
      const reopened = openedBefore
      openedBefore = true
      for (const [id, p] of queued) {
        queued.delete(id)
        if (p.timer) clearTimeout(p.timer)
        p.timer = null
        inflight.set(id, p)
        ws.send(p.text)
      }
      // Events sent while the socket was down are lost: tell the page what the host holds now.
      if (reopened) void api.invoke('projects:list', {}).then((list) => emit('projects:changed', list), () => undefined)
    }
    ws.onmessage = (e: MessageEvent) => receive(e.data)
    ws.onerror = () => undefined
    ws.onclose = () => {
      if (socket === ws) socket = null
      for (const [id, p] of inflight) {
        inflight.delete(id)
        p.reject(failure(LOST))
      }
      scheduleReconnect()
    }
  }

  const scheduleReconnect = () => {
    if (reconnectTimer) return
    const delay = Math.min(maxBackoff, initialBackoff * 2 ** attempt) * (0.8 + Math.random() * 0.4)
    attempt = Math.min(attempt + 1, 16)
    reconnectTimer = setTimeout(connect, delay)
  }

  const receive = (data: unknown) => {
    if (typeof data !== 'string') return
    let msg: { id?: unknown; answer?: Answer<RequestName>; event?: unknown; payload?: unknown }
    try {
      msg = JSON.parse(data) as typeof msg
    } catch {
      return
    }
    if (typeof msg.id === 'number' && msg.answer) {
      const p = inflight.get(msg.id)
      if (!p) return
      inflight.delete(msg.id)
      if (msg.answer.ok) p.resolve(msg.answer.value)
      else p.reject(failure(msg.answer.error))
      return
    }
    if (isEventName(msg.event)) emit(msg.event, msg.payload)
  }

  const api: SyncDeskApi = {
    invoke<K extends RequestName>(channel: K, args: RequestArgs<K>): Promise<Responses[K]> {
      if (!isRequestName(channel)) return Promise.reject(failure({ code: 'invalid-request', message: `SyncDesk has no request called ${String(channel)}.` }))
      if (!opts.url) return Promise.reject(failure(NO_TOKEN))
      return new Promise<Responses[K]>((resolve, reject) => {
        const id = nextId++
        const p: Pending = { resolve: resolve as (v: unknown) => void, reject, text: JSON.stringify({ id, channel, args }), timer: null }
        if (socket && socket.readyState === Impl.OPEN) {
          inflight.set(id, p)
          socket.send(p.text)
          return
        }
        p.timer = setTimeout(() => {
          if (queued.delete(id)) reject(failure(NO_ANSWER))
        }, waitMs)
        queued.set(id, p)
        if (!socket && !reconnectTimer) connect()
      })
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      if (!isEventName(event)) throw new Error(`SyncDesk has no event called ${String(event)}.`)
      if (typeof listener !== 'function') throw new Error('SyncDesk: a listener must be a function.')
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      const l = listener as (payload: never) => void
      set.add(l)
      return () => void listeners.get(event)?.delete(l)
    },
  }

  connect()
  return api
}
