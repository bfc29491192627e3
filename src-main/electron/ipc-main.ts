/**
 * Main's side of the IPC: one handler for every request, one sender for every event.
 *
 * Modelled on GitHub Desktop's `app/src/main-process/ipc-main.ts` (every listener wrapped in
 * a sender check) and VS Code's `ValidatedIpcMain` (only the main frame). Here there is a
 * single invoke channel, so the check runs in one place: the request must come from the
 * main frame of our own window showing our own page, and name a request of the contract.
 * Anything else is logged and answered with an error, never dispatched. The checks are pure
 * functions over plain objects so they are tested without Electron; the argument is parsed
 * by the host's `dispatch`, not here.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron'
import { isRequestName, type Answer, type EventName, type Events, type RequestName } from '../../src-shared/ipc.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import { displayText } from '../../src-shared/display-text.js'
import type { HostPort } from '../host/host-api.js'
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.js'
import { isRendererUrl, type RendererLocation } from './renderer-location.js'

/** What is read of an IPC event: who sent it (Electron's `IpcMainInvokeEvent`). */
export interface SenderLike {
  sender: unknown
  senderFrame: { url: string } | null
}

/** The one window whose page may send requests, and where its page comes from. */
export interface TrustedWindow {
  webContents: { mainFrame: unknown }
  location: RendererLocation
}

/** Why a sender is refused, or null when it is our window's main frame on our page. */
export function senderProblem(event: SenderLike, expected: TrustedWindow | null): string | null {
  if (!expected) return 'no SyncDesk window is open'
  if (event.sender !== expected.webContents) return 'it is not the SyncDesk window'
  const frame = event.senderFrame
  // Null once the frame navigated away or was destroyed.
  if (!frame) return 'its frame is gone'
  if (frame !== expected.webContents.mainFrame) return 'it is not the main frame'
  if (!isRendererUrl(frame.url, expected.location)) return `it shows another page (${frame.url})`
  return null
}

/** Whether a request comes from the main frame of our own window showing the dashboard. */
export function isTrustedSender(event: SenderLike, expected: TrustedWindow | null): boolean {
  return senderProblem(event, expected) === null
}

/** What routeInvoke needs. */
export interface InvokeDeps {
  /** The window trusted now (it changes when the window is closed and opened again). */
  trusted(): TrustedWindow | null
  host: Pick<HostPort, 'dispatch'>
  /** One line for the log; never the request's arguments (they may hold a token). */
  log(line: string): void
  /** Told of every request that was dispatched and answered ok (the tray follows the selection). */
  onAnswered?(channel: RequestName, args: unknown): void
}

function refused(code: ErrorPayload['code'], message: string): Answer<RequestName> {
  return { ok: false, error: { code, message } }
}

function shown(value: unknown): string {
  const s = typeof value === 'string' ? value : typeof value
  return displayText(s.length > 80 ? s.slice(0, 80) + '…' : s)
}

/**
 * Checks one request and hands it to the host: an untrusted sender or an unknown channel is
 * refused with an error answer (and a log line), everything else is dispatched.
 */
export async function routeInvoke(event: SenderLike, channel: unknown, args: unknown, deps: InvokeDeps): Promise<Answer<RequestName>> {
  const problem = senderProblem(event, deps.trusted())
  if (problem) {
    deps.log(`SyncDesk refused the request ${shown(channel)}: ${displayText(problem)}`)
    return refused('invalid-request', 'This request did not come from the SyncDesk window.')
  }
  if (!isRequestName(channel)) {
    deps.log(`SyncDesk refused an unknown request ${shown(channel)}`)
    return refused('invalid-request', `SyncDesk has no request called ${shown(channel)}.`)
  }
  let answer: Answer<RequestName>
  try {
    answer = await deps.host.dispatch(channel, args)
  } catch (e) {
    // dispatch never throws by contract; a bug there still gets an answer, not a hung promise.
    deps.log(`SyncDesk: the request ${channel} failed: ${displayText(e instanceof Error ? e.message : String(e))}`)
    return refused('internal', 'Something went wrong inside SyncDesk.')
  }
  if (answer.ok) deps.onAnswered?.(channel, args)
  return answer
}

/** Registers the one invoke handler; returns the function that removes it. */
export function handleInvokes(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, deps: InvokeDeps): () => void {
  ipcMain.handle(INVOKE_CHANNEL, (event: IpcMainInvokeEvent, channel: unknown, args: unknown) => routeInvoke(event, channel, args, deps))
  return () => ipcMain.removeHandler(INVOKE_CHANNEL)
}

/** The message an event travels in. */
export interface EventMessage<E extends EventName = EventName> {
  event: E
  payload: Events[E]
}

/** Where events go: the window's webContents while it exists. */
export interface EventSink {
  isDestroyed(): boolean
  send(channel: string, message: EventMessage): void
}

/**
 * Forwards every host event to the window over the event channel as `{ event, payload }`;
 * events while no window is open are dropped (the window asks for fresh state when it opens).
 * Returns the function that stops forwarding.
 */
export function forwardEvents(host: Pick<HostPort, 'onEvent'>, target: () => EventSink | null): () => void {
  return host.onEvent((event, payload) => {
    const t = target()
    if (!t || t.isDestroyed()) return
    t.send(EVENT_CHANNEL, { event, payload } as EventMessage)
  })
}
