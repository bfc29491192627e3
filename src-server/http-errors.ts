/**
 * Refusals the environment server answers with: an HTTP status and a JSON body
 * `{error: {code, message}}`.
 *
 * Every 4xx and 5xx carries this body, so clients (the server remote, scripts, curl users)
 * can show one clear line and branch on a stable `code` instead of parsing prose.
 */

/** The JSON body of every refusal. */
export interface ErrorBody {
  error: { code: string; message: string }
}

/** A refusal thrown by a handler; the error handler turns it into its status and body. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields merged into `error` (e.g. the current hash on 412). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The response body. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ?? {}) } }
  }
}

/** The body for a status and code. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } }
}
