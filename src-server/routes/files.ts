/**
 * `/v1/files`: the manifest, one file at a time (raw bytes, ETag, If-Match), and batches.
 *
 * The manifest carries its version as its ETag, so a client polling for changes sends
 * `If-None-Match` and, while nothing changed, gets a 304 with no body: a no-change poll of
 * ten thousand files moves a few hundred bytes and (with the folder watched) reads no disk.
 *
 * Batches exist so ten thousand small files cost a few dozen round trips: `POST
 * /v1/files/read` returns contents as base64 in JSON and `POST /v1/files/write` applies
 * conditional writes and deletes with a result per item. A refused item (bad path, missing
 * precondition, stale) never fails the rest of its batch.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { sha256 } from '../../src-main/engine/atomic.js'
import type { DeleteRequest, WriteRequest } from '../../src-main/engine/dir-store.js'
import type { Environment, ItemOutcome } from '../environment.js'
import { ApiError } from '../http-errors.js'
import { itemPathFromUrl, itemPathRefusal } from '../item-paths.js'
import { etag, expectedHashFromHeaders, expectedHashOfItem, resolveExpected } from '../preconditions.js'
import { inOrder, parseBody, sendOutcome, tokenName, triage } from './common.js'
import { appendAll } from '../../src-main/engine/arrays.js'

export interface FilesRouteOptions {
  env: Environment
  /** Largest single-file body (PUT). */
  maxFileBytes: number
  /** Largest batch request body (JSON). */
  maxBatchBytes: number
  /** Content bytes after which a batch read stops and returns the rest as `rest`. */
  maxReadBytes: number
}

/** Most items one batch request may carry. */
export const MAX_BATCH_ITEMS = 10_000

const readSchema = z.object({ paths: z.array(z.string()).max(MAX_BATCH_ITEMS) })
const writeSchema = z.object({
  items: z
    .array(z.object({ path: z.string(), content: z.string(), ifMatch: z.string().nullish(), ifNoneMatch: z.string().nullish() }))
    .max(MAX_BATCH_ITEMS)
    .default([]),
  deletes: z
    .array(z.object({ path: z.string(), ifMatch: z.string().nullish(), ifNoneMatch: z.string().nullish() }))
    .max(MAX_BATCH_ITEMS)
    .default([]),
})

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/

function decodeBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !BASE64_RE.test(s)) return null
  return Buffer.from(s, 'base64')
}

