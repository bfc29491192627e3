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

/**
 * An error a user can read: a code, a one-line message, a neutral hint and details.
 *
 * The engine and the host throw it; `toPayload` is what crosses the contract. Every face
 * prints `message` (plus its own words for the code) and never a stack.
 */
export class SyncDeskError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: ErrorDetails,
  ) {
    super(message)
    this.name = 'SyncDeskError'
  }

  /** The error as data, for the contract. */
  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), ...(this.details ? { details: this.details } : {}) }
  }
}

/** A short description of any thrown value, for messages (system errors in plain words). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code
    if (code === 'ENOSPC') return 'the disk is full'
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
    if (code === 'EROFS') return 'the file system is read-only'
    if (code === 'ENOENT') return 'no such file or directory'
    return err.message
  }
  return String(err)
}
