/**
 * Seeded test material for the checks' quick paths (fast-paths.test.ts): YAML texts in and
 * around the plain subset yaml-fast.ts proves valid, and a corpus of YAML, JSON and config files
 * with syntax errors and planted secrets of every recommended rule's shape (all made up), with
 * near misses (a trigger without the rest of the secret). A failure replays from its seed.
 */

/** mulberry32: a seeded PRNG. */
export function prng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(a: readonly T[]) => T } {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, pick: <T>(arr: readonly T[]) => arr[int(arr.length)] as T }
}

type Rnd = ReturnType<typeof prng>

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const chars = (r: Rnd, set: string, n: number) => Array.from({ length: n }, () => set[r.int(set.length)]).join('')
const alnum = (r: Rnd, n: number) => chars(r, ALNUM, n)

/** Made-up secrets, one maker per kind, each of the shape its rule reports. */
export const SECRET_MAKERS: Record<string, (r: Rnd) => string> = {
  aws: (r) => `aws_secret_access_key = ${chars(r, `${ALNUM}/+`, 40)}`,
  awsQuoted: (r) => `"AWS_SECRET_ACCESS_KEY": "${chars(r, ALNUM, 40)}"`,
  githubClassic: (r) => `${r.pick(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])}_${chars(r, `${ALNUM}_`, 36)}`,
  githubFine: (r) => `github_pat_${chars(r, `${ALNUM}_`, 82)}`,
  slackToken: (r) => `${r.pick(['xoxb', 'xoxp', 'xapp', 'xoxa', 'xoxo', 'xoxr'])}-${chars(r, '0123456789', 12)}-${chars(r, '0123456789', 13)}-${alnum(r, 24)}`,
  slackWebhook: (r) => `${r.pick(['https', 'HTTPS'])}://hooks.slack.com/services/T${alnum(r, 8)}/B${alnum(r, 8)}/${alnum(r, 24)}`,
  privateKey: (r) => {
    const kind = r.pick(['RSA ', 'EC ', 'OPENSSH ', ''])
    const body = `MII${chars(r, `${ALNUM}+/`, 64)}\n${chars(r, `${ALNUM}+/`, 64)}\n${chars(r, `${ALNUM}+/`, 40)}==`
    return `-----BEGIN ${kind}PRIVATE KEY-----\n${body}\n-----END ${kind}PRIVATE KEY-----`
  },
  basicAuth: (r) => `${r.pick(['https', 'http', 'ftp'])}://${r.pick(['alice', 'deploy_bot', 'svc-ci'])}:${alnum(r, 12)}@${r.pick(['internal.acme.io', 'files.corp.net'])}/path`,
  postgres: (r) => `${r.pick(['postgres', 'postgresql', 'PostgreSQL'])}://app:${alnum(r, 14)}@db.acme.io:5432/app`,
  mongodb: (r) => `mongodb+srv://svc:${alnum(r, 14)}@cluster0.acme.io/prod`,
  mysql: (r) => `mysql://svc:${alnum(r, 14)}@db.acme.io:3306/prod`,
  npm: (r) => `npm_${chars(r, `${ALNUM}_`, 36)}`,
  openai: (r) => `sk-${alnum(r, 20)}T3BlbkFJ${alnum(r, 20)}`,
  anthropic: (r) => `sk-ant-api03-${chars(r, `${ALNUM}_-`, 93)}AA`,
  groq: (r) => `gsk_${alnum(r, 52)}`,
  huggingface: (r) => `hf_${chars(r, ALNUM.slice(0, 52), 34)}`,
  linear: (r) => `lin_api_${alnum(r, 40)}`,
  notion: (r) => `ntn_${chars(r, '0123456789', 11)}${alnum(r, 35)}`,
  vault: (r) => `hvs.${chars(r, `${ALNUM}_-`, 100)}`,
  vercel: (r) => `${r.pick(['vcp', 'vci', 'vca', 'vcr', 'vck'])}_${alnum(r, 24)}`,
  databricks: (r) => `dapi${chars(r, '0123456789abcdef', 32)}`,
  docker: (r) => `dckr_pat_${chars(r, `${ALNUM}_-`, 27)}`,
  figma: (r) => `figd_${chars(r, `${ALNUM}_-`, 45)}`,
  sendgrid: (r) => `SG.${alnum(r, 22)}.${alnum(r, 43)}`,
  shopify: (r) => `${r.pick(['shpat', 'shpss', 'shpca', 'shppa'])}_${chars(r, '0123456789abcdef', 32)}`,
  gitlab: (r) => `glpat-${chars(r, `${ALNUM}_-`, 20)}`,
  grafanaCloud: (r) => `glc_eyJ${chars(r, `${ALNUM}+/`, 40)}`,
  grafanaSa: (r) => `glsa_${alnum(r, 32)}_${chars(r, '0123456789abcdef', 8)}`,
  onePassword: (r) => {
    // A JSON object whose base64 ends in `fQ==` (its length one past a multiple of three), as the rule wants.
    let json = JSON.stringify({ email: `${alnum(r, 10)}@1passwordserviceaccounts.lcl`, secretKey: alnum(r, 30), srpX: alnum(r, 40) })
    while (json.length % 3 !== 1) json = `${json.slice(0, -1)} }`
    return `ops_${Buffer.from(json).toString('base64')}`
  },
  npmrc: (r) => `//registry.npmjs.org/:_authToken=${alnum(r, 36)}`,
  xOauth: (r) => `https://${alnum(r, 40)}:x-oauth-basic@github.com/acme/repo.git`,
}

