/**
 * Errors a user can read, as the engine throws them.
 *
 * Every failure that reaches a face is a SyncDeskError with a code, a one-line message in plain
 * words, where there is one a hint in no face's words, and structured details from which each
 * face adds its own (a flag, an argument, a button). The class is pure and lives in src-shared,
 * so that every face (the renderer included) knows the same errors.
 */
export { SyncDeskError, describeError } from '../../src-shared/errors.js'
export type { ErrorCode, ErrorDetails, ErrorPayload } from '../../src-shared/errors.js'
