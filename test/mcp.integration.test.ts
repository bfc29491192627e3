/**
 * `syncdesk mcp` driven by the MCP SDK's own client over stdio, as an AI assistant would:
 * the built CLI is spawned per test over a real project (files and a SQLite database) and a
 * folder environment (whose database is `<folder>/.syncdesk-server/database.sqlite`), or real
 * environment servers for deployments. Every tool call is judged by what it did on disk and in
 * the databases, and by its answer.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, CLI, ensureBuilt, get, put, tempDir } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers } from './support/server-process.js'

const TOOLS = ['sync_all', 'sync_database', 'sync_files', 'sync_local_to_remote', 'sync_project_to_local', 'sync_status', 'sync_undo']
const SCHEMA = ['agents', 'skills', 'contexts'].map((t) => `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)`).join(';\n')

interface ToolAnswer {
  isError?: boolean
  content: { type: string; text?: string }[]
  structuredContent?: Record<string, unknown>
}

const clients: Client[] = []
beforeAll(() => ensureBuilt())
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

/** Starts `syncdesk --project-dir <project> mcp` and connects the SDK client to it. */
async function connect(project: string, env: NodeJS.ProcessEnv = childEnv()): Promise<Client> {
  const strings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'))
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--project-dir', project, 'mcp'], env: strings, stderr: 'pipe' })
  const client = new Client({ name: 'syncdesk-test', version: '1.0.0' })
  await client.connect(transport)
  clients.push(client)
  return client
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  return (await client.callTool({ name, arguments: args })) as ToolAnswer
}

function text(a: ToolAnswer): string {
  return a.content.map((c) => c.text ?? '').join('\n')
}

function sqlite(file: string): Database.Database {
  const db = new Database(file)
  db.exec(SCHEMA)
  return db
}

function rows(file: string, table: string): unknown[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare(`SELECT id, name, note FROM ${table} ORDER BY id`).all()
  } finally {
    db.close()
  }
}

/** A project with a SQLite database and a folder environment `staging` with its own database. */
function projectWithFolderEnv(): { project: string; folder: string; localDb: string; remoteDb: string } {
  const root = tempDir('syncdesk-mcp-')
  const project = path.join(root, 'project')
  const folder = path.join(root, 'env')
  fs.mkdirSync(project)
  fs.mkdirSync(path.join(folder, '.syncdesk-server'), { recursive: true })
  const localDb = path.join(project, 'app.sqlite')
  const remoteDb = path.join(folder, '.syncdesk-server', 'database.sqlite')
  sqlite(localDb).close()
  sqlite(remoteDb).close()
  const p = (...args: string[]) => runCli(['--project-dir', project, ...args])
  expect(p('init').code).toBe(0)
  expect(p('env', 'add', 'staging', '--folder', folder).code).toBe(0)
  const db = p('db', 'add', '--sqlite', 'app.sqlite')
  expect(db.code, db.stderr).toBe(0)
  return { project, folder, localDb, remoteDb }
}

function insert(file: string, table: string, row: { id: number; name: string; note?: string | null }): void {
  const db = new Database(file)
  try {
    db.prepare(`INSERT OR REPLACE INTO ${table} (id, name, note) VALUES (?, ?, ?)`).run(row.id, row.name, row.note ?? null)
  } finally {
    db.close()
  }
}