/** Text that holds a trigger of some rule and no secret (the full lint runs and finds nothing). */
const NEAR_MISSES = [
  'ghp_short',
  'secret_access is documented in the wiki',
  'https://example.com/docs',
  'postgres://localhost/app',
  'https://user@host.example.com',
  'SG.not.long',
  'hf_x',
  'dapi-docs',
  'xoxb-',
  '-----BEGIN CERTIFICATE-----',
  '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----',
  'npm_config_cache',
  'https://user:password@example.com',
  'sk-ant-api03-short',
  'mysql://user:pass@localhost',
]

const WORDS = ['customer', 'order', 'invoice', 'agent', 'skill', 'prompt', 'model', 'token', 'secret', 'config', 'retry', 'timeout', 'value', 'é', 'naïve', 'data']

function words(r: Rnd, n: number): string {
  return Array.from({ length: n }, () => r.pick(WORDS)).join(r.pick([' ', ' ', '_', '-']))
}

/** A planted secret or near miss, sometimes marked for secretlint to skip. */
function planted(r: Rnd): string {
  const s = r.next() < 0.75 ? (SECRET_MAKERS[r.pick(Object.keys(SECRET_MAKERS))] as (r: Rnd) => string)(r) : r.pick(NEAR_MISSES)
  return s
}

/** A YAML file: often valid, sometimes broken, sometimes holding a secret. */
function yamlFile(r: Rnd): string {
  const lines: string[] = []
  if (r.next() < 0.3) lines.push(`# ${words(r, 3)}`)
  const n = 1 + r.int(12)
  const keys = new Set<string>()
  for (let i = 0; i < n; i++) {
    const k = r.pick(['name', 'model', 'prompt', 'url', 'token', 'db', 'notes', 'key', `k${i}`])
    if (keys.has(k) && r.next() < 0.9) continue
    keys.add(k)
    const v = r.next()
    if (v < 0.15) {
      lines.push(`${k}: ${planted(r).split('\n')[0]}`)
    } else if (v < 0.25) {
      lines.push(`${k}: |`)
      for (const l of planted(r).split('\n')) lines.push(`  ${l}`)
    } else if (v < 0.4) {
      lines.push(`${k}:`)
      for (let j = 0; j < 1 + r.int(3); j++) lines.push(`  - ${words(r, 2)}`)
    } else if (v < 0.5) {
      lines.push(`${k}:`, `  inner: ${words(r, 2)}`, `  other: "${words(r, 2)}"`)
    } else lines.push(`${k}: ${words(r, 1 + r.int(4))}`)
  }
  // Breakage: an indent too far, a tab, an open quote, a key twice, a flow not closed.
  const b = r.next()
  if (b < 0.08) lines.splice(1 + r.int(lines.length), 0, `   misplaced: ${words(r, 1)}`)
  else if (b < 0.12) lines.push('\tname: tabbed')
  else if (b < 0.16) lines.push(`quote: "${words(r, 2)}`)
  else if (b < 0.2) lines.push(`${lines[0]?.split(':')[0] ?? 'a'}: again`)
  else if (b < 0.24) lines.push(`list: [${words(r, 1)}, ${words(r, 1)}`)
  else if (b < 0.28) lines.push('---', `name: ${words(r, 2)}`, '  bad: 1')
  const eol = r.next() < 0.1 ? '\r\n' : '\n'
  return (r.next() < 0.05 ? '\uFEFF' : '') + lines.join(eol) + eol
}

