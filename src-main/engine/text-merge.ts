/**
 * Three-way merge of text files, with `git merge-file`'s semantics, by node-diff3.
 *
 * The texts are compared as lines, each with its own line ending, so CRLF and LF lines and a
 * missing final newline come out as each side had them. Edits that do not overlap (nor touch:
 * adjacent lines conflict, as in git) merge; identical edits on both sides are not conflicts;
 * overlapping edits stay a conflict, whose hunks are given for the UI. A file that is not
 * UTF-8 text (a NUL, invalid UTF-8) is never merged.
 */
import { isUtf8 } from 'node:buffer'
import { diff3Merge } from 'node-diff3'

/** One place where the two sides' edits overlap. */
export interface MergeHunk {
  /** The first line of the hunk in the base (0-based) and its lines on each side. */
  baseLine: number
  base: string[]
  local: string[]
  remote: string[]
}

/** The outcome of a three-way text merge. */
export type TextMerge = { clean: true; merged: Buffer } | { clean: false; hunks: MergeHunk[] }

/** The lines of a text, each with its line ending (`\n` or `\r\n`); the last may have none. */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split(/(?<=\n)/)
  return lines
}

/** Whether content is UTF-8 text a merge may touch. */
export function isMergeableText(b: Buffer): boolean {
  return !b.includes(0) && isUtf8(b)
}

/** Merges the two sides' edits of `base`; null when one of the three is not text. */
export function mergeText(base: Buffer, local: Buffer, remote: Buffer): TextMerge | null {
  if (!isMergeableText(base) || !isMergeableText(local) || !isMergeableText(remote)) return null
  const o = splitLines(base.toString('utf8'))
  const a = splitLines(local.toString('utf8'))
  const b = splitLines(remote.toString('utf8'))
  const out: string[] = []
  const hunks: MergeHunk[] = []
  for (const region of diff3Merge(a, o, b, { excludeFalseConflicts: true })) {
    if (region.ok) for (const line of region.ok) out.push(line)
    else if (region.conflict) hunks.push({ baseLine: region.conflict.oIndex, base: region.conflict.o, local: region.conflict.a, remote: region.conflict.b })
  }
  return hunks.length ? { clean: false, hunks } : { clean: true, merged: Buffer.from(out.join(''), 'utf8') }
}
