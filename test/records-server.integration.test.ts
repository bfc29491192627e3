/**
 * Records sync through the built CLI against a real environment server (`syncdesk-server`
 * process) whose database is PostgreSQL, while the projects use SQLite.
 *
 * Covers the type round trip SQLite → server (PostgreSQL) → SQLite (identical rows and
 * hashes), classification and merges over HTTP, the server's kept prior rows, and two
 * operators pushing the same record at once (exactly one wins, no row lost).
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { REPO, cleanupTemps, cliAsync, ensureBuilt, put, tempDir } from './helpers.js'
import { categoriesOf, insert, makePostgres, makeProject, must, pgQuery, rawRows, recordData, records, sql, startServerProcess, statusJson, type CliProject, type Row, type ServerProcess } from './records-support.js'
import { createTestDatabase, postgresUnavailable } from './support/postgres.js'

beforeAll(() => ensureBuilt())

const servers: ServerProcess[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
  cleanupTemps()
})

const ENV = 'cloud'
const TOKEN_VAR = 'SYNCDESK_TOKEN_CLOUD'

/** A server over a fresh PostgreSQL database with the synced tables (quiet unless `requestLog`). */
async function server(opts: { requestLog?: boolean } = {}): Promise<{ srv: ServerProcess; pgUrl: string; dir: string }> {
  const pgUrl = await createTestDatabase()
  await makePostgres(pgUrl)
  const dir = path.join(tempDir('syncdesk-records-server-'), 'env')
  const srv = await startServerProcess(dir, ['--database-url', pgUrl], {}, opts)
  servers.push(srv)
  return { srv, pgUrl, dir }
}

/** A project on SQLite with the server as environment `cloud` (token from the environment). */
function project(srv: ServerProcess, name: string, agents: Row[] = []): CliProject {
  const p = makeProject(path.join(tempDir(`syncdesk-${name}-`), name), agents, { [TOKEN_VAR]: srv.token })
  must(p.run('env', 'add', ENV, '--url', srv.url), 'env add')
  return p
}

/** Values that must come back exactly: unicode, integers, reals, booleans, null, JSON, timestamps. */
const FIDELITY: Row[] = [
  { id: 1, name: 'Zoë 🚀 日本語 "quoted" \\ back\nline', config: '{"b":[1,2,{"z":null,"a":"é"}],"a":true,"n":-0.5}', enabled: 1, score: 0.1, big: 9007199254740993n, updated_at: '2024-02-29T12:34:56.789Z' },
  { id: 2, name: '', config: '[]', enabled: 0, score: -1.5e-7, big: -9223372036854775808n, updated_at: '1999-12-31T23:59:59.000Z' },
  { id: 3, name: null, config: null, enabled: null, score: null, big: null, updated_at: null },
  { id: 4, name: 'big real', config: '{"nested":{"deep":[[]],"s":"\\u0001x"}}', enabled: 1, score: 1e21, big: 0, updated_at: '2024-01-01T00:00:00.000Z' },
  { id: 2147483647, name: 'max int', config: '"just a string"', enabled: 1, score: 3, big: 9007199254740991, updated_at: '2038-01-19T03:14:07.000Z' },
  { id: -7, name: 'negative key', config: '123.25', enabled: 0, score: 12345678.875, big: 42, updated_at: '0001-01-01T00:00:00.000Z' },
]

