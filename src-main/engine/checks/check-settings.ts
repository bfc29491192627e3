/**
 * Which files are checked, and how: the defaults and a project's `checks` settings in
 * `.syncdesk/config.json` (see the README's "Checks before a push").
 *
 * - `syntax`: extension → how it is parsed (`yaml`, `json`, `jsonc`, `markdown-frontmatter`, or
 *   `off`), over the defaults `.yaml`/`.yml` → yaml and `.json` → json.
 * - `secrets`: extensions scanned for secrets, added to the defaults (config-like files:
 *   `.yaml .yml .json .jsonc .env .toml .ini .cfg .conf .properties`); `"*"` scans every file
 *   written.
 * - `off`: rules turned off: `yaml`, `json`, `secrets` (every secret rule), or one secret rule
 *   by its short name (`aws`) or full id (`@secretlint/secretlint-rule-aws`).
 * - `maxBytes`: larger files are not checked, and the preview says so (default 1 MB).
 */
import { SYNTAX_KINDS, type SyntaxKind } from './check-types.js'
import { fullRuleId } from './secret-check.js'

/** What a project's config may say about checks (validated by the project's schema). */
export interface ChecksConfig {
  syntax?: Record<string, SyntaxKind | 'off'>
  secrets?: string[]
  off?: string[]
  maxBytes?: number
}

/** The extensions whose syntax is checked by default. */
export const DEFAULT_SYNTAX: Readonly<Record<string, SyntaxKind>> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' }

/** The extensions scanned for secrets by default: config-like files, where keys get pasted. */
export const DEFAULT_SECRET_EXTENSIONS = ['.yaml', '.yml', '.json', '.jsonc', '.env', '.toml', '.ini', '.cfg', '.conf', '.properties'] as const

/** Files larger than this are not checked by default. */
export const DEFAULT_MAX_BYTES = 1024 * 1024

/** The rule names `off` knows besides the secret rules. */
export const SYNTAX_RULES = ['yaml', 'json', 'secrets'] as const

/** The checks of one file: how its syntax is parsed (or not), and whether it is scanned for secrets. */
export interface FileCheckKinds {
  syntax: SyntaxKind | null
  secrets: boolean
}

/** The resolved settings. */
export interface CheckSettings {
  /** Extension (lower case, with its dot) → how its syntax is parsed. */
  syntax: ReadonlyMap<string, SyntaxKind>
  /** Extensions scanned for secrets, or every file. */
  secretsIn: ReadonlySet<string> | 'all'
  /** No secret rule runs. */
  secretsOff: boolean
  /** Secret rules turned off, by full id. */
  secretRulesOff: ReadonlySet<string>
  maxBytes: number
  /** The names in `off` that are not syntax rules (full ids), to be checked against secretlint's. */
  secretNamesOff: string[]
  /** Changes whenever what a check of the same content finds could change. */
  fingerprint: string
}

/** The version of the checkers: bump it when they (or the packages under them) find other things. */
const CHECKERS_VERSION = 1

/** A file's extension as the scan filter reads it: `a.YML` → `.yml`, `.env` → `.env`. */
function extensionOf(itemPath: string): string {
  const name = itemPath.slice(itemPath.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  return dot >= 0 ? name.slice(dot).toLowerCase() : ''
}

function normalizeExtension(ext: string): string {
  const e = ext.trim().toLowerCase()
  return e.startsWith('.') ? e : `.${e}`
}

/** Resolves a project's `checks` settings over the defaults. */
export function checkSettings(config: ChecksConfig | undefined): CheckSettings {
  const off = new Set((config?.off ?? []).map((n) => n.trim()).filter(Boolean))
  const syntax = new Map<string, SyntaxKind>()
  const syntaxOff = (kind: SyntaxKind) => (kind === 'yaml' || kind === 'markdown-frontmatter' ? off.has('yaml') : off.has('json'))
  for (const [ext, kind] of Object.entries(DEFAULT_SYNTAX)) syntax.set(ext, kind)
  for (const [ext, kind] of Object.entries(config?.syntax ?? {})) {
    if (kind === 'off') syntax.delete(normalizeExtension(ext))
    else if ((SYNTAX_KINDS as readonly string[]).includes(kind)) syntax.set(normalizeExtension(ext), kind)
  }
  for (const [ext, kind] of [...syntax]) if (syntaxOff(kind)) syntax.delete(ext)
  const secretsOff = off.has('secrets')
  const listed = config?.secrets ?? []
  const secretsIn: ReadonlySet<string> | 'all' = listed.includes('*')
    ? 'all'
    : new Set([...DEFAULT_SECRET_EXTENSIONS, ...listed.map(normalizeExtension)])
  const secretNamesOff = [...off].filter((n) => !(SYNTAX_RULES as readonly string[]).includes(n)).map(fullRuleId)
  const secretRulesOff = new Set(secretNamesOff)
  return {
    syntax,
    secretsIn,
    secretsOff,
    secretRulesOff,
    maxBytes: config?.maxBytes ?? DEFAULT_MAX_BYTES,
    secretNamesOff,
    fingerprint: JSON.stringify({ v: CHECKERS_VERSION, off: [...secretRulesOff].sort(), secretsOff }),
  }
}

/** The checks a file gets, or null when it gets none. */
export function checksFor(settings: CheckSettings, itemPath: string): FileCheckKinds | null {
  const ext = extensionOf(itemPath)
  const syntax = settings.syntax.get(ext) ?? null
  const secrets = !settings.secretsOff && (settings.secretsIn === 'all' || settings.secretsIn.has(ext))
  return syntax || secrets ? { syntax, secrets } : null
}
