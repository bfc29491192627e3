/**
 * A new environment that just works (issue 10, part 3): a server started on an empty folder has
 * its embedded database, the tables a push needs are created from the local definitions (SQLite
 * → PostgreSQL and back, types mapped), the records then arrive as rows; a pull creates missing
 * local tables the same way; columns that differ are named; hostile names are refused over HTTP.
 *
 * Real parts only: a real server on 127.0.0.1, real SQLite files, the test PostgreSQL server.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openRecordStore } from '../src-main/engine/records/open-record-store.js'
import type { RecordStore, TableSpec } from '../src-main/engine/records/record-store.js'
import { createMissingTables, createTableStatement, planMissingTables, sqliteTypeToPortable, portableKind } from '../src-main/engine/records/table-definitions.js'
import { sqliteKind } from '../src-main/engine/records/sqlite-store.js'
import { pgKind } from '../src-main/engine/records/postgres-store.js'
import { initProject } from '../src-main/engine/project.js'
import { runDirection } from '../src-main/engine/sync-engine.js'
import { FolderRemote } from '../src-main/remotes/folder-remote.js'
import { ServerRemote } from '../src-main/remotes/server-remote.js'
import { SERVER_DATA_DIR } from '../src-server/environment.js'
import { rawRequest, startTestServer, type TestServer } from '../src-server/testing.js'
import { cleanupTemps, tempDir } from './helpers.js'
import { createTestDatabase, postgresUnavailable } from './support/postgres.js'
import { startServerProcess } from './support/server-process.js'

const pgMissing = postgresUnavailable()
const servers: TestServer[] = []
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close()
  cleanupTemps()
})

async function server(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(opts)
  servers.push(s)
  return s
}

const AGENTS: TableSpec = { name: 'agents', key: 'id' }

/** Every supported column type, as a SQLite user declares them. */
const SQLITE_AGENTS = `CREATE TABLE agents (
  id INTEGER PRIMARY KEY, slug VARCHAR(40) NOT NULL UNIQUE, name TEXT NOT NULL, code CHAR(3), uid UUID,
  small SMALLINT, count INT, big BIGINT, score REAL, ratio DOUBLE, price NUMERIC(10,2), enabled BOOLEAN,
  config JSON, meta JSONB, created_at TIMESTAMP, updated_at TIMESTAMPTZ, day DATE, seen DATETIME)`

const ROWS = [
  {
    id: 1, slug: 'alpha', name: 'Zoë 🚀 "quotes"', code: 'abc', uid: '0f8fad5b-d9cb-469f-a165-70867728950e', small: -3, count: 2147483647,
    big: '9223372036854775807', score: 1.5, ratio: 0.1, price: 12.5, enabled: true, config: { b: 1, a: [1, 2] }, meta: { k: 'v' },
    created_at: '2024-01-02T03:04:05.000Z', updated_at: '2024-01-02T03:04:05.123Z', day: '2024-01-02', seen: '1999-12-31T23:59:59.999Z',
  },
  { id: 2, slug: 'beta', name: 'nulls', code: null, uid: null, small: null, count: null, big: null, score: null, ratio: null, price: null, enabled: false, config: null, meta: null, created_at: null, updated_at: null, day: null, seen: null },
  { id: 3, slug: 'gamma', name: 'json kinds', config: [1, 'two', null], meta: 'text', score: -0.25, big: 42 },
]

function sqliteFile(sqlText?: string): string {
  const file = path.join(tempDir('syncdesk-tables-'), 'local.sqlite')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  if (sqlText) db.exec(sqlText)
  db.close()
  return file
}

function pragmaColumns(file: string, table: string): Record<string, { type: string; notnull: number; pk: number }> {
  const db = new Database(file, { readonly: true })
  try {
    const out: Record<string, { type: string; notnull: number; pk: number }> = {}
    for (const r of db.pragma(`table_info("${table}")`) as { name: string; type: string; notnull: number; pk: number }[]) out[r.name] = { type: r.type, notnull: r.notnull, pk: r.pk }
    return out
  } finally {
    db.close()
  }
}