describe.skipIf(postgresUnavailable() !== null)('records through an environment server on PostgreSQL (CLI)', () => {
  it('round-trips every type: project A (SQLite) → server (PostgreSQL) → project B (SQLite), identical rows and hashes', async () => {
    const { srv, pgUrl } = await server()
    const a = project(srv, 'a', FIDELITY)
    const push = a.run('push')
    expect(push.code, push.stderr + push.stdout).toBe(0)

    const aRecords = await records({ sqlite: a.db })
    const serverRecords = await records({ postgres: pgUrl })
    expect([...serverRecords.keys()]).toEqual([...aRecords.keys()])
    for (const [k, e] of aRecords) {
      expect(serverRecords.get(k)?.data, k).toEqual(e.data)
      expect(serverRecords.get(k)?.hash, k).toBe(e.hash)
    }
    // The PostgreSQL rows hold the real types.
    const pgRow = (await pgQuery(pgUrl, 'SELECT name, config, enabled, score, big::text AS big, updated_at FROM agents WHERE id = 1'))[0]
    expect(pgRow?.name).toBe(FIDELITY[0]?.name)
    expect(pgRow?.config).toEqual({ b: [1, 2, { z: null, a: 'é' }], a: true, n: -0.5 })
    expect(pgRow?.enabled).toBe(true)
    expect(pgRow?.score).toBe(0.1)
    expect(pgRow?.big).toBe('9007199254740993')
    expect((pgRow?.updated_at as Date).toISOString()).toBe('2024-02-29T12:34:56.789Z')

    // Project B: empty tables, cloned from the server.
    const b = project(srv, 'b')
    const clone = b.run('clone', '--env', ENV)
    expect(clone.code, clone.stderr + clone.stdout).toBe(0)
    const bRecords = await records({ sqlite: b.db })
    expect([...bRecords].map(([k, e]) => [k, e.hash, e.data])).toEqual([...aRecords].map(([k, e]) => [k, e.hash, e.data]))
    // Raw SQLite rows: the same values (JSON compared parsed: B stores canonical JSON text).
    const norm = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, config: r.config === null ? null : JSON.parse(r.config as string) }))
    expect(norm(rawRows(b.db))).toEqual(norm(rawRows(a.db)))
    expect(statusJson(b).in_sync.length).toBe(FIDELITY.length)
    expect(statusJson(a).in_sync.length).toBe(FIDELITY.length)

    // A change made in B reaches A by pull, byte for byte.
    sql(b.db, "UPDATE agents SET name = 'ünïcödé ✓', score = 2.5 WHERE id = 3")
    must(b.run('push'), 'push from b')
    expect(categoriesOf(statusJson(a))['3']).toBe('remote_to_local')
    must(a.run('pull'), 'pull into a')
    expect((await records({ sqlite: a.db })).get('3')).toEqual((await records({ sqlite: b.db })).get('3'))
  })

  it('classifies and merges over HTTP; the server keeps the rows it replaced', async () => {
    const { srv, pgUrl } = await server()
    const rows: Row[] = [1, 2, 3, 4].map((id) => ({ id, name: `n${id}`, enabled: 1, score: id }))
    const a = project(srv, 'a', rows)
    must(a.run('push'), 'first push')
    await pgQuery(pgUrl, "UPDATE agents SET score = 100 WHERE id = 1; UPDATE agents SET name = 'cloud' WHERE id = 2; DELETE FROM agents WHERE id = 4; INSERT INTO agents (id, name) VALUES (5, 'cloud new')")
    sql(a.db, "UPDATE agents SET name = 'local' WHERE id = 1; UPDATE agents SET name = 'local2' WHERE id = 2; UPDATE agents SET enabled = 0 WHERE id = 3")
    insert(a.db, 'agents', [{ id: 6, name: 'local new' }])
    const st = statusJson(a, '--scope', 'records')
    expect(categoriesOf(st)).toEqual({ '1': 'conflicts', '2': 'conflicts', '3': 'local_to_remote', '4': 'remote_to_local', '5': 'remote_to_local', '6': 'local_to_remote' })
    expect(st.conflicts.find((e) => e.key === '1')?.mergeable).toBe(true)
    expect(st.conflicts.find((e) => e.key === '2')?.fields).toEqual(['name'])
    expect(Object.values(statusJson(a, '--scope', 'files')).flat()).toEqual([])

    const sync = a.run('sync', '--resolve', 'merge')
    expect(sync.code).toBe(3) // record 2 stays a conflict
    const local = await recordData({ sqlite: a.db })
    const remote = await recordData({ postgres: pgUrl })
    expect(local['1']).toMatchObject({ name: 'local', score: 100 })
    expect(remote['1']).toEqual(local['1'])
    expect(remote['3']).toEqual(local['3'])
    expect(remote['6']).toEqual(local['6'])
    expect(local['5']).toEqual(remote['5'])
    expect(local['4']).toBeUndefined()
    expect(local['2']?.name).toBe('local2')
    expect(remote['2']?.name).toBe('cloud')

    // The server kept the rows it replaced (record 1 before the merge, record 3 before the push).
    const res = await fetch(`${srv.url}/v1/tables/agents/versions`, { headers: { authorization: `Bearer ${srv.token}` } })
    const versions = (await res.json()) as { versions: { key: string; data: Record<string, unknown>; op: string }[] }
    const v1 = versions.versions.find((v) => v.key === '1')
    expect(v1?.data).toMatchObject({ name: 'n1', score: 100 })
    expect(versions.versions.find((v) => v.key === '3')?.data).toMatchObject({ enabled: true })
  })

  it('pushes 6,000 records in three write requests (2,500 each), and pulls them back into another project', async () => {
    const { srv, pgUrl } = await server({ requestLog: true })
    const rows: Row[] = Array.from({ length: 6000 }, (_, i) => ({ id: i + 1, name: `agent ${i + 1}`, config: `{"n":${i}}`, enabled: i % 2, score: i / 8 }))
    const a = project(srv, 'a', rows)
    must(a.run('push', '--scope', 'records'), 'push')
    // 2,500 records per request: three requests, not one per part of the plan. (The CLI ran
    // synchronously: the server's log is read once this process's events have caught up.)
    const writes = () => srv.stderr().split('\n').filter((l) => / POST \/v1\/tables\/agents\/records\/write 200 /.test(l)).length
    await expect.poll(writes).toBeGreaterThanOrEqual(3)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(writes()).toBe(3)
    const count = await pgQuery(pgUrl, 'SELECT count(*)::int AS n, sum(id)::int AS s FROM agents')
    expect(count[0]).toEqual({ n: 6000, s: (6000 * 6001) / 2 })
    const after = statusJson(a, '--scope', 'records')
    expect([after.local_to_remote.length, after.remote_to_local.length, after.conflicts.length, after.in_sync.length]).toEqual([0, 0, 0, 6000])

    const b = project(srv, 'b')
    must(b.run('pull', '--scope', 'records'), 'pull')
    const pulled = await recordData({ sqlite: b.db })
    expect(Object.keys(pulled)).toHaveLength(6000)
    expect(pulled['4321']).toEqual((await recordData({ sqlite: a.db }))['4321'])
  })

  it('two operators push the same record at once: exactly one wins, the other then sees a conflict, no row lost', async () => {
    const { srv, pgUrl } = await server()
    const a = project(srv, 'a', [1, 2].map((id) => ({ id, name: `n${id}` })))
    must(a.run('push'), 'first push')
    const b = project(srv, 'b')
    must(b.run('clone', '--env', ENV), 'clone b')
    sql(a.db, "UPDATE agents SET name = 'from A' WHERE id = 1")
    sql(b.db, "UPDATE agents SET name = 'from B' WHERE id = 1")
    const env = { [TOKEN_VAR]: srv.token }
    const [ra, rb] = await Promise.all([
      cliAsync(['--project-dir', a.dir, 'push', '--format', 'json'], { env }),
      cliAsync(['--project-dir', b.dir, 'push', '--format', 'json'], { env }),
    ])
    const codes = [ra.code, rb.code].sort()
    expect(codes, ra.stderr + rb.stderr).toEqual([0, 3])
    const [winner, loser] = ra.code === 0 ? [a, b] : [b, a]
    const winnerName = winner === a ? 'from A' : 'from B'
    const loserName = winner === a ? 'from B' : 'from A'
    const remote = await recordData({ postgres: pgUrl })
    expect(remote['1']?.name).toBe(winnerName)
    expect((await recordData({ sqlite: winner.db }))['1']?.name).toBe(winnerName)
    expect((await recordData({ sqlite: loser.db }))['1']?.name).toBe(loserName)
    const st = statusJson(loser)
    expect(categoriesOf(st)).toEqual({ '1': 'conflicts', '2': 'in_sync' })
    expect(st.conflicts[0]?.fields).toEqual(['name'])
    expect(categoriesOf(statusJson(winner))).toEqual({ '1': 'in_sync', '2': 'in_sync' })
  })

  it('refuses a push with a read-only token (exit 1) and leaves the rows', async () => {
    const { srv, pgUrl, dir } = await server()
    const a = project(srv, 'a', [{ id: 1, name: 'x' }])
    const bin = path.join(REPO, 'bin', 'syncdesk-server.cjs')
    const reader = spawnSync(process.execPath, [bin, 'token', 'create', 'reader', '--scopes', 'read', '--project-dir', dir], { encoding: 'utf8' }).stdout.trim()
    const r = a.run('push') // uses the read,write token
    expect(r.code).toBe(0)
    sql(a.db, "UPDATE agents SET name = 'y' WHERE id = 1")
    const refused = await cliAsync(['--project-dir', a.dir, 'push'], { env: { [TOKEN_VAR]: reader } })
    expect(refused.code).toBe(1)
    expect(refused.stdout + refused.stderr).toMatch(/lacks the "write" scope/)
    expect((await recordData({ postgres: pgUrl }))['1']?.name).toBe('x')
  })
})

