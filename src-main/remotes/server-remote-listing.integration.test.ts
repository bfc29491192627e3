/**
 * Record listings through a real environment server (embedded SQLite) with hashes only: the
 * records' data comes from the local listing where the hashes agree and is read from the
 * server for the rest, so the listing a status compares is the one a full listing would give.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SERVER_DATA_DIR } from '../../src-server/environment.js'
import { rawRequest, startTestServer, type TestServer } from '../../src-server/testing.js'
import { openSqliteStore } from '../engine/records/sqlite-store.js'
import type { RecordEntry, TableSpec } from '../engine/records/record-store.js'
import { ServerRemote } from './server-remote.js'

const AGENTS: TableSpec = { name: 'agents', key: 'id' }
const SCHEMA = 'CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, config JSON, score REAL)'

let srv: TestServer
let serverDb: string
const cleanup: (() => Promise<void> | void)[] = []

/** Fills a SQLite file with agents 1..n, `name` giving each one's name. */
function fill(file: string, n: number, name: (i: number) => string): void {
  const db = new Database(file)
  db.exec(SCHEMA)
  const insert = db.prepare('INSERT INTO agents VALUES (?, ?, ?, ?)')
  for (let i = 1; i <= n; i++) insert.run(i, name(i), JSON.stringify({ n: i, tools: ['x'] }), i / 8)
  db.close()
}

beforeEach(async () => {
  srv = await startTestServer({}, {
    beforeStart: (projectDir) => {
      serverDb = path.join(projectDir, SERVER_DATA_DIR, 'database.sqlite')
      fs.mkdirSync(path.dirname(serverDb), { recursive: true })
      fill(serverDb, 30, (i) => `agent ${i}`)
    },
  })
})
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
  await srv.close()
})

async function remoteRecords() {
  const r = new ServerRemote('staging', srv.url, srv.tokens.reader, { retryBaseMs: 20, retryBudgetMs: 2000 })
  cleanup.push(() => r.close())
  const records = await r.openRecords()
  if (!records) throw new Error('the test server has no database')
  return records
}

/** The server's records as a full listing (with data) gives them: key → {hash, data}. */
async function fullListing(): Promise<Record<string, { hash: string; data: unknown }>> {
  const ans = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records?keyColumn=id', { token: srv.tokens.reader })
  const body = JSON.parse(ans.body.toString()) as { records: RecordEntry[] }
  return Object.fromEntries(body.records.map((r) => [r.key, { hash: r.hash, data: r.data }]))
}

function plain(listing: Map<string, RecordEntry>): Record<string, { hash: string; data: unknown }> {
  return Object.fromEntries([...listing].map(([k, e]) => [k, { hash: e.hash, data: e.data }]))
}

async function lastPull(): Promise<unknown> {
  const ans = await rawRequest(srv.url, 'GET', '/v1/status', { token: srv.tokens.reader })
  return (JSON.parse(ans.body.toString()) as { lastPull: unknown }).lastPull
}

describe('record listings with hashes only', () => {
  it('answers ?fields=hashes with keys and hashes alone, in key order', async () => {
    const ans = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records?keyColumn=id&fields=hashes', { token: srv.tokens.reader })
    expect(ans.status).toBe(200)
    const body = JSON.parse(ans.body.toString()) as { fields: string; records: Record<string, unknown>[] }
    expect(body.fields).toBe('hashes')
    const full = await fullListing()
    expect(body.records).toEqual(Object.entries(full).map(([key, r]) => ({ key, hash: r.hash })))
    const bad = await rawRequest(srv.url, 'GET', '/v1/tables/agents/records?fields=everything', { token: srv.tokens.reader })
    expect(bad.status).toBe(400)
  })

  it('gives the full listing without any local listing, and records no pull', async () => {
    const records = await remoteRecords()
    const table: TableSpec = { name: 'agents', key: 'id' }
    expect(plain(await records.list(table))).toEqual(await fullListing())
    expect(await lastPull()).toBeNull()
  })

  it("takes the data of the records the local listing has with the same hash, and reads the others' from the server", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-listing-'))
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const localFile = path.join(dir, 'local.sqlite')
    // Locally: agents 3 and 5 renamed, 31 and 32 added; the server has 1..30.
    fill(localFile, 32, (i) => (i === 3 || i === 5 ? `mine ${i}` : `agent ${i}`))
    const local = openSqliteStore(localFile)
    cleanup.push(() => local.close())
    const records = await remoteRecords()
    // As a status does: both listings at once.
    const [mine, theirs] = await Promise.all([local.list(AGENTS), records.list(AGENTS)])
    expect(plain(theirs)).toEqual(await fullListing())
    expect(theirs.get('3')?.data.name).toBe('agent 3')
    expect(mine.get('3')?.data.name).toBe('mine 3')
    expect(theirs.get('4')?.hash).toBe(mine.get('4')?.hash)
    expect(theirs.has('31')).toBe(false)
    expect(await lastPull()).toBeNull()
  })

  it("sees a row another connection changed in the server's database since the server's last listing", async () => {
    const records = await remoteRecords()
    expect((await records.list(AGENTS)).get('2')?.data.name).toBe('agent 2')
    const db = new Database(serverDb)
    cleanup.push(() => void db.close())
    db.prepare("UPDATE agents SET name = 'moved on' WHERE id = 2").run()
    const listed = await records.list(AGENTS)
    expect(listed.get('2')?.data.name).toBe('moved on')
    expect(plain(listed)).toEqual(await fullListing())
  })
})
