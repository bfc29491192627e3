/**
 * The environment server's HTTP app: one environment's project folder over an authenticated,
 * versioned API (`/v1`).
 *
 * Built from options so tests run it for real on 127.0.0.1 port 0. Every request needs a bearer
 * token (401 without a known one, 403 without the route's scope, 503 while the token file is
 * damaged: fail closed, and say so); every refusal is a JSON `{error: {code, message}}`, those
 * of Node's HTTP layer (oversized headers, malformed framing) included; one log line per
 * request names the token, never the token itself and never file contents. Routes are plugins
 * under `/v1`: files, records (`/v1/tables/<t>/records/<key>`, when the environment has a
 * database), versions, status, deploy.
 */
import type { Socket } from 'node:net'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods } from 'fastify'
import { Environment, type EnvironmentOptions } from './environment.js'
import { answerClientError, answerExpectation, ApiError, errorBody, refuseConnection } from './http-errors.js'
import { deployRoutes } from './routes/deploy.js'
import { filesRoutes } from './routes/files.js'
import { recordsRoutes } from './routes/records.js'
import { statusRoutes } from './routes/status.js'
import { versionRoutes } from './routes/versions.js'
import { SCOPES, TokenFileDamaged, type Scope } from './tokens.js'
import { displayText } from '../src-shared/display-text.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a token needs for this route. */
    scope?: Scope
  }
  interface FastifyRequest {
    /** The name of the token that made the request. */
    tokenName?: string
  }
}

export interface ServerOptions extends EnvironmentOptions {
  /** Where request lines go; false: nowhere (tests). Default: stderr. */
  log?: false | ((line: string) => void)
  /**
   * Where lines for the operator go (a damaged token file, an internal error); false: nowhere.
   * Default: where `log` goes, or stderr when `log` is not given.
   */
  warn?: false | ((line: string) => void)
  /** Largest single-file upload, in bytes (default 256 MiB). */
  maxFileBytes?: number
  /** Largest batch request body, in bytes (default 64 MiB). */
  maxBatchBytes?: number
  /** Content bytes after which a batch read returns the remaining paths as `rest` (default 16 MiB). */
  maxReadBytes?: number
  /** Prune prior versions at start and then this often (default 1 hour); false: never by itself. */
  pruneIntervalMs?: number | false
}

const MiB = 1024 * 1024

/** The methods the API's endpoints may have: a 405 lists those the URL has (`Allow`). */
const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']

/** What a client is told while the token file is damaged (no server paths: those go to the log). */
const TOKENS_UNREADABLE = 'The environment server\'s token file is damaged, so it refuses every request. Its operator must fix it: run "syncdesk-server token create NAME --scopes read,write --project-dir DIR" on the server (it moves the damaged file aside), then use the new token.'

