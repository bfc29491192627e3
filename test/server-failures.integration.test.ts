/**
 * What a user sees when the environment server is not there, or refuses them: `status`,
 * `pull` and `push` through the built CLI say so in one plain line on stderr (plus at most
 * one indented hint; never a stack trace), exit 1, and leave the local project exactly as it
 * was: files, baselines, backups. Real server child processes on 127.0.0.1.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, put, readTree, sha, syncedTree, tempDir, treeObject } from './helpers.js'
import { childEnv, closedPort, createToken, runCli, runCliAsync, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

beforeAll(() => ensureBuilt())
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

/** The whole local project, SyncDesk's own state included (its scan cache aside). */
function wholeTree(project: string): Record<string, string> {
  const t = readTree(project)
  for (const k of [...t.keys()]) if (k.startsWith('.syncdesk/cache/')) t.delete(k)
  return treeObject(t)
}

/** One error line naming what went wrong and what to do, no stack trace. */
function expectOneLineError(stderr: string, message: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines.length, stderr).toBeGreaterThanOrEqual(1)
  expect(lines.length, `one error line: ${stderr}`).toBe(1)
  expect(lines[0]).toMatch(/^syncdesk: /)
  expect(lines[0]).toMatch(message)
  expect(stderr).not.toMatch(/^\s+at .+:\d+/m)
  expect(stderr).not.toMatch(/unexpected error|TypeError|ReferenceError|ECONNREFUSED\b(?!.*is the server)/)
}

interface Setup {
  project: string
  srvDir: string
  env: NodeJS.ProcessEnv
  p: (...args: string[]) => ReturnType<typeof runCli>
}

/** A project synced with a fresh server, then changed on both sides (so every direction has work). */
async function syncedProject(name: string): Promise<Setup & { server: ServerProcess; token: string }> {
  const root = tempDir(`syncdesk-fail-${name}-`)
  const srvDir = path.join(root, 'srv')
  const project = path.join(root, 'project')
  fs.mkdirSync(srvDir)
  fs.mkdirSync(project)
  const token = createToken(srvDir, 'ci', 'read,write')
  const server = await startServerProcess(srvDir)
  const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
  const p = (...args: string[]) => runCli(['--project-dir', project, ...args], { env })
  expect(p('init').code).toBe(0)
  expect(p('env', 'add', 'staging', '--url', server.url).code).toBe(0)
  put(project, 'agents/a.yml', 'name: a\n')
  put(project, 'docs/b.md', '# b\n')
  put(project, 'pipelines/c.py', 'print("c")\n')
  const first = p('push')
  expect(first.code, first.stderr).toBe(0)
  put(project, 'agents/a.yml', 'name: a\nlocal: edit\n')
  put(project, 'skills/new-local.yml', 'skill: local\n')
  put(srvDir, 'docs/b.md', '# b\nremote edit\n')
  put(srvDir, 'contexts/new-remote.md', 'remote\n')
  fs.rmSync(path.join(srvDir, 'pipelines', 'c.py'))
  return { project, srvDir, env, p, server, token }
}

const COMMANDS: string[][] = [['status'], ['status', '--format', 'json'], ['pull'], ['push'], ['sync', '--resolve', 'local']]

/** Local copies kept by backup runs, and local changes their records list (a push makes none). */
function localBackups(project: string): number {
  const dir = path.join(project, '.syncdesk', 'backups')
  if (!fs.existsSync(dir)) return 0
  let n = 0
  for (const run of fs.readdirSync(dir)) {
    const files = path.join(dir, run, 'files')
    if (fs.existsSync(files)) n += readTree(files).size
    const record = path.join(dir, run, 'run.json')
    if (fs.existsSync(record)) {
      const r = JSON.parse(fs.readFileSync(record, 'utf8')) as { changes: unknown[]; records?: unknown[] }
      n += r.changes.length + (r.records?.length ?? 0)
    }
  }
  return n
}