describe('syncdesk mcp over stdio', () => {
  it('lists the six sync tools, and sync_undo', async () => {
    const { project } = projectWithFolderEnv()
    const client = await connect(project)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS)
    for (const t of tools) expect(t.description, t.name).toBeTruthy()
  })

  it('sync_status counts what changed where, files and records', async () => {
    const { project, folder, localDb, remoteDb } = projectWithFolderEnv()
    put(project, 'agents/local.yml', 'name: local\n')
    put(folder, 'agents/remote.yml', 'name: remote\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha' })
    insert(remoteDb, 'skills', { id: 7, name: 'search' })
    const client = await connect(project)
    const a = await call(client, 'sync_status', { env: 'staging' })
    expect(a.isError, text(a)).toBeFalsy()
    expect(a.structuredContent?.counts).toEqual({ remote_to_local: 2, local_to_remote: 2, conflicts: 0, in_sync: 0 })
    expect(text(a)).toMatch(/staging: 2 to pull, 2 to push, 0 conflicts, 0 in sync/)
    // Status changes nothing.
    expect(get(project, 'agents/remote.yml')).toBeNull()
    expect(rows(remoteDb, 'agents')).toEqual([])
  })

  it('sync_files pushes and pulls files, and leaves the databases alone', async () => {
    const { project, folder, localDb, remoteDb } = projectWithFolderEnv()
    put(project, 'agents/a.yml', 'name: a\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha' })
    const client = await connect(project)
    const push = await call(client, 'sync_files', { direction: 'push' })
    expect(push.isError, text(push)).toBeFalsy()
    expect(get(folder, 'agents/a.yml')).toBe('name: a\n')
    expect(rows(remoteDb, 'agents')).toEqual([])

    put(folder, 'docs/new.md', '# new\n')
    const pull = await call(client, 'sync_files', { direction: 'pull', env: 'staging' })
    expect(pull.isError, text(pull)).toBeFalsy()
    expect(get(project, 'docs/new.md')).toBe('# new\n')
    expect(pull.structuredContent?.done).toEqual([{ op: 'write-local', item: 'docs/new.md' }])
  })

  it('sync_database pushes records into the environment\'s SQLite database, not files', async () => {
    const { project, folder, localDb, remoteDb } = projectWithFolderEnv()
    put(project, 'agents/a.yml', 'name: a\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha', note: 'first' })
    insert(localDb, 'contexts', { id: 3, name: 'ctx' })
    const client = await connect(project)
    const a = await call(client, 'sync_database', { direction: 'push' })
    expect(a.isError, text(a)).toBeFalsy()
    expect(rows(remoteDb, 'agents')).toEqual([{ id: 1, name: 'alpha', note: 'first' }])
    expect(rows(remoteDb, 'contexts')).toEqual([{ id: 3, name: 'ctx', note: null }])
    expect(get(folder, 'agents/a.yml')).toBeNull()

    insert(remoteDb, 'skills', { id: 9, name: 'remote skill' })
    const pull = await call(client, 'sync_database', { direction: 'pull' })
    expect(pull.isError, text(pull)).toBeFalsy()
    expect(rows(localDb, 'skills')).toEqual([{ id: 9, name: 'remote skill', note: null }])
  })

  it.each(['sync_all', 'sync_local_to_remote'])('%s pushes files and records together', async (tool) => {
    const { project, folder, localDb, remoteDb } = projectWithFolderEnv()
    put(project, 'agents/a.yml', 'name: a\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha' })
    const client = await connect(project)
    const a = await call(client, tool, tool === 'sync_all' ? { direction: 'push' } : {})
    expect(a.isError, text(a)).toBeFalsy()
    expect(get(folder, 'agents/a.yml')).toBe('name: a\n')
    expect(rows(remoteDb, 'agents')).toEqual([{ id: 1, name: 'alpha', note: null }])
    const st = await call(client, 'sync_status', {})
    expect(st.structuredContent?.counts).toEqual({ remote_to_local: 0, local_to_remote: 0, conflicts: 0, in_sync: 2 })
  })

  it('sync_project_to_local with folder clones the environment into an empty directory', async () => {
    const { project, folder } = projectWithFolderEnv()
    put(folder, 'agents/a.yml', 'name: a\n')
    put(folder, 'pipelines/p.py', 'print(1)\n')
    const target = path.join(path.dirname(project), 'fresh')
    fs.mkdirSync(target)
    const client = await connect(project)
    const a = await call(client, 'sync_project_to_local', { project_dir: target, folder })
    expect(a.isError, text(a)).toBeFalsy()
    expect(get(target, 'agents/a.yml')).toBe('name: a\n')
    expect(get(target, 'pipelines/p.py')).toBe('print(1)\n')
    // The original project is untouched.
    expect(get(project, 'agents/a.yml')).toBeNull()
    // The new directory is a project that knows its environment.
    const st = runCli(['--project-dir', target, 'status', '--format', 'json'])
    expect(st.code, st.stderr).toBe(0)
    expect((JSON.parse(st.stdout) as { in_sync: unknown[] }).in_sync).toHaveLength(2)
  })

  it('sync_project_to_local refuses a folder that overlaps the new project directory, as "clone --folder" does', async () => {
    const { project, folder } = projectWithFolderEnv()
    put(folder, 'agents/a.yml', 'name: a\n')
    const inside = path.join(folder, 'clone-here')
    fs.mkdirSync(inside)
    // The CLI refuses it.
    const cliClone = runCli(['--project-dir', inside, 'clone', '--folder', folder])
    expect(cliClone.code, cliClone.stdout).toBe(2)
    expect(cliClone.stderr).toMatch(/overlaps the project/)
    fs.rmSync(path.join(inside, '.syncdesk'), { recursive: true, force: true })
    const client = await connect(project)
    const a = await call(client, 'sync_project_to_local', { project_dir: inside, folder })
    expect(a.isError, `the tool should refuse like the CLI; it answered: ${text(a).slice(0, 300)}`).toBe(true)
    expect(text(a)).toMatch(/overlaps the project/)
    expect(get(inside, 'agents/a.yml'), 'nothing cloned into the environment folder itself').toBeNull()
  })

  it('reports conflicts and resolves none unless named in overwrite_conflicts', async () => {
    const { project, folder, localDb, remoteDb } = projectWithFolderEnv()
    put(project, 'agents/a.yml', 'name: a\n')
    put(project, 'agents/b.yml', 'name: b\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha' })
    const client = await connect(project)
    expect((await call(client, 'sync_all', { direction: 'push' })).isError).toBeFalsy()
    put(project, 'agents/a.yml', 'name: a\nlocal: 1\n')
    put(folder, 'agents/a.yml', 'name: a\nremote: 22\n')
    put(project, 'agents/b.yml', 'name: b\nlocal: 1\n')
    put(folder, 'agents/b.yml', 'name: b\nremote: 22\n')
    insert(localDb, 'agents', { id: 1, name: 'alpha-local' })
    insert(remoteDb, 'agents', { id: 1, name: 'alpha-remote' })

    for (const [tool, args] of [
      ['sync_files', { direction: 'push' }],
      ['sync_files', { direction: 'pull' }],
      ['sync_database', { direction: 'push' }],
      ['sync_all', { direction: 'pull' }],
      ['sync_local_to_remote', {}],
    ] as const) {
      const a = await call(client, tool, args)
      const conflicts = (a.structuredContent?.conflicts ?? []) as { path?: string; table?: string; key?: string }[]
      expect(conflicts.length, `${tool} ${JSON.stringify(args)}: ${text(a)}`).toBeGreaterThan(0)
      expect(text(a)).toMatch(/conflicts reported, not resolved/)
    }
    expect(get(project, 'agents/a.yml')).toBe('name: a\nlocal: 1\n')
    expect(get(folder, 'agents/a.yml')).toBe('name: a\nremote: 22\n')
    expect(rows(remoteDb, 'agents')).toEqual([{ id: 1, name: 'alpha-remote', note: null }])
    expect(rows(localDb, 'agents')).toEqual([{ id: 1, name: 'alpha-local', note: null }])

    // Named: only that one is overwritten, in the call's direction.
    const a = await call(client, 'sync_files', { direction: 'push', overwrite_conflicts: ['agents/a.yml'] })
    expect(a.isError, text(a)).toBeFalsy()
    expect(get(folder, 'agents/a.yml')).toBe('name: a\nlocal: 1\n')
    expect(get(folder, 'agents/b.yml')).toBe('name: b\nremote: 22\n')
    expect(((a.structuredContent?.conflicts ?? []) as { path: string }[]).map((c) => c.path)).toEqual(['agents/b.yml'])
    const r = await call(client, 'sync_database', { direction: 'pull', overwrite_conflicts: ['agents/1'] })
    expect(r.isError, text(r)).toBeFalsy()
    expect(rows(localDb, 'agents')).toEqual([{ id: 1, name: 'alpha-remote', note: null }])
  })

  it('answers bad input with a tool error, not a crash', async () => {
    const { project, folder } = projectWithFolderEnv()
    put(project, 'agents/a.yml', 'name: a\n')
    const client = await connect(project)
    const bad: [string, Record<string, unknown>][] = [
      ['sync_files', { direction: 'sideways' }],
      ['sync_files', {}],
      ['sync_all', { direction: 'push', env: '../staging' }],
      ['sync_database', { direction: 'push', env: 'a/b' }],
      ['sync_status', { env: 'nope' }],
      ['sync_files', { direction: 'push', dry_run: 'yes' }],
    ]
    for (const [tool, args] of bad) {
      let answer: ToolAnswer | null = null
      let thrown: unknown = null
      try {
        answer = await call(client, tool, args)
      } catch (err) {
        thrown = err
      }
      const label = `${tool} ${JSON.stringify(args)}`
      if (thrown) expect(String(thrown), label).toMatch(/MCP error -32602|Invalid|validation/i)
      else {
        expect(answer?.isError, `${label}: ${answer ? text(answer) : ''}`).toBe(true)
        expect(answer ? text(answer) : '', label).not.toMatch(/^\s+at /m)
      }
    }
    // Nothing was pushed, and the server still serves.
    expect(get(folder, 'agents/a.yml')).toBeNull()
    const st = await call(client, 'sync_status', {})
    expect(st.isError, text(st)).toBeFalsy()
  })
})

