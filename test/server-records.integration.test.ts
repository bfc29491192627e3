/**
 * The environment server's records API (`/v1/tables/<t>/records…`) and the ServerRemote's
 * `openRecords`, against a real server on 127.0.0.1 over real SQLite and PostgreSQL databases.
 *
 * Every refusal is asserted twice: on the HTTP answer and on the database rows (read back
 * through a separate connection).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { recordHash } from '../src-main/engine/records/canonical.js'
import { openRecordStore } from '../src-main/engine/records/open-record-store.js'
import type { RecordEntry, RecordStore, TableSpec } from '../src-main/engine/records/record-store.js'
import { ServerRemote } from '../src-main/remotes/server-remote.js'
import type { RemoteRecords } from '../src-main/engine/remote.js'
import { initProject } from '../src-main/engine/project.js'
import { getStatus, runDirection } from '../src-main/engine/sync-engine.js'
import { SERVER_DATA_DIR } from '../src-server/environment.js'
import { rawRequest, startTestServer, type RawAnswer, type TestServer } from '../src-server/testing.js'
import { createTestDatabase, postgresUnavailable } from './support/postgres.js'

const AGENTS: TableSpec = { name: 'agents', key: 'id' }

const SQLITE_SCHEMA = `
  CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, config JSON, enabled BOOLEAN, score REAL, updated_at TIMESTAMP);
  CREATE TABLE skills (id INTEGER PRIMARY KEY, name TEXT);
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, payload BLOB);
  CREATE TABLE named (slug TEXT PRIMARY KEY, title TEXT);
  INSERT INTO agents VALUES (1, 'alpha', '{"model":"small","tools":["a"]}', 1, 0.5, '2024-01-02T03:04:05.000Z');
  INSERT INTO agents VALUES (2, 'beta', NULL, 0, 2, NULL);
  INSERT INTO agents VALUES (3, 'gamma', '[]', 1, -1.25, '2023-12-31T23:59:59.000Z');
`

const PG_SCHEMA = `
  CREATE TABLE agents (id integer PRIMARY KEY, name text NOT NULL, config jsonb, enabled boolean, score double precision, updated_at timestamptz);
  CREATE TABLE skills (id integer PRIMARY KEY, name text);
  CREATE TABLE blobs (id integer PRIMARY KEY, payload bytea);
  CREATE TABLE named (slug text PRIMARY KEY, title text);
  INSERT INTO agents VALUES (1, 'alpha', '{"model":"small","tools":["a"]}', true, 0.5, '2024-01-02T03:04:05.000Z');
  INSERT INTO agents VALUES (2, 'beta', NULL, false, 2, NULL);
  INSERT INTO agents VALUES (3, 'gamma', '[]', true, -1.25, '2023-12-31T23:59:59.000Z');
`

/** A backend: how to make the server's database and how the test reads it back. */
interface Backend {
  name: 'sqlite' | 'postgres'
  skip: string | null
  /** Creates the database (for SQLite inside the project folder); returns the server's databaseUrl, if any. */
  make(projectDir: string): Promise<{ databaseUrl?: string; open(): Promise<RecordStore> }>
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    skip: null,
    async make(projectDir) {
      const file = path.join(projectDir, SERVER_DATA_DIR, 'database.sqlite')
      fs.mkdirSync(path.dirname(file), { recursive: true })
      const db = new Database(file)
      db.exec(SQLITE_SCHEMA)
      db.close()
      return { open: () => openRecordStore({ kind: 'sqlite', path: file }) }
    },
  },
  {
    name: 'postgres',
    skip: postgresUnavailable(),
    async make() {
      const url = await createTestDatabase()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(PG_SCHEMA)
      await client.end()
      return { databaseUrl: url, open: () => openRecordStore({ kind: 'postgres', url }) }
    },
  },
]

/** The tables of a SQLite file, by name. */
function sqliteTables(file: string): string[] {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
  } finally {
    db.close()
  }
}

function errorCode(a: RawAnswer): string | undefined {
  return (a.json as { error?: { code?: string } } | null)?.error?.code
}

