/**
 * HTTP preconditions of item writes: `If-Match: "<sha256>"` to replace, `If-None-Match: *`
 * to create.
 *
 * A write without one is refused (428): every write names the state it expects, so nothing is
 * ever overwritten blindly. Files and records (`/v1/tables/<t>/records/<key>`) use the same rules.
 */
import { ApiError } from './http-errors.js'

const HASH_RE = /^[0-9a-f]{64}$/

/** True for a lower-case hex sha256. */
export function isHash(v: unknown): v is string {
  return typeof v === 'string' && HASH_RE.test(v)
}

/** The ETag header value for a content hash. */
export function etag(hash: string): string {
  return `"${hash}"`
}

/**
 * A hash no content has: the expected state of a write whose If-Match cannot match (a
 * well-formed entity-tag that is not one of ours, a weak tag), so it answers 412 as RFC 9110
 * §13.1.1 says, through the same compare-and-swap as every write.
 */
export const NEVER_MATCHES = '0'.repeat(64)

/** `If-Match: *`: the write needs the item to exist, whatever its content; the route resolves it. */
export const ANY_CURRENT = 'any-current'

/** An entity-tag list as RFC 9110 writes it: `*`, or `"tag"` / `W/"tag"` separated by commas. */
const ETAG_LIST = /^\s*(?:\*|(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"(?:\s*,\s*(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")*)\s*$/

/**
 * The expected hash from request headers: a hash for If-Match, null for If-None-Match: *.
 * `allowCreate` is false for deletes (only If-Match makes sense there). An If-Match of
 * well-formed tags none of which is one of ours gives NEVER_MATCHES (a 412); `*` gives
 * ANY_CURRENT, which the route turns into the item's current hash.
 */
export function expectedHashFromHeaders(ifMatch: string | undefined, ifNoneMatch: string | undefined, allowCreate: boolean): string | null {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw new ApiError(400, 'bad-precondition', 'Send either If-Match or If-None-Match, not both.')
  if (ifMatch !== undefined) {
    if (!ETAG_LIST.test(ifMatch)) throw new ApiError(400, 'bad-precondition', 'If-Match must be an entity-tag list: "<sha256>", or *.')
    if (ifMatch.trim() === '*') return ANY_CURRENT
    // Strong comparison: only an exact, non-weak tag of ours can match.
    const ours = /(?:^|,)\s*"([0-9a-f]{64})"\s*(?=,|$)/.exec(ifMatch)
    return ours ? (ours[1] as string) : NEVER_MATCHES
  }
  if (ifNoneMatch !== undefined) {
    if (!allowCreate) throw new ApiError(400, 'bad-precondition', 'A delete takes If-Match with the hash it expects.')
    if (ifNoneMatch.trim() !== '*') throw new ApiError(400, 'bad-precondition', 'If-None-Match accepts only "*" (create when absent).')
    return null
  }
  throw new ApiError(428, 'precondition-required', allowCreate ? 'A write needs If-Match: "<hash>" (update) or If-None-Match: * (create).' : 'A delete needs If-Match: "<hash>".')
}

/** The expected hash with `If-Match: *` resolved: the item's current hash, or NEVER_MATCHES when it is absent. */
export async function resolveExpected(expected: string | null, current: () => Promise<string | null>): Promise<string | null> {
  if (expected !== ANY_CURRENT) return expected
  return (await current().catch(() => null)) ?? NEVER_MATCHES
}

/** The expected hash of one batch item (`ifMatch` / `ifNoneMatch`), or its refusal. */
export function expectedHashOfItem(item: { ifMatch?: unknown; ifNoneMatch?: unknown }, allowCreate: boolean): string | null | ApiError {
  const hasMatch = item.ifMatch !== undefined && item.ifMatch !== null
  const hasNone = item.ifNoneMatch !== undefined && item.ifNoneMatch !== null
  if (hasMatch && hasNone) return new ApiError(400, 'bad-precondition', 'Give either ifMatch or ifNoneMatch, not both.')
  if (hasMatch) return isHash(item.ifMatch) ? item.ifMatch : new ApiError(400, 'bad-precondition', 'ifMatch must be a sha256 hash (64 lower-case hex digits).')
  if (hasNone) {
    if (!allowCreate) return new ApiError(400, 'bad-precondition', 'A delete takes ifMatch with the hash it expects.')
    return item.ifNoneMatch === '*' ? null : new ApiError(400, 'bad-precondition', 'ifNoneMatch accepts only "*".')
  }
  return new ApiError(428, 'precondition-required', allowCreate ? 'Each write needs ifMatch (update) or ifNoneMatch: "*" (create).' : 'Each delete needs ifMatch.')
}