describe('sync_all with deploy, against environment servers', () => {
  it.each([
    { label: 'a succeeding deploy command', command: 'echo deployed-fine', state: 'succeeded', isError: false },
    { label: 'a failing deploy command', command: "sh -c 'echo boom; exit 3'", state: 'failed', isError: true },
  ])('$label: the deployment is $state', async ({ command, state, isError }) => {
    const root = tempDir('syncdesk-mcp-deploy-')
    const srv = path.join(root, 'srv')
    const project = path.join(root, 'project')
    fs.mkdirSync(srv)
    fs.mkdirSync(project)
    const token = createToken(srv, 'assistant', 'read,write,deploy')
    const server = await startServerProcess(srv, { deployCommand: command })
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
    expect(runCli(['--project-dir', project, 'init'], { env }).code).toBe(0)
    expect(runCli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url], { env }).code).toBe(0)
    put(project, 'agents/a.yml', 'name: a\n')
    const client = await connect(project, env)
    const a = await call(client, 'sync_all', { direction: 'push', deploy: true })
    expect(get(srv, 'agents/a.yml')).toBe('name: a\n')
    const deployment = a.structuredContent?.deployment as { state: string; logTail: string; exitCode: number | null }
    expect(deployment.state, text(a)).toBe(state)
    expect(Boolean(a.isError)).toBe(isError)
    expect(text(a)).toContain(`deployment ${state}`)
    if (state === 'failed') {
      expect(deployment.logTail).toContain('boom')
      expect(text(a)).toContain('boom')
      expect(deployment.exitCode).toBe(3)
    }
    const st = await call(client, 'sync_status', {})
    expect((st.structuredContent?.deployment as { state: string }).state).toBe(state)
    await server.stop()
  })
})

