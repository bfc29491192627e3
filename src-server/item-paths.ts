/**
 * Checking item paths that arrive over HTTP, before any filesystem call.
 *
 * A path is refused when it is not a valid item path (pathProblem: `..`, absolute, backslash,
 * NUL, …), when it still looks percent-encoded after the one decoding the router did (a
 * double-encoded `%252e%252e%252f` must not become `../` further down), when a parent folder is
 * hidden or excluded (`.git/config`, `.syncdesk-server/tokens.json`), when it names a temp
 * file, and when the file type is not synced. Refusal reasons are stable codes for clients.
 */
import { isTempName } from '../src-main/engine/atomic.js'
import type { ScanFilter } from '../src-main/engine/filter.js'
import { pathProblem } from '../src-main/engine/paths.js'
import { ApiError } from './http-errors.js'

/** Why an item path is refused: HTTP status, code and message; null when it is acceptable. */
export function itemPathRefusal(p: unknown, filter: ScanFilter): ApiError | null {
  const problem = pathProblem(p)
  if (problem) return new ApiError(400, 'path-refused', `Refused path ${JSON.stringify(p)}: ${problem}.`)
  const itemPath = p as string
  const segments = itemPath.split('/')
  let rel = ''
  for (const seg of segments.slice(0, -1)) {
    rel = rel ? `${rel}/${seg}` : seg
    if (!filter.includeDir(rel, seg)) {
      return new ApiError(400, 'path-refused', `Refused path ${JSON.stringify(itemPath)}: the folder ${JSON.stringify(rel)} is not synced (hidden or excluded).`)
    }
  }
  const name = segments[segments.length - 1] as string
  if (isTempName(name)) {
    return new ApiError(400, 'path-refused', `Refused path ${JSON.stringify(itemPath)}: the name is reserved for temp files.`)
  }
  if (!filter.includeFile(itemPath, name)) {
    return new ApiError(415, 'type-not-synced', `Refused path ${JSON.stringify(itemPath)}: this file type is not synced by this environment (or the path is ignored).`)
  }
  return null
}

/** Throws the refusal for an item path, if any. */
export function assertSyncablePath(p: unknown, filter: ScanFilter): asserts p is string {
  const refusal = itemPathRefusal(p, filter)
  if (refusal) throw refusal
}

/**
 * The item path of a URL wildcard the router already decoded once; refuses what still looks
 * encoded (`%2e`, `%2f`, `%25`…), so double-encoded traversal never reaches the filesystem.
 */
export function itemPathFromUrl(decoded: string, filter: ScanFilter): string {
  if (/%[0-9a-fA-F]{2}/.test(decoded)) {
    throw new ApiError(400, 'path-refused', `Refused path ${JSON.stringify(decoded)}: it is still percent-encoded after decoding (double encoding is not accepted).`)
  }
  assertSyncablePath(decoded, filter)
  return decoded
}
