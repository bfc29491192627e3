/**
 * API tokens of an environment server: created once, stored only as hashes, with scopes.
 *
 * A token is 32 random bytes, so a plain sha256 of it cannot be brute-forced; comparing
 * hashes with timingSafeEqual keeps the check constant-time. The file is re-read when it
 * changes on disk, so `syncdesk-server token revoke` takes effect on a running server.
 *
 * A damaged file (empty, not JSON, not the expected shape, unreadable) admits nobody: it never
 * falls back to "open", and never silently to "no tokens" either, so the server can say what
 * is wrong instead of refusing every token as unknown. `token create` moves such a file aside
 * before it writes a new one; nothing overwrites it silently.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../src-main/engine/atomic.js'
import { describeError, SyncDeskError } from '../src-main/engine/errors.js'

/** What a token may do. */
export const SCOPES = ['read', 'write', 'deploy'] as const
export type Scope = (typeof SCOPES)[number]

/** A stored token: its name, scopes, creation time and sha256 (never the token itself). */
export interface TokenRecord {
  name: string
  scopes: Scope[]
  created: string
  hash: string
}

/** A token as `token list` shows it. */
export type TokenInfo = Omit<TokenRecord, 'hash'>

interface TokenFile {
  version: 1
  tokens: TokenRecord[]
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/
const HASH_RE = /^[0-9a-f]{64}$/

/**
 * The token file cannot be used: it is empty, not JSON, not the expected shape, or unreadable.
 *
 * `detail` says what is wrong in plain words (never the file's content); the hint says how to
 * get a working file again.
 */
export class TokenFileDamaged extends SyncDeskError {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    const projectDir = path.dirname(path.dirname(file))
    super('config-invalid', `The token file ${file} is damaged (${detail}).`, `Create a token to start a new one: syncdesk-server token create NAME --scopes read,write --project-dir ${projectDir} (it moves the damaged file aside).`)
    this.name = 'TokenFileDamaged'
  }
}

/** What is wrong with a parsed token file, or null when it is a good version-1 file. */
function shapeProblem(parsed: unknown): string | null {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'a list' : `a ${typeof parsed}`
    return `it holds ${kind}, not {"version": 1, "tokens": [...]}`
  }
  const file = parsed as Partial<TokenFile>
  if (file.version !== 1) return `its "version" is ${JSON.stringify(file.version) ?? 'missing'}, not 1`
  if (!Array.isArray(file.tokens)) return 'its "tokens" is not a list'
  for (const [i, t] of (file.tokens as unknown[]).entries()) {
    const r = t as Partial<TokenRecord> | null
    const which = `token ${i + 1} of ${file.tokens.length}`
    if (r === null || typeof r !== 'object') return `${which} is not an object`
    if (typeof r.name !== 'string' || !NAME_RE.test(r.name)) return `${which} has no valid "name"`
    if (typeof r.hash !== 'string' || !HASH_RE.test(r.hash)) return `${which} ("${r.name}") has no valid "hash"`
    if (!Array.isArray(r.scopes) || !r.scopes.every((sc) => (SCOPES as readonly unknown[]).includes(sc))) return `${which} ("${r.name}") has "scopes" other than read, write, deploy`
    if (typeof r.created !== 'string') return `${which} ("${r.name}") has no "created" time`
  }
  return null
}

/** Parses the token file's text, or says what is wrong with it. */
function parseTokenFile(text: string): { records: TokenRecord[] } | { problem: string } {
  if (text.trim() === '') return { problem: 'it is empty' }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    const at = /at position (\d+)/.exec((err as Error).message)
    return { problem: `it is not valid JSON${at ? ` at character ${at[1]}` : /end of JSON/i.test((err as Error).message) ? ': it is cut short' : ''}` }
  }
  const problem = shapeProblem(parsed)
  return problem ? { problem } : { records: (parsed as TokenFile).tokens }
}

function hashToken(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest()
}

/** Parses a comma-separated scope list (`read,write`), refusing unknown scopes. */
export function parseScopes(text: string): Scope[] {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))]
  if (scopes.length === 0) throw new SyncDeskError('usage', 'Give at least one scope: read, write, deploy.')
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new SyncDeskError('usage', `Unknown scope "${s}": use read, write, deploy.`)
  }
  return scopes as Scope[]
}

