/**
 * A new environment that just works (issue 10, part 3), end to end through the built CLI and a
 * real `syncdesk-server` process on 127.0.0.1: a server started on an empty folder, a project with
 * a SQLite database and rows. The dry run shows the CREATE TABLE statement and creates nothing; a
 * push told to creates the table and the rows arrive in the server's database.sqlite; a pull or a
 * clone creates a missing local table the same way; a terminal asks; columns that differ are
 * named; MCP's create_tables; a missing PostgreSQL table on a server with --database-url.
 *
 * Every outcome is read back from the databases themselves (better-sqlite3, pg).
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cleanupTemps, ensureBuilt, tempDir, type CliResult } from './helpers.js'
import { makeProject, must, pgQuery, startServerProcess, statusJson, type CliProject, type ServerProcess } from './records-support.js'
import { createTestDatabase, postgresUnavailable } from './support/postgres.js'

beforeAll(() => ensureBuilt())

const servers: ServerProcess[] = []
const clients: Client[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  for (const s of servers.splice(0)) await s.stop()
})
afterAll(() => cleanupTemps())

const ENV = 'staging'
const TOKEN_VAR = 'SYNCDESK_TOKEN_STAGING'
const hasScript = spawnSync('script', ['--version']).status === 0

/** The project's own table: not the test helpers' schema, so that the statement is this one's. */
const AGENTS_SQL = 'CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, config JSON, enabled BOOLEAN, score REAL DEFAULT 1)'
const ROWS = [
  { id: 1, name: 'alpha', config: '{"model":"small"}', enabled: 1, score: 0.5 },
  { id: 2, name: 'beta', config: null, enabled: 0, score: 2 },
  { id: 3, name: 'Zoë 🚀', config: '[1,2]', enabled: 1, score: -1.25 },
]
const STATEMENT = 'CREATE TABLE "agents" ("id" BIGINT NOT NULL, "name" TEXT NOT NULL, "config" JSON, "enabled" BOOLEAN, "score" DOUBLE PRECISION, PRIMARY KEY ("id"))'

/** A fresh server on an empty folder (no --database-url, or the one given). */
async function freshServer(extra: string[] = []): Promise<{ srv: ServerProcess; dir: string; dbFile: string }> {
  const dir = path.join(tempDir('syncdesk-new-env-'), 'env')
  const srv = await startServerProcess(dir, extra)
  servers.push(srv)
  return { srv, dir, dbFile: path.join(dir, '.syncdesk-server', 'database.sqlite') }
}

/** A SQLite file with the given statements run. */
function sqliteFile(file: string, statements = ''): string {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    if (statements) db.exec(statements)
  } finally {
    db.close()
  }
  return file
}

function insertAgents(file: string, rows = ROWS): void {
  const db = new Database(file)
  try {
    const ins = db.prepare('INSERT INTO agents (id, name, config, enabled, score) VALUES (@id, @name, @config, @enabled, @score)')
    for (const r of rows) ins.run(r)
  } finally {
    db.close()
  }
}

/** The tables of a SQLite file. */
function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
  } finally {
    db.close()
  }
}

function agentRows(file: string): unknown[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare('SELECT id, name, config, enabled, score FROM agents ORDER BY id').all()
  } finally {
    db.close()
  }
}

/**
 * A project synced with the server as `staging`, its database an SQLite file made by `schema`
 * (just agents by default), syncing only agents unless told otherwise.
 */
function project(srv: ServerProcess, name: string, schema: string | null = AGENTS_SQL, tables: string[] = ['agents']): CliProject {
  const dir = path.join(tempDir(`syncdesk-new-env-${name}-`), name)
  const p = makeProject(dir, [], { [TOKEN_VAR]: srv.token })
  // makeProject made the helpers' three tables: this project's database is its own.
  fs.rmSync(p.db, { force: true })
  for (const suffix of ['-wal', '-shm']) fs.rmSync(p.db + suffix, { force: true })
  sqliteFile(p.db, schema ?? '')
  must(p.run('db', 'tables', '--remove', 'skills'), 'db tables')
  must(p.run('db', 'tables', '--remove', 'contexts'), 'db tables')
  for (const t of tables) if (t !== 'agents') must(p.run('db', 'tables', '--add', t), 'db tables --add')
  must(p.run('env', 'add', ENV, '--url', srv.url), 'env add')
  return p
}

