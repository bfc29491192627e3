/**
 * The words the checkers share: a problem found in a content (before it is tied to a file)
 * and the kinds of syntax a file can be checked as.
 */
import type { FileProblem, UncheckedFile } from '../../../src-shared/views.js'

/** A problem found in one content; the runner adds the file's path. */
export type FoundProblem = Omit<FileProblem, 'path'>

/** How a file's syntax is checked: as YAML, JSON, JSON with comments, or a Markdown file's YAML front matter. */
export const SYNTAX_KINDS = ['yaml', 'json', 'jsonc', 'markdown-frontmatter'] as const

/** One of SYNTAX_KINDS. */
export type SyntaxKind = (typeof SYNTAX_KINDS)[number]

/** Orders problems by line, then column (whole-file problems first). */
export function byPosition(a: FoundProblem, b: FoundProblem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
}

/** What the checks found in the files a plan writes to the environment. */
export interface PlanCheckResult {
  /** Every problem, by path, then line. */
  problems: FileProblem[]
  /** Files that were not checked, and why. */
  unchecked: UncheckedFile[]
  /** The environment is protected: items with problems are not written unless the operator names them. */
  refuses: boolean
}