/** A JSON file: valid or broken, sometimes a GCP service account key. */
function jsonFile(r: Rnd): string {
  const v = r.next()
  if (v < 0.1) {
    const key = `-----BEGIN PRIVATE KEY-----\\nMII${alnum(r, 120)}\\n-----END PRIVATE KEY-----\\n`
    const id = r.next() < 0.5 ? 'private_key_id' : 'private\\u005fkey_id'
    return `{"type": "service_account", "${id}": "${alnum(r, 20)}", "private_key": "${key}"}\n`
  }
  const fields = [`"name": "${words(r, 2)}"`, `"retries": ${r.int(9)}`]
  if (r.next() < 0.4) fields.push(`"token": "${planted(r).replace(/\n/g, '\\n')}"`)
  let t = `{\n  ${fields.join(',\n  ')}\n}\n`
  const b = r.next()
  if (b < 0.15) t = t.replace(/\n}/, ',\n}')
  else if (b < 0.25) t = t.replace('"name"', 'name')
  else if (b < 0.3) t = t.replace(/\}\n$/, '')
  return t
}

/** A .env / .toml / .ini file with settings, some of them secrets. */
function configFile(r: Rnd): string {
  const lines = [`# ${words(r, 3)}`, `MODE=${words(r, 1)}`]
  for (let i = 0; i < 1 + r.int(4); i++) lines.push(r.next() < 0.5 ? `KEY_${i}=${planted(r).split('\n')[0]}` : `NAME_${i}=${words(r, 2)}`)
  if (r.next() < 0.15) lines.push(`TOKEN=${planted(r).split('\n')[0]} # secretlint-disable-line`)
  return lines.join('\n') + '\n'
}

/** Files of a seeded corpus: path → content. */
export function seededCorpus(seed: number, count: number): Record<string, string> {
  const r = prng(seed)
  const out: Record<string, string> = {}
  for (let i = 0; i < count; i++) {
    const kind = r.next()
    if (kind < 0.55) out[`agents/a${i}.${r.pick(['yaml', 'yml', 'YML'])}`] = yamlFile(r)
    else if (kind < 0.8) out[`config/c${i}.json`] = jsonFile(r)
    else out[`deploy/d${i}${r.pick(['.env', '.toml', '.ini'])}`] = configFile(r)
  }
  // Every maker at least once, in each kind of file.
  for (const [name, make] of Object.entries(SECRET_MAKERS)) {
    out[`planted/${name}.yml`] = `name: planted\nvalue: |\n${make(r).split('\n').map((l) => `  ${l}`).join('\n')}\n`
    out[`planted/${name}.json`] = `{"value": ${JSON.stringify(make(r))}}\n`
    out[`planted/${name}.env`] = `VALUE=${make(r).split('\n').join('\\n')}\n`
  }
  return out
}

// ---- YAML in and around the subset of yaml-fast.ts ----

const KEYS = ['name', 'model', 'tools', 'a', 'b', 'x_y', 'app.kubernetes.io/name', 'k-8', 'True', 'null', 'é', '1', 'a b', '"q"', '? a']
const PLAINS = ['gpt-4', 'hello world', '1', '-2.5', 'http://example.com/a?b=c', 'a:b', 'x # comment', '~', '$HOME', '.env', '(x)', '+1', 'a, b', 'x]', "o'k", 'say "hi"', 'a#b', 'é日本', '- x', 'a: b', '@x', '`x`', '*ref', '&anc v', '!!str x', 'x\t', '%p', 'a:', '...', '---']
const QUOTED = ['"a b"', "'a b'", "'it''s'", '"with # hash"', '"a\\"b"', '"open', "'x' y", '"a"  # c', '[]', '{}', '[a, b]', '{a: 1}']

