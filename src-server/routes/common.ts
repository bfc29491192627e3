/**
 * Helpers every route shares: body validation and the name of the calling token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { ApiError } from '../http-errors.js'
import { etag } from '../preconditions.js'

/** Parses a JSON body with a schema, refusing it with 400 and the first problem found. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null) throw new ApiError(400, 'invalid-request', 'The request needs a JSON body.')
  const res = schema.safeParse(body)
  if (!res.success) {
    const issue = res.error.issues[0]
    const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : ''
    throw new ApiError(400, 'invalid-request', `Invalid request body${where}: ${issue?.message ?? 'not the expected shape'}.`)
  }
  return res.data
}

/** The name of the token that made the request (set by the auth hook). */
export function tokenName(req: FastifyRequest): string {
  return req.tokenName ?? 'unknown'
}

/**
 * Sorts the items of a batch into those answered at once (refused) and those to apply.
 *
 * `accept` returns the item's refusal, or the request to apply. Keeping a slot per item lets
 * `inOrder` put the applied answers back where they belong, so answers follow request order.
 */
export function triage<I, R, O>(items: readonly I[], accept: (item: I) => { refused: O } | { request: R }): { answers: (O | null)[]; requests: R[] } {
  const answers: (O | null)[] = []
  const requests: R[] = []
  for (const item of items) {
    const verdict = accept(item)
    if ('refused' in verdict) answers.push(verdict.refused)
    else {
      answers.push(null)
      requests.push(verdict.request)
    }
  }
  return { answers, requests }
}

/** Fills the open slots of `triage` with the applied answers, in order. */
export function inOrder<O>(answers: readonly (O | null)[], applied: readonly O[]): O[] {
  let next = 0
  return answers.map((a) => a ?? (applied[next++] as O))
}

/** One item's outcome, file or record: its HTTP status, new hash, or error. */
export interface Outcome {
  status: number
  hash?: string | null
  error?: { code: string; message: string; currentHash?: string | null }
}

/**
 * Answers a single-item write or delete: an error body (with the current ETag on a 412), or
 * the item's name (its `path` or `key`) with the new hash and the version that kept the old content.
 */
export function sendOutcome<O extends Outcome>(reply: FastifyReply, o: O, name: keyof O & ('path' | 'key'), versionId: string | null): FastifyReply {
  if (o.status >= 400) {
    const e = o.error ?? { code: 'error', message: 'failed' }
    if (e.currentHash) reply.header('etag', etag(e.currentHash))
    return reply.code(o.status).send({ error: e })
  }
  if (o.hash) reply.header('etag', etag(o.hash))
  return reply.code(o.status).send({ [name]: o[name], hash: o.hash ?? null, versionId })
}
