/**
 * The checks of one content, the same on the calling thread and in a check worker
 * (check-worker.ts): its syntax as the file's kind says, then secrets.
 */
import { appendAll } from '../arrays.js'
import { sha256 } from '../atomic.js'
import { byPosition, type FoundProblem, type SyntaxKind } from './check-types.js'
import type { FileCheckKinds } from './check-settings.js'
import { checkJson } from './json-check.js'
import { checkSecrets } from './secret-check.js'
import { checkFrontmatter, checkYaml } from './yaml-check.js'

/** What the checks of one content found: its problems, or why it was not checked; `hash` is the sha256 of the content checked. */
export type ContentResult = { hash: string; found: FoundProblem[]; unchecked?: undefined } | { hash: string; unchecked: string; found?: undefined }

export interface ContentCheckOptions {
  /** Full ids of the secret rules turned off. */
  secretRulesOff: ReadonlySet<string>
  /** false: the full YAML parser and secretlint on every content (the quick proofs off), for tests. */
  fastPaths?: boolean
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function syntaxProblems(kind: SyntaxKind, text: string, fast: boolean): FoundProblem[] {
  if (kind === 'yaml') return checkYaml(text, 1, { fast })
  if (kind === 'markdown-frontmatter') return checkFrontmatter(text, { fast })
  return checkJson(text, { comments: kind === 'jsonc' })
}

/**
 * Checks one content of `itemPath`. `knownHash` is its hash when the caller already knows it
 * (a merge's content); otherwise it is computed here, so that what was found belongs to the
 * content read.
 */
export async function checkContent(itemPath: string, kinds: FileCheckKinds, content: Buffer, knownHash: string | null, opts: ContentCheckOptions): Promise<ContentResult> {
  const fast = opts.fastPaths !== false
  const hash = knownHash ?? sha256(content)
  const found: FoundProblem[] = []
  let text: string | null = null
  try {
    text = utf8.decode(content)
  } catch {
    if (kinds.syntax) found.push({ line: null, column: null, rule: kinds.syntax === 'yaml' || kinds.syntax === 'markdown-frontmatter' ? 'yaml' : 'json', kind: 'syntax', message: 'Not valid text: the file is not UTF-8, so it cannot be read as YAML or JSON.' })
    else if (content.subarray(0, 8000).includes(0)) return { hash, unchecked: 'binary content, not scanned for secrets' }
  }
  if (text !== null && kinds.syntax) appendAll(found, syntaxProblems(kinds.syntax, text, fast))
  if (kinds.secrets) appendAll(found, await checkSecrets(text ?? content.toString('utf8'), itemPath, opts.secretRulesOff, { prefilter: fast, bytes: content }))
  found.sort(byPosition)
  return { hash, found }
}
