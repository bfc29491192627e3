/**
 * The environment server's HTTP app: one environment's project folder over an authenticated,
 * versioned API (`/v1`).
 *
 * Built from options so tests run it for real on 127.0.0.1 port 0. Every request needs a bearer
 * token (401 without a known one, 403 without the route's scope); every refusal is a JSON
 * `{error: {code, message}}`; one log line per request names the token, never the token itself
 * and never file contents. Routes are plugins under `/v1`: files, records
 * (`/v1/tables/<t>/records/<key>`, when the environment has a database), versions, status, deploy.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Environment, type EnvironmentOptions } from './environment.js'
import { ApiError, errorBody } from './http-errors.js'
import { deployRoutes } from './routes/deploy.js'
import { filesRoutes } from './routes/files.js'
import { recordsRoutes } from './routes/records.js'
import { statusRoutes } from './routes/status.js'
import { versionRoutes } from './routes/versions.js'
import { SCOPES, type Scope } from './tokens.js'

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
  /** Largest single-file upload, in bytes (default 256 MiB). */
  maxFileBytes?: number
  /** Largest batch request body, in bytes (default 64 MiB). */
  maxBatchBytes?: number
  /** Content bytes after which a batch read returns the remaining paths as `rest` (default 16 MiB). */
  maxReadBytes?: number
}

const MiB = 1024 * 1024

/** Builds the app (not listening yet); closing it flushes the environment's state. */
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const env = new Environment({ ...opts, serving: true })
  try {
    await env.openDatabase()
  } catch (err) {
    await env.close()
    throw err
  }
  const log = opts.log === undefined ? (line: string) => process.stderr.write(line + '\n') : opts.log
  const maxBatchBytes = opts.maxBatchBytes ?? 64 * MiB

  const app = Fastify({
    logger: false,
    bodyLimit: Math.min(maxBatchBytes, 1 * MiB),
    // Item paths can be long (up to 4096 characters, more once percent-encoded).
    routerOptions: { maxParamLength: 16_384 },
    // Malformed URLs (bad percent-encoding) get the same JSON refusal as everything else.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send(errorBody('bad-url', `The request URL is not valid (${err.message}).`))
    },
  })
  app.decorate('environment', env)
  // JSON endpoints take JSON only (file bodies have their own parser in the files plugin).
  app.removeContentTypeParser('text/plain')

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = req.headers.authorization
    const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null
    if (!m) {
      void reply.header('www-authenticate', 'Bearer')
      throw new ApiError(401, 'unauthorized', 'This environment needs a token: send "Authorization: Bearer <token>".')
    }
    const token = env.tokens.verify(m[1] as string)
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

  app.setErrorHandler((err: FastifyError | ApiError, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return reply.code(err.statusCode).send(err.toBody())
    const code = (err as FastifyError).code
    const status = (err as FastifyError).statusCode
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return reply.code(413).send(errorBody('body-too-large', 'The request body is larger than this environment accepts: send smaller batches.'))
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) return reply.code(400).send(errorBody('malformed-json', 'The request body is not valid JSON.'))
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return reply.code(415).send(errorBody('unsupported-media-type', 'Send JSON (Content-Type: application/json).'))
    if (status && status >= 400 && status < 500) return reply.code(status).send(errorBody('bad-request', err.message))
    if (log) log(`${new Date().toISOString()} internal error: ${err.message}`)
    return reply.code(500).send(errorBody('internal', 'The environment server failed to handle this request; see its log.'))
  })

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    void reply.code(404).send(errorBody('not-found', `No such endpoint: ${req.method} ${req.url.split('?')[0]}.`))
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
  return app
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The environment this app serves (for the start-up sweep and tests). */
    environment: Environment
  }
}
