/**
 * A quick proof that secretlint's recommended rules (12.0.0) can find nothing in a text, so
 * that most files need not go through lintSource (whose per-file set-up costs more than the
 * rules' own searches).
 *
 * Each rule reports only where one of its regular expressions matches, and every match of
 * each of them holds a fixed piece of text: the rule's triggers below, read from the rule's
 * source (node_modules/@secretlint/secretlint-rule-preset-recommend/module/index.js). A text
 * that holds no trigger of any rule that is on cannot be reported by any of them, and
 * `maySecretlintReport` says false; when it says true, lintSource runs as before. Triggers are
 * matched without regard to ASCII case (a rule that minds case then finds less, never more).
 *
 * - aws: only the secret access key pattern runs by default (the ID rules need
 *   `enableIDScanRule`): `(SECRET|secret|Secret)_?(ACCESS|access|Access)`.
 * - gcp: `.p12` files are read from disk and always linted; in `.json` it needs the key
 *   `private_key_id`, which JSON can spell with `\u` escapes.
 * - npm: `:x-oauth-basic@github` only, since the rule's `github.com` matches any character for the dot.
 * - basicauth and database-connection-string: a report needs `://user:password@`, so after
 *   `://` a check of the rules' own character classes (credentialsAfter).
 * - filter-comments only hides what other rules found.
 *
 * A rule missing from this table (a newer preset) turns this off: everything is linted.
 */

interface RuleTriggers {
  literals: readonly string[]
  /** Lint every file with these extensions (the rule reads the file itself). */
  always?: readonly string[]
  /** Literals that count only in files with these extensions. */
  only?: { ext: readonly string[]; literals: readonly string[] }
}

const URL_CREDENTIALS = '://'

const P = '@secretlint/secretlint-rule-'

/** The triggers of each recommended rule (see the file comment). */
export const RULE_TRIGGERS: Readonly<Record<string, RuleTriggers>> = {
  [`${P}aws`]: { literals: ['secretaccess', 'secret_access'] },
  [`${P}gcp`]: { literals: [], always: ['.p12'], only: { ext: ['.json'], literals: ['private_key_id', '\\u'] } },
  [`${P}privatekey`]: { literals: ['-----BEGIN'] },
  [`${P}npm`]: { literals: [':x-oauth-basic@github', '_authToken=', 'npm_'] },
  [`${P}basicauth`]: { literals: [URL_CREDENTIALS] },
  [`${P}slack`]: { literals: ['xoxb-', 'xoxp-', 'xapp-', 'xoxa-', 'xoxo-', 'xoxr-', 'https://hooks.slack.com/services/T'] },
  [`${P}sendgrid`]: { literals: ['SG.'] },
  [`${P}shopify`]: { literals: ['shppa_', 'shpca_', 'shpat_', 'shpss_'] },
  [`${P}github`]: { literals: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'] },
  [`${P}gitlab`]: { literals: ['glpat-'] },
  [`${P}grafana`]: { literals: ['glc_', 'glsa_'] },
  [`${P}openai`]: { literals: ['T3BlbkFJ'] },
  [`${P}anthropic`]: { literals: ['sk-ant-api0'] },
  [`${P}groq`]: { literals: ['gsk_'] },
  [`${P}huggingface`]: { literals: ['hf_'] },
  [`${P}linear`]: { literals: ['lin_api_'] },
  [`${P}notion`]: { literals: ['ntn_'] },
  [`${P}1password`]: { literals: ['ops_ey'] },
  [`${P}database-connection-string`]: { literals: [URL_CREDENTIALS] },
  [`${P}hashicorp-vault`]: { literals: ['hvs.', 'hvb.', 'hvr.'] },
  [`${P}vercel`]: { literals: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'] },
  [`${P}databricks`]: { literals: ['dapi'] },
  [`${P}docker`]: { literals: ['dckr_pat_'] },
  [`${P}figma`]: { literals: ['figd_'] },
  [`${P}filter-comments`]: { literals: [] },
}

/** ASCII letters folded to lower case. */
const fold = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)

/**
 * An Aho–Corasick automaton over the bytes of UTF-8 text, ASCII letters folded: a literal (all
 * ASCII) is in a text exactly when its bytes are in the text's UTF-8 bytes, since no byte of a
 * longer character is below 128 (and a decoder that meets a broken sequence keeps each ASCII
 * byte as that character). Bytes that no literal holds are one class, so the table is small.
 */
class Triggers {
  private readonly next: Uint16Array
  private readonly classes = new Uint8Array(256)
  private readonly width: number
  private readonly out: (readonly string[] | null)[]
  /** 1 where some literal ends. */
  private readonly ends: Uint8Array

  constructor(literals: readonly string[]) {
    let width = 1
    for (const lit of literals) {
      for (let i = 0; i < lit.length; i++) {
        const c = fold(lit.charCodeAt(i))
        if (c >= 128) throw new Error(`a trigger must be ASCII: ${lit}`)
        if (!this.classes[c]) this.classes[c] = width++
      }
    }
    for (let c = 0x41; c <= 0x5a; c++) this.classes[c] = this.classes[c + 0x20] as number
    this.width = width
    const goto: Map<number, number>[] = [new Map()]
    const outs: string[][] = [[]]
    for (const lit of literals) {
      let s = 0
      for (let i = 0; i < lit.length; i++) {
        const c = this.classes[lit.charCodeAt(i)] as number
        let t = goto[s]!.get(c)
        if (t === undefined) {
          t = goto.length
          goto.push(new Map())
          outs.push([])
          goto[s]!.set(c, t)
        }
        s = t
      }
      outs[s]!.push(lit)
    }
    const next = new Uint16Array(goto.length * width)
    const failure = new Int32Array(goto.length)
    const order: number[] = []
    for (let c = 0; c < width; c++) {
      const t = goto[0]!.get(c)
      next[c] = t ?? 0
      if (t !== undefined) order.push(t)
    }
    for (let k = 0; k < order.length; k++) {
      const s = order[k]!
      for (const l of outs[failure[s]!]!) outs[s]!.push(l)
      for (let c = 0; c < width; c++) {
        const t = goto[s]!.get(c)
        if (t === undefined) next[s * width + c] = next[failure[s]! * width + c]!
        else {
          failure[t] = next[failure[s]! * width + c]!
          next[s * width + c] = t
          order.push(t)
        }
      }
    }
    this.next = next
    this.out = outs.map((o) => (o.length ? o : null))
    this.ends = Uint8Array.from(outs, (o) => (o.length ? 1 : 0))
  }

  /** Calls `hit` with each literal found and the offset after it, until `hit` says true; whether it did. */
  find(bytes: Uint8Array, hit: (literal: string, end: number) => boolean): boolean {
    const { next, ends, classes, width } = this
    const n = bytes.length
    let s = 0
    for (let i = 0; i < n; i++) {
      s = next[s * width + classes[bytes[i]!]!]!
      if (ends[s] === 1) for (const l of this.out[s] ?? []) if (hit(l, i + 1)) return true
    }
    return false
  }
}

const COLON = 0x3a
const AT = 0x40
const SLASH = 0x2f
/** ASCII characters of `\s`; the others are longer than a byte in UTF-8. */
const isAsciiSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d)

