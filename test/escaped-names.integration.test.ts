/**
 * Hostile names on every face: file names, record keys and folder paths holding ESC, BEL, CR,
 * LF, DEL, C1 controls, bidirectional controls or line separators, locally and in a folder
 * environment. Whether the engine syncs such a name or lists it as not synced, the built CLI
 * and the MCP server must show it escaped (`\x1b[2J`, `\u202e`) and never write it raw: raw,
 * it could clear the terminal, recolour it, or forge a line such as "To push: 0".
 */
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import Database from 'better-sqlite3'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cleanupTemps, cli, cliProject, ensureBuilt, lines, put, tempDir, type CliResult } from './helpers.js'
import { childEnv } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(cleanupTemps)

/** Each hostile piece of a name, and how it must be shown (a literal backslash is doubled). */
const HOSTILE: { tag: string; raw: string; shown: string }[] = [
  { tag: 'esc', raw: '\x1b[2J', shown: '\\x1b[2J' },
  { tag: 'bel', raw: '\x07', shown: '\\x07' },
  { tag: 'cr', raw: '\r', shown: '\\x0d' },
  { tag: 'lf', raw: '\nTo push: 0', shown: '\\x0aTo push: 0' },
  { tag: 'del', raw: '\x7f', shown: '\\x7f' },
  { tag: 'nel', raw: '\u0085', shown: '\\x85' },
  { tag: 'csi', raw: '\u009b31m', shown: '\\x9b31m' },
  { tag: 'rlo', raw: '\u202e', shown: '\\u202e' },
  { tag: 'lri', raw: '\u2066', shown: '\\u2066' },
  { tag: 'ls', raw: '\u2028', shown: '\\u2028' },
  { tag: 'ps', raw: '\u2029', shown: '\\u2029' },
  { tag: 'bs', raw: '\\x1b', shown: '\\\\x1b' },
]

/** Every character that must never be printed raw; LF only ends lines. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/

/** Output holds no raw control, bidirectional or separator character, and no forged line. */
function expectSafe(text: string, what: string): void {
  const m = RAW.exec(text)
  expect(m, `${what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`).toBeNull()
  expect(text.split('\n').filter((l) => l.startsWith('To push: 0')), what).toEqual([])
}

function output(r: CliResult): string {
  return r.stdout + r.stderr
}

/** A project and a folder environment `staging`, each with a `.md` file per hostile name. */
function hostileFiles(): { root: string; project: string; env: string; p: (...args: string[]) => CliResult } {
  const root = tempDir('syncdesk-escaped-')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  const { project, p } = cliProject(root, ['--folder', env])
  put(project, 'plain.md', 'plain\n')
  for (const h of HOSTILE) {
    fs.writeFileSync(path.join(project, `local-${h.tag}-${h.raw}.md`), `${h.tag}\n`)
    fs.writeFileSync(path.join(env, `remote-${h.tag}-${h.raw}.md`), `${h.tag}\n`)
  }
  return { root, project, env, p }
}

/** Local and environment SQLite databases, each with a `notes` table keyed by text. */
function hostileRecords(): { root: string; project: string; env: string; p: (...args: string[]) => CliResult } {
  const root = tempDir('syncdesk-escaped-')
  const env = path.join(root, 'env')
  fs.mkdirSync(path.join(env, '.syncdesk-server'), { recursive: true })
  const { project, p } = cliProject(root, ['--folder', env])
  for (const [file, side] of [
    [path.join(project, 'app.sqlite'), 'local'],
    [path.join(env, '.syncdesk-server', 'database.sqlite'), 'remote'],
  ] as const) {
    const db = new Database(file)
    try {
      db.exec('CREATE TABLE notes (slug TEXT PRIMARY KEY, body TEXT)')
      const insert = db.prepare('INSERT INTO notes (slug, body) VALUES (?, ?)')
      insert.run(`${side}-key-\x1b[2J\u202e`, 'one side')
      // On both sides with different bodies: a conflict, whose body values are hostile too.
      insert.run('both-\x07\u2028', `${side}\x1b[31m\u202e`)
    } finally {
      db.close()
    }
  }
  for (const t of ['agents', 'skills', 'contexts']) expect(p('db', 'tables', '--remove', t).code).toBe(0)
  expect(p('db', 'tables', '--add', 'notes', '--key', 'slug').code).toBe(0)
  const add = p('db', 'add', '--sqlite', 'app.sqlite')
  expect(add.code, add.stderr).toBe(0)
  return { root, project, env, p }
}