describe('a server that is not there', () => {
  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))('closed port: %s → one line, exit 1, nothing changed', async (_label, command) => {
    const root = tempDir('syncdesk-fail-closed-')
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    const port = await closedPort()
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: 'sdk_some_token' })
    const p = (...args: string[]) => runCli(['--project-dir', project, ...args], { env })
    expect(p('init').code).toBe(0)
    const add = p('env', 'add', 'staging', '--url', `http://127.0.0.1:${port}`)
    expect(add.code, add.stderr).toBe(0)
    put(project, 'agents/a.yml', 'name: a\n')
    const before = wholeTree(project)
    const r = p(...command)
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expectOneLineError(r.stderr, new RegExp(`staging.*127\\.0\\.0\\.1:${port}.*connection refused`))
    expect(r.stdout).toBe('')
    expect(wholeTree(project)).toEqual(before)
  })

  it('server killed after a sync: status, pull, push and sync each → one line, exit 1, nothing changed', async () => {
    const s = await syncedProject('killed')
    const serverBefore = treeObject(syncedTree(s.srvDir))
    await s.server.kill()
    const before = wholeTree(s.project)
    for (const command of COMMANDS) {
      const r = s.p(...command)
      expect(r.code, `${command.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1)
      expectOneLineError(r.stderr, /Cannot reach environment "staging" at http:\/\/127\.0\.0\.1:\d+ \(connection refused/)
      expect(wholeTree(s.project), command.join(' ')).toEqual(before)
    }
    expect(treeObject(syncedTree(s.srvDir))).toEqual(serverBefore)
  })

  it('server killed in the middle of a big push: exit 1, one line, local files untouched, the baseline honest, a rerun completes', async () => {
    const s = await syncedProject('midrun')
    const N = 3000
    const content = (i: number) => `file ${i}\n${'x'.repeat(2000 + (i % 50))}\n`
    for (let i = 0; i < N; i++) put(s.project, `bulk/d${i % 30}/f${i}.md`, content(i))
    const localBefore = treeObject(syncedTree(s.project))
    const baselineFile = path.join(s.project, '.syncdesk', 'baselines', 'staging.json')
    const baselineBefore = fs.readFileSync(baselineFile, 'utf8')

    const push = runCliAsync(['--project-dir', s.project, 'push', '--format', 'json'], { env: s.env })
    // Kill the server as soon as the first bulk file lands on it.
    const deadline = Date.now() + 20_000
    while (!fs.existsSync(path.join(s.srvDir, 'bulk')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
    await s.server.kill()
    const r = await push
    const landed = fs.existsSync(path.join(s.srvDir, 'bulk')) ? Object.keys(treeObject(syncedTree(path.join(s.srvDir, 'bulk')))).length : 0
    if (r.code === 0) throw new Error(`the push finished before the server was killed (${landed} files landed): make the push bigger`)
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expectOneLineError(r.stderr, /staging/)
    expect(landed, 'some but not all files reached the server').toBeLessThan(N)

    // A push never changes local files, and made no local backups (a push's run record
    // lists what it changed in the environment, for undo, and holds no local copy).
    expect(treeObject(syncedTree(s.project))).toEqual(localBefore)
    expect(localBackups(s.project)).toBe(0)

    // The baseline records only what really reached the server.
    const oldBase = JSON.parse(baselineBefore) as unknown
    const newBase = JSON.parse(fs.readFileSync(baselineFile, 'utf8')) as unknown
    const files = (b: unknown): Map<string, string> => baselineFiles(b)
    const oldFiles = files(oldBase)
    for (const [p, hash] of files(newBase)) {
      if (oldFiles.get(p) === hash) continue
      const onServer = fs.existsSync(path.join(s.srvDir, ...p.split('/'))) ? sha(fs.readFileSync(path.join(s.srvDir, ...p.split('/')))) : null
      expect(onServer, `baseline entry ${p}`).toBe(hash)
    }

    // After a restart on the same address, the same push completes: both sides agree.
    const again = await startServerProcess(s.srvDir, { port: Number(new URL(s.server.url).port) })
    const rerun = s.p('push')
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0)
    expect(treeObject(syncedTree(path.join(s.srvDir, 'bulk')))).toEqual(treeObject(syncedTree(path.join(s.project, 'bulk'))))
    const st = s.p('status', '--format', 'json')
    const status = JSON.parse(st.stdout) as Record<string, unknown[]>
    expect(status.local_to_remote, 'nothing left to push').toEqual([])
    await again.stop()
  })
})

/** The baseline's updatedAt: what `status` shows as "last sync". */
function readLastSync(project: string): string {
  return (JSON.parse(fs.readFileSync(path.join(project, '.syncdesk', 'baselines', 'staging.json'), 'utf8')) as { updatedAt: string }).updatedAt
}

/** path → hash of a baseline file, whatever its exact layout (parallel arrays, files as an object or a list). */
function baselineFiles(b: unknown): Map<string, string> {
  const out = new Map<string, string>()
  const { files, paths, hashes } = b as { files?: unknown; paths?: unknown; hashes?: unknown }
  if (Array.isArray(paths) && Array.isArray(hashes)) {
    paths.forEach((p, i) => out.set(String(p), String(hashes[i])))
  } else if (Array.isArray(files)) {
    for (const f of files as unknown[]) {
      if (Array.isArray(f)) out.set(String(f[0]), typeof f[1] === 'string' ? f[1] : String((f[1] as { hash?: string }).hash))
      else {
        const e = f as { path: string; hash: string }
        out.set(e.path, e.hash)
      }
    }
  } else if (files && typeof files === 'object') {
    for (const [p, v] of Object.entries(files as Record<string, unknown>)) out.set(p, typeof v === 'string' ? v : String((v as { hash?: string }).hash))
  } else throw new Error(`unknown baseline layout: ${JSON.stringify(b).slice(0, 200)}`)
  return out
}

describe('a server that refuses the token', () => {
  it('a wrong token: one line naming the environment, exit 1, nothing changed', async () => {
    const s = await syncedProject('wrongtoken')
    const before = wholeTree(s.project)
    const serverBefore = treeObject(syncedTree(s.srvDir))
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: 'sdk_not_a_real_token_0000000000000000000000' })
    for (const command of COMMANDS) {
      const r = runCli(['--project-dir', s.project, ...command], { env })
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(1)
      expectOneLineError(r.stderr, /token for staging was refused/)
      expect(r.stderr).not.toContain('sdk_not_a_real_token')
      expect(wholeTree(s.project)).toEqual(before)
    }
    expect(treeObject(syncedTree(s.srvDir))).toEqual(serverBefore)
    await s.server.stop()
  })

  it('a token without the write scope: push refused clearly, nothing changed on either side', async () => {
    const s = await syncedProject('readonly')
    const readOnly = createToken(s.srvDir, 'viewer', 'read')
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: readOnly })
    const localBefore = treeObject(readTree(s.project, { skipTop: ['.syncdesk'] }))
    const serverBefore = readTree(s.srvDir, { skipTop: ['.syncdesk-server'] })
    const baselineFile = path.join(s.project, '.syncdesk', 'baselines', 'staging.json')
    const baselineBefore = baselineFiles(JSON.parse(fs.readFileSync(baselineFile, 'utf8')))
    // Reading works with it.
    const st = runCli(['--project-dir', s.project, 'status', '--format', 'json'], { env })
    expect(st.code, st.stderr).toBe(0)
    for (const command of [['push'], ['push', '--overwrite-remote']]) {
      const r = runCli(['--project-dir', s.project, ...command], { env })
      expect(r.code, `${command.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1)
      expectOneLineError(r.stderr, /staging.*"write" scope/)
      expect(readTree(s.srvDir, { skipTop: ['.syncdesk-server'] }), command.join(' ')).toEqual(serverBefore)
    }
    expect(treeObject(readTree(s.project, { skipTop: ['.syncdesk'] }))).toEqual(localBefore)
    expect(baselineFiles(JSON.parse(fs.readFileSync(baselineFile, 'utf8')))).toEqual(baselineBefore)
    expect(localBackups(s.project)).toBe(0)
    await s.server.stop()
  })

  it('a refused push leaves .syncdesk/ exactly as it was (the baseline\'s updatedAt is the "last sync" users see)', async () => {
    const s = await syncedProject('readonly-state')
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: createToken(s.srvDir, 'viewer', 'read') })
    const before = wholeTree(s.project)
    const lastSyncBefore = readLastSync(s.project)
    await new Promise((r) => setTimeout(r, 20))
    const r = runCli(['--project-dir', s.project, 'push'], { env })
    expect(r.code).toBe(1)
    expect(readLastSync(s.project), 'the baseline\'s updatedAt (status: "last sync") after a push that pushed nothing').toBe(lastSyncBefore)
    expect(wholeTree(s.project)).toEqual(before)
    await s.server.stop()
  })
})