/**
 * Whether the bytes from `i` could be what basicauth and database-connection-string need after
 * `://` before they report: `[^:/\s]{1,256}:[^@/\s]{1,256}@` (each rule's classes hold within
 * these, and neither allows more characters). A byte of a longer character counts as allowed
 * (the character might be), and up to four bytes a character.
 */
function credentialsAfter(bytes: Uint8Array, i: number): boolean {
  const n = bytes.length
  let k = i
  while (k < n && k - i <= 1024 && bytes[k] !== COLON && bytes[k] !== SLASH && !isAsciiSpace(bytes[k]!)) k++
  if (k === i || k >= n || bytes[k] !== COLON || k - i > 1024) return false
  const p = ++k
  while (k < n && k - p <= 1024 && bytes[k] !== AT && bytes[k] !== SLASH && !isAsciiSpace(bytes[k]!)) k++
  return k > p && k < n && bytes[k] === AT && k - p <= 1024
}

/** The triggers of the rules on, built once per set of rules. */
interface Filter {
  /** null: some rule on has no triggers known: lint everything. */
  all: Triggers | null
  byExt: Map<string, Triggers>
  always: Set<string>
  onlyExt: Map<string, string[]>
  literals: string[]
}

const filters = new Map<string, Filter>()
const filterOfList = new WeakMap<readonly string[], Filter>()

function filterFor(ruleIds: readonly string[]): Filter {
  const same = filterOfList.get(ruleIds)
  if (same) return same
  const key = ruleIds.join('\n')
  let f = filters.get(key)
  if (f) {
    filterOfList.set(ruleIds, f)
    return f
  }
  const known = ruleIds.every((id) => id in RULE_TRIGGERS)
  const literals = new Set<string>()
  const always = new Set<string>()
  const onlyExt = new Map<string, string[]>()
  for (const id of ruleIds) {
    const t = RULE_TRIGGERS[id]
    if (!t) continue
    for (const l of t.literals) literals.add(l)
    for (const e of t.always ?? []) always.add(e)
    for (const e of t.only?.ext ?? []) onlyExt.set(e, [...(onlyExt.get(e) ?? []), ...(t.only?.literals ?? [])])
  }
  f = { all: known ? new Triggers([...literals]) : null, byExt: new Map(), always, onlyExt, literals: [...literals] }
  filters.set(key, f)
  filterOfList.set(ruleIds, f)
  return f
}

/**
 * Whether the rules `ruleIds` (full ids, as registered) could report anything in a text, given
 * as its UTF-8 bytes (or as the string), of a file with extension `ext` (as secretlint gets it:
 * from the last dot, case kept). False is a proof (see the file comment); true means "lint it".
 */
export function maySecretlintReport(content: Uint8Array | string, ext: string, ruleIds: readonly string[]): boolean {
  const f = filterFor(ruleIds)
  if (!f.all) return true
  if (f.always.has(ext)) return true
  let triggers = f.all
  const extra = f.onlyExt.get(ext)
  if (extra) {
    triggers = f.byExt.get(ext) as Triggers
    if (!triggers) {
      triggers = new Triggers([...f.literals, ...extra])
      f.byExt.set(ext, triggers)
    }
  }
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  return triggers.find(bytes, (literal, end) => literal !== URL_CREDENTIALS || credentialsAfter(bytes, end))
}
