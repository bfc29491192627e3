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
 * Its configuration is built once for each set of rules turned off, and a text that none of the
 * rules on could report (secret-prefilter.ts, a proof from the rules' own patterns) is not
 * handed to lintSource at all: most files hold nothing that looks like any secret, and a push
 * of such files does not load secretlint.
 */
import { byPosition, type FoundProblem } from './check-types.js'
import { maySecretlintReport, RULE_TRIGGERS } from './secret-prefilter.js'

type LintSource = (typeof import('@secretlint/core'))['lintSource']
type CoreConfig = Parameters<LintSource>[0]['options']['config']

interface Secretlint {
  lintSource: LintSource
  rules: (typeof import('@secretlint/secretlint-rule-preset-recommend'))['rules']
  ruleIds: string[]
}

let loading: Promise<Secretlint> | null = null
let loaded: Secretlint | null = null

/** The configuration of the rules on, by the rules turned off. */
const configs = new Map<string, { core: CoreConfig; ids: string[] }>()

function configFor(sl: Secretlint, off: ReadonlySet<string>): { core: CoreConfig; ids: string[] } {
  const key = off.size ? [...off].sort().join('\n') : ''
  let c = configs.get(key)
  if (!c) {
    // The preset's rules one by one, as the preset registers them (with their defaults): a rule
    // the preset holds cannot be turned off through the preset in secretlint 12.0.
    const rules = sl.rules.filter((r) => !off.has(r.meta.id))
    c = { core: { rules: rules.map((r) => ({ id: r.meta.id, rule: r })) }, ids: rules.map((r) => r.meta.id) }
    configs.set(key, c)
  }
  return c
}

/**
 * The ids of the rules on, for the prefilter: the preset's rules as secret-prefilter.ts knows
 * them, so that secretlint need not be loaded for a text none of them could report (a test
 * holds that table to the installed preset, pinned to 12.0.0). Once secretlint is loaded, its
 * own list: a preset that holds another rule then turns the prefilter off (maySecretlintReport).
 */
const idsOn = new Map<string, string[]>()
function rulesOn(off: ReadonlySet<string>): string[] {
  if (loaded) return configFor(loaded, off).ids
  const key = off.size ? [...off].sort().join('\n') : ''
  let ids = idsOn.get(key)
  if (!ids) {
    ids = Object.keys(RULE_TRIGGERS).filter((id) => !off.has(id))
    idsOn.set(key, ids)
  }
  return ids
}

function load(): Promise<Secretlint> {
  loading ??= (async () => {
    const [{ secretLintProfiler }, core, preset] = await Promise.all([import('@secretlint/profiler'), import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')])
    // secretlint 12 marks every rule of every file in the process's performance timeline and
    // scans all earlier marks at each one: quadratic in the files checked, and never freed
    // (secretlint/secretlint#1653; opt-in from 13.0.5, which needs Node 22). Nothing reads them.
    secretLintProfiler.mark = () => undefined
    loaded = { lintSource: core.lintSource, rules: preset.rules, ruleIds: preset.rules.map((r) => r.meta.id) }
    return loaded
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

export interface SecretCheckOptions {
  /** false: hand every text to lintSource (the slow path, for tests that compare the two). */
  prefilter?: boolean
  /** The text's UTF-8 bytes, when the caller has them (the prefilter reads bytes). */
  bytes?: Uint8Array
}

/**
 * Checks a text for secrets; the problems found, in order.
 *
 * `filePath` is the item's path (some rules look at the file's name); `off` holds the full ids
 * of the rules turned off.
 */
export async function checkSecrets(text: string, filePath: string, off: ReadonlySet<string> = new Set(), opts: SecretCheckOptions = {}): Promise<FoundProblem[]> {
  const dot = filePath.lastIndexOf('.')
  const ext = dot >= 0 ? filePath.slice(dot) : ''
  if (opts.prefilter !== false && !maySecretlintReport(opts.bytes ?? text, ext, rulesOn(off))) return []
  const sl = loaded ?? (await load())
  const config = configFor(sl, off)
  const result = await sl.lintSource({
    source: { content: text, filePath, ext, contentType: 'text' },
    options: { config: config.core, maskSecrets: true, noPhysicFilePath: true },
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