const json = (body: unknown): { headers: Record<string, string>; body: string } => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`records API over ${backend.name}`, () => {
    let srv: TestServer
    let check: RecordStore
    let rows: () => Promise<Map<string, RecordEntry>>
    const w = () => srv.tokens.writer

    beforeEach(async () => {
      let made: Awaited<ReturnType<Backend['make']>> | undefined
      let databaseUrl: string | undefined
      if (backend.name === 'postgres') {
        made = await backend.make('')
        databaseUrl = made.databaseUrl
      }
      srv = await startTestServer({ databaseUrl }, {
        beforeStart: async (dir) => {
          if (backend.name === 'sqlite') made = await backend.make(dir)
        },
      })
      check = await (made as NonNullable<typeof made>).open()
      rows = () => check.list(AGENTS)
    })
    afterEach(async () => {
      await check.close()
      await srv.close()
    })

    it('lists records with hashes and data, and reads one with its ETag', async () => {
      const list = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records', { token: srv.tokens.reader })
      expect(list.status).toBe(200)
      const body = list.json as { records: RecordEntry[] }
      const expected = await rows()
      expect(body.records.map((r) => r.key)).toEqual(['1', '2', '3'])
      for (const r of body.records) {
        expect(r.hash).toBe(expected.get(r.key)?.hash)
        expect(r.hash).toBe(recordHash(r.data))
      }
      expect(body.records[0]?.data).toEqual({ id: 1, name: 'alpha', config: { model: 'small', tools: ['a'] }, enabled: true, score: 0.5, updated_at: '2024-01-02T03:04:05.000Z' })
      const one = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records/2', { token: srv.tokens.reader })
      expect(one.status).toBe(200)
      expect(one.headers.etag).toBe(`"${expected.get('2')?.hash}"`)
      expect((one.json as RecordEntry).data).toEqual({ id: 2, name: 'beta', config: null, enabled: false, score: 2, updated_at: null })
      const missing = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records/99', { token: srv.tokens.reader })
      expect(missing.status).toBe(404)
      expect(errorCode(missing)).toBe('record-not-found')
      const db = await rawRequest(srv.url, 'GET', '/v1/database', { token: srv.tokens.reader })
      expect(db.json).toEqual({ database: { kind: backend.name } })
    })

    it('refuses without a token (401) and without the write scope (403); no row changes', async () => {
      const before = await rows()
      const h = `"${before.get('1')?.hash}"`
      for (const a of [
        await rawRequest(srv.url, 'GET', '/v1/tables/agents/records'),
        await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { headers: { 'if-match': h, 'content-type': 'application/json' }, body: '{"name":"x"}' }),
        await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: 'sdk_wrong', headers: { 'if-match': h, 'content-type': 'application/json' }, body: '{"name":"x"}' }),
      ]) {
        expect(a.status).toBe(401)
        expect(errorCode(a)).toBe('unauthorized')
      }
      const refused = [
        await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: srv.tokens.reader, headers: { 'if-match': h, 'content-type': 'application/json' }, body: '{"name":"x"}' }),
        await rawRequest(srv.url, 'DELETE', '/v1/tables/agents/records/1', { token: srv.tokens.reader, headers: { 'if-match': h } }),
        await rawRequest(srv.url, 'POST', '/v1/tables/agents/records/write', { token: srv.tokens.deployer, ...json({ deletes: [{ key: '1', ifMatch: before.get('1')?.hash }] }) }),
      ]
      for (const a of refused) {
        expect(a.status).toBe(403)
        expect(errorCode(a)).toBe('forbidden')
      }
      expect(await rows()).toEqual(before)
    })

    it('needs a precondition (428) and refuses a stale one (412 with the current ETag); rows untouched', async () => {
      const before = await rows()
      const put428 = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: w(), ...json({ name: 'blind' }) })
      expect(put428.status).toBe(428)
      expect(errorCode(put428)).toBe('precondition-required')
      const del428 = await rawRequest(srv.url, 'DELETE', '/v1/tables/agents/records/1', { token: w() })
      expect(del428.status).toBe(428)
      const stale = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-match': `"${'0'.repeat(64)}"` }, body: '{"name":"late"}' })
      expect(stale.status).toBe(412)
      expect(errorCode(stale)).toBe('stale')
      expect(stale.headers.etag).toBe(`"${before.get('1')?.hash}"`)
      expect((stale.json as { error: { currentHash: string } }).error.currentHash).toBe(before.get('1')?.hash)
      const exists = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/2', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"name":"dup"}' })
      expect(exists.status).toBe(412)
      const delStale = await rawRequest(srv.url, 'DELETE', '/v1/tables/agents/records/3', { token: w(), headers: { 'if-match': `"${before.get('1')?.hash}"` } })
      expect(delStale.status).toBe(412)
      const bad = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-match': 'nope' }, body: '{"name":"x"}' })
      expect(bad.status).toBe(400)
      expect(errorCode(bad)).toBe('bad-precondition')
      expect(await rows()).toEqual(before)
      expect(fs.existsSync(path.join(srv.projectDir, SERVER_DATA_DIR, 'record-versions'))).toBe(false)
    })

    it('creates, updates and deletes with preconditions, keeping the prior rows as versions', async () => {
      const before = await rows()
      const created = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/10', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: JSON.stringify({ name: 'new', enabled: true, config: { b: 1, a: [1, 2] } }) })
      expect(created.status).toBe(201)
      const after1 = await rows()
      expect(after1.get('10')?.data).toEqual({ id: 10, name: 'new', enabled: true, config: { a: [1, 2], b: 1 }, score: null, updated_at: null })
      expect(created.headers.etag).toBe(`"${after1.get('10')?.hash}"`)
      expect((created.json as { versionId: string | null }).versionId).toBeNull()

      const updated = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-match': `"${before.get('1')?.hash}"` }, body: '{"name":"alpha2","score":1.5}' })
      expect(updated.status).toBe(200)
      const up = updated.json as { key: string; hash: string; versionId: string }
      expect(up.versionId).toMatch(/^\d{8}-/)
      const after2 = await rows()
      expect(after2.get('1')?.data).toMatchObject({ name: 'alpha2', score: 1.5, enabled: true })
      expect(up.hash).toBe(after2.get('1')?.hash)

      const deleted = await rawRequest(srv.url, 'DELETE', '/v1/tables/agents/records/2', { token: w(), headers: { 'if-match': `"${before.get('2')?.hash}"` } })
      expect(deleted.status).toBe(200)
      expect((await rows()).has('2')).toBe(false)
      // Deleting what is already gone succeeds, as for files.
      const again = await rawRequest(srv.url, 'DELETE', '/v1/tables/agents/records/2', { token: w(), headers: { 'if-match': `"${before.get('2')?.hash}"` } })
      expect(again.status).toBe(200)

      const versions = await rawRequest(srv.url, 'GET', '/v1/tables/agents/versions', { token: srv.tokens.reader })
      const list = (versions.json as { versions: { id: string; key: string; hash: string; data: unknown; op: string; by: string }[] }).versions
      expect(list.map((v) => [v.key, v.op, v.by])).toEqual([
        ['2', 'delete', 'writer'],
        ['1', 'write', 'writer'],
      ])
      expect(list[0]?.data).toEqual(before.get('2')?.data)
      expect(list[0]?.hash).toBe(before.get('2')?.hash)
      expect(list[1]?.data).toEqual(before.get('1')?.data)
      const one = await rawRequest(srv.url, 'GET', '/v1/tables/agents/versions?key=1', { token: srv.tokens.reader })
      expect((one.json as { versions: unknown[] }).versions).toHaveLength(1)
      // On disk: one JSON per batch.
      const file = path.join(srv.projectDir, SERVER_DATA_DIR, 'record-versions', `${up.versionId}.json`)
      const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { table: string; rows: { key: string; data: unknown }[] }
      expect(kept.table).toBe('agents')
      expect(kept.rows).toEqual([{ key: '1', hash: before.get('1')?.hash, data: before.get('1')?.data, op: 'write' }])

      const status = await rawRequest(srv.url, 'GET', '/v1/status', { token: srv.tokens.reader })
      const st = status.json as { database: unknown; items: { records: Record<string, number> }; lastPush: { by: string; items: number } }
      expect(st.database).toEqual({ kind: backend.name })
      expect(st.items.records).toEqual({ agents: 3, skills: 0 })
      expect(st.lastPush).toMatchObject({ by: 'writer', items: 4 })
    })

    it('refuses bad table names (400), unknown tables (404), binary tables and bad values (422)', async () => {
      const before = await rows()
      for (const t of ['a-b', '1abc', 'x%20y', 'a'.repeat(64)]) {
        const a = await rawRequest(srv.url, 'GET', `/v1/tables/${t}/records`, { token: srv.tokens.reader })
        expect(a.status, t).toBe(400)
        expect(errorCode(a)).toBe('bad-table-name')
      }
      const putBadName = await rawRequest(srv.url, 'PUT', '/v1/tables/agents;drop/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{}' })
      expect(putBadName.status).toBe(400)
      const badKeyColumn = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records?keyColumn=id;x', { token: srv.tokens.reader })
      expect(badKeyColumn.status).toBe(400)
      expect(errorCode(badKeyColumn)).toBe('bad-key-column')
      const unknown = await rawRequest(srv.url, 'GET', '/v1/tables/nosuch/records', { token: srv.tokens.reader })
      expect(unknown.status).toBe(404)
      expect(errorCode(unknown)).toBe('table-not-found')
      expect((unknown.json as { error: { message: string } }).error.message).toContain('"nosuch"')
      const unknownWrite = await rawRequest(srv.url, 'POST', '/v1/tables/nosuch/records/write', { token: w(), ...json({ writes: [{ key: '1', data: {}, ifNoneMatch: '*' }] }) })
      expect(unknownWrite.status).toBe(404)
      const binary = await rawRequest(srv.url, 'GET', '/v1/tables/blobs/records', { token: srv.tokens.reader })
      expect(binary.status).toBe(422)
      expect(errorCode(binary)).toBe('table-not-synced')
      expect((binary.json as { error: { message: string } }).error.message).toMatch(/binary/)
      expect((binary.json as { error: { message: string } }).error.message).not.toContain(srv.projectDir)
      const binWrite = await rawRequest(srv.url, 'PUT', '/v1/tables/blobs/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"payload":"x"}' })
      expect(binWrite.status).toBe(422)
      const nullName = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/20', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"name":null}' })
      expect(nullName.status).toBe(422)
      expect(errorCode(nullName)).toBe('record-refused')
      const badColumn = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/20', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"name":"x","nope":1}' })
      expect(badColumn.status).toBe(422)
      expect((badColumn.json as { error: { message: string } }).error.message).toContain('nope')
      const badKey = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/abc', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"name":"x"}' })
      expect(badKey.status).toBe(422)
      const notObject = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/20', { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '[1]' })
      expect(notObject.status).toBe(400)
      expect(await rows()).toEqual(before)
    })

    it('takes record keys with any text (URL-encoded), on a text-keyed table', async () => {
      const key = 'a/b c?é#%'
      const url = `/v1/tables/named/records/${encodeURIComponent(key)}?keyColumn=slug`
      const created = await rawRequest(srv.url, 'PUT', url, { token: w(), headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{"title":"T"}' })
      expect(created.status).toBe(201)
      const got = await rawRequest(srv.url, 'GET', url, { token: srv.tokens.reader })
      expect(got.status).toBe(200)
      expect((got.json as RecordEntry).data).toEqual({ slug: key, title: 'T' })
    })

    it('applies a batch item by item: each refusal stays with its item', async () => {
      const before = await rows()
      const h = (k: string) => before.get(k)?.hash
      const ans = await rawRequest(srv.url, 'POST', '/v1/tables/agents/records/write', {
        token: w(),
        ...json({
          writes: [
            { key: '11', data: { name: 'created' }, ifNoneMatch: '*' },
            { key: '1', data: { name: 'updated' }, ifMatch: h('1') },
            { key: '2', data: { name: 'stale' }, ifMatch: h('3') },
            { key: '12', data: { name: 'no precondition' } },
            { key: '13', data: { name: 'dup' }, ifNoneMatch: '*' },
            { key: '13', data: { name: 'dup' }, ifNoneMatch: '*' },
            { key: '14', data: { name: null }, ifNoneMatch: '*' },
            { key: '15', data: { name: 'bad' }, ifMatch: 'xyz' },
            { key: '3', data: { name: 'exists' }, ifNoneMatch: '*' },
          ],
          deletes: [
            { key: '3', ifMatch: h('3') },
            { key: '16' },
          ],
        }),
      })
      expect(ans.status).toBe(200)
      const res = ans.json as { writes: { key: string; status: number; error?: { code: string } }[]; deletes: { key: string; status: number }[]; versionId: string }
      expect(res.writes.map((x) => [x.key, x.status])).toEqual([
        ['11', 201],
        ['1', 200],
        ['2', 412],
        ['12', 428],
        ['13', 400],
        ['13', 400],
        ['14', 422],
        ['15', 400],
        ['3', 400],
      ])
      expect(res.writes[4]?.error?.code).toBe('duplicate-key')
      expect(res.deletes.map((x) => [x.key, x.status])).toEqual([
        ['3', 400],
        ['16', 428],
      ])
      const after = await rows()
      expect([...after.keys()].sort()).toEqual(['1', '11', '2', '3'])
      expect(after.get('1')?.data.name).toBe('updated')
      expect(after.get('2')).toEqual(before.get('2'))
      expect(after.get('3')).toEqual(before.get('3'))
      const v = JSON.parse(fs.readFileSync(path.join(srv.projectDir, SERVER_DATA_DIR, 'record-versions', `${res.versionId}.json`), 'utf8')) as { rows: { key: string }[] }
      expect(v.rows.map((r) => r.key)).toEqual(['1'])
    })

    it('lets exactly one of two concurrent writers with the same If-Match win', async () => {
      const before = await rows()
      const put = (name: string) => rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: w(), headers: { 'content-type': 'application/json', 'if-match': `"${before.get('1')?.hash}"` }, body: JSON.stringify({ name }) })
      const answers = await Promise.all([put('one'), put('two'), put('three')])
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([200, 412, 412])
      const winner = ['one', 'two', 'three'][answers.findIndex((a) => a.status === 200)]
      expect((await rows()).get('1')?.data.name).toBe(winner)
    })

    describe('through ServerRemote.openRecords', () => {
      let remote: ServerRemote
      let records: RemoteRecords
      beforeEach(async () => {
        remote = new ServerRemote('staging', srv.url, w(), { batchItems: 2, retries: 0 })
        const r = await remote.openRecords()
        expect(r).not.toBeNull()
        records = r as RemoteRecords
      })
      afterEach(async () => {
        await remote.close()
      })

      it('lists, writes and deletes in batches, with stale and refused results', async () => {
        const listed = await records.list(AGENTS)
        expect(listed).toEqual(await rows())
        const writes = [
          { key: '21', data: { id: 21, name: 'a' }, expectedHash: null },
          { key: '22', data: { name: 'b', score: 1e21 }, expectedHash: null },
          { key: '23', data: { name: 'c', enabled: false }, expectedHash: null },
          { key: '1', data: { ...listed.get('1')?.data, name: 'changed' }, expectedHash: listed.get('1')?.hash ?? null },
          { key: '2', data: { name: 'stale' }, expectedHash: listed.get('3')?.hash ?? null },
          { key: '24', data: { name: null }, expectedHash: null },
        ]
        const res = await records.write(AGENTS, writes)
        expect(res.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'ok', 'ok', 'ok', 'stale', 'refused'])
        const now = await rows()
        for (const r of res) if (r.ok) expect(r.hash).toBe(now.get(r.key)?.hash)
        expect(now.get('1')?.data.name).toBe('changed')
        expect(now.get('22')?.data.score).toBe(1e21)
        const del = await records.delete(AGENTS, [
          { key: '21', expectedHash: now.get('21')?.hash as string },
          { key: '22', expectedHash: now.get('23')?.hash as string },
          { key: '23', expectedHash: now.get('23')?.hash as string },
        ])
        expect(del.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'stale', 'ok'])
        expect([...(await rows()).keys()].sort()).toEqual(['1', '2', '22', '3'])
      })

      it('refuses a table the server has not with a clear error, and a reader token with remote-refused', async () => {
        await expect(records.list({ name: 'nosuch', key: 'id' })).rejects.toThrow(/no table "nosuch"/)
        const reader = new ServerRemote('staging', srv.url, srv.tokens.reader, { retries: 0 })
        try {
          const rr = (await reader.openRecords()) as RemoteRecords
          expect((await rr.list(AGENTS)).size).toBe(3)
          await expect(rr.write(AGENTS, [{ key: '30', data: { name: 'x' }, expectedHash: null }])).rejects.toMatchObject({ code: 'remote-refused' })
        } finally {
          await reader.close()
        }
        const wrong = new ServerRemote('staging', srv.url, 'sdk_wrong', { retries: 0 })
        try {
          await expect(wrong.openRecords()).rejects.toMatchObject({ code: 'remote-refused' })
        } finally {
          await wrong.close()
        }
        expect((await rows()).has('30')).toBe(false)
      })
    })
  })
}