async function pgColumns(url: string, table: string): Promise<Record<string, { type: string; nullable: string }>> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const res = await c.query<{ column_name: string; data_type: string; is_nullable: string; character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null }>(
      "SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    )
    const out: Record<string, { type: string; nullable: string }> = {}
    for (const r of res.rows) {
      const size = r.character_maximum_length ? `(${r.character_maximum_length})` : r.data_type === 'numeric' && r.numeric_precision ? `(${r.numeric_precision},${r.numeric_scale})` : ''
      out[r.column_name] = { type: r.data_type + size, nullable: r.is_nullable }
    }
    return out
  } finally {
    await c.end()
  }
}

async function pgExec(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(text)
  } finally {
    await c.end()
  }
}

/** The records of a table through a fresh store (canonical data by key). */
async function dataOf(spec: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }, table = AGENTS): Promise<Record<string, unknown>> {
  const store = await openRecordStore(spec)
  try {
    return Object.fromEntries([...(await store.list(table))].map(([k, e]) => [k, e.data]))
  } finally {
    await store.close()
  }
}

async function localWithRows(): Promise<{ file: string; store: RecordStore }> {
  const file = sqliteFile(SQLITE_AGENTS)
  const store = await openRecordStore({ kind: 'sqlite', path: file })
  await store.write(AGENTS, ROWS.map((data) => ({ key: String(data.id), data, expectedHash: null })))
  return { file, store }
}

describe('type mapping', () => {
  it('gives every SQLite declared type a portable type that reads back as the same kind on both databases', () => {
    const declared = ['INTEGER', 'INT', 'BIGINT', 'SMALLINT', 'TINYINT', 'INT8', 'MEDIUMINT', 'TEXT', 'VARCHAR(40)', 'NVARCHAR(10)', 'CHARACTER(20)', 'CLOB', 'UUID', 'TIME',
      'REAL', 'FLOAT', 'DOUBLE', 'DOUBLE PRECISION', 'NUMERIC', 'NUMERIC(10,2)', 'DECIMAL(5)', 'MONEY', 'BOOLEAN', 'JSON', 'JSONB', 'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP WITH TIME ZONE', 'DATETIME', 'DATE']
    for (const d of declared) {
      const m = sqliteTypeToPortable(d)
      expect('type' in m, d).toBe(true)
      const type = (m as { type: string }).type
      expect(portableKind(type), d).toBe(sqliteKind(d))
      const onSqlite = createTableStatement({ name: 't', columns: [{ name: 'c', type, declared: d, notNull: false }], primaryKey: ['c'], unique: [] }, 'sqlite')
      const sqliteDeclared = /"c" (.+?) NOT NULL/.exec(onSqlite)?.[1] as string
      expect(sqliteKind(sqliteDeclared), `${d} → ${sqliteDeclared}`).toBe(sqliteKind(d))
    }
    for (const bad of ['', 'BLOB', 'VARBINARY(10)']) expect('problem' in sqliteTypeToPortable(bad), bad).toBe(true)
    // PostgreSQL names are checked against the real server in the tests below.
    expect(pgKind('int8', 'b', 'N')).toBe('integer')
  })
})