describe('a server started on an empty folder, a project with a SQLite table and rows (CLI)', () => {
  it('status warns; the dry run shows the CREATE statement and creates nothing; push --create-tables creates it and the rows arrive', async () => {
    const { srv, dbFile } = await freshServer()
    expect(fs.existsSync(dbFile)).toBe(true)
    const a = project(srv, 'a')
    insertAgents(a.db)

    const st = a.run('status')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stderr).toContain('Warning: staging has no table agents; a push can create it from the local definition')

    const dry = a.run('push', '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('Create table agents in staging from the local definition, then push its 3 records:')
    expect(dry.stdout).toContain(`    ${STATEMENT}`)
    expect(dry.stdout).toContain('note: the default of column "score" (1) is not copied')
    expect(dry.stdout).not.toContain('Nothing to transfer')
    expect(tablesOf(dbFile)).toEqual([])

    const json = JSON.parse(must(a.run('push', '--dry-run', '--format', 'json'), 'dry run json').stdout) as { tables: { create: { table: string; side: string; statement: string; records: number }[]; created: unknown[] } }
    expect(json.tables.create).toEqual([{ table: 'agents', side: 'remote', statement: STATEMENT, records: 3, notes: ['the default of column "score" (1) is not copied'] }])
    expect(json.tables.created).toEqual([])

    // No yes (a script without the flag): the run goes on without the table, says how, exits 3.
    const without = a.run('push', '--yes')
    expect(without.code, without.stdout + without.stderr).toBe(3)
    expect(without.stdout).toContain('Not created: table agents in staging, so its records were not carried. To create it: syncdesk push --env staging --create-tables')
    expect(tablesOf(dbFile)).toEqual([])

    const push = a.run('push', '--yes', '--create-tables', '--format', 'json')
    expect(push.code, push.stdout + push.stderr).toBe(0)
    const report = JSON.parse(push.stdout) as { done: { op: string; table: string; key: string }[]; tables: { created: { table: string; side: string; statement: string }[] } }
    expect(report.tables.created).toEqual([{ table: 'agents', side: 'remote', statement: STATEMENT }])
    expect(report.done.map((d) => `${d.op} ${d.table}/${d.key}`)).toEqual(['write-remote agents/1', 'write-remote agents/2', 'write-remote agents/3'])
    expect(tablesOf(dbFile)).toContain('agents')
    expect(agentRows(dbFile)).toEqual(ROWS)
    const after = statusJson(a)
    expect(after.in_sync.map((e) => e.key)).toEqual(['1', '2', '3'])
    expect(a.run('status').stderr).not.toContain('has no table')
  })

  it('a pull (and a clone) into a project whose database lacks the table creates it locally with the rows', async () => {
    const { srv } = await freshServer()
    const a = project(srv, 'a')
    insertAgents(a.db)
    must(a.run('push', '--yes', '--create-tables'), 'push from a')

    // b: an empty database file; the environment has the table.
    const b = project(srv, 'b', null)
    const st = b.run('status')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stderr).toContain("Warning: The local database has no table agents; a pull can create it from the environment's definition")
    const dry = b.run('pull', '--dry-run')
    expect(dry.stdout).toContain("Create table agents here from staging's definition, then pull its 3 records:")
    expect(dry.stdout).toContain(`    ${STATEMENT}`)
    expect(tablesOf(b.db)).toEqual([])
    // A push cannot create a local table: it says the pull can, and goes on (nothing to push).
    const push = b.run('push', '--yes', '--create-tables')
    expect(push.code, push.stdout + push.stderr).toBe(0)
    expect(push.stdout).toContain("The local database has no table agents; a pull can create it from the environment's definition")
    expect(tablesOf(b.db)).toEqual([])

    const pull = b.run('pull', '--yes', '--create-tables')
    expect(pull.code, pull.stdout + pull.stderr).toBe(0)
    expect(pull.stdout).toMatch(/^Created table agents here: CREATE TABLE "agents"/m)
    expect(pull.stdout).toContain('Pulled from staging: 3 written locally')
    expect(agentRows(b.db)).toEqual(ROWS)
    expect(statusJson(b).in_sync.length).toBe(3)

    // c: a clone into an empty project creates the table the same way.
    const c = project(srv, 'c', null)
    const clone = c.run('clone', '--yes', '--create-tables')
    expect(clone.code, clone.stdout + clone.stderr).toBe(0)
    expect(agentRows(c.db)).toEqual(ROWS)
  })

  it('a sync creates each table on the side that lacks it, and carries the rows both ways', async () => {
    const { srv, dbFile } = await freshServer()
    const b = project(srv, 'b', "CREATE TABLE skills (slug TEXT PRIMARY KEY, title VARCHAR(80) NOT NULL); INSERT INTO skills VALUES ('sql', 'Writes SQL'), ('py', 'Writes Python')", ['skills'])
    must(b.run('db', 'tables', '--remove', 'skills'), 'db tables')
    must(b.run('db', 'tables', '--add', 'skills', '--key', 'slug'), 'db tables')
    must(b.run('push', '--yes', '--create-tables'), 'push skills from b')
    const a = project(srv, 'a')
    must(a.run('db', 'tables', '--add', 'skills', '--key', 'slug'), 'db tables')
    insertAgents(a.db)
    const dry = a.run('sync', '--dry-run')
    expect(dry.stdout).toContain('Create table agents in staging from the local definition, then push its 3 records:')
    expect(dry.stdout).toContain("Create table skills here from staging's definition, then pull its 2 records:")
    const sync = a.run('sync', '--yes', '--create-tables')
    expect(sync.code, sync.stdout + sync.stderr).toBe(0)
    expect(agentRows(dbFile)).toEqual(ROWS)
    const local = new Database(a.db, { readonly: true })
    try {
      expect(local.prepare('SELECT slug, title FROM skills ORDER BY slug').all()).toEqual([{ slug: 'py', title: 'Writes Python' }, { slug: 'sql', title: 'Writes SQL' }])
    } finally {
      local.close()
    }
    expect(statusJson(a).in_sync.length).toBe(5)
  })

  it('reports the columns that differ by name, and compares the records all the same', async () => {
    const { srv } = await freshServer()
    const a = project(srv, 'a')
    insertAgents(a.db)
    must(a.run('push', '--yes', '--create-tables'), 'push from a')
    const b = project(srv, 'b', 'CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, config JSON, enabled BOOLEAN, score TEXT, mine TEXT)')
    const st = b.run('status')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stderr).toContain('Warning: Table agents differs between the local database and staging: column "score": TEXT locally, DOUBLE PRECISION in the environment; column "mine": only in the local table.')
    const dry = JSON.parse(must(b.run('pull', '--dry-run', '--format', 'json'), 'dry run').stdout) as { tables: { mismatches: unknown[]; create: unknown[] }; actions: unknown[] }
    expect(dry.tables.create).toEqual([])
    expect(dry.tables.mismatches).toEqual([
      {
        table: 'agents',
        columns: [
          { name: 'score', local: 'TEXT', remote: 'DOUBLE PRECISION', problem: 'TEXT locally, DOUBLE PRECISION in the environment' },
          { name: 'mine', local: 'TEXT', remote: null, problem: 'only in the local table' },
        ],
      },
    ])
    // The records of the table are still compared: the environment's three are to pull.
    expect(dry.actions).toHaveLength(3)
  })

  it.skipIf(!hasScript)('asks on a terminal, the statement shown first: n leaves the table out, y creates it', async () => {
    const { srv, dbFile } = await freshServer()
    const a = project(srv, 'a')
    insertAgents(a.db)
    const question = 'staging has no table "agents". Create it from the local definition? [y/N]'
    const no = await onTerminal(['--project-dir', a.dir, 'push'], ['n'], question, { [TOKEN_VAR]: srv.token })
    expect(no.prompts, no.output).toBe(1)
    expect(no.output).toContain(STATEMENT)
    expect(no.output.indexOf(STATEMENT)).toBeLessThan(no.output.indexOf(question))
    expect(no.code, no.output).toBe(3)
    expect(tablesOf(dbFile)).toEqual([])
    const yes = await onTerminal(['--project-dir', a.dir, 'push'], ['y'], question, { [TOKEN_VAR]: srv.token })
    expect(yes.code, yes.output).toBe(0)
    expect(yes.output).toContain('Created table agents in staging')
    expect(agentRows(dbFile)).toEqual(ROWS)
  })

  it('a protected environment asks for its name before a table is created in it', async () => {
    const { srv, dbFile } = await freshServer()
    const a = project(srv, 'a')
    insertAgents(a.db)
    must(a.run('env', 'edit', ENV, '--protected'), 'env edit')
    // No other change goes, so only the table makes the run change the environment.
    const refused = await mcpCall(a, srv, 'sync_database', { direction: 'push', create_tables: true })
    expect(refused.isError, text(refused)).toBe(true)
    expect(text(refused)).toMatch(/Type the environment's name \(staging\)/)
    expect(tablesOf(dbFile)).toEqual([])
    const ok = await mcpCall(a, srv, 'sync_database', { direction: 'push', create_tables: true, confirm_env: ENV })
    expect(ok.isError, text(ok)).toBeFalsy()
    expect(agentRows(dbFile)).toEqual(ROWS)
  })
})

