/**
 * Refusals the environment server answers with: an HTTP status and a JSON body
 * `{error: {code, message}}`.
 *
 * Every 4xx and 5xx carries this body, so clients (the server remote, scripts, curl users)
 * can show one clear line and branch on a stable `code` instead of parsing prose. That holds
 * for requests Node's HTTP parser refuses before any route sees them (an oversized URL or
 * header, a malformed Content-Length or chunked body, garbage): `answerClientError` writes the
 * same body on the raw socket, then closes the connection, since the parser cannot resume.
 */
import http from 'node:http'
import type { Socket } from 'node:net'

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

/** An error of Node's HTTP parser, as the server's `clientError` event passes it. */
export interface ClientError extends Error {
  code?: string
  /** llhttp's plain-words reason ("Invalid character in Content-Length"). */
  reason?: string
}

/** Plain words for the parser errors whose own reason says little to a user. */
const PLAIN_REASONS: Record<string, string> = {
  HPE_PAUSED_H2_UPGRADE: 'it is HTTP/2, and this server speaks HTTP/1.1',
  HPE_INVALID_EOF_STATE: 'the connection ended before the request was complete',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'its chunk extensions are too large',
}

/**
 * The refusal for a request Node's HTTP layer rejected.
 *
 * The URL counts towards the header limit (Node parses the request line and headers against
 * one budget, `--max-http-header-size`), so an oversized URL and oversized headers are the
 * same 431.
 */
export function clientErrorRefusal(err: ClientError): ApiError {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const kib = Math.round(http.maxHeaderSize / 1024)
    return new ApiError(431, 'headers-too-large', `The request's URL and headers are larger than this environment accepts (${kib} KiB together): shorten the URL or send fewer or smaller headers.`)
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError(408, 'request-timeout', 'The request did not arrive in time: send it again.')
  const reason = PLAIN_REASONS[err.code ?? ''] ?? (err.reason ?? err.message).replace(/^Parse Error:\s*/i, '').replace(/\s+/g, ' ').replace(/\.$/, '')
  return new ApiError(400, 'bad-http-request', `The request is not valid HTTP/1.1 (${reason || 'it could not be parsed'}): send a well-formed request.`)
}

/** A complete HTTP/1.1 answer carrying a refusal, for a raw socket; the connection closes after it. */
export function rawRefusal(err: ApiError): Buffer {
  const body = Buffer.from(JSON.stringify(err.toBody()), 'utf8')
  const head = [
    `HTTP/1.1 ${err.statusCode} ${http.STATUS_CODES[err.statusCode] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${body.byteLength}`,
    'Connection: close',
    `Date: ${new Date().toUTCString()}`,
  ]
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body])
}

/** How long a refused connection may keep sending (the rest of a body) before it is cut. */
const LINGER_MS = 2000

/** Sockets already answered (or waiting to be): the parser reports its error again on every chunk that follows. */
const answered = new WeakSet<Socket>()
const pending = new WeakSet<Socket>()

/**
 * Sends `err` on a raw socket and closes the connection.
 *
 * It half-closes first, so the client reads the answer rather than a reset while it is still
 * sending, and destroys the socket after LINGER_MS at the latest.
 */
export function refuseConnection(socket: Socket, err: ApiError): void {
  if (answered.has(socket)) return
  answered.add(socket)
  if (socket.destroyed || !socket.writable) {
    socket.destroy()
    return
  }
  socket.end(rawRefusal(err))
  setTimeout(() => socket.destroy(), LINGER_MS).unref()
}

/** The answer Node is writing on a socket right now (Node's own bookkeeping, as its default handler uses it). */
function inFlight(socket: Socket): (http.ServerResponse & { req?: http.IncomingMessage }) | null {
  const res = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage
  return res && !res.writableFinished ? res : null
}

/**
 * The server's `clientError` handler: answers what Node's HTTP parser refused with the JSON
 * refusal, never Node's bare 400 or 431.
 *
 * When an answer is in flight on the connection, the parse error is either in that request's
 * own body (a bad chunk: the refusal is its answer, unless that answer has started) or in a
 * request pipelined after it (the refusal follows the earlier answers, so no answer goes to
 * the wrong request).
 */
export function answerClientError(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
    socket.destroy()
    return
  }
  if (pending.has(socket) || answered.has(socket)) return
  pending.add(socket)
  const refusal = clientErrorRefusal(err)
  const res = inFlight(socket)
  if (!res) return refuseConnection(socket, refusal)
  if (res.req && !res.req.complete) {
    if (res.headersSent) {
      socket.destroy()
      return
    }
    return refuseConnection(socket, refusal)
  }
  const afterAnswers = (): void => {
    const next = inFlight(socket)
    if (next) next.once('finish', afterAnswers)
    else refuseConnection(socket, refusal)
  }
  res.once('finish', afterAnswers)
  res.once('close', () => {
    if (!res.writableFinished) socket.destroy()
  })
}

/** The server's `checkExpectation` handler: an `Expect` other than 100-continue is refused with 417. */
export function answerExpectation(_req: http.IncomingMessage, res: http.ServerResponse): void {
  const body = JSON.stringify(errorBody('expectation-failed', 'This environment understands only "Expect: 100-continue": leave the Expect header out.'))
  res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' })
  res.end(body)
}
