/**
 * The write batch's durability scheme (DESIGN.md rule 1) under fault injection: a crash after
 * the temp files are written, or after they are flushed, leaves every file with its old
 * content, and the next run completes the work. With syncfs unavailable (`sync` missing or
 * failing) the batch falls back to an fsync of each file and still writes everything.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { sha256, syncfsCommand } from './atomic.js'
import { DirStore, type WriteRequest } from './dir-store.js'
import { createFilter } from './filter.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
})
const bin = syncfsCommand.bin
afterEach(() => {
  syncfsCommand.bin = bin
})

const N = 300
const pathOf = (i: number) => `d${i % 7}/sub${i % 3}/f${i}.md`
const oldText = (i: number) => `old ${i}\n`.repeat(1 + (i % 20))
const newText = (i: number) => `new ${i}\n`.repeat(2 + (i % 30))

/** A folder where the even files exist with their old content and the odd ones do not yet. */
function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-durable-'))
  roots.push(root)
  for (let i = 0; i < N; i += 2) {
    const abs = path.join(root, ...pathOf(i).split('/'))
    fs.mkdirSync(path.dirname(abs), { recursive: true })
    fs.writeFileSync(abs, oldText(i))
  }
  return root
}

const writes = (): WriteRequest[] =>
  Array.from({ length: N }, (_, i) => ({ path: pathOf(i), content: Buffer.from(newText(i)), expectedHash: i % 2 === 0 ? sha256(oldText(i)) : null }))

/** What a user sees in the folder: item → content, temp files left out (as a scan does). */
async function visible(root: string): Promise<{ files: Map<string, string>; temps: number }> {
  const scan = await new DirStore(root).scan(createFilter({}))
  const files = new Map<string, string>()
  for (const p of scan.files.keys()) files.set(p, fs.readFileSync(path.join(root, ...p.split('/')), 'utf8'))
  return { files, temps: scan.staleTemps.length }
}

class Crash extends Error {}

describe('DirStore.writeBatch durability', () => {
  for (const point of ['temps-written', 'temps-flushed'] as const) {
    it(`a crash at ${point} loses nothing: old files intact, new ones absent, and a rerun completes`, async () => {
      const root = tree()
      const store = new DirStore(root, {
        hooks: {
          at: (p) => {
            if (p === point) throw new Crash(p)
          },
        },
      })
      await expect(store.writeBatch(writes())).rejects.toBeInstanceOf(Crash)
      const after = await visible(root)
      expect(after.temps).toBe(N)
      expect(after.files.size).toBe(N / 2)
      for (let i = 0; i < N; i += 2) expect(after.files.get(pathOf(i))).toBe(oldText(i))

      const results = await new DirStore(root).writeBatch(writes())
      expect(results.every((r) => r.ok)).toBe(true)
      const done = await visible(root)
      for (let i = 0; i < N; i++) expect(done.files.get(pathOf(i))).toBe(newText(i))
    })
  }

  it('nothing is renamed before the temp files are flushed', async () => {
    const root = tree()
    const seen: string[] = []
    const store = new DirStore(root, {
      hooks: {
        at: (p) => {
          seen.push(`${p}: ${fs.readFileSync(path.join(root, ...pathOf(0).split('/')), 'utf8') === oldText(0) ? 'old' : 'new'}`)
        },
      },
    })
    expect((await store.writeBatch(writes())).every((r) => r.ok)).toBe(true)
    expect(seen).toEqual(['temps-written: old', 'temps-flushed: old'])
  })

  for (const [label, command] of [
    ['missing', '/nonexistent/sync'],
    ['failing', '/bin/false'],
  ] as const) {
    it(`with \`sync\` ${label}, each file is fsynced instead and every write lands`, async () => {
      syncfsCommand.bin = command
      const root = tree()
      const results = await new DirStore(root).writeBatch(writes())
      expect(results.every((r) => r.ok)).toBe(true)
      const done = await visible(root)
      expect(done.temps).toBe(0)
      for (let i = 0; i < N; i++) expect(done.files.get(pathOf(i))).toBe(newText(i))
    })
  }
})
