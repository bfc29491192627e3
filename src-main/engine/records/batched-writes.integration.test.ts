/**
 * Batched record writes against real databases (a SQLite file, the test PostgreSQL): a batch
 * is written in a few statements, and still refuses, record by record, those whose hash moved
 * on; batches larger than one statement carries are split; refused rows fall back to row by row.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresUnavailable } from '../../../test/support/postgres.js'
import { openRecordStore } from './open-record-store.js'
import { MAX_ROWS_PER_STATEMENT } from './postgres-store.js'
import type { RecordResult, RecordStore, RecordWrite } from './record-store.js'

const pgMissing = postgresUnavailable()

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

interface Side {
  store: RecordStore
  exec(sql: string): Promise<void>
  query(sql: string): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

async function sqliteSide(): Promise<Side> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-batched-'))
  dirs.push(dir)
  const file = path.join(dir, 'db.sqlite')
  const raw = new Database(file)
  raw.pragma('journal_mode = WAL')
  const store = await openRecordStore({ kind: 'sqlite', path: file })
  return {
    store,
    exec: async (sql) => void raw.exec(sql),
    query: async (sql) => raw.prepare(sql).all() as Record<string, unknown>[],
    close: async () => {
      await store.close()
      raw.close()
    },
  }
}

async function postgresSide(): Promise<Side> {
  const url = await createTestDatabase()
  const raw = new pg.Client({ connectionString: url })
  await raw.connect()
  const store = await openRecordStore({ kind: 'postgres', url })
  return {
    store,
    exec: async (sql) => void (await raw.query(sql)),
    query: async (sql) => (await raw.query(sql)).rows as Record<string, unknown>[],
    close: async () => {
      await store.close()
      await raw.end()
    },
  }
}

const outcome = (r: RecordResult): string => (r.ok ? 'ok' : r.reason)
const spec = { name: 'agents', key: 'id' }
const textSpec = { name: 'notes', key: 'slug' }

function suite(dialect: 'sqlite' | 'postgres', open: () => Promise<Side>): void {
  let side: Side
  beforeAll(async () => {
    side = await open()
    await side.exec(
      dialect === 'sqlite'
        ? 'CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, level INTEGER, config JSON); CREATE TABLE notes (slug TEXT PRIMARY KEY, body TEXT)'
        : 'CREATE TABLE agents (id integer PRIMARY KEY, name text NOT NULL, level integer, config jsonb); CREATE TABLE notes (slug text PRIMARY KEY, body varchar(10))',
    )
    return () => side.close()
  })

  it('writes the records whose hash is the expected one and refuses, one by one, those that moved on', async () => {
    const s = side.store
    const made = await s.write(spec, [1, 2, 3, 4, 5, 6].map((i) => ({ key: String(i), data: { name: `a${i}`, level: i, config: { i } }, expectedHash: null })))
    expect(made.map(outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
    const listed = await s.list(spec)
    expect(made.map((r) => r.ok && r.hash)).toEqual([...listed.values()].map((e) => e.hash))
    const h = (k: string): string => listed.get(k)!.hash
    // Someone else changes 2 and 4 after our listing.
    await s.write(spec, [
      { key: '2', data: { level: 20 }, expectedHash: h('2') },
      { key: '4', data: { level: 40 }, expectedHash: h('4') },
    ])
    const moved = await s.list(spec)
    const results = await s.write(spec, [
      { key: '1', data: { level: 100 }, expectedHash: h('1') },
      { key: '2', data: { level: 200 }, expectedHash: h('2') },
      { key: '3', data: { name: 'three', level: 300, config: null }, expectedHash: h('3') },
      { key: '4', data: { level: 400 }, expectedHash: h('4') },
      { key: '5', data: { name: 'again' }, expectedHash: null },
      { key: '7', data: { name: 'new' }, expectedHash: null },
      { key: '8', data: { name: 'gone' }, expectedHash: 'f'.repeat(64) },
    ])
    expect(results.map((r) => [r.key, outcome(r)])).toEqual([
      ['1', 'ok'], ['2', 'stale'], ['3', 'ok'], ['4', 'stale'], ['5', 'stale'], ['7', 'ok'], ['8', 'stale'],
    ])
    expect(results.map((r) => (r.ok ? '' : r.message))).toEqual([
      '', 'record "2" changed since it was read', '', 'record "4" changed since it was read', 'record "5" already exists', '', 'record "8" no longer exists',
    ])
    const after = await s.list(spec)
    for (const r of results) if (r.ok) expect(r.hash).toBe(after.get(r.key)!.hash)
    expect(after.get('1')!.data).toEqual({ id: 1, name: 'a1', level: 100, config: { i: 1 } })
    expect(after.get('3')!.data).toEqual({ id: 3, name: 'three', level: 300, config: null })
    expect(after.get('7')!.data).toEqual({ id: 7, name: 'new', level: null, config: null })
    // The ones that moved on are as the other writer left them.
    for (const k of ['2', '4', '5']) expect(after.get(k)).toEqual(moved.get(k))
    expect(after.has('8')).toBe(false)
  })

  it('deletes the records whose hash is the expected one; those that moved on stay as they are', async () => {
    const s = side.store
    await s.write(spec, [11, 12, 13, 14].map((i) => ({ key: String(i), data: { name: `d${i}` }, expectedHash: null })))
    const listed = await s.list(spec)
    const h = (k: string): string => listed.get(k)!.hash
    await s.write(spec, [{ key: '12', data: { level: 1 }, expectedHash: h('12') }])
    await s.delete(spec, [{ key: '14', expectedHash: h('14') }])
    const moved = (await s.list(spec)).get('12')
    const results = await s.delete(spec, ['11', '12', '13', '14', 'x'].map((key) => ({ key, expectedHash: listed.get(key)?.hash ?? 'f'.repeat(64) })))
    expect(results.map((r) => [r.key, outcome(r)])).toEqual([['11', 'ok'], ['12', 'stale'], ['13', 'ok'], ['14', 'stale'], ['x', 'refused']])
    expect(results[1]).toMatchObject({ message: 'record "12" changed since it was read' })
    expect(results[3]).toMatchObject({ message: 'record "14" no longer exists' })
    const after = await s.list(spec)
    expect(['11', '12', '13', '14'].filter((k) => after.has(k))).toEqual(['12'])
    expect(after.get('12')).toEqual(moved)
  })

  it(`splits a batch larger than one statement carries (${MAX_ROWS_PER_STATEMENT} rows) and keeps every outcome in order`, async () => {
    const s = side.store
    const n = 2 * MAX_ROWS_PER_STATEMENT + 500
    const first = 1000
    const keys = Array.from({ length: n }, (_, i) => String(first + i))
    const made = await s.write(spec, keys.map((key) => ({ key, data: { name: `n${key}`, level: Number(key) }, expectedHash: null })))
    expect(made.every((r) => r.ok)).toBe(true)
    expect(made.map((r) => r.key)).toEqual(keys)
    const listed = await s.list(spec)
    // Every 7th row moves on before our batch of updates.
    const movedKeys = keys.filter((_, i) => i % 7 === 3)
    await s.write(spec, movedKeys.map((key) => ({ key, data: { name: 'theirs' }, expectedHash: listed.get(key)!.hash })))
    const updates: RecordWrite[] = keys.map((key) => ({ key, data: { name: `mine${key}`, config: { k: key } }, expectedHash: listed.get(key)!.hash }))
    const results = await s.write(spec, updates)
    expect(results.map((r) => r.key)).toEqual(keys)
    const stale = new Set(movedKeys)
    expect(results.map((r) => outcome(r))).toEqual(keys.map((k) => (stale.has(k) ? 'stale' : 'ok')))
    const after = await s.list(spec)
    for (const key of keys) expect(after.get(key)!.data.name).toBe(stale.has(key) ? 'theirs' : `mine${key}`)
    for (const r of results) if (r.ok) expect(r.hash).toBe(after.get(r.key)!.hash)

    const deletes = keys.map((key) => ({ key, expectedHash: after.get(key)!.hash }))
    // Every 11th row moves on again before the deletes.
    const movedAgain = keys.filter((_, i) => i % 11 === 5)
    await s.write(spec, movedAgain.map((key) => ({ key, data: { level: -1 }, expectedHash: after.get(key)!.hash })))
    const gone = await s.delete(spec, deletes)
    const kept = new Set(movedAgain)
    expect(gone.map((r) => [r.key, outcome(r)])).toEqual(keys.map((k) => [k, kept.has(k) ? 'stale' : 'ok']))
    const left = await s.list(spec)
    expect(keys.filter((k) => left.has(k))).toEqual(movedAgain)
  })

  it('a row the database refuses in a large batch is refused alone; the others are written', async () => {
    const s = side.store
    const keys = Array.from({ length: MAX_ROWS_PER_STATEMENT + 10 }, (_, i) => String(10_000 + i))
    // 10_005 leaves out the NOT NULL name: the database refuses it.
    const writes = keys.map((key) => ({ key, data: key === '10005' ? { level: 1 } : { name: key }, expectedHash: null }))
    const results = await s.write(spec, writes)
    expect(results.map((r) => [r.key, outcome(r)])).toEqual(keys.map((k) => [k, k === '10005' ? 'refused' : 'ok']))
    const after = await s.list(spec)
    expect(keys.filter((k) => after.has(k)).length).toBe(keys.length - 1)
  })

  it('text keys: creates, updates with moved-on rows, and a value the column cannot hold', async () => {
    const s = side.store
    const made = await s.write(textSpec, ['a', 'b', 'c', 'O\'Brien "x"'].map((slug) => ({ key: slug, data: { body: slug.slice(0, 3) }, expectedHash: null })))
    expect(made.map(outcome)).toEqual(['ok', 'ok', 'ok', 'ok'])
    const listed = await s.list(textSpec)
    await s.write(textSpec, [{ key: 'b', data: { body: 'theirs' }, expectedHash: listed.get('b')!.hash }])
    const results = await s.write(textSpec, [
      { key: 'a', data: { body: 'mine' }, expectedHash: listed.get('a')!.hash },
      { key: 'b', data: { body: 'mine' }, expectedHash: listed.get('b')!.hash },
      { key: 'O\'Brien "x"', data: { body: 'quoted' }, expectedHash: listed.get('O\'Brien "x"')!.hash },
      { key: 'c', data: { body: 'much too long for ten' }, expectedHash: listed.get('c')!.hash },
    ])
    // PostgreSQL's varchar(10) refuses the long value (it is never cut short); SQLite stores it.
    expect(results.map(outcome)).toEqual(['ok', 'stale', 'ok', dialect === 'postgres' ? 'refused' : 'ok'])
    const after = await s.list(textSpec)
    expect([...after.values()].map((e) => [e.key, e.data.body])).toEqual([
      ['O\'Brien "x"', 'quoted'], ['a', 'mine'], ['b', 'theirs'], ['c', dialect === 'postgres' ? 'c' : 'much too long for ten'],
    ])
  })

  if (dialect === 'postgres') {
    it('writes a batch in one statement, not a savepoint per row (one transaction id for all its rows)', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => String(50_000 + i))
      const results = await side.store.write(spec, keys.map((key) => ({ key, data: { name: key }, expectedHash: null })))
      expect(results.every((r) => r.ok)).toBe(true)
      const rows = await side.query('SELECT count(DISTINCT xmin::text)::int AS n FROM agents WHERE id >= 50000 AND id < 50300')
      expect(rows[0]!.n).toBe(1)
    })
  }
}

describe('batched writes: SQLite', () => {
  suite('sqlite', sqliteSide)
})

describe.skipIf(pgMissing !== null)('batched writes: PostgreSQL', () => {
  suite('postgres', postgresSide)
})
