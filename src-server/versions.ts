/**
 * Prior versions the environment keeps before it replaces or deletes a file.
 *
 * Each write request gets a version id (a sortable run id); the old content of every item
 * it replaces or deletes is kept at `.syncdesk-server/versions/<id>/<itemPath>` (a hard link,
 * no copy; the same layout the folder remote uses) and `<id>.json` beside it says when, by
 * which token and in which operation. Restoring a version is an ordinary conditional write,
 * so the content it replaces is kept in turn.
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

  /** The content of one kept version (symlinks are never followed). */
  read(id: string, itemPath: string): Promise<Buffer> {
    if (!isVersionId(id)) throw Object.assign(new Error(`invalid version id ${JSON.stringify(id)}`), { code: 'ENOENT' })
    return new DirStore(path.join(this.dir, id)).read(itemPath)
  }
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
