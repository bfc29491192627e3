/**
 * Errors as data: the codes every face knows, and the payload that crosses the contract.
 *
 * The engine and the host say what went wrong with a code, one plain line and structured
 * details; each face puts the code in its own words (the CLI names its flags, MCP its
 * arguments, the dashboard its buttons). Pure types: no Node, no DOM.
 */

/** Every error code SyncDesk reports. */
export const ERROR_CODES = [
  'usage',
  'invalid-request',
  'not-initialized',
  'config-invalid',
  'env-unknown',
  'env-exists',
  'project-unknown',
  'locked',
  'guard',
  'conflicts',
  'not-empty',
  'path-refused',
  'io',
  'remote-unreachable',
  'remote-refused',
  'remote-error',
  'keychain',
  'cancelled',
  'not-found',
  'state-unsafe',
  'plan-stale',
  'plan-unknown',
  'confirmation-needed',
  'internal',
] as const

/** One error code. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/** Structured facts about an error (an environment's name, the guard's finding, a count). */
export type ErrorDetails = Record<string, string | number | boolean | null | string[]>

/**
 * An error as it crosses the contract: its code, its one-line message, a face-neutral hint
 * (what to do, in no face's words) and the details a face needs to word it.
 */
export interface ErrorPayload {
  code: ErrorCode
  message: string
  hint?: string
  details?: ErrorDetails
}
