/**
 * Item paths: checked before any filesystem call (DESIGN.md safety rule 6).
 *
 * An item path is POSIX, relative, NFC-normalized, with no empty, `.` or `..` segment, no
 * backslash, no NUL, no control, bidirectional or separator character, no drive letter, no name
 * longer than a filesystem holds. Anything else is refused with a reason, before any write.
 */
import path from 'node:path'
import { SyncDeskError } from './errors.js'

/** Printable ASCII segments (no `\`), none of them `.` or `..`: the common case, checked at once. */
const PLAIN_PATH = /^(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+(?:\/(?!\.\.?(?:\/|$))[\x20-\x2e\x30-\x5b\x5d-\x7e]+)*$/

/** The longest file or folder name the common filesystems hold (ext4, APFS, NTFS: 255 bytes or fewer). */
export const MAX_NAME_BYTES = 255

/** The longest item path, in UTF-8 bytes (Linux's PATH_MAX, less room for the project's own folder). */
export const MAX_PATH_BYTES = 3840

/**
 * Characters no item path may hold: C0 controls, DEL, C1 controls, bidirectional controls
 * (they make a name read differently from what it is) and the line and paragraph separators
 * (they break a name across lines). API.md promises these are refused.
 */
// eslint-disable-next-line no-control-regex
const REFUSED_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/

/** Why a path is refused, or null when it is a valid item path. */
export function pathProblem(p: unknown): string | null {
  if (typeof p === 'string' && p.length <= MAX_NAME_BYTES && PLAIN_PATH.test(p) && !/^[a-zA-Z]:/.test(p)) return null
  if (typeof p !== 'string' || p.length === 0) return 'the path is empty'
  if (p.length > MAX_PATH_BYTES || Buffer.byteLength(p) > MAX_PATH_BYTES) return `the path is longer than ${MAX_PATH_BYTES} bytes`
  if (p.includes('\0')) return 'the path contains a NUL character'
  if (p.includes('\\')) return 'the path contains a backslash'
  if (p.startsWith('/')) return 'the path is absolute'
  if (/^[a-zA-Z]:/.test(p)) return 'the path starts with a drive letter'
  if (p.normalize('NFC') !== p) return 'the path is not NFC-normalized'
  const bad = REFUSED_CHARACTER.exec(p)
  if (bad) return `the path contains ${characterKind(bad[0])} (${codePointName(bad[0])})`
  for (const segment of p.split('/')) {
    if (segment === '') return 'the path has an empty segment'
    if (segment === '.' || segment === '..') return `the path has a "${segment}" segment`
    if (segment.length > MAX_NAME_BYTES / 3 && Buffer.byteLength(segment) > MAX_NAME_BYTES) {
      return `a name in the path is ${Buffer.byteLength(segment)} bytes long, more than the ${MAX_NAME_BYTES} a filesystem holds`
    }
  }
  return null
}

function characterKind(ch: string): string {
  const c = ch.codePointAt(0) ?? 0
  if (c <= 0x9f) return 'a control character'
  if (c === 0x2028 || c === 0x2029) return 'a line or paragraph separator'
  return 'a bidirectional control character'
}

/** `U+001B` style name of a character, for messages (never the raw character). */
function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
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

/**
 * Groups of paths that differ only by letter case (a problem on macOS and Windows), over
 * several lists of paths; a path in more than one list counts once. Only a clash makes an
 * array: a tree of 100,000 paths is not given 100,000 arrays. A list is an array of paths or
 * a map keyed by them (a manifest).
 *
 * Every such group holds a path that lower case changes (two paths that are their own lower
 * case cannot differ only by case), so a first pass collects the lower-case forms of those,
 * and only paths with one of these forms are grouped in a second. A tree without capitals
 * costs the first pass alone (100,000 paths on each side: about 15 ms, against 50 ms for
 * grouping them all); one with capitals everywhere costs that pass more than before.
 */
export function caseCollisions(...lists: (readonly string[] | ReadonlyMap<string, unknown>)[]): string[][] {
  const each = (l: readonly string[] | ReadonlyMap<string, unknown>): Iterable<string> => (Array.isArray(l) ? l : (l as ReadonlyMap<string, unknown>).keys())
  const candidates = new Set<string>()
  for (const list of lists) {
    for (const p of each(list)) {
      const key = p.toLowerCase()
      if (key !== p) candidates.add(key)
    }
  }
  if (candidates.size === 0) return []
  const byLower = new Map<string, string | string[]>()
  for (const list of lists) {
    for (const p of each(list)) {
      const key = p.toLowerCase()
      if (!candidates.has(key)) continue
      const seen = byLower.get(key)
      if (seen === undefined) byLower.set(key, p)
      else if (typeof seen === 'string') {
        if (seen !== p) byLower.set(key, [seen, p])
      } else if (!seen.includes(p)) seen.push(p)
    }
  }
  const out: string[][] = []
  for (const g of byLower.values()) if (typeof g !== 'string') out.push(g)
  return out
}
