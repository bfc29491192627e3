/**
 * The content both sides agreed on at the last sync, for three-way merges: a content-addressed
 * store in `.syncdesk/bases/`.
 *
 * The baseline holds hashes; this holds the texts behind them, for files up to a size (1 MB by
 * default). A base is a copy of the local file's content (never a hard link: many editors save
 * in place, and a linked base would change with the file). The bases a run keeps are appended
 * to one pack (`pack-<id>.bin`) listed by its own index (`pack-<id>.idx`, a line
 * `<sha256> <offset> <length>` per base): two files written per run rather than one per text
 * (on a first sync of 10,000 files, creating 10,000 small files cost more than the sync's own
 * writes), and no shared index to read and rewrite at every run. Packs are merged, and what no
 * baseline refers to dropped, once there are more than a few of them. Bases of older versions,
 * one file per hash (`bases/<sha256>`), are still read, and moved into a pack at a prune.
 *
 * Bases are not flushed to disk (no fsync): a base lost or torn by a crash is caught by the hash
 * check of every read, and only means that no merge is offered, never a wrong merge or lost
 * work. They are written after the sync state is saved, so a crash leaves at worst a base too
 * many, which a later prune removes.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { isAbandonedTemp, isTempName, removeTempQuietly, sha256, tempPathFor } from './atomic.js'
import { STATE_DIR_MODE } from './state-dir.js'
import { isMergeableText } from './text-merge.js'

/** Text files larger than this keep no base (and are never merged). */
export const DEFAULT_MAX_BASE_BYTES = 1024 * 1024

/** Packs kept before `pruneIfDue` merges them (each run that keeps a base adds one). */
export const MAX_PACKS = 12

const HASH = /^[0-9a-f]{64}$/
const PACK = /^pack-[0-9a-f]{16}\.bin$/
const PACK_INDEX = /^pack-[0-9a-f]{16}\.idx$/
const INDEX_LINE = /^([0-9a-f]{64}) (\d{1,15}) (\d{1,15})$/
/** Kept bases are written to their pack in pieces of about this size (not one write each). */
const PENDING_BYTES = 1024 * 1024

/** Where one base lies in a pack. */
interface PackEntry {
  pack: string
  offset: number
  length: number
}

/** A project's store of merge bases. */
export class BaseStore {
  private index: Map<string, PackEntry> | null = null
  /**
   * The pack being written (a temp file until `save`), what it holds so far, and the bases not
   * yet written to it (they go in writes of about PENDING_BYTES).
   */
  private writing: { fd: number; tmp: string; pack: string; offset: number; entries: Map<string, PackEntry>; pending: Buffer[]; pendingBytes: number; written: number } | null = null
  /** The hashes `keepContent` was given, kept or not: `keepFile` does not read those again. */
  private readonly given = new Set<string>()

  constructor(
    readonly dir: string,
    readonly maxBytes = DEFAULT_MAX_BASE_BYTES,
  ) {}

  /** Whether the base of `hash` is kept (not checked: `read` checks). */
  has(hash: string): boolean {
    if (!HASH.test(hash)) return false
    return !!this.writing?.entries.has(hash) || this.loadIndex().has(hash) || fs.existsSync(path.join(this.dir, hash))
  }

  /**
   * Keeps `file`'s content as the base of `hash`, when it is small enough, text, and has that
   * hash now (it may have changed since it was hashed). Returns whether it is kept; it is on
   * disk after `save`. It does not look whether an older pack has it already (that would read
   * every index): a duplicate goes at the next prune. Never throws: a base is a convenience.
   */
  keepFile(hash: string, file: string): boolean {
    if (!HASH.test(hash)) return false
    if (this.writing?.entries.has(hash)) return true
    if (this.given.has(hash)) return false
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
      let content: Buffer
      try {
        const st = fs.fstatSync(fd)
        if (!st.isFile() || st.size > this.maxBytes) return false
        content = fs.readFileSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      if (content.byteLength > this.maxBytes || sha256(content) !== hash || !isMergeableText(content)) return false
      this.append(hash, content)
      return true
    } catch {
      return false
    }
  }

  /**
   * Keeps `content` as the base of `hash`, when it is small enough and text. The caller vouches
   * that `content` has that hash (a run keeps what it has just checked and written); a base is
   * checked again at every read all the same. On disk after `save`. Never throws.
   */
  keepContent(hash: string, content: Buffer): boolean {
    if (!HASH.test(hash)) return false
    if (this.writing?.entries.has(hash)) return true
    this.given.add(hash)
    if (content.byteLength > this.maxBytes || !isMergeableText(content)) return false
    try {
      this.append(hash, content)
      return true
    } catch {
      return false
    }
  }

  /** Drops the bases kept since the last save (a run that recorded nothing). Never throws. */
  discard(): void {
    const w = this.writing
    if (!w) return
    this.writing = null
    closeQuietly(w.fd)
    removeTempQuietly(w.tmp)
  }

  /** Writes the pack of the bases kept since the last save, then its index. Never throws. */
  save(): void {
    const w = this.writing
    if (!w) return
    this.writing = null
    const idx = path.join(this.dir, w.pack.replace(/\.bin$/, '.idx'))
    const idxTmp = tempPathFor(idx)
    try {
      try {
        writePending(w)
      } finally {
        fs.closeSync(w.fd)
      }
      fs.renameSync(w.tmp, path.join(this.dir, w.pack))
      const lines = [...w.entries].map(([hash, e]) => `${hash} ${e.offset} ${e.length}\n`)
      fs.writeFileSync(idxTmp, lines.join(''), { flag: 'wx', mode: 0o600 })
      fs.renameSync(idxTmp, idx)
      if (this.index) for (const [hash, e] of w.entries) this.index.set(hash, e)
    } catch {
      // No base kept this time: no merge will be offered for these texts.
      removeTempQuietly(w.tmp)
      removeTempQuietly(idxTmp)
    }
  }

