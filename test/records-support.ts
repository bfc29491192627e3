/**
 * Helpers of the records sync tests: SQLite and PostgreSQL databases with the synced tables
 * (agents, skills, contexts), projects wired through the built CLI, and a real environment
 * server process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openRecordStore } from '../src-main/engine/records/open-record-store.js'
import type { RecordEntry } from '../src-main/engine/records/record-store.js'
import { cli, REPO, type CliResult } from './helpers.js'

/** The synced tables, as SQLite declares them. */
export const SQLITE_TABLES = ['agents', 'skills', 'contexts']
  .map((t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT, config JSON, enabled BOOLEAN, score REAL, big BIGINT, updated_at TIMESTAMP);`)
  .join('\n')

/** The same tables in PostgreSQL types. */
export const PG_TABLES = ['agents', 'skills', 'contexts']
  .map((t) => `CREATE TABLE ${t} (id integer PRIMARY KEY, name text, config jsonb, enabled boolean, score double precision, big bigint, updated_at timestamptz);`)
  .join('\n')

/** A row as the tests write it (SQLite values: booleans 0/1, JSON as text). */
export interface Row {
  id: number
  name?: string | null
  config?: string | null
  enabled?: number | null
  score?: number | null
  big?: bigint | number | null
  updated_at?: string | null
}

/** Creates a SQLite database file with the synced tables and some agents. */
export function makeSqlite(file: string, agents: Row[] = []): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.exec(SQLITE_TABLES)
    insertRows(db, 'agents', agents)
  } finally {
    db.close()
  }
}

function insertRows(db: Database.Database, table: string, rows: Row[]): void {
  const ins = db.prepare(`INSERT INTO ${table} (id, name, config, enabled, score, big, updated_at) VALUES (@id, @name, @config, @enabled, @score, @big, @updated_at)`)
  for (const r of rows) ins.run({ name: null, config: null, enabled: null, score: null, big: null, updated_at: null, ...r })
}

/** Runs statements on a SQLite file. */
export function sql(file: string, statements: string, params: unknown[] = []): void {
  const db = new Database(file)
  try {
    if (params.length) db.prepare(statements).run(...params)
    else db.exec(statements)
  } finally {
    db.close()
  }
}

/** Inserts rows into a table of a SQLite file. */
export function insert(file: string, table: string, rows: Row[]): void {
  const db = new Database(file)
  try {
    insertRows(db, table, rows)
  } finally {
    db.close()
  }
}

/** Raw rows of a SQLite table, by id (as SQLite hands them out). */
export function rawRows(file: string, table = 'agents'): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare(`SELECT * FROM ${table} ORDER BY id`).safeIntegers(true).all() as Record<string, unknown>[]
  } finally {
    db.close()
  }
}

/** Canonical records (key → {hash, data}) of a table, through the engine's record store. */
export async function records(spec: { sqlite: string } | { postgres: string }, table = 'agents'): Promise<Map<string, RecordEntry>> {
  const store = 'sqlite' in spec ? await openRecordStore({ kind: 'sqlite', path: spec.sqlite }) : await openRecordStore({ kind: 'postgres', url: spec.postgres })
  try {
    return await store.list({ name: table, key: 'id' })
  } finally {
    await store.close()
  }
}

/** Records as a plain object (key → data), for readable assertions. */
export async function recordData(spec: { sqlite: string } | { postgres: string }, table = 'agents'): Promise<Record<string, Record<string, unknown>>> {
  return Object.fromEntries([...(await records(spec, table))].map(([k, e]) => [k, e.data]))
}

/** Creates the synced tables in a PostgreSQL database. */
export async function makePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(PG_TABLES)
  } finally {
    await client.end()
  }
}

/** Runs a query on a PostgreSQL database. */
export async function pgQuery(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as Record<string, unknown>[]
  } finally {
    await client.end()
  }
}

/** A project (init + `db add --sqlite app.sqlite`) driven through the built CLI. */
export interface CliProject {
  dir: string
  db: string
  run: (...args: string[]) => CliResult
}

/** Makes a project with its SQLite database (the given agents) registered through the CLI. */
export function makeProject(dir: string, agents: Row[] = [], env: NodeJS.ProcessEnv = {}): CliProject {
  fs.mkdirSync(dir, { recursive: true })
  const run = (...args: string[]): CliResult => cli(['--project-dir', dir, ...args], { env })
  must(run('init'), 'init')
  const db = path.join(dir, 'app.sqlite')
  makeSqlite(db, agents)
  must(run('db', 'add', '--sqlite', 'app.sqlite'), 'db add')
  return { dir, db, run }
}

/** Throws with the CLI's output unless it exited 0. */
export function must(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

/** A status entry as `status --format json` prints it. */
export interface JsonEntry {
  kind: 'file' | 'record'
  table?: string
  key?: string
  path?: string
  local: string
  remote: string
  fields?: string[]
  mergeable?: boolean
}

/** `status --format json`, as category → entries. */
export function statusJson(p: CliProject, ...extra: string[]): Record<'remote_to_local' | 'local_to_remote' | 'conflicts' | 'in_sync', JsonEntry[]> {
  const r = must(p.run('status', '--format', 'json', ...extra), 'status')
  return JSON.parse(r.stdout) as Record<'remote_to_local' | 'local_to_remote' | 'conflicts' | 'in_sync', JsonEntry[]>
}

/** Category of each record key of a table in a status. */
export function categoriesOf(st: Record<string, JsonEntry[]>, table = 'agents'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [cat, entries] of Object.entries(st)) for (const e of entries) if (e.kind === 'record' && e.table === table) out[e.key as string] = cat
  return out
}

/** A running `syncdesk-server` process. */
export interface ServerProcess {
  url: string
  token: string
  child: ChildProcess
  /** What the server wrote to stderr: its warnings, and its request log when started with `requestLog`. */
  stderr: () => string
  stop(): Promise<void>
}

/**
 * Starts the built environment server over `dir` (with a read,write token), on a free loopback
 * port; quiet unless `requestLog`.
 */
export async function startServerProcess(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}, opts: { requestLog?: boolean } = {}): Promise<ServerProcess> {
  const bin = path.join(REPO, 'bin', 'syncdesk-server.cjs')
  fs.mkdirSync(dir, { recursive: true })
  const tok = await new Promise<string>((resolve, reject) => {
    const c = spawn(process.execPath, [bin, 'token', 'create', 'operator', '--scopes', 'read,write', '--project-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    c.stdout.on('data', (d: Buffer) => (out += d.toString()))
    c.stderr.on('data', (d: Buffer) => (err += d.toString()))
    c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`token create exited ${code}: ${err}`))))
  })
  const child = spawn(process.execPath, [bin, 'serve', '--project-dir', dir, '--port', '0', ...(opts.requestLog ? [] : ['--quiet']), ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr}`)), 20_000)
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString()
      const m = / on (http:\/\/[^\s]+)/.exec(stdout)
      if (m) {
        clearTimeout(timer)
        resolve(m[1] as string)
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited ${code}: ${stderr}`))
    })
  })
  return {
    url,
    token: tok,
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