describe('MCP', () => {
  it('sync_database: a dry run names the statement, create_tables creates the table and the rows arrive', async () => {
    const { srv, dbFile } = await freshServer()
    const a = project(srv, 'a')
    insertAgents(a.db)
    const dry = await mcpCall(a, srv, 'sync_database', { direction: 'push', dry_run: true })
    expect(dry.isError, text(dry)).toBeFalsy()
    expect(text(dry)).toContain(`Would create table agents in staging (then carry its 3 records): ${STATEMENT}`)
    expect(text(dry)).toContain('create_tables: true')
    expect((dry.structuredContent?.tables as { create: unknown[] }).create).toHaveLength(1)
    expect(tablesOf(dbFile)).toEqual([])

    const pushed = await mcpCall(a, srv, 'sync_database', { direction: 'push', create_tables: true })
    expect(pushed.isError, text(pushed)).toBeFalsy()
    expect(text(pushed)).toContain(`Created table agents in staging: ${STATEMENT}`)
    expect((pushed.structuredContent?.tables as { created: unknown[] }).created).toEqual([{ table: 'agents', side: 'remote', statement: STATEMENT }])
    expect(agentRows(dbFile)).toEqual(ROWS)

    // A pull into a project without the table, by the same argument.
    const b = project(srv, 'b', null)
    const pulled = await mcpCall(b, srv, 'sync_database', { direction: 'pull', create_tables: true })
    expect(pulled.isError, text(pulled)).toBeFalsy()
    expect(agentRows(b.db)).toEqual(ROWS)
  })
})

