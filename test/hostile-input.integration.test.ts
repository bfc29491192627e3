/**
 * What an outside test broke (issue 7), as whole classes, through the real CLI and server:
 * names at and past the filesystem's length limit mixed into ordinary batches; users' files
 * whose names look like temp files; projects of 200,000 items; a state folder (or a folder in
 * it) that is a symlink or another user's; sync state entries with refused paths.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempPathFor } from '../src-main/engine/atomic.js'
import { cleanupTemps, cli, cliProject, ensureBuilt, get, put, readTree, TEMP_NAME, tempDir, type CliResult } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

interface StatusJson {
  remote_to_local: { path: string }[]
  local_to_remote: { path: string }[]
  conflicts: { path: string }[]
  in_sync: { path: string }[]
}

/** Every temp file SyncDesk left under `root` (there should be none after a finished run). */
function tempsUnder(root: string): string[] {
  return [...readTree(root).keys()].filter((p) => TEMP_NAME.test(path.basename(p)))
}

/** A folder environment or an environment server over `envDir`, and a project that uses it. */
async function projectWith(kind: 'folder' | 'server', envDir: string): Promise<{ project: string; p: (...a: string[]) => CliResult; server?: ServerProcess; token?: string }> {
  const root = path.dirname(envDir)
  if (kind === 'folder') {
    const { project, p } = cliProject(root, ['--folder', envDir])
    return { project, p }
  }
  const token = createToken(envDir, 'ci', 'read,write')
  const server = await startServerProcess(envDir)
  const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
  const project = path.join(root, 'project')
  fs.mkdirSync(project, { recursive: true })
  const p = (...a: string[]) => runCli(['--project-dir', project, ...a], { env })
  expect(p('init').code).toBe(0)
  const add = p('env', 'add', 'staging', '--url', server.url)
  expect(add.code, add.stderr).toBe(0)
  return { project, p, server, token }
}

/** A name of exactly `bytes` UTF-8 bytes ending in `.md`, made of `unit` (1 or 2 bytes each). */
function nameOfBytes(bytes: number, unit = 'n'): string {
  const unitBytes = Buffer.byteLength(unit)
  const body = unit.repeat(Math.floor((bytes - 3) / unitBytes))
  return 'x'.repeat(bytes - 3 - Buffer.byteLength(body)) + body + '.md'
}

