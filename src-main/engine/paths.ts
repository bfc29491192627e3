/**
 * Item paths: checked before any filesystem call (DESIGN.md safety rule 6).
 *
 * An item path is POSIX, relative, NFC-normalized, with no empty, `.` or `..` segment, no
 * backslash, no NUL and no drive letter. Anything else is refused with a reason.
 */
import path from 'node:path'
import { SyncDeskError } from './errors.js'

/** Why a path is refused, or null when it is a valid item path. */
/** Printable ASCII segments (no `\`), none of them `.` or `..`: the common case, checked at once. */
const PLAIN_PATH = /^(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+(?:\/(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+)*$/

export function pathProblem(p: unknown): string | null {
  if (typeof p === 'string' && p.length <= 4096 && PLAIN_PATH.test(p) && !/^[a-zA-Z]:/.test(p)) return null
  if (typeof p !== 'string' || p.length === 0) return 'the path is empty'
  if (p.length > 4096) return 'the path is too long'
  if (p.includes('\0')) return 'the path contains a NUL character'
  if (p.includes('\\')) return 'the path contains a backslash'
  if (p.startsWith('/')) return 'the path is absolute'
  if (/^[a-zA-Z]:/.test(p)) return 'the path starts with a drive letter'
  if (p.normalize('NFC') !== p) return 'the path is not NFC-normalized'
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(p)) return 'the path contains a control character'
  for (const segment of p.split('/')) {
    if (segment === '') return 'the path has an empty segment'
    if (segment === '.' || segment === '..') return `the path has a "${segment}" segment`
  }
  return null
}

/** Throws a clear error unless `p` is a valid item path. */
export function assertItemPath(p: unknown): asserts p is string {
  const problem = pathProblem(p)
  if (problem) throw new SyncDeskError('path-refused', `Refused path ${JSON.stringify(p)}: ${problem}.`)
}

/** The absolute filesystem path of an item under `root`; the item path must be valid. */
export function resolveItem(root: string, itemPath: string): string {
  assertItemPath(itemPath)
  const full = path.join(root, ...itemPath.split('/'))
  const rel = path.relative(root, full)
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new SyncDeskError('path-refused', `Refused path ${JSON.stringify(itemPath)}: it leaves the project.`)
  }
  return full
}

/** Groups of paths that differ only by letter case (a problem on macOS and Windows). */
export function caseCollisions(paths: Iterable<string>): string[][] {
  const byLower = new Map<string, string[]>()
  for (const p of paths) {
    const key = p.toLowerCase()
    const group = byLower.get(key)
    if (group) group.push(p)
    else byLower.set(key, [p])
  }
  return [...byLower.values()].filter((g) => g.length > 1)
}
