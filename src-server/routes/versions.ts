/**
 * Prior versions: `GET /v1/versions?path=` lists them, `GET /v1/versions/<id>/<path>` returns
 * one's content, `POST /v1/versions/restore` puts one back (a conditional write like any other).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Environment } from '../environment.js'
import { ApiError } from '../http-errors.js'
import { assertSyncablePath, itemPathFromUrl } from '../item-paths.js'
import { etag, isHash } from '../preconditions.js'
import { isVersionId } from '../versions.js'
import { sha256 } from '../../src-main/engine/atomic.js'
import { parseBody, tokenName } from './common.js'

const restoreSchema = z.object({ id: z.string(), path: z.string(), ifMatch: z.string().optional(), ifNoneMatch: z.literal('*').optional() })

/** Registers the version routes (inside the `/v1` prefix). */
export async function versionRoutes(app: FastifyInstance, opts: { env: Environment }): Promise<void> {
  const { env } = opts
  app.get('/versions', { config: { scope: 'read' } }, async (req: FastifyRequest) => {
    const q = req.query as { path?: string; limit?: string }
    if (q.path !== undefined) assertSyncablePath(q.path, env.filter())
    const limit = q.limit === undefined ? 1000 : Number(q.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new ApiError(400, 'invalid-request', 'limit must be an integer from 1 to 100000.')
    return { versions: await env.versions.list(q.path, limit) }
  })

  app.get('/versions/:id/*', { config: { scope: 'read' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const params = req.params as { id: string; '*': string }
    if (!isVersionId(params.id)) throw new ApiError(400, 'bad-version-id', `Invalid version id ${JSON.stringify(params.id)}.`)
    const p = itemPathFromUrl(params['*'] ?? '', env.filter())
    let content: Buffer
    try {
      content = await env.versions.read(params.id, p)
    } catch {
      throw new ApiError(404, 'version-not-found', `Version ${params.id} of ${p} is not kept on this environment.`)
    }
    return reply.header('etag', etag(sha256(content))).type('application/octet-stream').send(content)
  })

  app.post('/versions/restore', { config: { scope: 'write' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = parseBody(restoreSchema, req.body)
    if (body.ifMatch !== undefined && body.ifNoneMatch !== undefined) throw new ApiError(400, 'bad-precondition', 'Give either ifMatch or ifNoneMatch, not both.')
    if (body.ifMatch !== undefined && !isHash(body.ifMatch)) throw new ApiError(400, 'bad-precondition', 'ifMatch must be a sha256 hash.')
    const ifMatch = body.ifNoneMatch === '*' ? null : body.ifMatch
    const o = await env.restore(body.id, body.path, tokenName(req), ifMatch)
    if (o.status >= 400) return reply.code(o.status).send({ error: o.error })
    if (o.hash) reply.header('etag', etag(o.hash))
    return reply.code(200).send({ path: o.path, hash: o.hash ?? null, restoredFrom: body.id, versionId: o.versionId })
  })
}