describe.each(['folder', 'server'] as const)('names at the filesystem limit, %s environment', (kind) => {
  it('a 255-byte name pushes and pulls with the ordinary files of its batch, and leaves no temp file', async () => {
    const root = tempDir('syncdesk-long-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    const { project, p, server } = await projectWith(kind, envDir)
    const long = nameOfBytes(255)
    const longUtf8 = `deep/${nameOfBytes(255, 'é')}`
    const files: Record<string, string> = { 'a.md': 'a\n', [long]: 'long\n', 'b/c.yml': 'c: 1\n', [longUtf8]: 'long utf8\n', 'z.txt': 'z\n' }
    for (const [k, v] of Object.entries(files)) put(project, k, v)
    const push = p('push', '--yes')
    expect(push.code, push.stdout + push.stderr).toBe(0)
    for (const [k, v] of Object.entries(files)) expect(get(envDir, k), k).toBe(v)

    // The other way: the environment changes them, a pull brings them all.
    put(envDir, long, 'long, changed in the cloud\n')
    put(envDir, longUtf8, 'utf8, changed in the cloud\n')
    put(envDir, 'a.md', 'a changed\n')
    const pull = p('pull', '--yes')
    expect(pull.code, pull.stdout + pull.stderr).toBe(0)
    expect(get(project, long)).toBe('long, changed in the cloud\n')
    expect(get(project, longUtf8)).toBe('utf8, changed in the cloud\n')
    expect(get(project, 'a.md')).toBe('a changed\n')
    expect(tempsUnder(project)).toEqual([])
    expect(tempsUnder(envDir)).toEqual([])
    await server?.stop()
  })
})

describe('names past the filesystem limit reach the environment server', () => {
  it('are refused item by item with a 4xx and a message; the rest of the batch is written', async () => {
    const root = tempDir('syncdesk-toolong-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    const token = createToken(envDir, 'ci', 'read,write')
    const server = await startServerProcess(envDir)
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const tooLong = nameOfBytes(256)
    const tooLongUtf8 = `d/${nameOfBytes(257, 'é')}`
    const atLimit = nameOfBytes(255)
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    const items = ['one.md', tooLong, atLimit, tooLongUtf8, 'two/three.md'].map((p) => ({ path: p, content: b64(`content of ${p.length}\n`), ifNoneMatch: '*' }))
    const res = await fetch(`${server.url}/v1/files/write`, { method: 'POST', headers: auth, body: JSON.stringify({ items }) })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { writes: { path: string; status: number; error?: { code: string; message: string } }[] }
    const byPath = new Map(body.writes.map((w) => [w.path, w]))
    expect(byPath.get('one.md')?.status).toBe(201)
    expect(byPath.get(atLimit)?.status).toBe(201)
    expect(byPath.get('two/three.md')?.status).toBe(201)
    for (const p of [tooLong, tooLongUtf8]) {
      expect(byPath.get(p)?.status).toBe(400)
      expect(byPath.get(p)?.error?.message).toMatch(/more than the 255/)
    }
    expect(get(envDir, 'one.md')).not.toBeNull()
    expect(get(envDir, atLimit)).not.toBeNull()
    // One at a time, too: a clear refusal, not a 500.
    const put1 = await fetch(`${server.url}/v1/files/${encodeURIComponent(tooLong)}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'if-none-match': '*' }, body: 'x' })
    expect(put1.status).toBe(400)
    expect(((await put1.json()) as { error: { code: string } }).error.code).toBe('path-refused')
    expect(tempsUnder(envDir)).toEqual([])
    await server.stop()
  })

  it('a project whose environment lists such names reports them as not synced and syncs the rest', async () => {
    const root = tempDir('syncdesk-toolong-folder-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    // A folder can hold a 255-byte name; a path deeper than the limit the engine allows cannot be
    // made by the OS either, so the refused name here is a control character the OS does allow.
    put(envDir, 'ok.md', 'ok\n')
    put(envDir, nameOfBytes(255), 'limit\n')
    put(envDir, 'bad\u202egpj.md', 'bidi\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    const pull = p('pull', '--yes', '--format', 'json')
    expect(pull.code, pull.stderr).toBe(0)
    expect(get(project, 'ok.md')).toBe('ok\n')
    expect(get(project, nameOfBytes(255))).toBe('limit\n')
    expect(fs.existsSync(path.join(project, 'bad\u202egpj.md'))).toBe(false)
    const st = JSON.parse(p('status', '--format', 'json').stdout) as StatusJson & { skipped?: { path: string }[] }
    expect([...st.remote_to_local, ...st.local_to_remote, ...st.conflicts]).toEqual([])
  })
})

describe.each(['folder', 'server'] as const)("users' files whose names look like temp files, %s environment", (kind) => {
  it('survive push, pull and a server restart, and the synced ones arrive', async () => {
    const root = tempDir('syncdesk-marker-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    const { project, p, server } = await projectWith(kind, envDir)
    const userFiles: Record<string, string> = {
      'notes.syncdesk-tmp-123-abc.md': 'a synced note\n',
      'docs/.x.md.syncdesk-tmp-1-0123456789ab': 'an unsynced file with the old marker\n',
      '.syncdesk-tmp-deadbeef-1-0123456789ab.md': 'hidden, synced: ends in .md\n',
      'sub/.syncdesk-tmp-12345678-99999999-0123456789ab.txt': 'almost the temp form\n',
    }
    const cloudFiles: Record<string, string> = { 'cloud.syncdesk-tmp-7-ffff.md': 'from the cloud\n', 'c/.y.yml.syncdesk-tmp-4242-aaaaaaaaaaaa': 'cloud, unsynced\n' }
    for (const [k, v] of Object.entries(userFiles)) put(project, k, v)
    for (const [k, v] of Object.entries(cloudFiles)) put(envDir, k, v)

    expect(p('push', '--yes').code).toBe(0)
    expect(p('pull', '--yes').code).toBe(0)
    expect(p('sync', '--yes', '--resolve', 'skip').code).toBe(0)
    let restarted: ServerProcess | undefined
    if (server) {
      await server.stop()
      restarted = await startServerProcess(envDir, { port: Number(new URL(server.url).port) })
      expect(p('status').code).toBe(0)
    }
    for (const [k, v] of Object.entries(userFiles)) expect(get(project, k), k).toBe(v)
    for (const [k, v] of Object.entries(cloudFiles)) expect(get(envDir, k), k).toBe(v)
    // The ones with a synced type went across; the others stayed where they were.
    expect(get(envDir, 'notes.syncdesk-tmp-123-abc.md')).toBe('a synced note\n')
    expect(get(envDir, '.syncdesk-tmp-deadbeef-1-0123456789ab.md')).toBe('hidden, synced: ends in .md\n')
    expect(get(envDir, 'sub/.syncdesk-tmp-12345678-99999999-0123456789ab.txt')).toBe('almost the temp form\n')
    expect(get(project, 'cloud.syncdesk-tmp-7-ffff.md')).toBe('from the cloud\n')
    expect(get(envDir, 'docs/.x.md.syncdesk-tmp-1-0123456789ab')).toBeNull()
    await restarted?.stop()
  })
})

describe('temp files SyncDesk left', () => {
  it('are swept only when their writer is gone', () => {
    const root = tempDir('syncdesk-sweep-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    const { project, p } = cliProject(root, ['--folder', envDir])
    put(project, 'a.md', 'a\n')
    // A temp file in the exact form, with another machine's tag (a shared folder).
    const live = `.syncdesk-tmp-00000000-${process.pid}-0123456789ab.tmp`
    put(project, `docs/${live}`, 'a writer on another machine, just now\n')
    const push = p('push', '--yes')
    expect(push.code, push.stderr).toBe(0)
    // Another machine's temp file, recent: left (its writer may be at work).
    expect(get(project, `docs/${live}`)).not.toBeNull()
    // The same file an hour later: swept.
    const old = new Date(Date.now() - 2 * 3600_000)
    fs.utimesSync(path.join(project, 'docs', live), old, old)
    put(project, 'a.md', 'a2\n')
    expect(p('push', '--yes').code).toBe(0)
    expect(get(project, `docs/${live}`)).toBeNull()
  })
})

describe('a project of 200,000 items', () => {
  it('status, a dry run and the mass-delete guard work on 200,000 files and a 200,000-entry sync state', () => {
    const root = tempDir('syncdesk-200k-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    const { project, p } = cliProject(root, ['--folder', envDir])
    const N = 200_000
    const names: string[] = []
    for (let d = 0; d < 400; d++) {
      fs.mkdirSync(path.join(project, `d${d}`))
      for (let i = 0; i < N / 400; i++) {
        const rel = `d${d}/f${i}.md`
        fs.writeFileSync(path.join(project, rel), '')
        names.push(rel)
      }
    }
    const st = p('status', '--format', 'json')
    expect(st.code, st.stderr.slice(0, 2000)).toBe(0)
    const json = JSON.parse(st.stdout) as StatusJson
    expect(json.local_to_remote.length).toBe(N)
    const human = p('status')
    expect(human.code, human.stderr.slice(0, 2000)).toBe(0)
    expect(human.stdout).toContain('200000')
    const dry = p('push', '--dry-run', '--format', 'json')
    expect(dry.code, dry.stderr.slice(0, 2000)).toBe(0)

    // A sync state that knows 200,000 files the environment no longer has: a pull would delete
    // them all locally, and the guard stops it.
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    const files: Record<string, string> = {}
    for (const n of names) files[n] = empty
    fs.writeFileSync(path.join(project, '.syncdesk', 'baselines', 'staging.json'), JSON.stringify({ version: 1, env: 'staging', updatedAt: new Date().toISOString(), files, records: {} }))
    const pull = p('pull', '--yes')
    expect(pull.code, pull.stderr.slice(0, 2000)).toBe(3)
    expect(pull.stderr).toMatch(/mass-delete guard/)
    expect(fs.existsSync(path.join(project, 'd399', 'f499.md'))).toBe(true)
  }, 240_000)
})

describe("SyncDesk's own state folder", () => {
  /** A project synced once with a folder environment. */
  function synced(): { root: string; project: string; envDir: string; p: (...a: string[]) => CliResult } {
    const root = tempDir('syncdesk-state-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    put(envDir, 'a.md', 'a\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    return { root, project, envDir, p }
  }

  it('loses the temp files a killed run left in each of its folders at the next run', () => {
    const { project, p } = synced()
    // A pid that is surely gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    const state = path.join(project, '.syncdesk')
    const ours = path.basename(tempPathFor(path.join(state, 'x')))
    const left = ours.replace(`-${process.pid}-`, `-${dead}-`)
    expect(left).not.toBe(ours)
    const dirs = ['', 'baselines', 'cache', 'bases']
    for (const d of dirs) {
      fs.mkdirSync(path.join(state, d), { recursive: true })
      fs.writeFileSync(path.join(state, d, left), 'half written')
    }
    expect(p('push', '--yes').code).toBe(0)
    for (const d of dirs) expect(fs.existsSync(path.join(state, d, left)), d).toBe(false)
  })

  it('is made owner-only', () => {
    const { project } = synced()
    for (const d of ['', 'baselines', 'cache', 'backups']) {
      expect((fs.statSync(path.join(project, '.syncdesk', d)).mode & 0o777).toString(8), d).toBe('700')
    }
  })

  it.each(['.syncdesk', '.syncdesk/backups', '.syncdesk/baselines', '.syncdesk/cache', '.syncdesk/baselines/staging.json'])(
    'is refused when %s is a symlink; nothing is written through the link',
    (entry) => {
      const { root, project, envDir, p } = synced()
      const outside = path.join(root, 'outside')
      fs.cpSync(path.join(project, entry), outside, { recursive: true })
      fs.rmSync(path.join(project, entry), { recursive: true })
      fs.symlinkSync(outside, path.join(project, entry))
      const snapshot = () => (fs.statSync(outside).isDirectory() ? [...readTree(outside).entries()] : fs.readFileSync(outside, 'utf8'))
      const before = snapshot()
      put(envDir, 'a.md', 'a changed in the cloud\n')
      for (const args of [['pull', '--yes'], ['status'], ['push', '--yes'], ['backups', 'list']]) {
        const r = p(...args)
        expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).not.toBe(0)
        expect(r.stderr).toMatch(/state folder is not safe to use: .*symbolic link/)
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
      expect(snapshot()).toEqual(before)
      expect(get(project, 'a.md')).toBe('a\n')
    },
  )

  it.runIf(process.getuid?.() === 0)('is refused when it belongs to another user', () => {
    const { project, p } = synced()
    fs.chownSync(path.join(project, '.syncdesk', 'backups'), 65534, 65534)
    const r = p('pull', '--yes')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/belongs to another user/)
  })
})

describe('sync state entries with refused paths', () => {
  it('are dropped and reported, never shown as items', () => {
    const root = tempDir('syncdesk-badbase-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    put(envDir, 'a.md', 'a\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    const file = path.join(project, '.syncdesk', 'baselines', 'staging.json')
    const base = JSON.parse(fs.readFileSync(file, 'utf8')) as { paths: string[]; hashes: string[] }
    const hostile = ['../escape.md', 'x/\u001b[2J.md', 'bidi\u202e.md', '/etc/passwd.md']
    for (const h of hostile) {
      base.paths.push(h)
      base.hashes.push('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    }
    fs.writeFileSync(file, JSON.stringify(base))
    const st = p('status', '--format', 'json')
    expect(st.code, st.stderr).toBe(0)
    const json = JSON.parse(st.stdout) as StatusJson
    const all = [...json.in_sync, ...json.local_to_remote, ...json.remote_to_local, ...json.conflicts].map((e) => e.path)
    expect(all).toEqual(['a.md'])
    expect(st.stderr).toMatch(/Dropped 4 entries with a refused path/)
    const human = p('status')
    expect(human.stdout + human.stderr).toMatch(/Dropped 4 entries with a refused path/)
    expect(human.stdout + human.stderr).not.toContain('\u001b')
    // The next writing run saves the state without them.
    put(project, 'a.md', 'a2\n')
    expect(p('push', '--yes').code).toBe(0)
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as { paths: string[] }).paths).toEqual(['a.md'])
  })
})

describe('backups restore', () => {
  it('accepts --yes like every other command', () => {
    const root = tempDir('syncdesk-yes-')
    const envDir = path.join(root, 'env')
    fs.mkdirSync(envDir)
    put(envDir, 'a.md', 'a\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    put(envDir, 'a.md', 'a from the cloud\n')
    expect(p('pull', '--yes').code).toBe(0)
    const r = cli(['--project-dir', project, 'backups', 'restore', 'latest', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(get(project, 'a.md')).toBe('a\n')
  })
})