function refusal(p: string, err: ApiError): ItemOutcome {
  return { path: p, status: err.statusCode, error: { code: err.code, message: err.message } }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** Registers the file routes (inside the `/v1` prefix). */
export async function filesRoutes(app: FastifyInstance, opts: FilesRouteOptions): Promise<void> {
  const { env } = opts

  // The manifest is versioned: its ETag is the manifest's version, and a client that sends it
  // back (If-None-Match) gets 304 and no body while nothing changed, usually without a scan.
  // Without If-None-Match the folder is always scanned: the answer is as fresh as can be.
  app.get('/files', { config: { scope: 'read' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const ifNoneMatch = header(req, 'if-none-match')
    const manifest = await env.manifest({ fresh: ifNoneMatch === undefined })
    void reply.header('etag', manifestEtag(manifest.version)).header('cache-control', 'private, no-cache')
    if (ifNoneMatch !== undefined && etagListMatches(ifNoneMatch, manifest.version)) return reply.code(304).send()
    return reply.type('application/json; charset=utf-8').send(manifest.body)
  })

  app.post('/files/read', { config: { scope: 'read' }, bodyLimit: opts.maxBatchBytes }, async (req: FastifyRequest) => {
    const { paths } = parseBody(readSchema, req.body)
    const filter = env.filter()
    const items: object[] = []
    const rest: string[] = []
    let bytes = 0
    let pulled = 0
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i] as string
      if (bytes >= opts.maxReadBytes && items.length > 0) {
        appendAll(rest, paths.slice(i))
        break
      }
      const refused = itemPathRefusal(p, filter)
      if (refused) {
        items.push(refusal(p, refused))
        continue
      }
      try {
        const content = await env.store.read(p)
        bytes += content.byteLength
        items.push({ path: p, status: 200, hash: sha256(content), size: content.byteLength, content: content.toString('base64') })
        pulled++
      } catch (err) {
        if (isMissing(err)) items.push({ path: p, status: 404, error: { code: 'not-found', message: `${p} does not exist on this environment.` } })
        else items.push({ path: p, status: 400, error: { code: 'not-readable', message: `${p} cannot be read (not a regular file, or a symbolic link).` } })
      }
    }
    if (pulled > 0) env.status.recordPull(tokenName(req), pulled)
    return { items, rest }
  })

  app.post('/files/write', { config: { scope: 'write' }, bodyLimit: opts.maxBatchBytes }, async (req: FastifyRequest) => {
    const body = parseBody(writeSchema, req.body)
    const filter = env.filter()
    const seen = new Map<string, number>()
    for (const it of [...body.items, ...body.deletes]) seen.set(it.path, (seen.get(it.path) ?? 0) + 1)
    const check = (p: string, expected: string | null | ApiError): ApiError | null => {
      if ((seen.get(p) ?? 0) > 1) return new ApiError(400, 'duplicate-path', `${p} appears more than once in this batch.`)
      return itemPathRefusal(p, filter) ?? (expected instanceof ApiError ? expected : null)
    }
    const writes = triage(body.items, (it): { refused: ItemOutcome } | { request: WriteRequest } => {
      const expected = expectedHashOfItem(it, true)
      const refused = check(it.path, expected)
      if (refused) return { refused: refusal(it.path, refused) }
      const content = decodeBase64(it.content)
      if (!content) return { refused: refusal(it.path, new ApiError(400, 'bad-content', 'content must be base64.')) }
      return { request: { path: it.path, content, expectedHash: expected as string | null } }
    })
    const deletes = triage(body.deletes, (it): { refused: ItemOutcome } | { request: DeleteRequest } => {
      const expected = expectedHashOfItem(it, false)
      const refused = check(it.path, expected)
      return refused ? { refused: refusal(it.path, refused) } : { request: { path: it.path, expectedHash: expected as string } }
    })
    const applied =
      writes.requests.length || deletes.requests.length
        ? await env.apply(writes.requests, deletes.requests, tokenName(req))
        : { writes: [], deletes: [], versionId: null }
    return {
      writes: inOrder(writes.answers, applied.writes as ItemOutcome[]),
      deletes: inOrder(deletes.answers, applied.deletes as ItemOutcome[]),
      versionId: applied.versionId,
    }
  })

  // One file at a time: raw bytes in and out. Any content type is taken as the file's bytes.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers()
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.maxFileBytes }, (_req, body, done) => done(null, body))

    raw.get('/files/*', { config: { scope: 'read' } }, async (req: FastifyRequest, reply: FastifyReply) => {
      const p = itemPathFromUrl(wildcard(req), env.filter())
      let content: Buffer
      try {
        content = await env.store.read(p)
      } catch (err) {
        if (isMissing(err)) throw new ApiError(404, 'not-found', `${p} does not exist on this environment.`)
        throw new ApiError(400, 'not-readable', `${p} cannot be read (not a regular file, or a symbolic link).`)
      }
      return reply.header('etag', etag(sha256(content))).type('application/octet-stream').send(content)
    })

    raw.put('/files/*', { config: { scope: 'write' }, bodyLimit: opts.maxFileBytes }, async (req: FastifyRequest, reply: FastifyReply) => {
      const p = itemPathFromUrl(wildcard(req), env.filter())
      const expected = await resolveExpected(expectedHashFromHeaders(header(req, 'if-match'), header(req, 'if-none-match'), true), () => env.store.currentHash(p))
      const content = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      const res = await env.apply([{ path: p, content, expectedHash: expected }], [], tokenName(req))
      return sendOutcome(reply, res.writes[0] as ItemOutcome, 'path', res.versionId)
    })

    raw.delete('/files/*', { config: { scope: 'write' } }, async (req: FastifyRequest, reply: FastifyReply) => {
      const p = itemPathFromUrl(wildcard(req), env.filter())
      const expected = (await resolveExpected(expectedHashFromHeaders(header(req, 'if-match'), header(req, 'if-none-match'), false), () => env.store.currentHash(p))) as string
      const res = await env.apply([], [{ path: p, expectedHash: expected }], tokenName(req))
      return sendOutcome(reply, res.deletes[0] as ItemOutcome, 'path', res.versionId)
    })
  })
}

/** The ETag of a manifest version. */
export function manifestEtag(version: string): string {
  return `"${version}"`
}

/**
 * Whether an If-None-Match header names this manifest version: `*`, or a list of ETags,
 * weak (`W/"…"`) or strong, compared by their value (RFC 9110's weak comparison, the one
 * If-None-Match uses).
 */
export function etagListMatches(ifNoneMatch: string, version: string): boolean {
  if (ifNoneMatch.trim() === '*') return true
  for (const m of ifNoneMatch.matchAll(/(?:W\/)?"([^"]*)"/g)) if (m[1] === version) return true
  return false
}

function wildcard(req: FastifyRequest): string {
  return (req.params as Record<string, string>)['*'] ?? ''
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : v
}

