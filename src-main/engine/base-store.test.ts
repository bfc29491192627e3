import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sha256, tempPathFor } from './atomic.js'
import { BaseStore, MAX_PACKS } from './base-store.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
})

function setup(): { dir: string; files: string; put: (name: string, text: string) => { hash: string; file: string } } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-bases-'))
  roots.push(root)
  const files = path.join(root, 'project')
  fs.mkdirSync(files)
  return {
    dir: path.join(root, 'bases'),
    files,
    put: (name, text) => {
      const file = path.join(files, name)
      fs.writeFileSync(file, text)
      return { hash: sha256(text), file }
    },
  }
}

describe('BaseStore', () => {
  it('keeps the texts of a run in one pack and reads each back by its hash', () => {
    const { dir, put } = setup()
    const store = new BaseStore(dir)
    const kept = Array.from({ length: 50 }, (_, i) => put(`f${i}.md`, `text ${i}\n`.repeat(i + 1)))
    for (const k of kept) expect(store.keepFile(k.hash, k.file)).toBe(true)
    store.save()
    expect(fs.readdirSync(dir).sort()).toEqual([expect.stringMatching(/^pack-[0-9a-f]{16}\.bin$/), expect.stringMatching(/^pack-[0-9a-f]{16}\.idx$/)])
    const again = new BaseStore(dir)
    kept.forEach((k, i) => expect(again.read(k.hash)?.toString()).toBe(`text ${i}\n`.repeat(i + 1)))
  })

  it('keeps no base of a file that changed since it was hashed, nor of a binary file', () => {
    const { dir, put } = setup()
    const store = new BaseStore(dir)
    const a = put('a.md', 'one\n')
    fs.writeFileSync(a.file, 'two\n')
    const bin = put('b.md', 'x\u0000y')
    expect(store.keepFile(a.hash, a.file)).toBe(false)
    expect(store.keepFile(bin.hash, bin.file)).toBe(false)
    store.save()
    expect(new BaseStore(dir).read(a.hash)).toBeNull()
  })

  it('a damaged pack or index means no base, never a wrong one', () => {
    const { dir, put } = setup()
    const store = new BaseStore(dir)
    const a = put('a.md', 'alpha\n')
    const b = put('b.md', 'beta\n')
    store.keepFile(a.hash, a.file)
    store.keepFile(b.hash, b.file)
    store.save()
    const pack = fs.readdirSync(dir).find((n) => n.startsWith('pack-')) as string
    fs.writeFileSync(path.join(dir, pack), 'ALPHA\nbeta\n')
    const reader = new BaseStore(dir)
    expect(reader.read(a.hash)).toBeNull()
    expect(reader.read(b.hash)?.toString()).toBe('beta\n')
    fs.writeFileSync(path.join(dir, pack.replace(/\.bin$/, '.idx')), 'damaged\n')
    expect(new BaseStore(dir).read(b.hash)).toBeNull()
  })

  it('prunes what no baseline refers to into one pack, once the packs are many', () => {
    const { dir, put } = setup()
    const kept = Array.from({ length: MAX_PACKS }, (_, i) => put(`f${i}.md`, `base ${i}\n`.repeat(100)))
    // One run per base: as many packs.
    for (const k of kept) {
      const run = new BaseStore(dir)
      run.keepFile(k.hash, k.file)
      run.save()
      expect(run.pruneIfDue(() => new Set(kept.map((x) => x.hash)))).toBe(0)
    }
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.bin'))).toHaveLength(MAX_PACKS)
    const again = put('g.md', 'one more\n')
    const last = new BaseStore(dir)
    last.keepFile(again.hash, again.file)
    const still = new Set([kept[0]!.hash, kept[1]!.hash, again.hash])
    expect(last.pruneIfDue(() => still)).toBe(MAX_PACKS - 2)
    const after = fs.readdirSync(dir).filter((n) => n.endsWith('.bin'))
    expect(after).toHaveLength(1)
    expect(fs.statSync(path.join(dir, after[0]!)).size).toBe(2 * `base 0\n`.repeat(100).length + 'one more\n'.length)
    const reader = new BaseStore(dir)
    expect(reader.read(kept[0]!.hash)?.toString()).toBe(`base 0\n`.repeat(100))
    expect(reader.read(kept[1]!.hash)?.toString()).toBe(`base 1\n`.repeat(100))
    expect(reader.read(kept[2]!.hash)).toBeNull()
  })

  it('still reads the one-file-per-base layout of older versions, and moves it into a pack', () => {
    const { dir } = setup()
    fs.mkdirSync(dir)
    const old = 'older base\n'
    const gone = 'unreferenced\n'
    fs.writeFileSync(path.join(dir, sha256(old)), old)
    fs.writeFileSync(path.join(dir, sha256(gone)), gone)
    const store = new BaseStore(dir)
    expect(store.has(sha256(old))).toBe(true)
    expect(store.read(sha256(old))?.toString()).toBe(old)
    expect(store.pruneIfDue(() => new Set([sha256(old)]))).toBe(1)
    expect(fs.readdirSync(dir).filter((n) => !n.endsWith('.idx'))).toEqual([expect.stringMatching(/^pack-[0-9a-f]{16}\.bin$/)])
    expect(new BaseStore(dir).read(sha256(old))?.toString()).toBe(old)
  })

  it('removes the pack a run left half-written when it stopped', () => {
    const { dir, put } = setup()
    fs.mkdirSync(dir)
    // A temp file of this machine whose writer (a pid no process has) is gone.
    const left = tempPathFor(path.join(dir, 'pack-0000000000000000.bin')).replace(`-${process.pid}-`, '-999999999-')
    fs.writeFileSync(left, 'half a pack')
    const a = put('a.md', 'alpha\n')
    const store = new BaseStore(dir)
    store.keepFile(a.hash, a.file)
    store.pruneIfDue(() => new Set([a.hash]))
    expect(fs.existsSync(left)).toBe(false)
    expect(new BaseStore(dir).read(a.hash)?.toString()).toBe('alpha\n')
  })

  it('keeps the content a run wrote without reading the file, in pieces across many megabytes', () => {
    const { dir, put } = setup()
    const store = new BaseStore(dir)
    // 3,000 texts of about 1.2 KB (several pending writes), one binary, one too large.
    const texts = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}\n`.repeat(60))
    for (const t of texts) expect(store.keepContent(sha256(t), Buffer.from(t))).toBe(true)
    expect(store.keepContent(sha256('x\u0000y'), Buffer.from('x\u0000y'))).toBe(false)
    const small = new BaseStore(dir, 10)
    expect(small.keepContent(sha256('longer than ten\n'), Buffer.from('longer than ten\n'))).toBe(false)
    // A file whose content was given is not read again: this one changed meanwhile.
    const b = put('b.md', 'x\u0000y')
    fs.writeFileSync(b.file, 'now text\n')
    expect(store.keepFile(b.hash, b.file)).toBe(false)
    store.save()
    const reader = new BaseStore(dir)
    texts.forEach((t) => expect(reader.read(sha256(t))?.toString()).toBe(t))
    expect(reader.read(b.hash)).toBeNull()
  })

  it('a run that recorded nothing discards the bases it kept: no pack, no temp file', () => {
    const { dir } = setup()
    const store = new BaseStore(dir)
    expect(store.keepContent(sha256('kept\n'), Buffer.from('kept\n'))).toBe(true)
    expect(fs.readdirSync(dir)).toHaveLength(1)
    store.discard()
    expect(fs.readdirSync(dir)).toEqual([])
    store.save()
    expect(new BaseStore(dir).read(sha256('kept\n'))).toBeNull()
  })
})