describe('a server started on an empty folder (no --database-url)', () => {
  it('has its embedded SQLite database; status warns of the missing tables, files still sync, and a push told to creates the table', async () => {
    const dir = path.join(tempDir('syncdesk-records-server-'), 'env')
    const srv = await startServerProcess(dir)
    servers.push(srv)
    const dbFile = path.join(dir, '.syncdesk-server', 'database.sqlite')
    expect(fs.existsSync(dbFile)).toBe(true)
    const db = await fetch(`${srv.url}/v1/database`, { headers: { authorization: `Bearer ${srv.token}` } })
    expect(await db.json()).toEqual({ database: { kind: 'sqlite' } })

    const a = project(srv, 'a', [{ id: 1, name: 'x' }])
    put(a.dir, 'notes.md', 'a file\n')
    const st = a.run('status', '--format', 'json')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stderr).toMatch(/Warning: cloud has no table agents; a push can create it from the local definition/)
    // Files are compared as before; the tables the environment lacks are left out.
    expect(JSON.parse(st.stdout).local_to_remote).toEqual([expect.objectContaining({ kind: 'file', path: 'notes.md' })])
    const rec = a.run('status', '--format', 'json', '--scope', 'records')
    expect(rec.code, rec.stderr).toBe(0)
    expect(rec.stderr).toMatch(/cloud has no table skills; a push can create it/)

    const push = a.run('push', '--yes', '--create-tables')
    expect(push.code, push.stderr + push.stdout).toBe(0)
    expect(push.stdout).toMatch(/Created table agents in cloud: CREATE TABLE "agents"/)
    expect(rawRows(dbFile)).toEqual([{ id: 1n, name: 'x', config: null, enabled: null, score: null, big: null, updated_at: null }])
    expect(fs.readFileSync(path.join(dir, 'notes.md'), 'utf8')).toBe('a file\n')
    expect(categoriesOf(statusJson(a))).toEqual({ '1': 'in_sync' })
  })
})
