/**
 * The host kept live (issue 8): a save shows as a pending change within a second, a burst is
 * counted once per file, excluded paths never appear, another run (the CLI) is noticed, and a
 * real environment server's change shows within one poll, its outage announced and its
 * recovery too. Real folders, a real server process, real keychain.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Events } from '../src-shared/ipc.js'
import type { StatusSummary } from '../src-shared/views.js'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { cleanupTemps, cli, ensureBuilt, put, tempDir } from './helpers.js'
import { childEnv, createToken, startServerProcess, stopAllServers } from './support/server-process.js'

beforeAll(ensureBuilt)
const hosts: AppHost[] = []
afterAll(async () => {
  for (const h of hosts) await h.dispose()
  await stopAllServers()
  cleanupTemps()
})

/** A live host over a project synced with a folder environment. */
async function liveProject(files: Record<string, string>, pollIntervalSec = 30) {
  const root = tempDir('syncdesk-live-')
  const project = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  expect(cli(['--project-dir', project, 'init']).code).toBe(0)
  expect(cli(['--project-dir', project, 'env', 'add', 'staging', '--folder', env]).code).toBe(0)
  expect(cli(['--project-dir', project, 'pull', '--yes']).code).toBe(0)
  const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test', live: true })
  hosts.push(host)
  await host.store.updateSettings({ pollIntervalSec })
  const view = await host.openProjectAt(project)
  await host.refreshStatus(view.id, 'staging')
  return { root, project, env, host, projectId: view.id }
}

/** Resolves with the first status:changed summary that passes `test`, or rejects after `ms`. */
function nextStatus(host: AppHost, test: (s: StatusSummary) => boolean, ms: number): Promise<{ summary: StatusSummary; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`no matching status:changed within ${ms} ms`))
    }, ms)
    const stop = host.onEvent((event, payload) => {
      if (event !== 'status:changed') return
      const s = payload as Events['status:changed']
      if (test(s)) {
        clearTimeout(timer)
        stop()
        resolve({ summary: s, at: Date.now() })
      }
    })
  })
}

describe('a live project', () => {
  it('shows a saved file as a pending change in under a second', async () => {
    const { project, host } = await liveProject({ 'a.md': 'a\n', 'b.md': 'b\n' })
    const waiting = nextStatus(host, (s) => s.counts.local_to_remote === 1, 1000)
    const saved = Date.now()
    put(project, 'a.md', 'a, saved in the editor\n')
    const { at } = await waiting
    expect(at - saved).toBeLessThan(1000)
    // An editor's atomic save (temp file, rename) counts once; an excluded path never appears.
    const again = nextStatus(host, (s) => s.counts.local_to_remote === 2, 2000)
    put(project, '.b.md.swp', 'editor temp')
    fs.renameSync(path.join(project, '.b.md.swp'), path.join(project, 'b.md'))
    put(project, 'node_modules/x.md', 'excluded\n')
    put(project, '.git/y.md', 'excluded\n')
    put(project, 'notes.bin', 'not a synced type\n')
    const { summary } = await again
    expect(summary.counts.local_to_remote).toBe(2)
    await new Promise((r) => setTimeout(r, 400))
    const page = await host.dispatch('status:page', { projectId: summary.projectId, env: 'staging', offset: 0, limit: 50 })
    expect(page.ok && (page.value as { rows: { label: string }[] }).rows.map((r) => r.label).sort()).toEqual(['a.md', 'b.md'])
  })

  it('counts 5,000 files written at once, each once', async () => {
    const { project, host } = await liveProject({ 'a.md': 'a\n' })
    const waiting = nextStatus(host, (s) => s.counts.local_to_remote >= 5000, 60_000)
    for (let d = 0; d < 50; d++) for (let i = 0; i < 100; i++) put(project, `burst/d${d}/f${i}.md`, `${d}-${i}\n`)
    const { summary } = await waiting
    expect(summary.counts.local_to_remote).toBe(5000)
  }, 90_000)

  it('notices a run made by something else (the CLI) and refreshes', async () => {
    const { project, env, host } = await liveProject({ 'a.md': 'a\n' }, 3600)
    put(env, 'new.md', 'from the cloud\n')
    // The folder environment is polled hourly here: the change becomes known through the CLI's pull.
    const waiting = nextStatus(host, (s) => s.counts.in_sync === 2 && s.counts.remote_to_local === 0, 5000)
    expect(cli(['--project-dir', project, 'pull', '--yes']).code).toBe(0)
    await waiting
  })
})

describe('a live environment server', () => {
  it('a change shows within one poll; an outage is announced once and the recovery too', async () => {
    const root = tempDir('syncdesk-live-srv-')
    const srv = path.join(root, 'srv')
    fs.mkdirSync(srv)
    put(srv, 'a.md', 'a\n')
    const token = createToken(srv, 'ci', 'read,write')
    let server = await startServerProcess(srv)
    const project = path.join(root, 'project')
    const env = childEnv({ SYNCDESK_TOKEN_STAGING: token })
    expect(cli(['--project-dir', project, 'init'], { env }).code).toBe(0)
    expect(cli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url], { env }).code).toBe(0)
    expect(cli(['--project-dir', project, 'pull', '--yes'], { env }).code).toBe(0)
    const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test', live: true, env })
    hosts.push(host)
    await host.store.updateSettings({ pollIntervalSec: 5 })
    const view = await host.openProjectAt(project)
    await host.refreshStatus(view.id, 'staging')

    const changed = nextStatus(host, (s) => s.counts.remote_to_local === 1, 8000)
    const writtenAt = Date.now()
    const put1 = await fetch(`${server.url}/v1/files/cloud.md`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'if-none-match': '*' }, body: 'cloud\n' })
    expect(put1.status).toBe(201)
    const { at } = await changed
    expect(at - writtenAt).toBeLessThan(6500)

    const reach: boolean[] = []
    host.onEvent((event, payload) => {
      if (event === 'environment:reachability') reach.push((payload as Events['environment:reachability']).reachable)
    })
    const port = Number(new URL(server.url).port)
    await server.kill()
    const down = Date.now()
    while (!reach.includes(false) && Date.now() - down < 12_000) await new Promise((r) => setTimeout(r, 100))
    expect(reach).toEqual([false])
    server = await startServerProcess(srv, { port })
    const up = Date.now()
    while (!reach.includes(true) && Date.now() - up < 25_000) await new Promise((r) => setTimeout(r, 200))
    expect(reach).toEqual([false, true])
    await server.stop()
  }, 60_000)
})