/** The token file of one environment server. */
export class TokenStore {
  private records: TokenRecord[] = []
  private loadedStamp = ''
  /** The damage found at `loadedStamp`, when the file there is damaged. */
  private damage: TokenFileDamaged | null = null
  private reportedStamp = ''

  /**
   * Told once for each damaged state of the file (not once per request).
   *
   * The serving process logs it: every request is refused while the file is damaged, and one
   * line saying what to fix is what the operator needs, not a line per refusal.
   */
  onDamaged: ((err: TokenFileDamaged) => void) | null = null

  constructor(readonly file: string) {}

  private stamp(): string {
    try {
      const st = fs.statSync(this.file)
      return `${st.mtimeMs}:${st.size}:${st.ino}`
    } catch {
      return 'missing'
    }
  }

  private load(): TokenRecord[] {
    const stamp = this.stamp()
    if (stamp === this.loadedStamp) {
      if (this.damage) throw this.damage
      return this.records
    }
    let parsed: { records: TokenRecord[] } | { problem: string } = { records: [] }
    if (stamp !== 'missing') {
      try {
        parsed = parseTokenFile(fs.readFileSync(this.file, 'utf8'))
      } catch (err) {
        parsed = (err as NodeJS.ErrnoException).code === 'ENOENT' ? { records: [] } : { problem: `it cannot be read: ${describeError(err)}` }
      }
    }
    this.loadedStamp = stamp
    if ('problem' in parsed) {
      this.records = []
      this.damage = new TokenFileDamaged(this.file, parsed.problem)
      if (this.reportedStamp !== stamp) {
        this.reportedStamp = stamp
        this.onDamaged?.(this.damage)
      }
      throw this.damage
    }
    this.damage = null
    this.reportedStamp = ''
    this.records = parsed.records
    return parsed.records
  }

  /**
   * Moves a damaged token file aside (to `tokens.json.broken-<time>`); null when it is not damaged.
   *
   * `token create` calls it so a new file can be started without losing the old one: the
   * operator may still want what it held. Returns where it went and what was wrong.
   */
  setAsideIfDamaged(now = new Date()): { movedTo: string; detail: string } | null {
    try {
      this.load()
      return null
    } catch (err) {
      if (!(err instanceof TokenFileDamaged)) throw err
      const movedTo = `${this.file}.broken-${now.toISOString().replace(/[:.]/g, '-')}`
      fs.renameSync(this.file, movedTo)
      this.loadedStamp = ''
      return { movedTo, detail: err.detail }
    }
  }

  private async save(records: TokenRecord[]): Promise<void> {
    const body: TokenFile = { version: 1, tokens: records }
    await writeFileAtomic(this.file, JSON.stringify(body, null, 2) + '\n')
    this.loadedStamp = ''
  }

  /** Creates a token and returns it; only its hash is stored. A damaged file is refused (TokenFileDamaged). */
  async create(name: string, scopes: Scope[], now = new Date()): Promise<string> {
    if (!NAME_RE.test(name)) throw new SyncDeskError('usage', `Invalid token name "${name}": use letters, digits, ".", "_", "@" or "-" (at most 64).`)
    const records = this.load()
    if (records.some((r) => r.name === name)) throw new SyncDeskError('env-exists', `A token named "${name}" exists already: revoke it first or pick another name.`)
    const token = `sdk_${crypto.randomBytes(32).toString('base64url')}`
    await this.save([...records, { name, scopes, created: now.toISOString(), hash: hashToken(token).toString('hex') }])
    return token
  }

  /** Names, scopes and creation times of every token. */
  list(): TokenInfo[] {
    return this.load().map(({ name, scopes, created }) => ({ name, scopes, created }))
  }

  /** Removes a token; false when there is none of that name. */
  async revoke(name: string): Promise<boolean> {
    const records = this.load()
    const rest = records.filter((r) => r.name !== name)
    if (rest.length === records.length) return false
    await this.save(rest)
    return true
  }

  /** The token's record when it is known, else null; TokenFileDamaged when the file is. Every stored hash is compared. */
  verify(token: string): TokenInfo | null {
    const presented = hashToken(token)
    let found: TokenRecord | null = null
    for (const r of this.load()) {
      const stored = Buffer.from(r.hash, 'hex')
      if (stored.length === presented.length && crypto.timingSafeEqual(stored, presented) && !found) found = r
    }
    return found ? { name: found.name, scopes: found.scopes, created: found.created } : null
  }
}