  /** The base of `hash`, or null when it is not kept or no longer matches its hash. */
  read(hash: string | null): Buffer | null {
    if (!hash || !HASH.test(hash)) return null
    const content = this.readPacked(hash) ?? readOrNull(path.join(this.dir, hash))
    return content && sha256(content) === hash ? content : null
  }

  /**
   * Prunes (see `prune`) when there are more than MAX_PACKS packs or any base of the older
   * layout; removes the temp files of a run that stopped while writing its pack.
   */
  pruneIfDue(referenced: () => ReadonlySet<string>): number {
    this.save()
    let packs = 0
    let loose = false
    for (const name of listOrEmpty(this.dir)) {
      if (PACK_INDEX.test(name)) packs++
      else if (HASH.test(name)) loose = true
      else if (isTempName(name) && isAbandonedTemp(path.join(this.dir, name))) removeTempQuietly(path.join(this.dir, name))
    }
    return packs > MAX_PACKS || loose ? this.prune(referenced()) : 0
  }

  /**
   * Removes every base no baseline refers to any more: the referenced ones (from every pack and
   * every loose file) are written into one new pack, then the rest goes. Returns how many bases
   * were dropped.
   */
  prune(referenced: ReadonlySet<string>): number {
    this.save()
    const names = listOrEmpty(this.dir)
    const index = this.loadIndex()
    const hashes = new Set<string>([...index.keys(), ...names.filter((n) => HASH.test(n))])
    let removed = 0
    for (const hash of hashes) {
      if (!referenced.has(hash)) {
        removed++
        continue
      }
      const content = this.read(hash)
      try {
        if (content) this.append(hash, content)
      } catch {
        // That base is dropped: no merge offered for it.
      }
    }
    const kept = this.writing?.pack
    this.save()
    this.index = null
    // What the new pack holds, its index last: a crash before leaves the old ones in use.
    if (kept && !fs.existsSync(path.join(this.dir, kept.replace(/\.bin$/, '.idx')))) return 0
    for (const name of names) {
      if (!PACK.test(name) && !PACK_INDEX.test(name) && !HASH.test(name)) continue
      try {
        fs.rmSync(path.join(this.dir, name), { force: true })
      } catch {
        // Left for the next prune.
      }
    }
    return removed
  }

  /** Appends a checked base to the pack being written. */
  private append(hash: string, content: Buffer): void {
    if (!this.writing) {
      fs.mkdirSync(this.dir, { recursive: true, mode: STATE_DIR_MODE })
      const pack = `pack-${crypto.randomBytes(8).toString('hex')}.bin`
      const tmp = tempPathFor(path.join(this.dir, pack))
      this.writing = { fd: fs.openSync(tmp, 'wx', 0o600), tmp, pack, offset: 0, entries: new Map(), pending: [], pendingBytes: 0, written: 0 }
    }
    const w = this.writing
    w.pending.push(content)
    w.pendingBytes += content.byteLength
    w.entries.set(hash, { pack: w.pack, offset: w.offset, length: content.byteLength })
    w.offset += content.byteLength
    if (w.pendingBytes >= PENDING_BYTES) writePending(w)
  }

  private readPacked(hash: string): Buffer | null {
    const e = this.loadIndex().get(hash)
    if (!e) return null
    try {
      const fd = fs.openSync(path.join(this.dir, e.pack), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
      try {
        const buf = Buffer.alloc(e.length)
        const n = fs.readSync(fd, buf, 0, e.length, e.offset)
        return n === e.length ? buf : null
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      return null
    }
  }

  /** Every pack's index together; a damaged line or index is skipped (its bases are then lost, nothing else). */
  private loadIndex(): Map<string, PackEntry> {
    if (this.index) return this.index
    const index = new Map<string, PackEntry>()
    for (const name of listOrEmpty(this.dir)) {
      if (!PACK_INDEX.test(name)) continue
      const pack = name.replace(/\.idx$/, '.bin')
      let text: string
      try {
        text = fs.readFileSync(path.join(this.dir, name), 'utf8')
      } catch {
        continue
      }
      for (const line of text.split('\n')) {
        const m = INDEX_LINE.exec(line)
        if (m) index.set(m[1] as string, { pack, offset: Number(m[2]), length: Number(m[3]) })
      }
    }
    this.index = index
    return index
  }
}

/**
 * Writes the bases waiting in memory to the pack, in one call. A write that fails throws, and
 * the pack is not saved: its bases are lost, nothing else.
 */
function writePending(w: { fd: number; pending: Buffer[]; pendingBytes: number; written: number }): void {
  if (w.pending.length === 0) return
  const data = w.pending.length === 1 ? (w.pending[0] as Buffer) : Buffer.concat(w.pending, w.pendingBytes)
  let off = 0
  while (off < data.byteLength) off += fs.writeSync(w.fd, data, off, data.byteLength - off, w.written + off)
  w.written += data.byteLength
  w.pending = []
  w.pendingBytes = 0
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // Already closed, or never fully opened.
  }
}

function listOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file)
  } catch {
    return null
  }
}
