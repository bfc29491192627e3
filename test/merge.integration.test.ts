/**
 * Three-way text merges through the real CLI (issue 10, part 1): a conflict whose two sides
 * changed different lines merges into both sides alike, with the local copy backed up and the
 * environment keeping its prior version; overlapping edits stay a conflict; without a kept base
 * no merge is offered; CRLF files keep their line endings; a server environment too.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, cliProject, ensureBuilt, get, put, tempDir } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

const BASE = 'title: Support\nmodel: standard\ntone: polite\nlimit: 200\nlanguage: en\n'

function synced(files: Record<string, string>) {
  const root = tempDir('syncdesk-merge-')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  const { project, p } = cliProject(root, ['--folder', env])
  expect(p('pull', '--yes').code).toBe(0)
  return { root, env, project, p }
}

describe('sync --resolve merge for text files', () => {
  it('merges edits of different lines into both sides, backed up, and the status is in sync', () => {
    const { env, project, p } = synced({ 'agent.yml': BASE })
    put(project, 'agent.yml', BASE.replace('model: standard', 'model: large'))
    put(env, 'agent.yml', BASE.replace('language: en', 'language: de'))
    const st = JSON.parse(p('status', '--format', 'json').stdout) as { conflicts: { path: string }[] }
    expect(st.conflicts.map((c) => c.path)).toEqual(['agent.yml'])
    const dry = p('sync', '--resolve', 'merge', '--dry-run', '--format', 'json')
    expect(JSON.parse(dry.stdout).actions.map((a: { op: string; why: string }) => `${a.op} ${a.why}`)).toEqual(['write-local merge', 'write-remote merge'])
    expect(get(env, 'agent.yml')).toBe(BASE.replace('language: en', 'language: de'))
    const r = p('sync', '--resolve', 'merge', '--yes')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const merged = BASE.replace('model: standard', 'model: large').replace('language: en', 'language: de')
    expect(get(project, 'agent.yml')).toBe(merged)
    expect(get(env, 'agent.yml')).toBe(merged)
    // One local file replaced (backed up here) and one in the environment (kept there): 2 in all.
    expect(p('backups', 'list').stdout).toMatch(/2 replaced/)
    const versions = fs.readdirSync(path.join(env, '.syncdesk-server', 'versions'))
    expect(versions.length).toBeGreaterThan(0)
    const after = JSON.parse(p('status', '--format', 'json').stdout) as { conflicts: unknown[]; local_to_remote: unknown[]; remote_to_local: unknown[] }
    expect([after.conflicts, after.local_to_remote, after.remote_to_local]).toEqual([[], [], []])
    // The merge result is the next base: a later edit on one side merges with one on the other.
    put(project, 'agent.yml', merged.replace('title: Support', 'title: Help'))
    put(env, 'agent.yml', merged.replace('limit: 200', 'limit: 300'))
    expect(p('sync', '--resolve', 'merge', '--yes').code).toBe(0)
    expect(get(env, 'agent.yml')).toBe(merged.replace('title: Support', 'title: Help').replace('limit: 200', 'limit: 300'))
  })

  it('leaves overlapping edits a conflict, and offers no merge without a kept base', () => {
    const { env, project, p } = synced({ 'a.yml': BASE, 'b.yml': BASE })
    put(project, 'a.yml', BASE.replace('tone: polite', 'tone: brief'))
    put(env, 'a.yml', BASE.replace('tone: polite', 'tone: warm'))
    const r = p('sync', '--resolve', 'merge', '--yes', '--format', 'json')
    expect(r.code).toBe(3)
    expect(JSON.parse(r.stdout).conflicts_left).toEqual([{ path: 'a.yml' }])
    expect(get(project, 'a.yml')).toBe(BASE.replace('tone: polite', 'tone: brief'))
    expect(get(env, 'a.yml')).toBe(BASE.replace('tone: polite', 'tone: warm'))
    // A lost base: the same kind of edits that would merge are left as a conflict.
    fs.rmSync(path.join(project, '.syncdesk', 'bases'), { recursive: true })
    put(project, 'b.yml', BASE.replace('model: standard', 'model: large'))
    put(env, 'b.yml', BASE.replace('language: en', 'language: de'))
    const again = p('sync', '--resolve', 'merge', '--yes', '--format', 'json')
    expect(JSON.parse(again.stdout).conflicts_left).toContainEqual({ path: 'b.yml' })
    expect(get(env, 'b.yml')).toBe(BASE.replace('language: en', 'language: de'))
  })

  it('a changed base file is never used: no merge offered, never a wrong merge', () => {
    const { env, project, p } = synced({ 'c.yml': BASE })
    const bases = path.join(project, '.syncdesk', 'bases')
    for (const name of fs.readdirSync(bases)) fs.writeFileSync(path.join(bases, name), 'tampered\n')
    put(project, 'c.yml', BASE.replace('model: standard', 'model: large'))
    put(env, 'c.yml', BASE.replace('language: en', 'language: de'))
    const r = p('sync', '--resolve', 'merge', '--yes', '--format', 'json')
    expect(JSON.parse(r.stdout).conflicts_left).toEqual([{ path: 'c.yml' }])
  })

  it('keeps CRLF line endings', () => {
    const crlf = BASE.replace(/\n/g, '\r\n')
    const { env, project, p } = synced({ 'w.md': crlf })
    put(project, 'w.md', crlf.replace('title: Support', 'title: Help'))
    put(env, 'w.md', crlf.replace('limit: 200', 'limit: 250'))
    expect(p('sync', '--resolve', 'merge', '--yes').code).toBe(0)
    expect(get(project, 'w.md')).toBe(crlf.replace('title: Support', 'title: Help').replace('limit: 200', 'limit: 250'))
    expect(get(env, 'w.md')).toBe(get(project, 'w.md'))
  })

  it('merges through an environment server too', async () => {
    const root = tempDir('syncdesk-merge-srv-')
    const srv = path.join(root, 'srv')
    fs.mkdirSync(srv)
    put(srv, 'agent.yml', BASE)
    const token = createToken(srv, 'ci', 'read,write')
    const server = await startServerProcess(srv)
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
    const project = path.join(root, 'project')
    const p = (...a: string[]) => runCli(['--project-dir', project, ...a], { env })
    expect(p('init').code).toBe(0)
    expect(p('env', 'add', 'staging', '--url', server.url).code).toBe(0)
    expect(p('pull', '--yes').code).toBe(0)
    put(project, 'agent.yml', BASE.replace('model: standard', 'model: large'))
    const cur = (await (await fetch(`${server.url}/v1/files/agent.yml`, { headers: { authorization: `Bearer ${token}` } })).text())
    const up = await fetch(`${server.url}/v1/files/agent.yml`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'if-match': `"${(await import('node:crypto')).createHash('sha256').update(cur).digest('hex')}"` },
      body: BASE.replace('language: en', 'language: de'),
    })
    expect(up.status).toBe(200)
    const r = p('sync', '--resolve', 'merge', '--yes')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const merged = BASE.replace('model: standard', 'model: large').replace('language: en', 'language: de')
    expect(get(project, 'agent.yml')).toBe(merged)
    expect(get(srv, 'agent.yml')).toBe(merged)
    await server.stop()
  })
})
