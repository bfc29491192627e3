/**
 * The SQLite row cache (sqlite-row-cache.ts) against real databases changed by other
 * processes: the sqlite3 command-line shell and better-sqlite3 in a child Node process. A
 * listing must give every row's true hash whatever the cache holds.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { SyncDeskError } from '../errors.js'
import { recordHash } from './canonical.js'
import { openSqliteStore } from './sqlite-store.js'
import type { RecordEntry, TableSpec } from './record-store.js'

const AGENTS: TableSpec = { name: 'agents', key: 'id' }
const sqlite3Missing = spawnSync('sqlite3', ['-version']).status !== 0

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

/** A project folder (with its `.syncdesk/`) holding `app.sqlite` with `n` agents. */
function project(n = 50): { dir: string; db: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-rowcache-'))
  dirs.push(dir)
  fs.mkdirSync(path.join(dir, '.syncdesk', 'cache'), { recursive: true, mode: 0o700 })
  fs.writeFileSync(path.join(dir, '.syncdesk', 'config.json'), '{}')
  const db = path.join(dir, 'app.sqlite')
  const raw = new Database(db)
  raw.pragma('journal_mode = WAL')
  raw.exec('CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT, config JSON, score REAL, extra)')
  const insert = raw.prepare('INSERT INTO agents VALUES (?, ?, ?, ?, ?)')
  for (let i = 1; i <= n; i++) insert.run(i, `agent ${String(i).padStart(3, '0')}`, JSON.stringify({ model: 'm', tools: ['a', 'b'], n: i }), i / 4, i % 2 ? 1 : '1')
  raw.close()
  return { dir, db }
}

/** Every row listed, as key → [hash, data], and checks each hash is that of its data. */
async function listing(db: string): Promise<Map<string, [string, Record<string, unknown>]>> {
  const store = openSqliteStore(db)
  try {
    const rows = await store.list(AGENTS)
    const out = new Map<string, [string, Record<string, unknown>]>()
    for (const [key, e] of rows as Map<string, RecordEntry>) {
      expect(recordHash(e.data)).toBe(e.hash)
      out.set(key, [e.hash, e.data])
    }
    return out
  } finally {
    await store.close()
  }
}

/** A copy of a database, `name` in a new folder outside any project. */
async function copyOutside(db: string, name: string): Promise<{ dir: string; copy: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-rowcache-plain-'))
  dirs.push(dir)
  const copy = path.join(dir, name)
  const raw = new Database(db)
  await raw.backup(copy)
  raw.close()
  return { dir, copy }
}

/** The same table listed from a copy outside any project: no cache at all. */
async function uncachedListing(db: string): Promise<Map<string, [string, Record<string, unknown>]>> {
  const { dir, copy } = await copyOutside(db, 'copy.sqlite')
  const out = await listing(copy)
  expect(fs.readdirSync(dir).filter((f) => !f.startsWith('copy.sqlite'))).toEqual([])
  return out
}

function cacheFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, '.syncdesk', 'cache')).filter((f) => f.startsWith('records-'))
}

/**
 * Moves this process's clock a minute on (only Date: the files keep their real times), so that
 * the database's files look settled (written more than the racy window ago) to the row cache.
 */
function later(): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(Date.now() + 60_000)
}

