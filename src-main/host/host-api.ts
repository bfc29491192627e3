/**
 * What a face's entry point needs of the host: send a request, hear its events, close it.
 *
 * Electron's main process and `syncdesk serve` each build one SyncHost and carry its
 * `dispatch` and events over their transport (IPC, WebSocket); they know nothing else of it.
 */
import type { Answer, EventName, Events, RequestName } from '../../src-shared/ipc.js'

/** A listener of every event the host sends. */
export type HostEventListener = <E extends EventName>(event: E, payload: Events[E]) => void

/** The host as a transport sees it. */
export interface HostPort {
  /** Parses `args` with the request's schema, runs its handler, and answers as data (never throws). */
  dispatch(channel: string, args: unknown): Promise<Answer<RequestName>>
  /** Listens to every event; returns the function that stops listening. */
  onEvent(listener: HostEventListener): () => void
}