const RECORD_KEYS = [
  { marker: 'local-key-', shown: 'notes/local-key-\\x1b[2J\\u202e' },
  { marker: 'remote-key-', shown: 'notes/remote-key-\\x1b[2J\\u202e' },
  { marker: 'both-', shown: 'notes/both-\\x07\\u2028' },
]

describe('hostile file names in the CLI', () => {
  it('status and status --all show every name escaped, local and in the environment', () => {
    const { p } = hostileFiles()
    for (const args of [['status', '--env', 'staging'], ['status', '--env', 'staging', '--all']]) {
      const r = p(...args)
      const what = args.join(' ')
      expect(r.code, output(r)).toBe(0)
      expectSafe(output(r), what)
      // Synced or not, each name is listed somewhere: in a category or under "Not synced".
      for (const h of HOSTILE) {
        expect(r.stdout, `${what}: ${h.tag}`).toContain(`local-${h.tag}-${h.shown}.md`)
        expect(r.stdout, `${what}: ${h.tag}`).toContain(`remote-${h.tag}-${h.shown}.md`)
      }
    }
  })

  it('the dry runs of push, pull and sync never print a name raw', () => {
    const { p } = hostileFiles()
    for (const direction of ['push', 'pull', 'sync']) {
      const r = p(direction, '--env', 'staging', '--dry-run')
      expect([0, 3], output(r)).toContain(r.code)
      expectSafe(output(r), `${direction} --dry-run`)
      expect(r.stdout).toContain(`Dry run of ${direction} with staging`)
      for (const h of HOSTILE) {
        for (const side of ['local', 'remote']) {
          if (output(r).includes(`${side}-${h.tag}-`)) expect(output(r), `${direction}: ${side} ${h.tag}`).toContain(`${side}-${h.tag}-${h.shown}.md`)
        }
      }
    }
  })

  it('one-line errors and usage errors escape the path or word they name', () => {
    const root = tempDir('syncdesk-escaped-')
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    const { p } = cliProject(root, ['--folder', env])

    const missing = p('env', 'add', 'prod', '--folder', path.join(root, 'missing-\x1b[2J\u202e\nTo push: 0'))
    expect(missing.code).toBe(2)
    expectSafe(output(missing), 'env add of a missing folder')
    expect(lines(missing.stderr)).toHaveLength(1)
    expect(missing.stderr).toContain('missing-\\x1b[2J\\u202e\\x0aTo push: 0')

    const nowhere = cli(['--project-dir', path.join(root, 'nowhere-\x1b]0;owned\x07\u2066'), 'status'])
    expect(nowhere.code).toBe(1)
    expectSafe(output(nowhere), 'status outside a project')
    expect(lines(nowhere.stderr)).toHaveLength(1)
    expect(nowhere.stderr).toContain('nowhere-\\x1b]0;owned\\x07\\u2066')

    const usage = cli(['frob\x1b[2J\u2029'])
    expect(usage.code).toBe(2)
    expectSafe(output(usage), 'an unknown command')
    expect(lines(usage.stderr)).toHaveLength(1)
    expect(usage.stderr).toContain('frob\\x1b[2J\\u2029')
  })

  it('env add, env list, env test and the summary of several environments escape folder paths', () => {
    const root = tempDir('syncdesk-escaped-')
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    const { p } = cliProject(root, ['--folder', env])
    const hostile = path.join(root, 'prod-\x1b[2J\u202e\u2028')
    fs.mkdirSync(hostile)
    const shown = 'prod-\\x1b[2J\\u202e\\u2028'
    for (const args of [['env', 'add', 'prod', '--folder', hostile], ['env', 'list'], ['env', 'test', 'prod']]) {
      const r = p(...args)
      expect(r.code, output(r)).toBe(0)
      expectSafe(output(r), args.join(' '))
      expect(r.stdout, args.join(' ')).toContain(shown)
    }
    // Its folder gone, the summary line of prod is an error that names it.
    fs.rmSync(hostile, { recursive: true })
    const summary = p('status')
    expect(summary.code).toBe(1)
    expectSafe(output(summary), 'status of two environments')
    expect(summary.stdout).toMatch(/^staging: last sync/m)
    expect(summary.stdout).toMatch(/^prod: /m)
    if (summary.stdout.includes('prod-')) expect(summary.stdout).toContain(shown)
  })
})

