/**
 * The content both sides agreed on at the last sync, for three-way merges: a content-addressed
 * store in `.syncdesk/bases/<sha256>`.
 *
 * The baseline holds hashes; this holds the texts behind them, for files up to a size (1 MB by
 * default). A base is a copy of the local file, cloned copy-on-write where the filesystem can
 * (btrfs, XFS, APFS), never a hard link: many editors save in place, and a hard-linked base
 * would change with the file. It is deduplicated by its hash and pruned to what the baselines
 * still refer to.
 * Every read is checked against its hash, so a base that went missing or changed means "no
 * merge offered", never a wrong merge.
 */
import fs from 'node:fs'
import path from 'node:path'
import { removeTempQuietly, sha256, tempPathFor } from './atomic.js'
import { STATE_DIR_MODE } from './state-dir.js'
import { isMergeableText } from './text-merge.js'

/** Text files larger than this keep no base (and are never merged). */
export const DEFAULT_MAX_BASE_BYTES = 1024 * 1024

const HASH = /^[0-9a-f]{64}$/

/** A project's store of merge bases. */
export class BaseStore {
  constructor(
    readonly dir: string,
    readonly maxBytes = DEFAULT_MAX_BASE_BYTES,
  ) {}

  /** Whether the base of `hash` is kept (not checked: `read` checks). */
  has(hash: string): boolean {
    return HASH.test(hash) && fs.existsSync(path.join(this.dir, hash))
  }

  /**
   * Keeps `file`'s content as the base of `hash`, when it is small enough and has that hash
   * now. Returns whether the base is kept. Never throws: a base is a convenience.
   */
  keepFile(hash: string, file: string): boolean {
    if (!HASH.test(hash)) return false
    const target = path.join(this.dir, hash)
    try {
      if (fs.existsSync(target)) return true
      const st = fs.lstatSync(file)
      if (!st.isFile() || st.size > this.maxBytes) return false
      fs.mkdirSync(this.dir, { recursive: true, mode: STATE_DIR_MODE })
      const tmp = tempPathFor(target)
      fs.copyFileSync(file, tmp, fs.constants.COPYFILE_FICLONE)
      // The file may have changed since it was hashed: keep it only if it is what we name it,
      // and only text (a binary file is never merged).
      const copy = fs.readFileSync(tmp)
      if (sha256(copy) !== hash || !isMergeableText(copy)) {
        removeTempQuietly(tmp)
        return false
      }
      fs.renameSync(tmp, target)
      return true
    } catch {
      return false
    }
  }

  /** The base of `hash`, or null when it is not kept or no longer matches its hash. */
  read(hash: string | null): Buffer | null {
    if (!hash || !HASH.test(hash)) return null
    try {
      const content = fs.readFileSync(path.join(this.dir, hash))
      return sha256(content) === hash ? content : null
    } catch {
      return null
    }
  }

  /** Removes every base no baseline refers to any more. */
  prune(referenced: ReadonlySet<string>): number {
    let removed = 0
    let names: string[]
    try {
      names = fs.readdirSync(this.dir)
    } catch {
      return 0
    }
    for (const name of names) {
      if (HASH.test(name) && referenced.has(name)) continue
      try {
        fs.rmSync(path.join(this.dir, name), { force: true })
        removed++
      } catch {
        // Left for the next prune.
      }
    }
    return removed
  }
}