describe.skipIf(postgresUnavailable() !== null)('a server on an empty PostgreSQL database (--database-url)', () => {
  it('a push creates the missing table in PostgreSQL types and the rows arrive', async () => {
    const url = await createTestDatabase()
    const { srv, dbFile } = await freshServer(['--database-url', url])
    expect(fs.existsSync(dbFile)).toBe(false)
    const a = project(srv, 'a')
    insertAgents(a.db)
    const dry = a.run('push', '--dry-run')
    expect(dry.stdout).toContain('CREATE TABLE "agents" ("id" bigint NOT NULL, "name" text NOT NULL, "config" json, "enabled" boolean, "score" double precision, PRIMARY KEY ("id"))')
    expect(await pgQuery(url, "SELECT table_name FROM information_schema.tables WHERE table_name = 'agents'")).toEqual([])
    must(a.run('push', '--yes', '--create-tables'), 'push')
    const rows = await pgQuery(url, 'SELECT id::int AS id, name, config, enabled, score FROM agents ORDER BY id')
    expect(rows).toEqual([
      { id: 1, name: 'alpha', config: { model: 'small' }, enabled: true, score: 0.5 },
      { id: 2, name: 'beta', config: null, enabled: false, score: 2 },
      { id: 3, name: 'Zoë 🚀', config: [1, 2], enabled: true, score: -1.25 },
    ])
    expect(statusJson(a).in_sync.length).toBe(3)
  })
})

// ---- helpers ---------------------------------------------------------------------------

interface ToolAnswer {
  isError?: boolean
  content: { type: string; text?: string }[]
  structuredContent?: Record<string, unknown>
}

/** One tool call through `syncdesk mcp` started for the project, as an assistant makes it. */
async function mcpCall(p: CliProject, srv: ServerProcess, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const env = Object.fromEntries(Object.entries({ ...process.env, [TOKEN_VAR]: srv.token }).filter((e): e is [string, string] => typeof e[1] === 'string'))
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--project-dir', p.dir, 'mcp'], env, stderr: 'pipe' })
  const client = new Client({ name: 'syncdesk-test', version: '1.0.0' })
  await client.connect(transport)
  clients.push(client)
  return (await client.callTool({ name, arguments: args })) as ToolAnswer
}

function text(a: ToolAnswer): string {
  return a.content.map((c) => c.text ?? '').join('\n')
}

/** Runs the CLI under a pseudo-terminal (`script`), giving `answers` one by one as `prompt` appears. */
function onTerminal(args: string[], answers: string[], prompt: string, env: NodeJS.ProcessEnv): Promise<Omit<CliResult, 'stdout' | 'stderr' | 'signal'> & { output: string; prompts: number }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env, TERM: 'xterm', COLUMNS: '400' } })
    let output = ''
    let prompts = 0
    const queue = [...answers]
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no exit within 30 s; output so far:\n${output}`))
    }, 30_000)
    const onData = (d: Buffer) => {
      output += d.toString().replace(/\r/g, '')
      const seen = output.split(prompt).length - 1
      while (prompts < seen) {
        prompts++
        const answer = queue.shift()
        if (answer !== undefined) child.stdin.write(`${answer}\r`)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, prompts })
    })
  })
}