/** Builds the app (not listening yet); closing it flushes the environment's state. */
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const env = new Environment({ ...opts, serving: true })
  try {
    await env.openDatabase()
  } catch (err) {
    await env.close()
    throw err
  }
  const stderr = (line: string): void => void process.stderr.write(line + '\n')
  // Log lines can carry names a client sent: each is escaped before it reaches a terminal or a file.
  const escaped = (sink: false | ((line: string) => void)) => (sink ? (line: string) => sink(displayText(line)) : false)
  const log = escaped(opts.log === undefined ? stderr : opts.log)
  const warn = escaped(opts.warn !== undefined ? opts.warn : opts.log !== undefined ? opts.log : stderr)
  const maxBatchBytes = opts.maxBatchBytes ?? 64 * MiB
  env.tokens.onDamaged = (err) => {
    if (warn) warn(`syncdesk-server: ${err.message} Every request is refused (503 tokens-unreadable) until it is fixed. ${err.hint ?? ''}`.trimEnd())
  }

  const app = Fastify({
    logger: false,
    bodyLimit: Math.min(maxBatchBytes, 1 * MiB),
    // Item paths can be long (up to 4096 characters, more once percent-encoded).
    routerOptions: { maxParamLength: 16_384 },
    // Malformed URLs (bad percent-encoding) get the same JSON refusal as everything else.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send(errorBody('bad-url', `The request URL is not valid (${err.message}).`))
    },
    // What Node's HTTP parser refuses (431, malformed framing) gets it too, on the raw socket.
    clientErrorHandler: answerClientError,
    // Node would answer a missing Host with a bare 400; the onRequest hook refuses it in JSON.
    http: { requireHostHeader: false },
  })
  app.server.on('checkExpectation', answerExpectation)
  app.server.on('connect', (_req: unknown, socket: Socket) => refuseConnection(socket, new ApiError(405, 'method-not-allowed', 'CONNECT is not allowed: this is an API server, not a proxy.')))
  app.decorate('environment', env)
  // JSON endpoints take JSON only (file bodies have their own parser in the files plugin).
  app.removeContentTypeParser('text/plain')

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.raw.httpVersion === '1.1' && req.headers.host === undefined) {
      void reply.header('connection', 'close')
      throw new ApiError(400, 'bad-http-request', 'The request is not valid HTTP/1.1 (it has no Host header): send a Host header.')
    }
    const auth = req.headers.authorization
    const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null
    if (!m) {
      void reply.header('www-authenticate', 'Bearer')
      throw new ApiError(401, 'unauthorized', 'This environment needs a token: send "Authorization: Bearer <token>".')
    }
    let token
    try {
      token = env.tokens.verify(m[1] as string)
    } catch (err) {
      if (err instanceof TokenFileDamaged) throw new ApiError(503, 'tokens-unreadable', TOKENS_UNREADABLE)
      throw err
    }
    if (!token) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw new ApiError(401, 'unauthorized', 'The token is not known to this environment (wrong, or revoked).')
    }
    req.tokenName = token.name
    if (req.is404) return
    const scope = req.routeOptions.config.scope
    if (!scope || !(SCOPES as readonly string[]).includes(scope)) throw new ApiError(403, 'forbidden', 'This route has no scope; it is refused.')
    if (!token.scopes.includes(scope)) throw new ApiError(403, 'forbidden', `The token "${token.name}" lacks the "${scope}" scope.`)
  })

  if (log) {
    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const urlPath = req.url.split('?')[0] ?? ''
      log(`${new Date().toISOString()} ${req.method} ${urlPath} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms token=${req.tokenName ?? '-'}`)
    })
  }

  app.setErrorHandler((err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return reply.code(err.statusCode).send(err.toBody())
    const code = (err as FastifyError).code
    const status = (err as FastifyError).statusCode
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      const limit = req.routeOptions.bodyLimit
      const most = limit ? ` (at most ${limit >= MiB ? `${Math.floor(limit / MiB)} MiB` : `${limit} bytes`} here)` : ''
      return reply.code(413).send(errorBody('body-too-large', `The request body is larger than this environment accepts${most}: send less in one request (smaller batches).`))
    }
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) return reply.code(400).send(errorBody('malformed-json', 'The request body is not valid JSON: send a well-formed JSON body.'))
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      const type = req.headers['content-type']
      return reply.code(415).send(errorBody('unsupported-media-type', `This endpoint takes JSON, not ${type ? JSON.stringify(type.slice(0, 100)) : 'a body without a Content-Type'}: send JSON with Content-Type: application/json.`))
    }
    if (status && status >= 400 && status < 500) return reply.code(status).send(errorBody('bad-request', err.message))
    if (warn) warn(`${new Date().toISOString()} internal error: ${err.message.replace(/\s+/g, ' ')}`)
    return reply.code(500).send(errorBody('internal', 'The environment server failed to handle this request; see its log.'))
  })

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const urlPath = req.url.split('?')[0] ?? ''
    const allowed = METHODS.filter((method) => method !== req.method && app.findRoute({ method, url: req.url }) !== null)
    if (allowed.length > 0) {
      const choices = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}` : allowed[0]
      void reply.code(405).header('allow', allowed.join(', ')).send(errorBody('method-not-allowed', `${req.method} is not allowed on ${urlPath}: use ${choices}.`))
      return
    }
    void reply.code(404).send(errorBody('not-found', `No such endpoint: ${req.method} ${urlPath}.`))
  })

  await app.register(
    async (v1) => {
      await v1.register(filesRoutes, { env, maxFileBytes: opts.maxFileBytes ?? 256 * MiB, maxBatchBytes, maxReadBytes: opts.maxReadBytes ?? 16 * MiB })
      await v1.register(recordsRoutes, { env, maxBatchBytes })
      await v1.register(versionRoutes, { env })
      await v1.register(statusRoutes, { env })
      await v1.register(deployRoutes, { env })
    },
    { prefix: '/v1' },
  )

  app.addHook('onClose', async () => {
    await env.close()
  })
  if (opts.pruneIntervalMs !== false) {
    env.startPruning(opts.pruneIntervalMs ?? 3_600_000, (r) => {
      if (r instanceof Error) {
        if (warn) warn(`syncdesk-server: pruning prior versions failed: ${r.message.replace(/\s+/g, ' ')}`)
        return
      }
      const n = r.files.removed + r.records.removed
      if (n > 0 && log) log(`syncdesk-server: pruned ${r.files.removed} file version(s) and ${r.records.removed} record version(s) (${r.files.bytes + r.records.bytes} bytes) past the retention (the newest ${r.retention.keepPerItem} of each item and ${r.retention.keepDays} days are kept)`)
    })
  }
  return app
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The environment this app serves (for the start-up sweep and tests). */
    environment: Environment
  }
}