describe('protected environments and undo over MCP', () => {
  it('a protected environment changes only with confirm_env, and sync_undo puts a push back', async () => {
    const { project, folder } = projectWithFolderEnv()
    expect(runCli(['--project-dir', project, 'env', 'edit', 'staging', '--protected']).code).toBe(0)
    fs.writeFileSync(path.join(project, 'a.md'), 'mine\n')
    const client = await connect(project)
    const refused = await call(client, 'sync_files', { direction: 'push' })
    expect(refused.isError).toBe(true)
    expect(text(refused)).toMatch(/confirm_env/)
    expect(fs.existsSync(path.join(folder, 'a.md'))).toBe(false)
    const wrong = await call(client, 'sync_files', { direction: 'push', confirm_env: 'production' })
    expect(wrong.isError).toBe(true)
    const pushed = await call(client, 'sync_files', { direction: 'push', confirm_env: 'staging' })
    expect(pushed.isError, text(pushed)).toBeFalsy()
    expect(fs.readFileSync(path.join(folder, 'a.md'), 'utf8')).toBe('mine\n')
    const dry = await call(client, 'sync_undo', { dry_run: true })
    expect(text(dry)).toMatch(/Would put back 1 item/)
    expect(fs.existsSync(path.join(folder, 'a.md'))).toBe(true)
    const undone = await call(client, 'sync_undo', {})
    expect(undone.isError, text(undone)).toBeFalsy()
    expect(fs.existsSync(path.join(folder, 'a.md'))).toBe(false)
  })
})