function scalarLines(r: Rnd, ind: number): string[] {
  const v = r.next()
  if (v < 0.5) return [r.pick(PLAINS)]
  if (v < 0.7) return [r.pick(QUOTED)]
  if (v < 0.85) {
    const out = [r.pick(['|', '>', '|-', '>+', '|2', '| # c'])]
    const ci = ind + r.pick([1, 2, 2, 4, 0])
    for (let i = 0; i < 1 + r.int(3); i++) out.push(r.next() < 0.2 ? ' '.repeat(r.int(8)) : ' '.repeat(ci + (r.next() < 0.2 ? 2 : 0)) + r.pick(['text', '# not a comment', 'a: b', '- x', 'x\ty']))
    return out
  }
  const out = [r.pick(PLAINS)]
  for (let i = 0; i < 1 + r.int(3); i++) out.push(' '.repeat(ind + r.pick([1, 2, 4, 0])) + r.pick(['more words', 'and_more', 'x: y', 'a #c', '- z', 'é']))
  return out
}

function yamlNode(r: Rnd, ind: number, depth: number, out: string[], prefix: string): void {
  if (depth > 3 || r.next() < 0.4) {
    const ls = scalarLines(r, ind)
    out.push(prefix + ls[0])
    for (const l of ls.slice(1)) out.push(l)
    return
  }
  const childInd = ind + r.pick([2, 2, 4, 1])
  if (prefix) out.push(prefix.trimEnd() + (r.next() < 0.1 ? '  # c' : ''))
  const isSeq = r.next() < 0.4
  const ci = prefix && isSeq && r.next() < 0.3 ? ind : prefix ? childInd : ind
  const used = new Set<string>()
  for (let i = 0; i < 1 + r.int(4); i++) {
    if (r.next() < 0.1) out.push(`${' '.repeat(r.int(6))}# comment`)
    if (r.next() < 0.05) out.push('')
    if (isSeq) {
      if (r.next() < 0.3) {
        const ls = scalarLines(r, ci + 2)
        out.push(`${' '.repeat(ci)}- ${r.pick(KEYS)}: ${ls[0]}`)
        for (const l of ls.slice(1)) out.push(l)
        if (r.next() < 0.5) yamlNode(r, ci + 2, depth + 1, out, `${' '.repeat(ci + 2)}${r.pick(KEYS)}: `)
      } else yamlNode(r, ci + 2, depth + 1, out, `${' '.repeat(ci)}- `)
    } else {
      const k = r.pick(KEYS)
      if (used.has(k) && r.next() < 0.9) continue
      used.add(k)
      yamlNode(r, ci, depth + 1, out, `${' '.repeat(ci)}${k}: `)
    }
  }
}

/** A YAML text from a small grammar, then up to two random edits (an indent, a line, a character). */
export function yamlNearSubset(r: Rnd): string {
  const out: string[] = []
  for (let d = 0; d < 1 + r.int(2); d++) {
    if (d > 0) out.push(r.pick(['---', '---', '--- x', '...']))
    if (r.next() < 0.15) {
      out.push('# header')
      for (let i = 0; i < 1 + r.int(5); i++) out.push(' '.repeat(r.pick([0, 0, 4, 8])) + r.pick(['customer order invoice', 'payment_agent skill', 'x', 'é words', 'a b c d']))
    } else yamlNode(r, r.pick([0, 0, 0, 2]), 0, out, '')
  }
  const lines = `${out.join('\n')}\n`.split('\n')
  for (let m = r.int(3); m > 0; m--) {
    const i = r.int(lines.length)
    const e = r.next()
    if (e < 0.3) lines[i] = ` ${lines[i]}`
    else if (e < 0.5) lines[i] = (lines[i] as string).replace(/^ /, '')
    else if (e < 0.6) lines.splice(i, 0, lines[r.int(lines.length)] as string)
    else if (e < 0.7) lines.splice(i, 1)
    else {
      const l = lines[i] as string
      const p = r.int(l.length + 1)
      lines[i] = l.slice(0, p) + r.pick([':', ' ', '#', '-', '"', "'", ' #', ': ', '\t', '[', '|', '\r']) + l.slice(p)
    }
  }
  const eol = r.next()
  // Windows line ends, all or some; now and then a lone \r.
  return lines.map((l, i) => (i === lines.length - 1 ? l : `${l}${eol < 0.3 ? '\r\n' : eol < 0.4 ? r.pick(['\n', '\r\n']) : eol < 0.43 ? r.pick(['\n', '\r']) : '\n'}`)).join('')
}
