/**
 * Errors a user can read.
 *
 * Every failure that reaches a face is a SyncDeskError with a one-line message in plain words
 * (and, where there is one, a hint for what to do). Faces print `message` and never a stack.
 */

export type ErrorCode =
  | 'usage'
  | 'not-initialized'
  | 'config-invalid'
  | 'env-unknown'
  | 'env-exists'
  | 'locked'
  | 'guard'
  | 'conflicts'
  | 'not-empty'
  | 'path-refused'
  | 'io'
  | 'remote-unreachable'
  | 'remote-refused'
  | 'remote-error'
  | 'keychain'
  | 'cancelled'
  | 'not-found'
  | 'state-unsafe'

/** Exit codes of the CLI, documented in the README. */
export const EXIT = { ok: 0, error: 1, usage: 2, stopped: 3 } as const

export class SyncDeskError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'SyncDeskError'
  }

  /** The CLI exit code for this error. */
  get exitCode(): number {
    if (this.code === 'usage') return EXIT.usage
    if (this.code === 'guard' || this.code === 'conflicts') return EXIT.stopped
    return EXIT.error
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
