/**
 * API tokens of an environment server: created once, stored only as hashes, with scopes.
 *
 * A token is 32 random bytes, so a plain sha256 of it cannot be brute-forced; comparing
 * hashes with timingSafeEqual keeps the check constant-time. The file is re-read when it
 * changes on disk, so `syncdesk-server token revoke` takes effect on a running server.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { writeFileAtomic } from '../src-main/engine/atomic.js'
import { SyncDeskError } from '../src-main/engine/errors.js'

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
    if (stamp === this.loadedStamp) return this.records
    let records: TokenRecord[] = []
    if (stamp !== 'missing') {
      try {
        const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<TokenFile>
        records = Array.isArray(parsed.tokens) ? parsed.tokens.filter((t) => typeof t?.name === 'string' && typeof t?.hash === 'string' && Array.isArray(t?.scopes)) : []
      } catch (err) {
        // A broken token file admits nobody; it never falls back to "open".
        throw new SyncDeskError('config-invalid', `The token file ${this.file} cannot be read (${(err as Error).message}).`)
      }
    }
    this.records = records
    this.loadedStamp = stamp
    return records
  }

  private async save(records: TokenRecord[]): Promise<void> {
    const body: TokenFile = { version: 1, tokens: records }
    await writeFileAtomic(this.file, JSON.stringify(body, null, 2) + '\n')
    this.loadedStamp = ''
  }

  /** Creates a token and returns it; only its hash is stored. */
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

  /** The token's record when it is known, else null. Every stored hash is compared. */
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
