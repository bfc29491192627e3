/**
 * Prior versions the environment keeps before it replaces or deletes a file.
 *
 * Each write request gets a version id (a sortable run id); the old content of every item
 * it replaces or deletes is kept at `.syncdesk-server/versions/<id>/<itemPath>` (a hard link,
 * no copy; the same layout the folder remote uses) and `<id>.json` beside it says when, by
 * which token and in which operation. Restoring a version is an ordinary conditional write,
 * so the content it replaces is kept in turn.
 *
 * Retention (`prune`): a version is removed only when it is both beyond the newest
 * `keepPerItem` versions of its file and older than `keepDays`. The newest versions of every
 * file are what an undo of a push reads (`readPrior`: the content the push replaced is the
 * newest version of that file for as long as nobody changed the file since, and an undo leaves
 * a file that changed since alone anyway; an undo of that undo needs the next one, and so on),
 * so keeping the newest N of each file, whatever their age, keeps the last N pushes of every file
 * undoable. `keepPerItem` is at least 1: the latest push can always be undone.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../src-main/engine/atomic.js'
import { DirStore, hashFile, type BackupHook } from '../src-main/engine/dir-store.js'
import { preserveInto } from '../src-main/engine/preserve.js'
import type { ApiFileVersion } from '../src-shared/server-api.js'

/** When, by whom and how a version was made. */
export interface VersionMeta {
  at: string
  by: string
  op: 'write' | 'delete' | 'restore'
}

/** One kept prior version of one file. */
export type VersionEntry = ApiFileVersion

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** True when `id` has the shape of a version id (so it can name a folder safely). */
export function isVersionId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id)
}

/** How long prior versions are kept (see the module comment). */
export interface VersionRetention {
  /** The newest versions of each file (and of each record) always kept, whatever their age (at least 1). */
  keepPerItem: number
  /** Versions younger than this many days are always kept. */
  keepDays: number
}

/** The default retention: the newest 10 versions of every item, and everything of the last 30 days. */
export const DEFAULT_VERSION_RETENTION: VersionRetention = { keepPerItem: 10, keepDays: 30 }

/** What a prune removed (or, with `dryRun`, would remove). */
export interface PruneResult {
  /** Kept item versions removed (files, or record rows). */
  removed: number
  /** Bytes they took (files; for records, the JSON of the rows). */
  bytes: number
  /** Whole versions (ids) left with nothing, and removed. */
  versions: number
}

const DAY_MS = 86_400_000

/** Checks a retention (keepPerItem ≥ 1 whole, keepDays ≥ 0). */
export function checkRetention(r: VersionRetention): VersionRetention {
  if (!Number.isInteger(r.keepPerItem) || r.keepPerItem < 1) throw new RangeError('keepPerItem must be a whole number of at least 1')
  if (!Number.isFinite(r.keepDays) || r.keepDays < 0) throw new RangeError('keepDays must be a number of days from 0')
  return r
}

/** The versions folder of one environment. */
export class VersionStore {
  constructor(readonly dir: string) {}

  /** A backup hook keeping old content under version `id`, and how many items it kept. */
  hook(id: string): { hook: BackupHook; kept: () => number } {
    const inner = preserveInto(path.join(this.dir, id))
    let kept = 0
    return {
      hook: async (itemPath, absPath) => {
        await inner(itemPath, absPath)
        kept++
      },
      kept: () => kept,
    }
  }

  /** Records who made version `id` (only called when it kept something). */
  async writeMeta(id: string, meta: VersionMeta): Promise<void> {
    await writeFileAtomic(path.join(this.dir, `${id}.json`), JSON.stringify(meta) + '\n')
  }

