/**
 * `syncdesk status` from a resident index (issue 11, part 1): while a host keeps the project
 * live (a real AppHost here, and a real `syncdesk serve` process), real CLI processes ask it over
 * the socket in `.syncdesk/`, and their output is the output of a CLI that scans: the same JSON,
 * the same words, the same warnings, after edits made while the host ran (a file saved a moment
 * before) and after edits made while it was stopped, with records in a database as well. A host
 * that is not there, wedged, or that answers nonsense changes nothing but the time; a request it
 * should not answer is refused and the host goes on.
 *
 * SYNCDESK_RESIDENT=require makes the CLI fail when the host did not answer (so a passing
 * comparison is known to compare the two paths), =off makes it scan.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppHost } from '../src-main/host/app-host.js'
import { askResidentHost } from '../src-main/host/resident-status.js'
import { openProject } from '../src-main/engine/project.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { CLI, cleanupTemps, cli, cliAsync, ensureBuilt, put, sha, tempDir } from './helpers.js'
import { makeSqlite, sql } from './records-support.js'
import { childEnv, createToken, startServerProcess, stopAllServers } from './support/server-process.js'

beforeAll(ensureBuilt)
const hosts: AppHost[] = []
const children: ChildProcess[] = []
const servers: net.Server[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.dispose()
  for (const s of servers.splice(0)) await new Promise((r) => s.close(() => r(undefined)))
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

const onLinux = process.platform === 'linux'

/** A project synced with a folder environment `staging`. */
function syncedProject(files: Record<string, string>) {
  const root = tempDir('syncdesk-resident-')
  const project = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  expect(cli(['--project-dir', project, 'init']).code).toBe(0)
  expect(cli(['--project-dir', project, 'env', 'add', 'staging', '--folder', env]).code).toBe(0)
  expect(cli(['--project-dir', project, 'pull', '--yes']).code).toBe(0)
  return { root, project, env, socket: path.join(project, '.syncdesk', 'host.sock') }
}

