/**
 * The checks before a push: every file about to be written to the environment whose type is
 * checked gets its syntax checked (YAML, JSON) and is scanned for secrets, once per content.
 *
 * Only the files the run would write are looked at, only the checked extensions, and only up
 * to a size (larger ones are listed as not checked); what a content was found to hold is
 * cached by its hash (check-cache.ts), so a push after its dry run checks nothing again.
 * The results are data for the plan: positions, rule ids and plain words, never file text.
 */
import { appendAll } from '../arrays.js'
import { sha256 } from '../atomic.js'
import { describeError } from '../errors.js'
import type { FileProblem, UncheckedFile } from '../../../src-shared/views.js'
import { CheckCache } from './check-cache.js'
import { byPosition, type FoundProblem, type PlanCheckResult, type SyntaxKind } from './check-types.js'
import { checksFor, type CheckSettings, SYNTAX_RULES } from './check-settings.js'
import { checkJson } from './json-check.js'
import { checkSecrets, secretRuleIds } from './secret-check.js'
import { checkFrontmatter, checkYaml } from './yaml-check.js'

/** A file about to be written to the environment. */
export interface CheckCandidate {
  path: string
  /** The content's sha256 as planned (the local file's, or a merge's). */
  hash: string
  size: number
  /** The content itself when it is not the local file's (a merge). */
  content?: Buffer
}

/** What the checks found, for the plans of one look. */
export interface FileChecks {
  /** Problems found in each content checked (an empty list: none), by contentKey(path, hash). */
  found: Map<string, FileProblem[]>
  /** Files not checked, and why, by path. */
  unchecked: Map<string, string>
  warnings: string[]
  settings: CheckSettings
}

/** The key of one file's content in FileChecks.found. */
export function contentKey(itemPath: string, hash: string): string {
  return `${itemPath}\u0000${hash}`
}

/** Checks nothing (a pull, a clone). */
export function noChecks(settings: CheckSettings): FileChecks {
  return { found: new Map(), unchecked: new Map(), warnings: [], settings }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function syntaxProblems(kind: SyntaxKind, text: string): FoundProblem[] {
  if (kind === 'yaml') return checkYaml(text)
  if (kind === 'markdown-frontmatter') return checkFrontmatter(text)
  return checkJson(text, { comments: kind === 'jsonc' })
}

function sizeWords(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB` : `${Math.round(n / 1024)} KB`
}

/** Checks the candidates (see the file comment); `read` gives a local file's content. */
export async function runChecks(
  candidates: readonly CheckCandidate[],
  opts: { settings: CheckSettings; read: (itemPath: string) => Promise<Buffer>; cacheFile: string | null; signal?: AbortSignal },
): Promise<FileChecks> {
  const { settings } = opts
  const out = noChecks(settings)
  const cache = CheckCache.load(opts.cacheFile, settings.fingerprint)
  let secretRulesKnown = false
  for (const c of candidates) {
    if (opts.signal?.aborted) break
    const kinds = checksFor(settings, c.path)
    if (!kinds) continue
    if (c.size > settings.maxBytes) {
      out.unchecked.set(c.path, `larger than ${sizeWords(settings.maxBytes)}, the limit for checks`)
      continue
    }
    const ext = c.path.slice(c.path.lastIndexOf('.')).toLowerCase()
    const cacheKey = `${ext}|${kinds.syntax ?? '-'}|${kinds.secrets ? 's' : '-'}|${c.hash}`
    const hit = cache.get(cacheKey)
    if (hit) {
      out.found.set(contentKey(c.path, c.hash), hit.map((p) => ({ path: c.path, ...p })))
      continue
    }
    let content: Buffer
    try {
      content = c.content ?? (await opts.read(c.path))
    } catch (err) {
      out.unchecked.set(c.path, `could not be read (${describeError(err)})`)
      continue
    }
    // Found problems belong to the content read: if the file changed since it was listed, the
    // plan's content was not checked, and the plan says so.
    const hash = c.content ? c.hash : sha256(content)
    const found: FoundProblem[] = []
    let text: string | null = null
    try {
      text = utf8.decode(content)
    } catch {
      if (kinds.syntax) found.push({ line: null, column: null, rule: kinds.syntax === 'yaml' || kinds.syntax === 'markdown-frontmatter' ? 'yaml' : 'json', kind: 'syntax', message: 'Not valid text: the file is not UTF-8, so it cannot be read as YAML or JSON.' })
      else if (content.subarray(0, 8000).includes(0)) {
        out.unchecked.set(c.path, 'binary content, not scanned for secrets')
        continue
      }
    }
    if (text !== null && kinds.syntax) appendAll(found, syntaxProblems(kinds.syntax, text))
    if (kinds.secrets) {
      if (!secretRulesKnown) {
        secretRulesKnown = true
        const known = new Set(await secretRuleIds())
        for (const n of settings.secretNamesOff) {
          if (!known.has(n)) out.warnings.push(`The checks settings turn off "${n}", which is not a rule (the rules are ${SYNTAX_RULES.join(', ')}, and the secret rules ${[...known].map((k) => k.replace('@secretlint/secretlint-rule-', '')).join(', ')}).`)
        }
      }
      appendAll(found, await checkSecrets(text ?? content.toString('utf8'), c.path, settings.secretRulesOff))
    }
    found.sort(byPosition)
    if (hash === c.hash || c.content) cache.set(cacheKey, found)
    out.found.set(contentKey(c.path, hash), found.map((p) => ({ path: c.path, ...p })))
  }
  cache.save()
  return out
}

/**
 * What the checks found in the files a plan writes to the environment. A written content that
 * should have been checked but was not (the file changed while it was checked) is a problem
 * itself: what would go was never looked at.
 */
export function planChecks(writes: readonly { path: string; hash: string }[], checks: FileChecks, refuses: boolean): PlanCheckResult {
  const problems: FileProblem[] = []
  const unchecked: UncheckedFile[] = []
  const seen = new Set<string>()
  for (const w of writes) {
    if (seen.has(w.path)) continue
    seen.add(w.path)
    const found = checks.found.get(contentKey(w.path, w.hash))
    if (found) {
      appendAll(problems, found)
      continue
    }
    const why = checks.unchecked.get(w.path)
    if (why !== undefined) unchecked.push({ path: w.path, reason: why })
    else if (checksFor(checks.settings, w.path)) {
      problems.push({ path: w.path, line: null, column: null, rule: 'check', kind: 'check', message: 'It changed while it was being checked, so what would be sent was not checked. Look again.' })
    }
  }
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : byPosition(a, b)))
  unchecked.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { problems, unchecked, refuses }
}
