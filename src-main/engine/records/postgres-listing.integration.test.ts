/**
 * PostgreSQL listings that keep rows between calls (by xmin/ctid): every change made by
 * anyone, through any path, shows in the next listing exactly as a fresh read would show it.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresUnavailable } from '../../../test/support/postgres.js'
import { recordHash } from './canonical.js'
import { openRecordStore } from './open-record-store.js'
import type { RecordEntry, RecordStore } from './record-store.js'

const pgMissing = postgresUnavailable()
const spec = { name: 'agents', key: 'id' }

describe.skipIf(pgMissing !== null)('PostgreSQL listings with kept rows', () => {
  let url = ''
  let raw: pg.Client
  let store: RecordStore
  beforeAll(async () => {
    url = await createTestDatabase()
    raw = new pg.Client({ connectionString: url })
    await raw.connect()
    await raw.query('CREATE TABLE agents (id integer PRIMARY KEY, name text, config jsonb)')
    await raw.query("INSERT INTO agents SELECT i, 'a' || i, jsonb_build_object('i', i) FROM generate_series(1, 200) AS i")
    store = await openRecordStore({ kind: 'postgres', url })
  })
  afterAll(async () => {
    await store?.close()
    await raw?.end()
  })

  /** What a store opened afresh lists (no kept rows). */
  async function freshList(): Promise<Map<string, RecordEntry>> {
    const other = await openRecordStore({ kind: 'postgres', url })
    try {
      return await other.list(spec)
    } finally {
      await other.close()
    }
  }
  async function expectSameAsFresh(): Promise<Map<string, RecordEntry>> {
    const got = await store.list(spec)
    const want = await freshList()
    expect([...got.keys()]).toEqual([...want.keys()])
    expect([...got.values()].map((e) => [e.key, e.hash, e.data])).toEqual([...want.values()].map((e) => [e.key, e.hash, e.data]))
    for (const e of got.values()) expect(e.hash).toBe(recordHash(e.data))
    return got
  }

  it('shows updates, inserts and deletes made by other sessions', async () => {
    await expectSameAsFresh()
    await raw.query("UPDATE agents SET name = 'changed' WHERE id = 7")
    await raw.query("INSERT INTO agents VALUES (1000, 'new', '[]')")
    await raw.query('DELETE FROM agents WHERE id = 9')
    const got = await expectSameAsFresh()
    expect(got.get('7')!.data.name).toBe('changed')
    expect(got.get('1000')!.data).toEqual({ id: 1000, name: 'new', config: [] })
    expect(got.has('9')).toBe(false)
  })

  it('shows a row deleted and inserted again with other content, and ignores a rolled-back change', async () => {
    await store.list(spec)
    await raw.query('BEGIN')
    await raw.query("DELETE FROM agents WHERE id = 11")
    await raw.query("INSERT INTO agents VALUES (11, 'again', '{\"x\": 1}')")
    await raw.query('COMMIT')
    await raw.query('BEGIN')
    await raw.query("UPDATE agents SET name = 'never' WHERE id = 12")
    await raw.query('ROLLBACK')
    const got = await expectSameAsFresh()
    expect(got.get('11')!.data).toEqual({ id: 11, name: 'again', config: { x: 1 } })
    expect(got.get('12')!.data.name).toBe('a12')
  })

  it('shows changes to most of the rows, a truncate, and a column added with a default', async () => {
    await store.list(spec)
    await raw.query("UPDATE agents SET name = name || '!' WHERE id % 2 = 0")
    expect((await expectSameAsFresh()).get('2')!.data.name).toBe('a2!')
    await raw.query("ALTER TABLE agents ADD COLUMN level integer NOT NULL DEFAULT 3")
    expect((await expectSameAsFresh()).get('3')!.data.level).toBe(3)
    await raw.query('TRUNCATE agents')
    await raw.query("INSERT INTO agents (id, name) VALUES (1, 'after truncate')")
    expect([...(await expectSameAsFresh()).values()].map((e) => e.data.name)).toEqual(['after truncate'])
  })

  it('shows its own writes, and what it hands out cannot be changed by a caller', async () => {
    const before = await store.list(spec)
    const [r] = await store.write(spec, [{ key: '1', data: { name: 'mine' }, expectedHash: before.get('1')!.hash }])
    const got = await expectSameAsFresh()
    expect(r).toMatchObject({ ok: true, hash: got.get('1')!.hash })
    const data = got.get('1')!.data
    expect(() => {
      data.name = 'scribbled'
    }).toThrow(TypeError)
    expect((await store.list(spec)).get('1')!.data.name).toBe('mine')
  })
})
