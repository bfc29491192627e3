/**
 * Record stores against real databases: SQLite files in temp directories and a real
 * PostgreSQL server (test/support/postgres.ts).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresUnavailable } from '../../../test/support/postgres.js'
import { SyncDeskError } from '../errors.js'
import { recordHash } from './canonical.js'
import { openRecordStore } from './open-record-store.js'
import type { RecordEntry, RecordStore, RecordWrite, TableSpec } from './record-store.js'

const pgMissing = postgresUnavailable()
if (pgMissing) console.warn(`[records] PostgreSQL tests skipped: ${pgMissing}`)

const dirs: string[] = []
function tempDb(name = 'db.sqlite'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-records-'))
  dirs.push(dir)
  return path.join(dir, name)
}
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

/** A database to test against: its store, a way to run raw SQL, and its dialect. */
interface Side {
  store: RecordStore
  exec(sql: string): Promise<void>
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

async function sqliteSide(file = tempDb()): Promise<Side> {
  const raw = new Database(file)
  raw.pragma('journal_mode = WAL')
  const store = await openRecordStore({ kind: 'sqlite', path: file })
  return {
    store,
    exec: async (sql) => void raw.exec(sql),
    query: async (sql, params = []) => raw.prepare(sql).all(...params) as Record<string, unknown>[],
    close: async () => {
      await store.close()
      raw.close()
    },
  }
}

async function postgresSide(url: string): Promise<Side> {
  const raw = new pg.Client({ connectionString: url })
  await raw.connect()
  const store = await openRecordStore({ kind: 'postgres', url })
  return {
    store,
    exec: async (sql) => void (await raw.query(sql)),
    query: async (sql, params = []) => (await raw.query(sql, params)).rows as Record<string, unknown>[],
    close: async () => {
      await store.close()
      await raw.end()
    },
  }
}

const AGENTS: TableSpec = { name: 'agents', key: 'id' }

const SQLITE_AGENTS = `CREATE TABLE agents (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, note VARCHAR(200), count INTEGER, big BIGINT,
  score REAL, ratio FLOAT, enabled BOOLEAN, config JSON, meta JSONB,
  created_at TIMESTAMP, updated_at TIMESTAMPTZ, day DATE, price NUMERIC)`

const PG_AGENTS = `CREATE TABLE agents (
  id bigint PRIMARY KEY, name text NOT NULL, note varchar(200), count integer, big bigint,
  score double precision, ratio real, enabled boolean, config json, meta jsonb,
  created_at timestamp, updated_at timestamptz, day date, price numeric)`

/** Every supported type, with the awkward values. */
const ROWS: Record<string, unknown>[] = [
  {
    id: 1, name: 'Zoë 🚀 日本語 "quotes" \\ back\nslash', note: 'plain', count: 0, big: 9007199254740991, score: 1.5, ratio: 0.25,
    enabled: true, config: { b: 1, a: [1, 2, { c: 'é' }] }, meta: { nested: { deep: [true, null, 1.25] }, ключ: 'значение' },
    created_at: '2024-01-02T03:04:05.000Z', updated_at: '2024-01-02T03:04:05.123Z', day: '2024-01-02', price: 12.5,
  },
  {
    id: 2, name: 'negative', note: '', count: -42, big: -9007199254740991, score: 0.1, ratio: 0.1, enabled: false,
    config: [1, 'two', null], meta: 'just a string', created_at: '1999-12-31T23:59:59.999Z', updated_at: '2024-06-30T12:00:00.000Z',
    day: '1970-01-01', price: 0.1,
  },
  { id: 3, name: 'one point oh', count: 7, score: 1.0, ratio: 1.0, enabled: true, config: 42, meta: [], price: 1.0 },
  { id: 4, name: 'minus zero', score: -0.0, ratio: -0.0, config: { '': 'empty key' }, meta: {} },
  { id: 5, name: 'big real', score: 1e20, ratio: 1e20, config: true, meta: null, price: 1e20 },
  {
    id: 6, name: 'all null', note: null, count: null, big: null, score: null, ratio: null, enabled: null, config: null, meta: null,
    created_at: null, updated_at: null, day: null, price: null,
  },
  { id: 7, name: 'int64 max', big: '9223372036854775807', count: 2147483647 },
  { id: -8, name: 'microseconds', updated_at: '2024-01-02T03:04:05.123456Z', created_at: '2024-01-02T03:04:05.000001Z' },
]

/** What a written row reads back as: every column present, the canonical forms. */
function expected(row: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: null, name: null, note: null, count: null, big: null, score: null, ratio: null, enabled: null,
    config: null, meta: null, created_at: null, updated_at: null, day: null, price: null,
  }
  const out = { ...all, ...row }
  for (const k of ['score', 'ratio', 'price']) if (out[k] === 0) out[k] = 0 // -0 reads as 0
  return out
}