async function startHost(root: string, project: string, opts: { env?: NodeJS.ProcessEnv; name?: string } = {}): Promise<{ host: AppHost; projectId: string }> {
  const host = new AppHost({ dataDir: path.join(root, opts.name ?? 'data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test', live: true, env: opts.env })
  hosts.push(host)
  const view = await host.openProjectAt(project)
  return { host, projectId: view.id }
}

async function stopHost(host: AppHost): Promise<void> {
  hosts.splice(hosts.indexOf(host), 1)
  await host.dispose()
}

/** `syncdesk status` as a child process (the host in this process answers meanwhile). */
function status(project: string, resident: 'require' | 'off' | 'auto', args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return cliAsync(['--project-dir', project, 'status', ...args], { env: { ...env, SYNCDESK_RESIDENT: resident === 'auto' ? '' : resident } })
}

/** The resident answer and a scan's, for the same tree: they must print the same. */
async function same(project: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const resident = await status(project, 'require', args, env)
  const scanned = await status(project, 'off', args, env)
  expect(resident.stderr).toBe(scanned.stderr)
  expect(resident.code).toBe(0)
  expect(scanned.code).toBe(0)
  expect(resident.stdout).toBe(scanned.stdout)
  return resident.stdout
}

const FORMS = [['--env', 'staging', '--format', 'json'], ['--env', 'staging'], ['--env', 'staging', '--all'], ['--env', 'staging', '--scope', 'files', '--format', 'json']] as const

/** Every form of status, resident and scanned, must agree. */
async function allSame(project: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown[]>> {
  let json = ''
  for (const form of FORMS) {
    const out = await same(project, form, env)
    if ((form as readonly string[]).includes('json') && !json) json = out
  }
  return JSON.parse(json) as Record<string, unknown[]>
}

/** Edits of every kind, on both sides, made all at once (the first status follows at once). */
function editEverything(project: string, env: string, round: number): void {
  put(project, 'a.md', `a, saved in round ${round}\n`)
  put(project, `new-${round}/deep/n.py`, `print(${round})\n`)
  fs.rmSync(path.join(project, 'docs', `gone-${round}.md`), { force: true })
  if (fs.existsSync(path.join(project, 'docs', 'mv.md'))) fs.renameSync(path.join(project, 'docs', 'mv.md'), path.join(project, 'docs', `mv-${round}.md`))
  put(project, 'Case.md', 'upper\n')
  put(project, 'case.md', 'lower\n')
  put(project, 'notes.bin', 'not a synced type\n')
  put(project, 'node_modules/x.md', 'excluded\n')
  try {
    fs.symlinkSync('a.md', path.join(project, `link-${round}.md`))
  } catch {}
  put(env, `from-cloud-${round}.md`, `round ${round}\n`)
  put(project, 'both.md', `mine ${round}\n`)
  put(env, 'both.md', `theirs ${round}\n`)
}

/** The keys of the records in a status JSON category, in order. */
const keyedRecords = (list: unknown[] = []) => list.filter((e) => (e as { kind: string }).kind === 'record').map((e) => (e as { key: string }).key)

const START = { 'a.md': 'a\n', 'both.md': 'both\n', 'docs/mv.md': 'to move\n', 'docs/gone-0.md': '0\n', 'docs/gone-1.md': '1\n', 'docs/keep.sql': 'select 1;\n' }

// Each test runs the CLI a dozen times or more, on a machine that may be busy.
describe.skipIf(!onLinux)('status from a resident host', { timeout: 180_000 }, () => {
  it('prints what a scan prints, after edits made while the host runs', async () => {
    const { root, project, env } = syncedProject(START)
    await startHost(root, project)
    const before = await allSame(project)
    expect(before.in_sync).toHaveLength(Object.keys(START).length)
    for (let round = 0; round < 2; round++) {
      editEverything(project, env, round)
      const after = await allSame(project)
      expect(JSON.stringify(after)).toContain(`new-${round}/deep/n.py`)
      expect(JSON.stringify(after)).toContain(`from-cloud-${round}.md`)
      expect(after.conflicts).toEqual([expect.objectContaining({ path: 'both.md' })])
    }
    // What is synced changes (.syncdeskignore): the host's index follows.
    put(project, '.syncdeskignore', 'new-0/\n')
    const ignored = await allSame(project)
    expect(JSON.stringify(ignored)).not.toContain('new-0/deep/n.py')
    // Two environments: one summary line each, both answered by the host.
    const second = path.join(root, 'env2')
    fs.mkdirSync(second)
    expect(cli(['--project-dir', project, 'env', 'add', 'other', '--folder', second]).code).toBe(0)
    // The host was not told of it (the dashboard would have): it answers for it all the same.
    const r = await status(project, 'require', [])
    const s = await status(project, 'off', [])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(s.stdout)
    expect(r.stdout).toContain('other:')
  })

  it('answers without loading the whole CLI while a host runs, and with it when none does', async () => {
    const { root, project } = syncedProject(START)
    await startHost(root, project)
    const cacheHome = path.join(root, 'cache-home')
    // Each bundle that runs leaves its code cache (bin/cached-require.cjs): they tell which ran.
    const ran = () => (fs.existsSync(path.join(cacheHome, 'syncdesk', 'code-cache')) ? fs.readdirSync(path.join(cacheHome, 'syncdesk', 'code-cache')).map((f) => f.split('-v')[0]).sort() : [])
    const withCache = { XDG_CACHE_HOME: cacheHome, SYNCDESK_CODE_CACHE: '' }
    const quick = await status(project, 'auto', ['--env', 'staging', '--format', 'json'], withCache)
    expect(quick.code, quick.stderr).toBe(0)
    expect((JSON.parse(quick.stdout) as { in_sync: unknown[] }).in_sync).toHaveLength(Object.keys(START).length)
    expect(ran()).toEqual(['quick-status.cjs-status'])
    // What the quick path does not take (an unknown flag here) goes to the whole CLI, which words it.
    const odd = await status(project, 'auto', ['--env', 'staging', '--frobnicate'], withCache)
    expect(odd.code).toBe(2)
    expect(odd.stderr).toMatch(/unknown option '--frobnicate'/)
    expect(ran()).toEqual(['cli.cjs-status', 'quick-status.cjs-status'])
    // With the host gone, the same command scans and prints the same.
    await stopHost(hosts[0] as AppHost)
    const scanned = await status(project, 'auto', ['--env', 'staging', '--format', 'json'], withCache)
    expect(scanned.code, scanned.stderr).toBe(0)
    expect(scanned.stdout).toBe(quick.stdout)
  })

  it('holds a file saved a moment before the status', async () => {
    const { root, project } = syncedProject({ 'a.md': 'a\n', 'b.md': 'b\n' })
    await startHost(root, project)
    const p = openProject(project)
    for (let i = 0; i < 10; i++) {
      const content = `save number ${i}\n`
      // Saved, then asked at once (in this process: no process start in between).
      put(project, 'a.md', content)
      if (i % 2) put(project, `fresh-${i}/f.md`, content)
      const answer = await askResidentHost(p, { env: 'staging', scope: 'all', withInfo: false })
      expect(answer.ok).toBe(true)
      if (!answer.ok) continue
      const pushes = answer.report.status.local_to_remote
      expect(pushes.find((e) => e.kind === 'file' && e.path === 'a.md')).toMatchObject({ localHash: sha(content) })
      if (i % 2) expect(pushes.find((e) => e.kind === 'file' && e.path === `fresh-${i}/f.md`)).toMatchObject({ localHash: sha(content) })
    }
    // And through a real CLI process, saved just before it starts.
    put(project, 'b.md', 'b, saved last\n')
    const out = JSON.parse((await status(project, 'require', ['--format', 'json'])).stdout) as { local_to_remote: { path: string; localHash: string }[] }
    expect(out.local_to_remote.find((e) => e.path === 'b.md')?.localHash).toBe(sha('b, saved last\n'))
  })

  it('prints what a scan prints after edits made while the host was stopped, then started', async () => {
    const { root, project, env } = syncedProject(START)
    const first = await startHost(root, project)
    await allSame(project)
    await stopHost(first.host)
    editEverything(project, env, 0)
    // No host now: a scan, and the strict mode says no host answered.
    const none = await status(project, 'require', ['--env', 'staging'])
    expect(none.code).not.toBe(0)
    expect(none.stderr).toContain('No resident host answered')
    await startHost(root, project)
    await allSame(project)
    editEverything(project, env, 1)
    await allSame(project)
  })

  it('answers for a project with a database: files from the index, records read afresh on both sides', async () => {
    const { root, project, env } = syncedProject(START)
    const localDb = path.join(project, 'app.sqlite')
    const envDb = path.join(env, '.syncdesk-server', 'database.sqlite')
    const agent = (id: number, name: string) => ({ id, name, config: JSON.stringify({ model: 'm', n: id }), enabled: 1, score: id / 2 })
    makeSqlite(localDb, [1, 2, 3, 4].map((i) => agent(i, `agent ${i}`)))
    makeSqlite(envDb)
    expect(cli(['--project-dir', project, 'db', 'add', '--sqlite', 'app.sqlite']).code).toBe(0)
    expect(cli(['--project-dir', project, 'push', '--yes']).code).toBe(0)
    await startHost(root, project)
    const before = await allSame(project)
    expect(keyedRecords(before.in_sync)).toEqual(['1', '2', '3', '4'])
    // Records edited on both sides while the host runs (it watches files, not databases).
    editEverything(project, env, 0)
    sql(localDb, "UPDATE agents SET name = 'edited here' WHERE id = 1")
    sql(envDb, "UPDATE agents SET name = 'edited in the cloud' WHERE id = 2")
    sql(localDb, "UPDATE agents SET name = 'mine' WHERE id = 3")
    sql(envDb, "UPDATE agents SET name = 'theirs' WHERE id = 3")
    sql(envDb, 'DELETE FROM agents WHERE id = 4')
    const after = await allSame(project)
    expect(keyedRecords(after.local_to_remote)).toEqual(['1'])
    expect(keyedRecords(after.remote_to_local)).toEqual(['2', '4'])
    expect(keyedRecords(after.conflicts)).toEqual(['3'])
    expect(JSON.stringify(after)).toContain('from-cloud-0.md')
    // Records alone are worked out by the CLI itself, and say the same.
    const recordsOnly = ['--env', 'staging', '--scope', 'records', '--format', 'json']
    const here = await status(project, 'auto', recordsOnly)
    expect(here.code, here.stderr).toBe(0)
    expect(here.stdout).toBe((await status(project, 'off', recordsOnly)).stdout)
  })

  it('answers a status from the host with a real syncdesk serve process, and stops answering when it stops', async () => {
    const { root, project, env } = syncedProject(START)
    const serve = spawn(process.execPath, [CLI, '--project-dir', project, 'serve', '--data-dir', path.join(root, 'serve-data')], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(serve)
    await new Promise<void>((resolve, reject) => {
      let out = ''
      serve.stdout?.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('SyncDesk dashboard:')) resolve()
      })
      serve.once('exit', (code) => reject(new Error(`serve exited (${code})`)))
    })
    // The socket comes once the project is live.
    for (let i = 0; i < 100 && !fs.existsSync(path.join(project, '.syncdesk', 'host.sock')); i++) await new Promise((r) => setTimeout(r, 100))
    expect(fs.statSync(path.join(project, '.syncdesk', 'host.sock')).mode & 0o777).toBe(0o600)
    await allSame(project)
    editEverything(project, env, 0)
    await allSame(project)
    serve.kill('SIGTERM')
    await new Promise((r) => serve.once('exit', r))
    expect(fs.existsSync(path.join(project, '.syncdesk', 'host.sock'))).toBe(false)
    expect((await status(project, 'require', ['--env', 'staging'])).code).not.toBe(0)
    expect((await status(project, 'auto', ['--env', 'staging'])).code).toBe(0)
  })

  it('answers for an environment server too, and the MCP status the same way', async () => {
    const root = tempDir('syncdesk-resident-srv-')
    const srv = path.join(root, 'srv')
    fs.mkdirSync(srv)
    put(srv, 'a.md', 'a\n')
    put(srv, 'b.md', 'b\n')
    const token = createToken(srv, 'ci', 'read,write')
    const server = await startServerProcess(srv)
    const project = path.join(root, 'project')
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
    expect(cli(['--project-dir', project, 'init'], { env }).code).toBe(0)
    expect(cli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url], { env }).code).toBe(0)
    expect(cli(['--project-dir', project, 'pull', '--yes'], { env }).code).toBe(0)
    await startHost(root, project, { env })
    await allSame(project, env)
    put(project, 'a.md', 'a, mine\n')
    put(srv, 'b.md', 'b, changed in the environment\n')
    const after = await allSame(project, env)
    expect(after.local_to_remote).toEqual([expect.objectContaining({ path: 'a.md' })])
    // The MCP server's sync_status: the same structured answer either way.
    const mcp = async (resident: string) => {
      const strings = Object.fromEntries(Object.entries({ ...env, SYNCDESK_RESIDENT: resident }).filter((e): e is [string, string] => typeof e[1] === 'string'))
      const client = new Client({ name: 'syncdesk-test', version: '1.0.0' })
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--project-dir', project, 'mcp'], env: strings, stderr: 'pipe' }))
      try {
        return (await client.callTool({ name: 'sync_status', arguments: {} })) as { isError?: boolean; structuredContent?: unknown }
      } finally {
        await client.close()
      }
    }
    const viaHost = await mcp('require')
    const scanned = await mcp('off')
    expect(viaHost.isError).toBeFalsy()
    expect(viaHost.structuredContent).toEqual(scanned.structuredContent)
  })

  it('scans as before, silently, when the socket is stale, wedged or answers nonsense', async () => {
    const { root, project, socket } = syncedProject(START)
    put(project, 'a.md', 'changed\n')
    const scanned = await status(project, 'off', ['--env', 'staging'])
    const fallsBack = async () => {
      const r = await status(project, 'auto', ['--env', 'staging'])
      expect(r.code).toBe(0)
      expect(r.stderr).toBe(scanned.stderr)
      expect(r.stdout).toBe(scanned.stdout)
      return r
    }
    // A socket file left by a host that was killed: nobody listens on it.
    const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.stdout.write('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] })
    children.push(dead)
    await new Promise((r) => dead.stdout?.once('data', r))
    dead.kill('SIGKILL')
    await new Promise((r) => dead.once('exit', r))
    expect(fs.lstatSync(socket).isSocket()).toBe(true)
    await fallsBack()
    // A host that takes the connection and never says a word: the CLI gives up within 300 ms.
    fs.rmSync(socket)
    // It reads (so that it hears the client go), and never writes.
    const wedged = net.createServer((c) => c.resume())
    servers.push(wedged)
    await new Promise<void>((r) => wedged.listen(socket, r))
    const slow = await fallsBack()
    expect(slow.ms).toBeLessThan(scanned.ms + 5000)
    await new Promise((r) => wedged.close(r))
    servers.splice(servers.indexOf(wedged), 1)
    // Hosts that answer nonsense: not JSON, a report of the wrong shape, accepted then cut.
    for (const reply of ['hello\n', '{"v":1,"type":"accepted"}\n{"v":1,"type":"status","report":{"env":1},"info":null}\n', '{"v":1,"type":"accepted"}\n{"v":1,"type":"sta', '{"v":2,"type":"accepted"}\n']) {
      const liar = net.createServer((c) => c.on('data', () => c.end(reply)))
      servers.push(liar)
      await new Promise<void>((r) => liar.listen(socket, r))
      await fallsBack()
      await new Promise((r) => liar.close(r))
      servers.splice(servers.indexOf(liar), 1)
      fs.rmSync(socket, { force: true })
    }
    // A stale socket is replaced by the next host, which then answers.
    const stale = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.stdout.write('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] })
    children.push(stale)
    await new Promise((r) => stale.stdout?.once('data', r))
    stale.kill('SIGKILL')
    await new Promise((r) => stale.once('exit', r))
    await startHost(root, project)
    expect((await status(project, 'require', ['--env', 'staging'])).stdout).toBe(scanned.stdout)
  })

  it('listens in a private folder of the user when the project path is too long for a socket', async () => {
    const root = tempDir('syncdesk-resident-long-')
    const deep = path.join(root, ...Array.from({ length: 5 }, (_, i) => `a-rather-long-folder-name-${i}`))
    fs.mkdirSync(deep, { recursive: true })
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    put(env, 'a.md', 'a\n')
    expect(cli(['--project-dir', deep, 'init']).code).toBe(0)
    expect(cli(['--project-dir', deep, 'env', 'add', 'staging', '--folder', env]).code).toBe(0)
    await startHost(root, deep)
    expect(fs.existsSync(path.join(deep, '.syncdesk', 'host.sock'))).toBe(false)
    await same(deep, ['--env', 'staging', '--format', 'json'])
  })

  it('refuses requests it should not answer, and goes on answering', async () => {
    const { root, project, socket } = syncedProject(START)
    const { host, projectId } = await startHost(root, project)
    const st = fs.lstatSync(socket)
    expect(st.isSocket()).toBe(true)
    expect(st.mode & 0o777).toBe(0o600)
    const ask = (bytes: string | Buffer, opts: { end?: boolean } = {}) =>
      new Promise<string>((resolve) => {
        const c = net.createConnection(socket)
        let got = ''
        c.on('connect', () => (opts.end === false ? c.write(bytes) : c.end(bytes)))
        c.on('data', (d: Buffer) => (got += d.toString()))
        c.on('close', () => resolve(got))
        c.on('error', () => resolve(got))
        setTimeout(() => c.destroy(), 3000)
      })
    const real = fs.realpathSync(project)
    const request = (over: Record<string, unknown>) => `${JSON.stringify({ v: 1, type: 'status', projectDir: real, projectId, env: 'staging', scope: 'all', withInfo: false, ...over })}\n`
    // The last line: a refusal comes first, or after `accepted` when the host took the request.
    const refusal = (text: string) => JSON.parse(text.trim().split('\n').pop() as string) as { type: string; code: string }
    expect(refusal(await ask('not json\n'))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask(`${'x'.repeat(20_000)}\n`))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask(Buffer.from([0xff, 0xfe, 0x00, 0x0a])))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask('{"v":1,"type":"status"'))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask(request({ v: 99 })))).toMatchObject({ type: 'refused', code: 'version' })
    expect(refusal(await ask(request({ env: '../x' })))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask(request({ extra: true })))).toMatchObject({ type: 'refused', code: 'invalid-request' })
    expect(refusal(await ask(request({ projectId: 'another' })))).toMatchObject({ type: 'refused', code: 'wrong-project' })
    expect(refusal(await ask(request({ projectDir: path.join(root, 'elsewhere') })))).toMatchObject({ type: 'refused', code: 'wrong-project' })
    expect(refusal(await ask(request({ env: 'nosuch' })))).toMatchObject({ type: 'refused', code: 'unavailable' })
    // Half a request, then the client goes away; many at once; then a proper one is answered.
    await ask('{"v":1', { end: false })
    await Promise.all(Array.from({ length: 20 }, () => ask('garbage\n')))
    const good = (await ask(request({}))).split('\n')
    expect(JSON.parse(good[0] as string)).toEqual({ v: 1, type: 'accepted' })
    expect(JSON.parse(good[1] as string)).toMatchObject({ v: 1, type: 'status', report: { env: 'staging' } })
    // Paused watching: the host does not vouch for its index, the CLI scans.
    await host.dispatch('settings:set', { pauseWatching: true })
    expect(refusal(await ask(request({})))).toMatchObject({ type: 'refused', code: 'unavailable' })
    expect((await status(project, 'auto', ['--env', 'staging'])).code).toBe(0)
    await host.dispatch('settings:set', { pauseWatching: false })
    // A second host for the same project leaves the first one's socket alone.
    const second = await startHost(root, project, { name: 'data2' })
    await stopHost(second.host)
    expect(fs.lstatSync(socket).ino).toBe(st.ino)
    expect((await status(project, 'require', ['--env', 'staging'])).code).toBe(0)
  })
})