describe('a server started on an empty folder, no --database-url', () => {
  it('creates .syncdesk-server/database.sqlite; a push makes the table from the local definition and the records arrive as rows', async () => {
    const srv = await server()
    const dbFile = path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite')
    expect(fs.existsSync(dbFile)).toBe(true)
    const db = await rawRequest(srv.url, 'GET', '/v1/database', { token: srv.tokens.reader })
    expect(db.json).toEqual({ database: { kind: 'sqlite' } })

    const projectDir = tempDir('syncdesk-tables-project-')
    const { project } = await initProject(projectDir)
    const local = await localWithRows()
    project.config.database = { kind: 'sqlite', path: local.file }
    project.config.tables = [AGENTS]
    const remote = new ServerRemote('staging', srv.url, srv.tokens.writer)
    try {
      const plan = await planMissingTables(local.store, remote, [AGENTS])
      expect(plan.refused).toEqual([])
      expect(plan.mismatches).toEqual([])
      expect(plan.create.map((c) => [c.table, c.side])).toEqual([['agents', 'remote']])
      expect(plan.create[0]?.statement).toMatch(/^CREATE TABLE "agents" \("id" BIGINT NOT NULL, "slug" VARCHAR\(40\) NOT NULL, "name" TEXT NOT NULL, /)
      expect(plan.create[0]?.statement).toMatch(/PRIMARY KEY \("id"\), UNIQUE \("slug"\)\)$/)
      // Planning changes nothing.
      expect(pragmaColumns(dbFile, 'agents')).toEqual({})

      const made = await createMissingTables(local.store, remote, plan)
      expect(made.failed).toEqual([])
      expect(made.created).toEqual([{ table: 'agents', side: 'remote', statement: plan.create[0]?.statement }])
      const cols = pragmaColumns(dbFile, 'agents')
      expect(Object.keys(cols)).toEqual(['id', 'slug', 'name', 'code', 'uid', 'small', 'count', 'big', 'score', 'ratio', 'price', 'enabled', 'config', 'meta', 'created_at', 'updated_at', 'day', 'seen'])
      expect(cols.id).toEqual({ type: 'BIGINT', notnull: 1, pk: 1 })
      expect(cols.ratio?.type).toBe('DOUBLE PRECISION')
      expect(cols.name?.notnull).toBe(1)

      // A second plan finds nothing to do; a second create of the same plan leaves the table alone.
      expect(await planMissingTables(local.store, remote, [AGENTS])).toEqual({ create: [], refused: [], mismatches: [] })
      expect((await createMissingTables(local.store, remote, plan)).existed).toEqual([{ table: 'agents', side: 'remote' }])

      await local.store.close()
      const report = await runDirection(project, remote, { direction: 'push', scope: 'records' })
      expect(report.result?.problems).toEqual([])
      expect(await dataOf({ kind: 'sqlite', path: dbFile })).toEqual(await dataOf({ kind: 'sqlite', path: local.file }))
      const raw = new Database(dbFile, { readonly: true })
      try {
        expect(raw.prepare('SELECT count(*) AS n FROM agents').get()).toEqual({ n: 3 })
        expect(raw.prepare('SELECT name, big, enabled FROM agents WHERE id = 1').safeIntegers(true).get()).toEqual({ name: 'Zoë 🚀 "quotes"', big: 9223372036854775807n, enabled: 1n })
      } finally {
        raw.close()
      }
    } finally {
      await remote.close()
    }
  })
})

describe('syncdesk-server on an empty folder (the real binary)', () => {
  it('creates its embedded database at start and says so', async () => {
    const dir = path.join(tempDir('syncdesk-tables-bin-'), 'env')
    fs.mkdirSync(dir)
    const proc = await startServerProcess(dir)
    try {
      expect(fs.existsSync(path.join(dir, SERVER_DATA_DIR, 'database.sqlite'))).toBe(true)
      await expect.poll(() => proc.stderr()).toMatch(/database: SQLite .*\.syncdesk-server\/database\.sqlite/)
    } finally {
      await proc.stop()
    }
  })
})

describe('a folder environment without a database', () => {
  it('gets one with the table when the plan creates it', async () => {
    const folder = tempDir('syncdesk-tables-folder-')
    const local = await localWithRows()
    const remote = new FolderRemote('shared', folder)
    try {
      expect(await remote.openRecords()).toBeNull()
      const plan = await planMissingTables(local.store, remote, [AGENTS])
      expect(plan.create.map((c) => c.side)).toEqual(['remote'])
      const made = await createMissingTables(local.store, remote, plan)
      expect(made.created.length).toBe(1)
      const file = path.join(folder, SERVER_DATA_DIR, 'database.sqlite')
      expect(Object.keys(pragmaColumns(file, 'agents'))).toContain('meta')
      expect(await remote.openRecords()).not.toBeNull()
    } finally {
      await remote.close()
      await local.store.close()
    }
  })
})