function creates(rows: Record<string, unknown>[]): RecordWrite[] {
  return rows.map((data) => ({ key: String(data.id), data, expectedHash: null }))
}

function copies(entries: Map<string, RecordEntry>): RecordWrite[] {
  return [...entries.values()].map((e) => ({ key: e.key, data: e.data, expectedHash: null }))
}

function summary(entries: Map<string, RecordEntry>): Record<string, { hash: string; data: Record<string, unknown> }> {
  return Object.fromEntries([...entries].map(([k, e]) => [k, { hash: e.hash, data: e.data }]))
}

describe('SQLite type fidelity', () => {
  it('reads every supported type in canonical form and hashes what it hands out', async () => {
    const side = await sqliteSide()
    await side.exec(SQLITE_AGENTS)
    const results = await side.store.write(AGENTS, creates(ROWS))
    expect(results.map((r) => r.ok)).toEqual(ROWS.map(() => true))
    const listed = await side.store.list(AGENTS)
    expect([...listed.keys()].sort()).toEqual(ROWS.map((r) => String(r.id)).sort())
    for (const row of ROWS) {
      const e = listed.get(String(row.id))!
      expect(e.data).toEqual(expected(row))
      expect(e.hash).toBe(recordHash(expected(row)))
      expect(results.find((r) => r.key === String(row.id))).toMatchObject({ ok: true, hash: e.hash })
    }
    expect(Object.is(listed.get('4')!.data.score, 0)).toBe(true)
    // Stored forms: booleans as 0/1, JSON as canonical text, timestamps as canonical text.
    const raw = await side.query('SELECT enabled, config, created_at, typeof(big) AS bt FROM agents WHERE id = 1')
    expect(raw[0]).toEqual({ enabled: 1, config: '{"a":[1,2,{"c":"é"}],"b":1}', created_at: '2024-01-02T03:04:05.000Z', bt: 'integer' })
    await side.close()
  })

  it('canonicalizes values written by other programs (REAL 1.0, space-separated timestamps, 64-bit integers)', async () => {
    const side = await sqliteSide()
    await side.exec(SQLITE_AGENTS)
    await side.exec(`INSERT INTO agents (id, name, score, created_at, updated_at, big, config, enabled)
      VALUES (1, 'x', 1.0, '2024-01-02 03:04:05', '2024-01-02T05:04:05+02:00', 9223372036854775807, '{ "b" : 1, "a" : 2 }', 1)`)
    const e = (await side.store.list(AGENTS)).get('1')!
    expect(e.data).toMatchObject({ score: 1, created_at: '2024-01-02T03:04:05.000Z', updated_at: '2024-01-02T03:04:05.000Z', big: '9223372036854775807', config: { a: 2, b: 1 }, enabled: true })
    await side.close()
  })

  it('hands out values that do not fit their declared type unchanged, and writes them back unchanged', async () => {
    const a = await sqliteSide()
    const b = await sqliteSide()
    for (const s of [a, b]) await s.exec(SQLITE_AGENTS)
    await a.exec(`INSERT INTO agents (id, name, count, enabled, created_at) VALUES (1, 'loose', 'n/a', 2, 1700000000)`)
    const listed = await a.store.list(AGENTS)
    expect(listed.get('1')!.data).toMatchObject({ count: 'n/a', enabled: 2, created_at: 1700000000 })
    await b.store.write(AGENTS, copies(listed))
    expect(summary(await b.store.list(AGENTS))).toEqual(summary(listed))
    await a.close()
    await b.close()
  })
  it('refuses a JSON column holding text that is not JSON, naming table, record and column', async () => {
    const side = await sqliteSide()
    await side.exec(SQLITE_AGENTS)
    await side.exec(`INSERT INTO agents (id, name, config) VALUES (3, 'broken', '{not json')`)
    await expect(side.store.list(AGENTS)).rejects.toThrow(/table "agents" record "3" column "config": holds text that is not JSON/)
    await side.close()
  })

  it('refuses integers a JavaScript number cannot hold exactly, unless given as decimal strings', async () => {
    const side = await sqliteSide()
    await side.exec(SQLITE_AGENTS)
    const results = await side.store.write(AGENTS, [
      { key: '1', data: { name: 'x', big: 2 ** 60 }, expectedHash: null },
      { key: '2', data: { name: 'x', big: String(2n ** 60n) }, expectedHash: null },
      { key: '3', data: { name: 'x', big: '99999999999999999999' }, expectedHash: null },
    ])
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['refused', 'ok', 'refused'])
    expect((await side.store.list(AGENTS)).get('2')!.data.big).toBe('1152921504606846976')
    await side.close()
  })
})

