/**
 * Errors a user can read.
 *
 * Every failure that reaches a face is a SyncDeskError with a code, a one-line message in plain
 * words, where there is one a hint in no face's words, and structured details from which each
 * face adds its own (a flag, an argument, a button). Faces print `message` and never a stack.
 */
import type { ErrorCode, ErrorDetails, ErrorPayload } from '../../src-shared/errors.js'

export type { ErrorCode, ErrorDetails, ErrorPayload } from '../../src-shared/errors.js'

/** An error a user can read: a code, a one-line message, a neutral hint and details. */
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

/** A short description of any thrown value, for messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') return 'the disk is full'
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
    if (code === 'EROFS') return 'the file system is read-only'
    if (code === 'ENOENT') return 'no such file or directory'
    return err.message
  }
  return String(err)
}