describe.skipIf(pgMissing !== null)('SQLite ↔ PostgreSQL', () => {
  it('a server started with --database-url creates no SQLite file, and gets the table in PostgreSQL types (information_schema)', async () => {
    const url = await createTestDatabase()
    const srv = await server({ databaseUrl: url })
    expect(fs.existsSync(path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite'))).toBe(false)
    const local = await localWithRows()
    const remote = new ServerRemote('staging', srv.url, srv.tokens.writer)
    try {
      const plan = await planMissingTables(local.store, remote, [AGENTS])
      expect(plan.create[0]?.statement).toMatch(/^CREATE TABLE "agents" \("id" bigint NOT NULL, "slug" varchar\(40\) NOT NULL, "name" text NOT NULL, "code" varchar\(3\), "uid" uuid, /)
      const made = await createMissingTables(local.store, remote, plan)
      expect(made.created.length).toBe(1)
      expect(await pgColumns(url, 'agents')).toEqual({
        id: { type: 'bigint', nullable: 'NO' },
        slug: { type: 'character varying(40)', nullable: 'NO' },
        name: { type: 'text', nullable: 'NO' },
        code: { type: 'character varying(3)', nullable: 'YES' },
        uid: { type: 'uuid', nullable: 'YES' },
        small: { type: 'smallint', nullable: 'YES' },
        count: { type: 'integer', nullable: 'YES' },
        big: { type: 'bigint', nullable: 'YES' },
        score: { type: 'double precision', nullable: 'YES' },
        ratio: { type: 'double precision', nullable: 'YES' },
        price: { type: 'numeric(10,2)', nullable: 'YES' },
        enabled: { type: 'boolean', nullable: 'YES' },
        config: { type: 'json', nullable: 'YES' },
        meta: { type: 'jsonb', nullable: 'YES' },
        created_at: { type: 'timestamp without time zone', nullable: 'YES' },
        updated_at: { type: 'timestamp with time zone', nullable: 'YES' },
        day: { type: 'date', nullable: 'YES' },
        seen: { type: 'timestamp without time zone', nullable: 'YES' },
      })
      // Rows written to the new table read back identical to the local ones (hashes and all).
      const records = await remote.openRecords()
      const localRows = await local.store.list(AGENTS)
      const res = await records?.write(AGENTS, [...localRows.values()].map((e) => ({ key: e.key, data: e.data, expectedHash: null })))
      expect(res?.every((r) => r.ok)).toBe(true)
      const remoteRows = await records?.list(AGENTS)
      expect([...(remoteRows?.values() ?? [])].map((e) => e.hash)).toEqual([...localRows.values()].map((e) => e.hash))
    } finally {
      await remote.close()
      await local.store.close()
    }
  })

  it('a pull creates the missing local SQLite table from the PostgreSQL one (PRAGMA table_info)', async () => {
    const url = await createTestDatabase()
    await pgExec(url, `CREATE TYPE mood AS ENUM ('calm', 'busy');
      CREATE TABLE agents (id integer PRIMARY KEY, name text NOT NULL, note varchar(200), code char(2), small smallint, big bigint,
        score real, ratio double precision, price numeric(8,3), enabled boolean, config json, meta jsonb, created_at timestamp,
        updated_at timestamptz DEFAULT now(), day date, mood mood, uid uuid);
      INSERT INTO agents (id, name, code, mood, price) VALUES (1, 'from pg', 'ab', 'calm', 1.5)`)
    const srv = await server({ databaseUrl: url })
    const file = sqliteFile()
    const local = await openRecordStore({ kind: 'sqlite', path: file })
    const remote = new ServerRemote('staging', srv.url, srv.tokens.reader)
    try {
      const plan = await planMissingTables(local, remote, [AGENTS])
      expect(plan.create.map((c) => [c.table, c.side])).toEqual([['agents', 'local']])
      expect(plan.create[0]?.definition.notes.join('\n')).toMatch(/default of column "updated_at"/)
      expect(plan.create[0]?.definition.notes.join('\n')).toMatch(/"mood" is an enum/)
      const made = await createMissingTables(local, remote, plan)
      expect(made.created.map((c) => c.side)).toEqual(['local'])
      const cols = pragmaColumns(file, 'agents')
      expect(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.type]))).toEqual({
        id: 'INTEGER', name: 'TEXT', note: 'VARCHAR(200)', code: 'CHAR(2)', small: 'SMALLINT', big: 'BIGINT', score: 'REAL', ratio: 'DOUBLE PRECISION',
        price: 'NUMERIC(8,3)', enabled: 'BOOLEAN', config: 'JSON', meta: 'JSONB', created_at: 'TIMESTAMP', updated_at: 'TIMESTAMPTZ', day: 'DATE', mood: 'TEXT', uid: 'UUID',
      })
      expect(cols.id?.pk).toBe(1)
      expect(cols.name?.notnull).toBe(1)
      // The new table takes the environment's rows as they are.
      const rows = await (await remote.openRecords())?.list(AGENTS)
      const res = await local.write(AGENTS, [...(rows?.values() ?? [])].map((e) => ({ key: e.key, data: e.data, expectedHash: null })))
      expect(res.every((r) => r.ok)).toBe(true)
      expect([...(await local.list(AGENTS)).values()].map((e) => e.hash)).toEqual([...(rows?.values() ?? [])].map((e) => e.hash))
    } finally {
      await remote.close()
      await local.close()
    }
  })

  it('PostgreSQL → SQLite the other way round: a local PostgreSQL table is created on a SQLite server', async () => {
    const url = await createTestDatabase()
    await pgExec(url, 'CREATE TABLE skills (slug text PRIMARY KEY, title varchar(80) NOT NULL, weight numeric, data jsonb)')
    const srv = await server()
    const local = await openRecordStore({ kind: 'postgres', url })
    const remote = new ServerRemote('staging', srv.url, srv.tokens.writer)
    try {
      const plan = await planMissingTables(local, remote, [{ name: 'skills', key: 'slug' }])
      expect(plan.create[0]?.statement).toBe('CREATE TABLE "skills" ("slug" TEXT NOT NULL, "title" VARCHAR(80) NOT NULL, "weight" NUMERIC, "data" JSONB, PRIMARY KEY ("slug"))')
      await createMissingTables(local, remote, plan)
      const cols = pragmaColumns(path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite'), 'skills')
      expect(cols).toEqual({ slug: { type: 'TEXT', notnull: 1, pk: 1 }, title: { type: 'VARCHAR(80)', notnull: 1, pk: 0 }, weight: { type: 'NUMERIC', notnull: 0, pk: 0 }, data: { type: 'JSONB', notnull: 0, pk: 0 } })
    } finally {
      await remote.close()
      await local.close()
    }
  })

  it('reports the columns that differ between the two sides by name, and creates nothing', async () => {
    const url = await createTestDatabase()
    await pgExec(url, 'CREATE TABLE agents (id bigint PRIMARY KEY, name text, score integer, extra text)')
    const srv = await server({ databaseUrl: url })
    const file = sqliteFile('CREATE TABLE agents (id INTEGER PRIMARY KEY, name VARCHAR(10), score REAL, mine TEXT)')
    const local = await openRecordStore({ kind: 'sqlite', path: file })
    const remote = new ServerRemote('staging', srv.url, srv.tokens.reader)
    try {
      const plan = await planMissingTables(local, remote, [AGENTS])
      expect(plan.create).toEqual([])
      expect(plan.mismatches).toEqual([
        {
          table: 'agents',
          columns: [
            { name: 'score', local: 'REAL', remote: 'integer', problem: 'REAL locally, integer in the environment' },
            { name: 'mine', local: 'TEXT', remote: null, problem: 'only in the local table' },
            { name: 'extra', local: null, remote: 'text', problem: "only in the environment's table" },
          ],
        },
      ])
    } finally {
      await remote.close()
      await local.close()
    }
  })
})

describe('tables that cannot be created', () => {
  it('are refused with the columns named: no declared type, binary, a key that is not unique', async () => {
    const srv = await server()
    const file = sqliteFile(`CREATE TABLE agents (id INTEGER PRIMARY KEY, anything, payload BLOB);
      CREATE TABLE skills (id INTEGER, name TEXT)`)
    const local = await openRecordStore({ kind: 'sqlite', path: file })
    const remote = new ServerRemote('staging', srv.url, srv.tokens.writer)
    try {
      const plan = await planMissingTables(local, remote, [AGENTS, { name: 'skills', key: 'id' }, { name: 'contexts', key: 'id' }])
      expect(plan.create).toEqual([])
      expect(plan.refused).toEqual([
        { table: 'agents', side: 'remote', reason: expect.stringMatching(/column "anything": it has no declared type.*; column "payload": it is binary/) },
        { table: 'skills', side: 'remote', reason: 'its key column "id" is neither the primary key nor a unique column' },
        { table: 'contexts', side: 'remote', reason: expect.stringMatching(/neither the local database nor staging's has table "contexts"/) },
      ])
    } finally {
      await remote.close()
      await local.close()
    }
    expect(pragmaColumns(path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite'), 'agents')).toEqual({})
  })
})

describe('POST /v1/tables over HTTP', () => {
  const good = { name: 'agents', columns: [{ name: 'id', type: 'bigint', notNull: true }, { name: 'name', type: 'text' }], primaryKey: ['id'] }
  const post = (srv: TestServer, body: unknown, token = srv.tokens.writer) =>
    rawRequest(srv.url, 'POST', '/v1/tables', { token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const code = (a: { json: unknown }) => (a.json as { error?: { code?: string } }).error?.code

  it('creates with the write scope, refuses hostile names and types, and never replaces a table', async () => {
    const srv = await server()
    const dbFile = path.join(srv.projectDir, SERVER_DATA_DIR, 'database.sqlite')
    const tables = () => {
      const db = new Database(dbFile, { readonly: true })
      try {
        return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
      } finally {
        db.close()
      }
    }
    expect((await rawRequest(srv.url, 'POST', '/v1/tables', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) })).status).toBe(401)
    const reader = await post(srv, good, srv.tokens.reader)
    expect(reader.status).toBe(403)
    const hostile: [unknown, number, string][] = [
      [{ ...good, name: 'agents"; DROP TABLE x; --' }, 400, 'bad-table-name'],
      [{ ...good, name: 'sqlite_x y' }, 400, 'bad-table-name'],
      [{ ...good, columns: [{ name: 'id", "x', type: 'bigint' }] }, 400, 'bad-column-name'],
      [{ ...good, columns: [{ name: 'id', type: 'text); DROP TABLE agents; --' }] }, 400, 'bad-column-type'],
      [{ ...good, columns: [{ name: 'id', type: 'bytea' }] }, 400, 'bad-column-type'],
      [{ ...good, columns: [{ name: 'id', type: 'varchar(0)' }] }, 400, 'bad-column-type'],
      [{ ...good, primaryKey: ['nope'] }, 400, 'bad-definition'],
      [{ ...good, primaryKey: [] }, 400, 'bad-definition'],
      [{ ...good, columns: [{ name: 'id', type: 'text' }, { name: 'id', type: 'text' }] }, 400, 'bad-definition'],
      [{ name: 'agents', columns: [] }, 400, 'invalid-request'],
    ]
    for (const [body, status, c] of hostile) {
      const a = await post(srv, body)
      expect([a.status, code(a)], JSON.stringify(body)).toEqual([status, c])
    }
    expect(tables()).toEqual([])

    const created = await post(srv, good)
    expect(created.status).toBe(201)
    expect(created.json).toEqual({ table: 'agents', created: true, statement: 'CREATE TABLE "agents" ("id" BIGINT NOT NULL, "name" TEXT, PRIMARY KEY ("id"))' })
    const again = await post(srv, { ...good, columns: [{ name: 'id', type: 'text' }], primaryKey: ['id'] })
    expect([again.status, code(again)]).toEqual([409, 'table-exists'])
    expect(pragmaColumns(dbFile, 'agents').id?.type).toBe('BIGINT')
    expect(tables()).toEqual(['agents'])

    const def = await rawRequest(srv.url, 'GET', '/v1/tables/agents/definition', { token: srv.tokens.reader })
    expect(def.status).toBe(200)
    expect((def.json as { definition: { columns: { name: string; type: string }[] } }).definition.columns.map((c) => [c.name, c.type])).toEqual([['id', 'bigint'], ['name', 'text']])
    const missing = await rawRequest(srv.url, 'GET', '/v1/tables/nothing/definition', { token: srv.tokens.reader })
    expect([missing.status, code(missing)]).toEqual([404, 'table-not-found'])
    const bad = await rawRequest(srv.url, 'GET', '/v1/tables/a%22b/definition', { token: srv.tokens.reader })
    expect([bad.status, code(bad)]).toEqual([400, 'bad-table-name'])
  })
})
