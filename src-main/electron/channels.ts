/**
 * The two Electron IPC channels SyncDesk uses, shared by main and the preload.
 *
 * Every contract request travels over one invoke channel and every event over one event
 * channel, with the contract's own name inside the message. Two fixed channels mean main
 * registers exactly one handler (one place to check senders) and the preload exposes no
 * channel names at all.
 */

/** Renderer → main: `(channel, args)`, answered with an `Answer`. */
export const INVOKE_CHANNEL = 'syncdesk:invoke'

/** Main → renderer: `{ event, payload }`. */
export const EVENT_CHANNEL = 'syncdesk:event'
