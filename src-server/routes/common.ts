/**
 * Helpers every route shares: body validation and the name of the calling token.
 */
import type { FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { ApiError } from '../http-errors.js'

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