describe('SQLite listings with the row cache', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it.skipIf(sqlite3Missing)('sees an edit the sqlite3 shell made right after a listing (same length, same second), and only that one', async () => {
    const { dir, db } = project()
    const first = await listing(db)
    expect(cacheFiles(dir)).toHaveLength(1)
    const sql = "UPDATE agents SET name = 'agent 00X' WHERE id = 2; UPDATE agents SET extra = 1 WHERE id = 4; UPDATE agents SET score = 0.75000000000000011 WHERE id = 3;"
    const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const second = await listing(db)
    expect(second.get('2')?.[1].name).toBe('agent 00X')
    // The text '1' became the integer 1: same length, another value.
    expect(second.get('4')?.[1].extra).toBe(1)
    expect(first.get('4')?.[1].extra).toBe('1')
    expect(second.get('3')?.[1].score).toBe(0.7500000000000001)
    for (const key of ['2', '3', '4']) expect(second.get(key)?.[0]).not.toBe(first.get(key)?.[0])
    for (const [key, [hash]] of second) if (!['2', '3', '4'].includes(key)) expect(hash).toBe(first.get(key)?.[0])
    expect(second).toEqual(await uncachedListing(db))
  })

  it('sees rows added, changed and deleted by better-sqlite3 in another process while one store stays open', async () => {
    const { db } = project()
    const store = openSqliteStore(db)
    try {
      const before = await store.list(AGENTS)
      const child = `
        const Database = require('better-sqlite3')
        const db = new Database(${JSON.stringify(db)})
        db.prepare("UPDATE agents SET config = json_set(config, '$.n', 999) WHERE id = 7").run()
        db.prepare('DELETE FROM agents WHERE id = 8').run()
        db.prepare("INSERT INTO agents VALUES (51, 'new one', NULL, 1.5, NULL)").run()
        db.close()`
      const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', cwd: process.cwd() })
      expect(r.status, r.stderr).toBe(0)
      const after = await store.list(AGENTS)
      expect((after.get('7')?.data.config as { n: number }).n).toBe(999)
      expect(after.get('7')?.hash).not.toBe(before.get('7')?.hash)
      expect(after.has('8')).toBe(false)
      expect(after.get('51')?.data).toEqual({ id: 51, name: 'new one', config: null, score: 1.5, extra: null })
      expect(after.get('51')?.hash).toBe(recordHash({ id: 51, name: 'new one', config: null, score: 1.5, extra: null }))
      expect(after.get('9')?.hash).toBe(before.get('9')?.hash)
    } finally {
      await store.close()
    }
    expect(await listing(db)).toEqual(await uncachedListing(db))
  })

  it('gives the true hashes when the cache file lies about every row', async () => {
    const { dir, db } = project()
    const truth = await listing(db)
    const file = path.join(dir, '.syncdesk', 'cache', cacheFiles(dir)[0] as string)
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { tables: Record<string, { hashes: string[] }> }
    const table = stored.tables.agents as { hashes: string[] }
    table.hashes = table.hashes.map(() => recordHash({ not: 'this row' }))
    fs.writeFileSync(file, JSON.stringify(stored))
    expect(await listing(db)).toEqual(truth)
    // And the cache was written anew with the true hashes.
    expect(await listing(db)).toEqual(truth)
  })

  it('lists the same hashes and data with and without a cache, after the table changed its columns', async () => {
    const { db } = project()
    await listing(db)
    const raw = new Database(db)
    raw.exec("ALTER TABLE agents ADD COLUMN note TEXT DEFAULT 'n'")
    raw.close()
    const again = await listing(db)
    expect(again.get('1')?.[1].note).toBe('n')
    expect(again).toEqual(await uncachedListing(db))
  })

  it('lists from the cache alone while the files are as the last listing left them, and sees an edit whose mtime was set back', async () => {
    const { db } = project()
    const old = new Date(Date.now() - 60_000)
    later()
    const first = await listingWith(db)
    expect(first.how).toBe('read')
    const again = await listingWith(db)
    expect(again.how).toBe('marker')
    expect(again.rows).toEqual(first.rows)
    // Same length, same mtime: only the ctime (which no one can set back) tells.
    const raw = new Database(db)
    raw.prepare("UPDATE agents SET name = 'agent 00Y' WHERE id = 5").run()
    raw.close()
    fs.utimesSync(db, old, old)
    const edited = await listingWith(db)
    expect(edited.how).not.toBe('marker')
    expect(edited.rows.get('5')?.[1].name).toBe('agent 00Y')
    expect(edited.rows).toEqual(await uncachedListing(db))
  })

  it('keeps the cache of a database in no project (a folder environment\'s) where it is told, and nothing beside the database', async () => {
    const { dir, db } = project()
    const { dir: envDir, copy: envDb } = await copyOutside(db, 'database.sqlite')
    const cacheFile = path.join(dir, '.syncdesk', 'cache', 'records-env-staging.json')
    later()
    expect((await listingWith(envDb, cacheFile)).how).toBe('read')
    expect(fs.existsSync(cacheFile)).toBe(true)
    // Another process, the next run: the files are as they were, so the cache is the listing.
    const again = await listingWith(envDb, cacheFile)
    expect(again.how).toBe('marker')
    expect(again.rows).toEqual(await uncachedListing(envDb))
    const edit = new Database(envDb)
    edit.prepare("UPDATE agents SET name = 'edited in the environment' WHERE id = 7").run()
    edit.close()
    const edited = await listingWith(envDb, cacheFile)
    expect(edited.how).not.toBe('marker')
    expect(edited.rows.get('7')?.[1].name).toBe('edited in the environment')
    expect(fs.readdirSync(envDir).filter((f) => !f.startsWith('database.sqlite'))).toEqual([])
  })

  it.each([
    ['by its own path', false],
    ['through a symbolic link (the log is beside the real file)', true],
  ])('does not trust the files while another process holds frames in the write-ahead log, the database reached %s', async (_how, linked) => {
    const { dir, db } = project()
    const reached = linked ? path.join(dir, 'link.sqlite') : db
    if (linked) fs.symlinkSync(db, reached)
    later()
    expect((await listingWith(reached)).how).toBe('read')
    expect((await listingWith(reached)).how).toBe('marker')
    const writer = new Database(db)
    try {
      writer.pragma('wal_autocheckpoint = 0')
      writer.prepare('DELETE FROM agents WHERE id = 9').run()
      writer.prepare("UPDATE agents SET name = 'through the log' WHERE id = 3").run()
      const seen = await listingWith(reached)
      expect(seen.how).not.toBe('marker')
      expect(seen.rows.has('9')).toBe(false)
      expect(seen.rows.get('3')?.[1].name).toBe('through the log')
    } finally {
      writer.close()
    }
  })

  it('re-reads a table whose cache lies while the files are unchanged', async () => {
    const { dir, db } = project()
    later()
    const truth = (await listingWith(db)).rows
    const file = path.join(dir, '.syncdesk', 'cache', cacheFiles(dir)[0] as string)
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { tables: Record<string, { hashes: string[]; marker?: string }> }
    const table = stored.tables.agents as { hashes: string[]; marker?: string }
    expect(table.marker).toBeTruthy()
    table.hashes = table.hashes.map(() => recordHash({ not: 'this row' }))
    fs.writeFileSync(file, JSON.stringify(stored))
    const seen = await listingWith(db)
    expect(seen.how).not.toBe('marker')
    expect(seen.rows).toEqual(truth)
  })

  it('fails a read of a record deleted after a listing from the cache, instead of giving other data', async () => {
    const { db } = project()
    later()
    await listingWith(db)
    const store = openSqliteStore(db)
    try {
      const rows = await store.list(AGENTS)
      expect(store.lastListing).toBe('marker')
      const raw = new Database(db)
      raw.prepare('DELETE FROM agents WHERE id = 12').run()
      raw.prepare("UPDATE agents SET name = 'moved on' WHERE id = 13").run()
      raw.close()
      expect(() => rows.get('12')?.data).toThrow(/deleted while SyncDesk was reading it/)
      expect(() => rows.get('13')?.data).toThrow(/changed while SyncDesk was reading it/)
    } finally {
      await store.close()
    }
  })

  it('never lists from the cache alone a table with a key that does not find its row (NULL, text in an integer column)', async () => {
    const { db } = project()
    const raw = new Database(db)
    raw.exec("CREATE TABLE odd (id INTEGER UNIQUE, name TEXT); INSERT INTO odd VALUES (NULL, 'none'), ('x', 'text key')")
    // Many plain rows, so that the few rows a check reads are almost never the odd ones.
    const insert = raw.prepare('INSERT INTO odd VALUES (?, ?)')
    for (let i = 1; i <= 500; i++) insert.run(i, `row ${i}`)
    raw.close()
    const ODD: TableSpec = { name: 'odd', key: 'id' }
    later()
    for (let i = 0; i < 3; i++) {
      const store = openSqliteStore(db)
      try {
        const rows = await store.list(ODD)
        expect(store.lastListing).not.toBe('marker')
        expect(rows.size).toBe(502)
      } finally {
        await store.close()
      }
    }
  })

  it('reads the data of a listing from the cache after the store closed, and words a table dropped meanwhile', async () => {
    const { db } = project()
    later()
    await listingWith(db)
    const listOnce = async () => {
      const store = openSqliteStore(db)
      try {
        const rows = await store.list(AGENTS)
        expect(store.lastListing).toBe('marker')
        return rows
      } finally {
        await store.close()
      }
    }
    const read = await listOnce()
    expect(read.get('4')?.data.name).toBe('agent 004')
    expect(recordHash(read.get('4')?.data as Record<string, unknown>)).toBe(read.get('4')?.hash)
    const unread = await listOnce()
    const raw = new Database(db)
    raw.exec('DROP TABLE agents')
    raw.close()
    let caught: unknown
    try {
      void unread.get('5')?.data
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(SyncDeskError)
    expect((caught as SyncDeskError).code).toBe('plan-stale')
    expect((caught as SyncDeskError).message).toMatch(/Table agents changed while SyncDesk was reading record 5/)
  })
})

/** Every row listed (as `listing` gives them) and how the store made the listing. */
async function listingWith(db: string, cacheFile?: string): Promise<{ rows: Map<string, [string, Record<string, unknown>]>; how: string | null }> {
  const store = openSqliteStore(db, { cacheFile })
  try {
    const rows = await store.list(AGENTS)
    const out = new Map<string, [string, Record<string, unknown>]>()
    for (const [key, e] of rows) {
      expect(recordHash(e.data)).toBe(e.hash)
      out.set(key, [e.hash, e.data])
    }
    return { rows: out, how: store.lastListing }
  } finally {
    await store.close()
  }
}