describe.skipIf(pgMissing !== null)('SQLite → PostgreSQL → SQLite', () => {
  let url = ''
  beforeAll(async () => {
    url = await createTestDatabase()
  })

  it('keeps every supported type: identical hashes and data on all three', async () => {
    const a = await sqliteSide()
    const p = await postgresSide(url)
    const b = await sqliteSide()
    await a.exec(SQLITE_AGENTS)
    await p.exec(PG_AGENTS)
    await b.exec(SQLITE_AGENTS)

    expect((await a.store.write(AGENTS, creates(ROWS))).every((r) => r.ok)).toBe(true)
    const fromA = await a.store.list(AGENTS)

    const toP = await p.store.write(AGENTS, copies(fromA))
    expect(toP.filter((r) => !r.ok)).toEqual([])
    const fromP = await p.store.list(AGENTS)
    expect(summary(fromP)).toEqual(summary(fromA))
    for (const r of toP) expect(r.ok && r.hash).toBe(fromA.get(r.key)!.hash)

    expect((await b.store.write(AGENTS, copies(fromP))).every((r) => r.ok)).toBe(true)
    const fromB = await b.store.list(AGENTS)
    expect(summary(fromB)).toEqual(summary(fromA))
    for (const row of ROWS) expect(fromB.get(String(row.id))!.data).toEqual(expected(row))

    // What PostgreSQL holds natively.
    const raw = await p.query(`SELECT score::text, big::text, meta::text, updated_at::text, day::text FROM agents WHERE id = 1`)
    expect(raw[0]).toMatchObject({ score: '1.5', big: '9007199254740991', day: '2024-01-02' })
    const micro = await p.query(`SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t FROM agents WHERE id = -8`)
    expect(micro[0]!.t).toBe('2024-01-02 03:04:05.123456')
    for (const s of [a, p, b]) await s.close()
  })

  it('hashes a SQLite REAL 1.0 and a PostgreSQL double 1 (and numeric 1.00) the same', async () => {
    const a = await sqliteSide()
    const p = await postgresSide(url)
    await a.exec(`CREATE TABLE m (id TEXT PRIMARY KEY, v REAL, n NUMERIC, t TIMESTAMP)`)
    await p.exec(`CREATE TABLE m (id text PRIMARY KEY, v double precision, n numeric(10,2), t timestamptz)`)
    await a.exec(`INSERT INTO m VALUES ('k', 1.0, 2.50, '2024-01-02 03:04:05')`)
    await p.exec(`INSERT INTO m VALUES ('k', 1, 2.50, '2024-01-02 04:04:05+01')`)
    const spec = { name: 'm', key: 'id' }
    const ea = (await a.store.list(spec)).get('k')!
    const ep = (await p.store.list(spec)).get('k')!
    expect(ep.data).toEqual({ id: 'k', v: 1, n: 2.5, t: '2024-01-02T03:04:05.000Z' })
    expect(ep.hash).toBe(ea.hash)
    await a.close()
    await p.close()
  })

  it('lets PostgreSQL refuse what does not fit its stricter types, record by record', async () => {
    const a = await sqliteSide()
    const p = await postgresSide(url)
    await a.exec(SQLITE_AGENTS)
    await p.exec(PG_AGENTS.replace('CREATE TABLE agents', 'CREATE TABLE agents_strict'))
    await a.exec(`INSERT INTO agents (id, name, count) VALUES (1, 'loose', 'n/a'), (2, 'fine', 3)`)
    await a.exec(`INSERT INTO agents (id, name, score) VALUES (3, 'half', 1.5)`)
    const listed = await a.store.list(AGENTS)
    const results = await p.store.write({ name: 'agents_strict', key: 'id' }, [
      ...copies(listed),
      { key: '4', data: { name: 'x', count: 1.5 }, expectedHash: null },
    ])
    expect(results.map((r) => [r.key, r.ok ? 'ok' : r.reason])).toEqual([['1', 'refused'], ['2', 'ok'], ['3', 'ok'], ['4', 'refused']])
    expect(results[0]!.ok ? '' : results[0]!.message).toMatch(/invalid input syntax for type integer/)
    expect(results[3]!.ok ? '' : results[3]!.message).toMatch(/cannot hold 1.5 \(not an integer\)/)
    await a.close()
    await p.close()
  })
})

