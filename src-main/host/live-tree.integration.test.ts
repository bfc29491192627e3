/**
 * The settled resident index against real folders and real watches: every change made before
 * `settled()` is in the index it returns (a save a moment before, a new folder and the files
 * written into it right after, a folder replaced), and it equals what a new walk finds. The
 * watch's blind spots are covered as promised: with a watch that misses everything (a fault
 * injected), a file hashed within the racy window is still hashed again at every settle, and
 * the periodic walk (a fake clock) brings the rest in.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DirStore, type ScanResult } from '../engine/dir-store.js'
import { createFilter } from '../engine/filter.js'
import type { Clock } from './clock.js'
import { LiveTree } from './live-tree.js'
import { watchTree, type TreeWatch, type TreeWatchOptions } from './tree-watch.js'

/** A clock that moves only when the test says so. */
class FakeClock implements Clock {
  private t = 1_000_000
  private seq = 0
  private readonly timers = new Map<number, { at: number; fn: () => void }>()
  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  /** Moves time forward by `ms`, running the timers that fall due. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | null = null
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }
}

const dirs: string[] = []
const trees: LiveTree[] = []
afterEach(async () => {
  for (const t of trees.splice(0)) await t.dispose()
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function tempTree(): { root: string; state: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-livetree-'))
  dirs.push(base)
  const root = path.join(base, 'project')
  const state = path.join(root, '.syncdesk')
  fs.mkdirSync(state, { recursive: true })
  return { root, state }
}

function write(root: string, rel: string, content: string): void {
  const abs = path.join(root, ...rel.split('/'))
  fs.mkdirSync(path.dirname(abs), { recursive: true })
  fs.writeFileSync(abs, content)
}

/** What a new walk (no cache) finds: path → hash, and the skipped paths. */
async function walk(root: string): Promise<{ files: Record<string, string>; skipped: string[] }> {
  return plain(await new DirStore(root).scan(createFilter()))
}

function plain(scan: ScanResult): { files: Record<string, string>; skipped: string[] } {
  const files: Record<string, string> = {}
  for (const [p, e] of [...scan.files].sort(([a], [b]) => (a < b ? -1 : 1))) files[p] = e.hash
  return { files, skipped: scan.skipped.map((s) => s.path).sort() }
}

async function started(root: string, state: string, opts: { clock?: FakeClock; rescanIntervalMs?: number; watch?: (o: TreeWatchOptions) => TreeWatch } = {}): Promise<LiveTree> {
  const tree = new LiveTree({ dir: root, filter: createFilter(), cookieDir: state, clock: opts.clock ?? new FakeClock(), rescanIntervalMs: opts.rescanIntervalMs ?? 0, watchTree: opts.watch })
  trees.push(tree)
  await tree.start()
  return tree
}

/** A watch that sees nothing at all and vouches for it: the fault the periodic walk and the racy rule are for. */
const blindWatch = (): TreeWatch => ({ settle: async () => ({ paths: [], complete: true }), drain: () => ({ paths: [], complete: true }), dispose: () => undefined })

describe.skipIf(process.platform !== 'linux')('a settled live tree', () => {
  it('holds every change made just before it was asked, as a new walk finds them', async () => {
    const { root, state } = tempTree()
    for (let i = 0; i < 50; i++) write(root, `docs/d${i % 5}/f${i}.md`, `file ${i}\n`)
    const tree = await started(root, state)
    // No waiting anywhere below: each change is made, then the index is asked for at once.
    for (let round = 0; round < 5; round++) {
      write(root, 'docs/d1/f1.md', `saved in round ${round}\n`)
      write(root, `new-${round}/deep/er/x.md`, `made in round ${round}\n`)
      fs.rmSync(path.join(root, 'docs', 'd2', `f${round * 5 + 2}.md`), { force: true })
      fs.renameSync(path.join(root, 'docs', 'd3', `f${round * 5 + 3}.md`), path.join(root, 'docs', 'd3', `moved-${round}.md`))
      expect(plain(await tree.settled())).toEqual(await walk(root))
    }
    // A folder replaced by another of the same name, a folder moved in whole, one moved out.
    fs.rmSync(path.join(root, 'docs', 'd4'), { recursive: true })
    write(root, 'docs/d4/again.md', 'a new folder d4\n')
    const outside = path.join(path.dirname(root), 'outside')
    write(outside, 'sub/in.md', 'from outside\n')
    fs.renameSync(outside, path.join(root, 'moved-in'))
    fs.renameSync(path.join(root, 'docs', 'd0'), path.join(path.dirname(root), 'gone-d0'))
    expect(plain(await tree.settled())).toEqual(await walk(root))
  })

  it('sees files written into a new folder after a status looked at it', async () => {
    const { root, state } = tempTree()
    write(root, 'a.md', 'a\n')
    const tree = await started(root, state)
    fs.mkdirSync(path.join(root, 'fresh', 'sub'), { recursive: true })
    expect(plain(await tree.settled())).toEqual(await walk(root))
    // The folder is watched now (its own watch, set before it was read): later files are seen.
    write(root, 'fresh/sub/late.md', 'late\n')
    write(root, 'fresh/later.md', 'later\n')
    const after = plain(await tree.settled())
    expect(Object.keys(after.files)).toEqual(expect.arrayContaining(['fresh/later.md', 'fresh/sub/late.md']))
    expect(after).toEqual(await walk(root))
  })

  it('hashes a racy file again at every settle, even when no event says it changed', async () => {
    const { root, state } = tempTree()
    // A whole second as the mtime: it can be set again exactly (a coarse clock's tick).
    const tick = Math.floor(Date.now() / 1000)
    const racy = path.join(root, 'racy.md')
    write(root, 'racy.md', 'AAAA\n')
    fs.utimesSync(racy, tick, tick)
    write(root, 'old.md', 'old\n')
    // old.md was last changed long ago: its hash is trusted, as a walk trusts it.
    fs.utimesSync(path.join(root, 'old.md'), tick - 3600, tick - 3600)
    const tree = await started(root, state, { watch: blindWatch })
    expect(plain(await tree.settled()).files['racy.md']).toBe((await walk(root)).files['racy.md'])
    // Same size, same mtime, same inode, other content: only hashing it again tells.
    fs.writeFileSync(racy, 'BBBB\n')
    fs.utimesSync(racy, tick, tick)
    expect(fs.statSync(racy).mtimeMs).toBe(tick * 1000)
    const settled = plain(await tree.settled())
    expect(settled.files['racy.md']).toBe((await walk(root)).files['racy.md'])
    expect(settled).toEqual(await walk(root))
  })

  it('a periodic walk brings in what the watch missed', async () => {
    const { root, state } = tempTree()
    write(root, 'a.md', 'a\n')
    const clock = new FakeClock()
    const tree = await started(root, state, { clock, rescanIntervalMs: 60_000, watch: blindWatch })
    write(root, 'missed.md', 'the watch never said\n')
    // The blind watch vouches for nothing changed: the index does not know yet.
    expect(Object.keys(plain(await tree.settled()).files)).toEqual(['a.md'])
    clock.advance(59_000)
    expect(Object.keys(plain(await tree.settled()).files)).toEqual(['a.md'])
    clock.advance(1_000)
    // The walk runs before the next settle (one at a time).
    expect(plain(await tree.settled())).toEqual(await walk(root))
  })

  it('walks the whole tree when the watch cannot vouch for its events', async () => {
    const { root, state } = tempTree()
    write(root, 'a.md', 'a\n')
    const incomplete = (): TreeWatch => ({ settle: async () => ({ paths: [], complete: false }), drain: () => ({ paths: [], complete: false }), dispose: () => undefined })
    const tree = await started(root, state, { watch: incomplete })
    write(root, 'b.md', 'b\n')
    expect(plain(await tree.settled())).toEqual(await walk(root))
  })
})

describe.skipIf(process.platform !== 'linux')('a tree watch', () => {
  it('names what changed before settle, once, and settles again at once when nothing did', async () => {
    const { root, state } = tempTree()
    write(root, 'a.md', 'a\n')
    write(root, 'node_modules/x.md', 'excluded\n')
    const watch = watchTree({ dir: root, filter: createFilter(), cookieDir: state })
    try {
      write(root, 'a.md', 'changed\n')
      write(root, 'notes.bin', 'not synced\n')
      write(root, 'node_modules/x.md', 'still excluded\n')
      const first = await watch.settle()
      expect(first.complete).toBe(true)
      expect(first.paths).toEqual(['a.md'])
      const second = await watch.settle()
      expect(second).toEqual({ paths: [], complete: true })
    } finally {
      watch.dispose()
    }
  })

  it('says a burst past half the kernel queue may have lost events', async () => {
    const { root, state } = tempTree()
    const watch = watchTree({ dir: root, filter: createFilter(), cookieDir: state })
    try {
      const queue = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'))
      // Each write raises at least one event in its folder's watch.
      for (let i = 0; i <= queue / 2; i++) write(root, `f${i % 200}.md`, `${i}\n`)
      expect((await watch.settle()).complete).toBe(false)
      expect((await watch.settle()).complete).toBe(true)
    } finally {
      watch.dispose()
    }
  })
})
