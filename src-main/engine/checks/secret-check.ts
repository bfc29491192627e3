/**
 * Secrets in a text, found by secretlint's recommended rules (AWS, GCP, GitHub, Slack, OpenAI,
 * Anthropic, npm, private keys, database connection strings, basic auth, …), reported by
 * line, column and kind of secret, never with the secret itself.
 *
 * secretlint 12.0 is the last release that runs on Node 20 (12.1 and later need Node 22).
 * Its messages quote what they found ("found AWS Secret Access Key: <the key>"), so they are
 * asked for masked and only the part naming the kind of secret is kept, and that part is
 * checked once more against the matched text. A line marked `secretlint-disable-line` (or a
 * block between `secretlint-disable` and `secretlint-enable` comments) is not reported, as
 * secretlint's comment filter rule does it.
 *
 * secretlint is loaded on first use, so that commands which check nothing do not pay for it.
 */
import { byPosition, type FoundProblem } from './check-types.js'

type LintSource = (typeof import('@secretlint/core'))['lintSource']
type CoreConfig = Parameters<LintSource>[0]['options']['config']

interface Secretlint {
  lintSource: LintSource
  rules: (typeof import('@secretlint/secretlint-rule-preset-recommend'))['rules']
  ruleIds: string[]
}

let loading: Promise<Secretlint> | null = null

function load(): Promise<Secretlint> {
  loading ??= (async () => {
    const [{ secretLintProfiler }, core, preset] = await Promise.all([import('@secretlint/profiler'), import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')])
    // secretlint 12 marks every rule of every file in the process's performance timeline and
    // scans all earlier marks at each one: quadratic in the files checked, and never freed
    // (secretlint/secretlint#1653; opt-in from 13.0.5, which needs Node 22). Nothing reads them.
    secretLintProfiler.mark = () => undefined
    return { lintSource: core.lintSource, rules: preset.rules, ruleIds: preset.rules.map((r) => r.meta.id) }
  })()
  return loading
}

/** The ids of the recommended secret rules (`@secretlint/secretlint-rule-aws`, …). */
export async function secretRuleIds(): Promise<string[]> {
  return (await load()).ruleIds
}

/** A secret rule's full id from its short name (`aws`, `secretlint-rule-aws`) or its full id. */
export function fullRuleId(name: string): string {
  if (name.startsWith('@')) return name
  return `@secretlint/${name.startsWith('secretlint-rule-') ? name : `secretlint-rule-${name}`}`
}

/**
 * Checks a text for secrets; the problems found, in order.
 *
 * `filePath` is the item's path (some rules look at the file's name); `off` holds the full ids
 * of the rules turned off.
 */
export async function checkSecrets(text: string, filePath: string, off: ReadonlySet<string> = new Set()): Promise<FoundProblem[]> {
  const sl = await load()
  // The preset's rules one by one, as the preset registers them (with their defaults): a rule
  // the preset holds cannot be turned off through the preset in secretlint 12.0.
  const config: CoreConfig = { rules: sl.rules.filter((r) => !off.has(r.meta.id)).map((r) => ({ id: r.meta.id, rule: r })) }
  const dot = filePath.lastIndexOf('.')
  const result = await sl.lintSource({
    source: { content: text, filePath, ext: dot >= 0 ? filePath.slice(dot) : '', contentType: 'text' },
    options: { config, maskSecrets: true, noPhysicFilePath: true },
  })
  const problems: FoundProblem[] = []
  for (const m of result.messages) {
    if (m.type !== 'message') continue
    const found = text.slice(m.range[0], m.range[1])
    problems.push({ line: m.loc.start.line, column: m.loc.start.column + 1, rule: m.ruleId, kind: 'secret', message: `Looks like a secret: ${kindOfSecret(m.message, found)} (not shown here).` })
  }
  return problems.sort(byPosition)
}

/**
 * The kind of secret a secretlint message names ("found AWS Secret Access Key: ****" → "AWS
 * Secret Access Key"), or "a key or token" when the words left could hold any of the secret.
 */
export function kindOfSecret(message: string, found: string): string {
  let what = message.replace(/^found\s+/i, '')
  const colon = what.indexOf(': ')
  if (colon >= 0) what = what.slice(0, colon)
  what = what.replace(/\([^)]*\*[^)]*\)/g, '').replace(/\s+/g, ' ').trim()
  const leaks = what.includes('*') || (found.length >= 4 && what.includes(found)) || containsPartOf(what, found)
  return !what || leaks ? 'a key or token' : what
}

/** Whether `text` holds 8 or more characters in a row of `secret`. */
function containsPartOf(text: string, secret: string): boolean {
  for (let i = 0; i + 8 <= secret.length; i++) if (text.includes(secret.slice(i, i + 8))) return true
  return false
}
