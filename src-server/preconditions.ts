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
 * The expected hash from request headers: a hash for If-Match, null for If-None-Match: *.
 * `allowCreate` is false for deletes (only If-Match makes sense there).
 */
export function expectedHashFromHeaders(ifMatch: string | undefined, ifNoneMatch: string | undefined, allowCreate: boolean): string | null {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw new ApiError(400, 'bad-precondition', 'Send either If-Match or If-None-Match, not both.')
  if (ifMatch !== undefined) {
    const m = /^\s*"([0-9a-f]{64})"\s*$/.exec(ifMatch)
    if (!m) throw new ApiError(400, 'bad-precondition', 'If-Match must be one quoted sha256 hash: "<64 hex digits>".')
    return m[1] as string
  }
  if (ifNoneMatch !== undefined) {
    if (!allowCreate) throw new ApiError(400, 'bad-precondition', 'A delete takes If-Match with the hash it expects.')
    if (ifNoneMatch.trim() !== '*') throw new ApiError(400, 'bad-precondition', 'If-None-Match accepts only "*" (create when absent).')
    return null
  }
  throw new ApiError(428, 'precondition-required', allowCreate ? 'A write needs If-Match: "<hash>" (update) or If-None-Match: * (create).' : 'A delete needs If-Match: "<hash>".')
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