  private readMeta(id: string): Partial<VersionMeta> {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${id}.json`), 'utf8')) as Partial<VersionMeta>
    } catch {
      return {}
    }
  }

  /** Version ids, newest first. */
  async ids(): Promise<string[]> {
    let entries: fs.Dirent[]
    try {
      entries = await fsp.readdir(this.dir, { withFileTypes: true })
    } catch {
      return []
    }
    return entries
      .filter((e) => e.isDirectory() && isVersionId(e.name))
      .map((e) => e.name)
      .sort()
      .reverse()
  }

  /** Kept versions, newest first: of one item when `itemPath` is given, else of all (up to `limit`). */
  async list(itemPath?: string, limit = 1000): Promise<VersionEntry[]> {
    const out: VersionEntry[] = []
    for (const id of await this.ids()) {
      if (out.length >= limit) break
      const root = path.join(this.dir, id)
      const paths = itemPath ? [itemPath] : listFiles(root)
      for (const p of paths) {
        if (out.length >= limit) break
        const abs = path.join(root, ...p.split('/'))
        let st: fs.Stats
        try {
          st = await fsp.lstat(abs)
        } catch {
          continue
        }
        if (!st.isFile()) continue
        const meta = this.readMeta(id)
        out.push({ id, path: p, size: st.size, hash: await hashFile(abs, st.size), at: meta.at ?? null, by: meta.by ?? null, op: meta.op ?? null })
      }
    }
    return out
  }

  /**
   * Removes the versions past the retention: of each file, those beyond its newest
   * `keepPerItem` that are also older than `keepDays` (by when they were made, `now` being the
   * clock's). A version left with no file is removed with its record. Versions being written
   * while it runs are the newest of their files, so never touched.
   */
  async prune(retention: VersionRetention, now: number, opts: { dryRun?: boolean } = {}): Promise<PruneResult> {
    checkRetention(retention)
    const out: PruneResult = { removed: 0, bytes: 0, versions: 0 }
    const cutoff = now - retention.keepDays * DAY_MS
    const seen = new Map<string, number>()
    for (const id of await this.ids()) {
      const root = path.join(this.dir, id)
      const made = this.madeAt(id, root)
      const files = listFiles(root)
      let removedHere = 0
      for (const p of files) {
        const rank = seen.get(p) ?? 0
        seen.set(p, rank + 1)
        if (rank < retention.keepPerItem || made >= cutoff) continue
        const abs = path.join(root, ...p.split('/'))
        let size = 0
        try {
          size = (await fsp.lstat(abs)).size
          if (!opts.dryRun) await fsp.rm(abs, { force: true })
        } catch {
          continue
        }
        out.removed++
        out.bytes += size
        removedHere++
      }
      if (removedHere === 0) continue
      if (removedHere === files.length) {
        out.versions++
        if (!opts.dryRun) {
          await fsp.rm(root, { recursive: true, force: true })
          await fsp.rm(path.join(this.dir, `${id}.json`), { force: true })
        }
      } else if (!opts.dryRun) removeEmptyFolders(root)
    }
    return out
  }

  /** When version `id` was made: its record's time, else its folder's. */
  private madeAt(id: string, root: string): number {
    const at = Date.parse(this.readMeta(id).at ?? '')
    if (Number.isFinite(at)) return at
    try {
      return fs.statSync(root).mtimeMs
    } catch {
      return 0
    }
  }

  /** The content of one kept version (symlinks are never followed). */
  read(id: string, itemPath: string): Promise<Buffer> {
    if (!isVersionId(id)) throw Object.assign(new Error(`invalid version id ${JSON.stringify(id)}`), { code: 'ENOENT' })
    return new DirStore(path.join(this.dir, id)).read(itemPath)
  }
}

/** Removes the empty folders under `root` (not `root` itself). */
function removeEmptyFolders(root: string): void {
  const walk = (abs: string): boolean => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch {
      return false
    }
    let empty = true
    for (const e of entries) {
      if (e.isDirectory() && walk(path.join(abs, e.name))) {
        try {
          fs.rmdirSync(path.join(abs, e.name))
          continue
        } catch {
          // Something was put there meanwhile: keep it.
        }
      }
      empty = false
    }
    return empty
  }
  walk(root)
}

/** Every regular file under `root`, as item paths. */
function listFiles(root: string): string[] {
  const out: string[] = []
  const walk = (rel: string, abs: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(r, path.join(abs, e.name))
      else if (e.isFile()) out.push(r)
    }
  }
  walk('', root)
  return out.sort()
}