describe('an environment server started on an empty folder', () => {
  let srv: TestServer
  beforeEach(async () => {
    srv = await startTestServer()
  })
  afterEach(async () => {
    await srv.close()
  })

  it('has its embedded SQLite database with no tables: a missing table is not-found, and a push told to creates it', async () => {
    const dbFile = path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite')
    expect(fs.existsSync(dbFile)).toBe(true)
    const st = await rawRequest(srv.url, 'GET', '/v1/status', { token: srv.tokens.reader })
    expect((st.json as { database: unknown }).database).toEqual({ kind: 'sqlite' })
    const db = await rawRequest(srv.url, 'GET', '/v1/database', { token: srv.tokens.reader })
    expect(db.json).toEqual({ database: { kind: 'sqlite' } })
    const list = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records', { token: srv.tokens.reader })
    expect(list.status).toBe(404)
    expect(errorCode(list)).toBe('table-not-found')
    const put = await rawRequest(srv.url, 'PUT', '/v1/tables/agents/records/1', { token: srv.tokens.writer, headers: { 'content-type': 'application/json', 'if-none-match': '*' }, body: '{}' })
    expect(put.status).toBe(404)
    const remote = new ServerRemote('staging', srv.url, srv.tokens.writer)
    try {
      const records = await remote.openRecords()
      expect(records?.dialect).toBe('sqlite')
      await expect(records?.list(AGENTS)).rejects.toMatchObject({ code: 'not-found', details: { env: 'staging', table: 'agents', side: 'remote' } })

      // A project with the table and rows: status warns (no error), a push without a yes leaves the
      // table out, a push told to create it creates it and the rows arrive.
      const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-fresh-server-'))
      try {
        const { project } = await initProject(projectDir)
        const localFile = path.join(projectDir, 'app.sqlite')
        const local = new Database(localFile)
        local.exec(SQLITE_SCHEMA)
        local.close()
        project.config.database = { kind: 'sqlite', path: 'app.sqlite' }
        project.config.tables = [AGENTS]
        const status = await getStatus(project, remote, { scope: 'records' })
        expect(status.warnings).toContain('staging has no table agents; a push can create it from the local definition')
        expect(status.tables.create.map((c) => [c.table, c.side, c.records])).toEqual([['agents', 'remote', 3]])
        const without = await runDirection(project, remote, { direction: 'push', scope: 'records' })
        expect(without.result?.done).toEqual([])
        expect(without.plan.tables.create[0]?.statement).toMatch(/^CREATE TABLE "agents" \("id" BIGINT NOT NULL, "name" TEXT NOT NULL, /)
        expect(sqliteTables(dbFile)).toEqual([])
        const pushed = await runDirection(project, remote, { direction: 'push', scope: 'records', createTables: true })
        expect(pushed.createdTables?.created.map((c) => c.table)).toEqual(['agents'])
        expect(pushed.result?.problems).toEqual([])
        const raw = new Database(dbFile, { readonly: true })
        try {
          expect(raw.prepare('SELECT id, name, enabled FROM agents ORDER BY id').all()).toEqual([{ id: 1, name: 'alpha', enabled: 1 }, { id: 2, name: 'beta', enabled: 0 }, { id: 3, name: 'gamma', enabled: 1 }])
        } finally {
          raw.close()
        }
        expect((await getStatus(project, remote, { scope: 'records' })).status.in_sync.length).toBe(3)
      } finally {
        fs.rmSync(projectDir, { recursive: true, force: true })
      }
    } finally {
      await remote.close()
    }
  })

  it('reports an unreachable server as remote-unreachable', async () => {
    const url = srv.url
    await srv.app.close()
    const remote = new ServerRemote('staging', url, srv.tokens.reader, { retries: 0 })
    try {
      await expect(remote.openRecords()).rejects.toMatchObject({ code: 'remote-unreachable' })
    } finally {
      await remote.close()
    }
  })
})