describe('hostile record keys in the CLI', () => {
  it('status, the dry runs and the conflicts left show every key escaped', () => {
    const { p } = hostileRecords()
    for (const args of [['status', '--env', 'staging'], ['status', '--env', 'staging', '--all'], ['push', '--dry-run'], ['pull', '--dry-run'], ['sync', '--dry-run']]) {
      const r = p(...args)
      const what = args.join(' ')
      expectSafe(output(r), what)
      expect(r.stdout, `${what}: ${output(r)}`).not.toBe('')
      for (const k of RECORD_KEYS) if (output(r).includes(k.marker)) expect(output(r), `${what}: ${k.marker}`).toContain(k.shown)
    }
    // The keys are listed in status, whichever category the engine puts them in.
    const status = p('status', '--env', 'staging')
    if (status.code === 0) for (const k of RECORD_KEYS) expect(status.stdout).toContain(k.shown)
  })

  const hasScript = spawnSync('script', ['--version']).status === 0
  it.skipIf(!hasScript)('the conflict prompt on a terminal shows the key and the values escaped', async () => {
    const { project } = hostileRecords()
    const prompt = '[s]kip?'
    const cmd = [process.execPath, CLI, '--project-dir', project, 'sync', '--env', 'staging', '--scope', 'records'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '120' } })
      let text = ''
      let answered = 0
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`no exit within 30 s; output so far:\n${text}`))
      }, 30_000)
      const onData = (d: Buffer) => {
        text += d.toString()
        // Skip every conflict, so nothing changes.
        for (; answered < text.split(prompt).length - 1; answered++) child.stdin.write('s\r')
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('error', reject)
      child.on('close', () => {
        clearTimeout(timer)
        resolve(text)
      })
    })
    // The terminal itself adds CRs, and the progress bar and readline their own escapes: look
    // for the hostile sequences themselves.
    for (const raw of ['\x1b[2J', '\x1b[31m', '\x07', '\u202e', '\u2028']) expect(out.includes(raw), `raw ${JSON.stringify(raw)} in ${JSON.stringify(out)}`).toBe(false)
    if (out.includes('CONFLICT')) {
      expect(out).toContain('notes/both-\\x07\\u2028 — CONFLICT (record)')
      expect(out).toContain('"local\\u001b[31m\\u202e"')
      expect(out).toContain('"remote\\u001b[31m\\u202e"')
    }
  })
})

describe('hostile names through the MCP server', () => {
  const clients: Client[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })

  async function connect(project: string): Promise<Client> {
    const env = Object.fromEntries(Object.entries(childEnv()).filter((e): e is [string, string] => typeof e[1] === 'string'))
    const client = new Client({ name: 'syncdesk-test', version: '1.0.0' })
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--project-dir', project, 'mcp'], env, stderr: 'pipe' }))
    clients.push(client)
    return client
  }

  async function callText(client: Client, name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean; data?: Record<string, unknown> }> {
    const a = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text?: string }[]; structuredContent?: Record<string, unknown> }
    return { text: a.content.map((c) => c.text ?? '').join('\n'), isError: a.isError ?? false, data: a.structuredContent }
  }

  it('sync_status and the dry runs answer with text that holds no raw control or bidi character', async () => {
    const files = hostileFiles()
    const records = hostileRecords()
    for (const { project } of [files, records]) {
      const client = await connect(project)
      for (const [tool, args] of [
        ['sync_status', { env: 'staging' }],
        ['sync_files', { direction: 'push', dry_run: true }],
        ['sync_database', { direction: 'pull', dry_run: true }],
        ['sync_all', { direction: 'push', dry_run: true }],
      ] as const) {
        const a = await callText(client, tool, args)
        expectSafe(a.text, `${tool} ${JSON.stringify(args)}`)
      }
    }
    // The record keys are in the JSON text as JSON escapes, and raw in structuredContent (to pass back).
    const client = await connect(records.project)
    const status = await callText(client, 'sync_status', { env: 'staging' })
    expect(status.isError, status.text).toBe(false)
    const listed = JSON.stringify(status.data)
    if (listed.includes('local-key-')) {
      expect(status.text).toContain('"local-key-\\u001b[2J\\u202e"')
      expect(listed).toContain('local-key-\\u001b[2J\u202e')
    }
  })

  it('a failing call names a hostile path escaped', async () => {
    const { project } = hostileFiles()
    const client = await connect(project)
    const a = await callText(client, 'sync_status', { project_dir: 'nowhere-\x1b[2J\u202e' })
    expect(a.isError).toBe(true)
    expectSafe(a.text, 'sync_status in a missing project')
    expect(a.text).toContain('nowhere-\\x1b[2J\\u202e')
  })
})