describe('refused columns and tables', () => {
  it('SQLite: a binary column refuses the table, naming table and column', async () => {
    const side = await sqliteSide()
    await side.exec(`CREATE TABLE files (id TEXT PRIMARY KEY, body BLOB)`)
    const spec = { name: 'files', key: 'id' }
    const err = await side.store.list(spec).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SyncDeskError)
    expect((err as SyncDeskError).message).toMatch(/table "files" column "body" is binary \(BLOB\); binary columns are not synced/)
    await expect(side.store.write(spec, [{ key: 'a', data: { body: 'x' }, expectedHash: null }])).rejects.toThrow(/"body" is binary/)
    await side.close()
  })

  it('SQLite: a missing table, a non-unique key and a missing file are clear errors', async () => {
    const side = await sqliteSide()
    await expect(side.store.list({ name: 'skills', key: 'id' })).rejects.toThrow(/table "skills" does not exist/)
    await expect(side.store.write({ name: 'skills', key: 'id' }, [])).rejects.toThrow(/table "skills" does not exist/)
    await side.exec(`CREATE TABLE loose (id TEXT, name TEXT)`)
    await expect(side.store.list({ name: 'loose', key: 'id' })).rejects.toThrow(/key column "id" of table "loose" is not its primary key nor a unique column/)
    await expect(side.store.list({ name: 'loose', key: 'nope' })).rejects.toThrow(/key column "nope" of table "loose" does not exist/)
    await expect(side.store.list({ name: 'bad; DROP TABLE x', key: 'id' })).rejects.toThrow(/not a plain identifier/)
    await side.close()
    await expect(openRecordStore({ kind: 'sqlite', path: path.join(os.tmpdir(), 'syncdesk-no-such-dir', 'x.db') })).rejects.toThrow(/does not exist/)
  })

  it('SQLite: a unique (non-primary) key column is accepted', async () => {
    const side = await sqliteSide()
    await side.exec(`CREATE TABLE contexts (rowid_ INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, body TEXT)`)
    const spec = { name: 'contexts', key: 'slug' }
    expect(await side.store.write(spec, [{ key: 'intro', data: { body: 'hi', rowid_: 10 }, expectedHash: null }])).toMatchObject([{ ok: true }])
    expect((await side.store.list(spec)).get('intro')!.data).toEqual({ rowid_: 10, slug: 'intro', body: 'hi' })
    await side.close()
  })

  describe.skipIf(pgMissing !== null)('PostgreSQL', () => {
    let p: Side
    beforeAll(async () => {
      p = await postgresSide(await createTestDatabase())
      return () => p.close()
    })

    it('a bytea column refuses the table, naming table and column', async () => {
      await p.exec(`CREATE TABLE files (id text PRIMARY KEY, body bytea)`)
      await expect(p.store.list({ name: 'files', key: 'id' })).rejects.toThrow(/table "files" column "body" is binary \(bytea\); binary columns are not synced/)
    })

    it('other types (interval, arrays) are refused as not synced', async () => {
      await p.exec(`CREATE TABLE odd (id text PRIMARY KEY, wait interval)`)
      await expect(p.store.list({ name: 'odd', key: 'id' })).rejects.toThrow(/table "odd" column "wait" has type interval, which is not synced/)
      await p.exec(`CREATE TABLE arr (id text PRIMARY KEY, tags text[])`)
      await expect(p.store.list({ name: 'arr', key: 'id' })).rejects.toThrow(/column "tags" has type text\[\]/)
    })

    it('a missing table and a non-unique key are clear errors', async () => {
      await expect(p.store.list({ name: 'skills', key: 'id' })).rejects.toThrow(/PostgreSQL .*: table "skills" does not exist/)
      await p.exec(`CREATE TABLE loose (id text, name text)`)
      await expect(p.store.write({ name: 'loose', key: 'id' }, [])).rejects.toThrow(/is not its primary key nor a unique column/)
    })

    it('domains, enums, uuid and generated columns', async () => {
      await p.exec(`CREATE DOMAIN short_text AS varchar(10)`)
      await p.exec(`CREATE TYPE mood AS ENUM ('happy', 'sad')`)
      await p.exec(`CREATE TABLE rich (id uuid PRIMARY KEY, label short_text, mood mood, n int, twice int GENERATED ALWAYS AS (n * 2) STORED)`)
      const spec = { name: 'rich', key: 'id' }
      const id = '0b9e3c8e-7d55-4f44-9b1f-2a1f6f0c9a11'
      expect(await p.store.write(spec, [{ key: id, data: { label: 'x', mood: 'sad', n: 2 }, expectedHash: null }])).toMatchObject([{ ok: true }])
      expect((await p.store.list(spec)).get(id)!.data).toEqual({ id, label: 'x', mood: 'sad', n: 2 })
      expect(await p.store.write(spec, [{ key: 'b', data: { mood: 'angry' }, expectedHash: null }])).toMatchObject([{ ok: false, reason: 'refused' }])
    })
  })
})

