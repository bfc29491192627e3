/**
 * The host's preview of a run that can create a table (issue 10, part 3), as the dashboard asks
 * for it: `run:plan` carries `tables.create` with each statement, the preview is not empty for a
 * table alone, a protected environment asks for its name; the plan applied with `createTables`
 * creates the table (a folder environment gets its database with it) and carries the rows.
 *
 * Real parts: an AppHost over a fresh data folder and the real keychain, real SQLite files.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestArgs, RequestName, Responses } from '../src-shared/ipc.js'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { cleanupTemps, cli, ensureBuilt, tempDir } from './helpers.js'

beforeAll(ensureBuilt)
const made: AppHost[] = []
afterAll(async () => {
  for (const h of made) await h.dispose()
  cleanupTemps()
})

function makeHost(): { host: AppHost; call: <K extends RequestName>(k: K, a: RequestArgs<K>) => Promise<Responses[K]> } {
  const data = tempDir('syncdesk-tables-hostdata-')
  const host = new AppHost({ dataDir: data, demoDir: path.join(data, 'demo'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
  made.push(host)
  const call = async <K extends RequestName>(k: K, a: RequestArgs<K>): Promise<Responses[K]> => {
    const ans = await host.dispatch(k, a)
    if (!ans.ok) throw Object.assign(new Error(ans.error.message), { payload: ans.error })
    return ans.value as Responses[K]
  }
  return { host, call }
}

const STATEMENT = 'CREATE TABLE "agents" ("id" BIGINT NOT NULL, "name" TEXT NOT NULL, "score" DOUBLE PRECISION, PRIMARY KEY ("id"))'

/** A project whose SQLite database has agents with rows, and a folder environment with no database yet. */
async function project(opts: { protected?: boolean } = {}) {
  const root = tempDir('syncdesk-tables-host-')
  const dir = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  fs.mkdirSync(dir)
  const db = new Database(path.join(dir, 'app.sqlite'))
  db.exec("CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL); INSERT INTO agents VALUES (1, 'alpha', 0.5), (2, 'beta', 2)")
  db.close()
  const run = (...args: string[]) => cli(['--project-dir', dir, ...args])
  for (const args of [['init'], ['db', 'add', '--sqlite', 'app.sqlite'], ['db', 'tables', '--remove', 'skills'], ['db', 'tables', '--remove', 'contexts']]) {
    const r = run(...args)
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`)
  }
  const { host, call } = makeHost()
  const view = await call('projects:open', { dir })
  await call('environments:add', { projectId: view.id, name: 'staging', kind: 'folder', location: env, protected: opts.protected })
  return { host, call, projectId: view.id, envDb: path.join(env, '.syncdesk-server', 'database.sqlite') }
}

describe('run:plan with a table the environment lacks', () => {
  it('previews the table with its statement; applied with createTables, the table and its rows are there', async () => {
    const { host, call, projectId, envDb } = await project()
    const summary = await call('status:summary', { projectId, env: 'staging', refresh: true })
    expect(summary.warnings).toContain('staging has no table agents; a push can create it from the local definition')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push', scope: 'records' })
    expect(preview.tables).toEqual({ create: [{ table: 'agents', side: 'remote', statement: STATEMENT, records: 2, notes: [] }], refused: [], mismatches: [], confirmName: null })
    expect(preview.itemsTotal).toBe(0)
    expect(preview.empty).toBe(false)
    expect(fs.existsSync(envDb)).toBe(false)

    const report = await host.core.apply(preview.planId, { createTables: true })
    expect(report.createdTables?.created).toEqual([{ table: 'agents', side: 'remote', statement: STATEMENT }])
    const db = new Database(envDb, { readonly: true })
    try {
      expect(db.prepare('SELECT id, name, score FROM agents ORDER BY id').all()).toEqual([{ id: 1, name: 'alpha', score: 0.5 }, { id: 2, name: 'beta', score: 2 }])
    } finally {
      db.close()
    }
    const after = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    expect(after.tables?.create).toEqual([])
    expect(after.empty).toBe(true)
    await call('run:cancel', { planId: after.planId })
  })

  it('a plan applied without createTables leaves the table out; a protected environment needs its name to create it', async () => {
    const { host, call, projectId, envDb } = await project({ protected: true })
    const first = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    expect(first.tables?.confirmName).toBe('staging')
    expect(first.confirmName).toBeNull()
    const without = await host.core.apply(first.planId, {})
    expect(without.createdTables).toBeNull()
    expect(fs.existsSync(envDb)).toBe(false)

    const second = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    await expect(host.core.apply(second.planId, { createTables: true })).rejects.toMatchObject({ code: 'confirmation-needed' })
    expect(fs.existsSync(envDb)).toBe(false)
    // A wrong name keeps the plan: with the name typed, it goes.
    const report = await host.core.apply(second.planId, { createTables: true, confirmName: 'staging' })
    expect(report.createdTables?.created.map((c) => c.table)).toEqual(['agents'])
    expect(report.result?.done).toHaveLength(2)
  })
})
