/**
 * What the checks found in each content, kept in `.syncdesk/cache/checks.json` so that a
 * content is checked once: the dry run and the push after it, or the next preview, only
 * check what changed since.
 *
 * An entry is keyed by the checks run and the content's sha256, and holds only positions, rule
 * ids and plain words (never file text). The whole cache is dropped when the settings that
 * change what a check finds change. It is a cache: unreadable means empty, and it is written
 * with a rename (no fsync; losing it costs one more check).
 */
import fs from 'node:fs'
import path from 'node:path'
import { tempPathFor } from '../atomic.js'
import { readTextFile } from '../read-text.js'
import type { FoundProblem } from './check-types.js'

/** The most contents remembered (the ones used last are kept). */
const MAX_ENTRIES = 50_000

const KINDS = new Set(['syntax', 'secret', 'check'])

function validProblem(p: unknown): p is FoundProblem {
  if (!p || typeof p !== 'object') return false
  const o = p as Record<string, unknown>
  const pos = (v: unknown) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0)
  return pos(o.line) && pos(o.column) && typeof o.rule === 'string' && typeof o.message === 'string' && KINDS.has(o.kind as string)
}

/** The cache of check results (see the file comment). */
export class CheckCache {
  private readonly old = new Map<string, FoundProblem[]>()
  private readonly used = new Map<string, FoundProblem[]>()
  private changed = false

  private constructor(
    private readonly file: string | null,
    private readonly fingerprint: string,
  ) {}

  /** Loads the cache of `file` for these settings (null: keep nothing on disk). */
  static load(file: string | null, fingerprint: string): CheckCache {
    const cache = new CheckCache(file, fingerprint)
    if (!file) return cache
    try {
      const data = JSON.parse(readTextFile(file)) as { fingerprint?: unknown; entries?: unknown }
      if (data.fingerprint === fingerprint && data.entries && typeof data.entries === 'object') {
        for (const [k, v] of Object.entries(data.entries as Record<string, unknown>)) if (Array.isArray(v) && v.every(validProblem)) cache.old.set(k, v)
      }
    } catch {}
    return cache
  }

  /** What an earlier check of this content found (an empty list: nothing), or undefined when it was not checked. */
  get(key: string): FoundProblem[] | undefined {
    const hit = this.used.get(key) ?? this.old.get(key)
    if (hit) this.used.set(key, hit)
    return hit
  }

  set(key: string, problems: FoundProblem[]): void {
    this.used.set(key, problems)
    this.changed = true
  }

  /** Writes the cache when something new was learned: this run's entries first, then older ones up to the limit. */
  save(): void {
    if (!this.file || !this.changed) return
    const entries: Record<string, FoundProblem[]> = {}
    let n = 0
    for (const [k, v] of this.used) if (n++ < MAX_ENTRIES) entries[k] = v
    for (const [k, v] of this.old) if (!(k in entries) && n++ < MAX_ENTRIES) entries[k] = v
    const tmp = tempPathFor(this.file)
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true })
      fs.writeFileSync(tmp, JSON.stringify({ fingerprint: this.fingerprint, entries }))
      fs.renameSync(tmp, this.file)
      this.changed = false
    } catch {
      fs.rmSync(tmp, { force: true })
    }
  }
}