/** The conditional-write rules, the same on both engines. */
function conditionalSuite(open: () => Promise<Side>, ddl: string): void {
  let side: Side
  beforeAll(async () => {
    side = await open()
    await side.exec(ddl)
    return () => side.close()
  })
  const spec = { name: 'skills', key: 'id' }

  it('creates only when absent, updates and deletes only from the expected hash', async () => {
    const s = side.store
    const [created] = await s.write(spec, [{ key: '1', data: { name: 'one', level: 1 }, expectedHash: null }])
    expect(created).toMatchObject({ key: '1', ok: true })
    const h1 = created!.ok ? created!.hash : null
    expect(h1).toBe((await s.list(spec)).get('1')!.hash)
    expect(h1).toBe(recordHash({ id: 1, name: 'one', level: 1 }))

    expect(await s.write(spec, [{ key: '1', data: { name: 'again' }, expectedHash: null }])).toEqual([
      { key: '1', ok: false, reason: 'stale', message: 'record "1" already exists' },
    ])

    const [updated] = await s.write(spec, [{ key: '1', data: { level: 2 }, expectedHash: h1 }])
    expect(updated).toMatchObject({ ok: true })
    const h2 = (await s.list(spec)).get('1')!.hash
    expect(updated!.ok && updated!.hash).toBe(h2)
    expect((await s.list(spec)).get('1')!.data).toEqual({ id: 1, name: 'one', level: 2 })

    // Moved on: the old hash no longer matches; the row is untouched.
    expect(await s.write(spec, [{ key: '1', data: { level: 99 }, expectedHash: h1 }])).toMatchObject([{ ok: false, reason: 'stale', message: 'record "1" changed since it was read' }])
    expect(await s.delete(spec, [{ key: '1', expectedHash: h1! }])).toMatchObject([{ ok: false, reason: 'stale' }])
    expect((await s.list(spec)).get('1')!.hash).toBe(h2)

    expect(await s.write(spec, [{ key: '2', data: { name: 'two' }, expectedHash: 'f'.repeat(64) }])).toMatchObject([{ ok: false, reason: 'stale', message: 'record "2" no longer exists' }])
    expect(await s.delete(spec, [{ key: '1', expectedHash: h2 }])).toEqual([{ key: '1', ok: true, hash: null }])
    expect((await s.list(spec)).has('1')).toBe(false)
    expect(await s.delete(spec, [{ key: '1', expectedHash: h2 }])).toMatchObject([{ ok: false, reason: 'stale', message: 'record "1" no longer exists' }])
  })

  it('refuses bad records one by one and keeps the rest of the batch', async () => {
    const results = await side.store.write(spec, [
      { key: '10', data: { name: 'fine' }, expectedHash: null },
      { key: '11', data: { name: 'x', colour: 'red' }, expectedHash: null },
      { key: '12', data: { name: 'x', level: true }, expectedHash: null },
      { key: '13', data: { id: 14, name: 'x' }, expectedHash: null },
      { key: 'abc', data: { name: 'x' }, expectedHash: null },
      { key: '15', data: { level: 1 }, expectedHash: null },
      { key: '17', data: { name: { nested: true } }, expectedHash: null },
      { key: '18', data: { name: 'fine too' }, expectedHash: null },
    ])
    expect(results.map((r) => [r.key, r.ok ? 'ok' : r.reason])).toEqual([
      ['10', 'ok'], ['11', 'refused'], ['12', 'refused'], ['13', 'refused'], ['abc', 'refused'],
      ['15', 'refused'], ['17', 'refused'], ['18', 'ok'],
    ])
    const messages = results.map((r) => (r.ok ? '' : r.message))
    expect(messages[1]).toMatch(/has no column "colour"/)
    expect(messages[2]).toMatch(/column "level" .* cannot hold a boolean/)
    expect(messages[3]).toMatch(/is not the record's key/)
    expect(messages[4]).toMatch(/key "abc" is not an integer/)
    expect(messages[5]).toMatch(/name/i) // NOT NULL, in the database's words
    expect([...(await side.store.list(spec)).keys()].sort()).toEqual(['10', '18'])
  })
}

describe('conditional writes: SQLite', () => {
  conditionalSuite(() => sqliteSide(), `CREATE TABLE skills (id INTEGER PRIMARY KEY, name TEXT NOT NULL, level INTEGER)`)
})

describe.skipIf(pgMissing !== null)('conditional writes: PostgreSQL', () => {
  conditionalSuite(async () => postgresSide(await createTestDatabase()), `CREATE TABLE skills (id integer PRIMARY KEY, name text NOT NULL, level integer)`)
})

describe.skipIf(pgMissing !== null)('two operators at once on PostgreSQL', () => {
  let url = ''
  let setupSide: Side
  beforeAll(async () => {
    url = await createTestDatabase()
    setupSide = await postgresSide(url)
    await setupSide.exec(`CREATE TABLE contexts (id text PRIMARY KEY, body text, n integer)`)
    return () => setupSide.close()
  })
  const spec = { name: 'contexts', key: 'id' }

  it('same record, same expected hash: exactly one wins, the other is stale, the winner is stored', async () => {
    const one = await openRecordStore({ kind: 'postgres', url })
    const two = await openRecordStore({ kind: 'postgres', url })
    try {
      for (let round = 0; round < 10; round++) {
        const key = `r${round}`
        const [made] = await one.write(spec, [{ key, data: { body: 'base', n: 0 }, expectedHash: null }])
        const base = made!.ok ? made!.hash : null
        const [a, b] = await Promise.all([
          one.write(spec, [{ key, data: { body: 'from one', n: 1 }, expectedHash: base }]),
          two.write(spec, [{ key, data: { body: 'from two', n: 2 }, expectedHash: base }]),
        ])
        const results = [a![0]!, b![0]!]
        expect(results.filter((r) => r.ok)).toHaveLength(1)
        expect(results.filter((r) => !r.ok && r.reason === 'stale')).toHaveLength(1)
        const winner = results[0]!.ok ? { body: 'from one', n: 1 } : { body: 'from two', n: 2 }
        const stored = (await one.list(spec)).get(key)!
        expect(stored.data).toEqual({ id: key, ...winner })
        expect(stored.hash).toBe(results.find((r) => r.ok)!.ok && (results.find((r) => r.ok) as { hash: string }).hash)
      }
    } finally {
      await one.close()
      await two.close()
    }
  })

  it('both creating the same new record: one creates it, the other is stale', async () => {
    const one = await openRecordStore({ kind: 'postgres', url })
    const two = await openRecordStore({ kind: 'postgres', url })
    try {
      for (let round = 0; round < 10; round++) {
        const key = `new${round}`
        const [a, b] = await Promise.all([
          one.write(spec, [{ key, data: { body: 'one' }, expectedHash: null }]),
          two.write(spec, [{ key, data: { body: 'two' }, expectedHash: null }]),
        ])
        const results = [a![0]!, b![0]!]
        expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['ok', 'stale'])
        const stored = (await one.list(spec)).get(key)!
        expect(stored.data.body).toBe(results[0]!.ok ? 'one' : 'two')
      }
    } finally {
      await one.close()
      await two.close()
    }
  })

  it('concurrent deletes and updates of one record: exactly one succeeds', async () => {
    const one = await openRecordStore({ kind: 'postgres', url })
    const two = await openRecordStore({ kind: 'postgres', url })
    try {
      const [made] = await one.write(spec, [{ key: 'd', data: { body: 'base' }, expectedHash: null }])
      const base = made!.ok ? made!.hash! : ''
      const [a, b] = await Promise.all([
        one.delete(spec, [{ key: 'd', expectedHash: base }]),
        two.write(spec, [{ key: 'd', data: { body: 'edited' }, expectedHash: base }]),
      ])
      const results = [a![0]!, b![0]!]
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      const stored = (await one.list(spec)).get('d')
      if (results[0]!.ok) expect(stored).toBeUndefined()
      else expect(stored!.data.body).toBe('edited')
    } finally {
      await one.close()
      await two.close()
    }
  })
})
