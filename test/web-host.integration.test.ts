/**
 * `syncdesk serve` (issue 8): the host over a WebSocket on 127.0.0.1, guarded by a token in
 * the URL and an Origin check; events pushed over the same socket; the dashboard's files
 * served from their own folder only. Driven with a real `ws` client and the real CLI.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { startWsHost, type WsHost } from '../src-main/web/ws-host.js'
import { CLI, cleanupTemps, cli, ensureBuilt, put, tempDir } from './helpers.js'

beforeAll(ensureBuilt)
const hosts: WsHost[] = []
afterAll(async () => {
  for (const h of hosts) await h.close()
  cleanupTemps()
})

async function started(): Promise<{ web: WsHost; host: AppHost; projectDir: string; staticDir: string }> {
  const root = tempDir('syncdesk-web-')
  const projectDir = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  put(env, 'a.md', 'a\n')
  expect(cli(['--project-dir', projectDir, 'init']).code).toBe(0)
  expect(cli(['--project-dir', projectDir, 'env', 'add', 'staging', '--folder', env]).code).toBe(0)
  const staticDir = path.join(root, 'static')
  put(staticDir, 'index.html', '<!doctype html><title>SyncDesk</title>')
  put(root, 'secret.txt', 'not for the browser')
  const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
  await host.openProjectAt(projectDir)
  const web = await startWsHost({ host, staticDir })
  hosts.push(web)
  return { web, host, projectDir, staticDir }
}

/** Opens a socket; resolves with it, or with the HTTP status the upgrade was refused with. */
function connect(url: string, origin: string | undefined): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {})
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', reject)
  })
}

function request(ws: WebSocket, id: number, channel: string, args: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString()) as { id?: number; answer?: { ok: boolean } }
      if (msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg.answer as { ok: boolean })
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, channel, args }))
  })
}

describe('the web host', () => {
  it('refuses a missing or wrong token and a foreign Origin; answers the right one', async () => {
    const { web } = await started()
    const base = `ws://127.0.0.1:${web.port}/ws`
    const origin = `http://127.0.0.1:${web.port}`
    expect(await connect(base, origin)).toBe(401)
    expect(await connect(`${base}?token=${web.token}x`, origin)).toBe(401)
    expect(await connect(`${base}?token=${web.token.slice(0, -1)}`, origin)).toBe(401)
    expect(await connect(`${base}?token=${web.token}`, 'http://evil.example')).toBe(403)
    expect(await connect(`${base}?token=${web.token}`, `http://127.0.0.1:${web.port + 1}`)).toBe(403)
    expect(await connect(`${base}?token=${web.token}`, undefined)).toBe(403)
    expect(await connect(`ws://127.0.0.1:${web.port}/other?token=${web.token}`, origin)).toBe(404)
    const ws = await connect(`${base}?token=${web.token}`, origin)
    expect(ws).toBeInstanceOf(WebSocket)
    const info = await request(ws as WebSocket, 1, 'app:info', {})
    expect(info).toMatchObject({ ok: true, value: { host: 'web' } })
    const bad = await request(ws as WebSocket, 2, 'status:page', { projectId: 1 })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-request' } })
    ;(ws as WebSocket).close()
  })

  it('pushes events over the same socket while a run goes', async () => {
    const { web, host } = await started()
    const ws = (await connect(`ws://127.0.0.1:${web.port}/ws?token=${web.token}`, `http://127.0.0.1:${web.port}`)) as WebSocket
    const events: string[] = []
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { event?: string }
      if (m.event) events.push(m.event)
    })
    const [project] = (await request(ws, 1, 'projects:list', {})).value as { id: string }[]
    const plan = (await request(ws, 2, 'run:plan', { projectId: project?.id, env: 'staging', direction: 'pull' })).value as { planId: string }
    const done = await request(ws, 3, 'run:apply', { planId: plan.planId })
    expect(done.ok).toBe(true)
    await new Promise((r) => setTimeout(r, 50))
    expect(events).toContain('run:finished')
    expect(events).toContain('status:changed')
    ws.close()
    void host
  })

  it('listens on loopback only', async () => {
    const { web } = await started()
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)
    if (!outside) return
    const reached = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: outside.address, port: web.port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    expect(reached).toBe(false)
  })

  it('serves the dashboard with a strict CSP, and nothing outside its folder', async () => {
    const { web } = await started()
    const page = await fetch(`http://127.0.0.1:${web.port}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    expect(await page.text()).toContain('<title>SyncDesk</title>')
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/.hidden', '/nope.js']) {
      const r = await fetch(`http://127.0.0.1:${web.port}${p}`)
      expect(r.status, p).toBe(404)
      expect(await r.text()).not.toContain('not for the browser')
    }
  })

  it('syncdesk serve prints its URL on one line once it listens, for the project found from the current folder', async () => {
    const root = tempDir('syncdesk-serve-')
    const projectDir = path.join(root, 'project')
    expect(cli(['--project-dir', projectDir, 'init']).code).toBe(0)
    fs.mkdirSync(path.join(projectDir, 'sub'))
    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', path.join(root, 'data')], { cwd: path.join(projectDir, 'sub'), stdio: ['ignore', 'pipe', 'pipe'] })
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) resolve(out.split('\n')[0] as string)
      })
      child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
    })
    expect(line).toMatch(/^SyncDesk dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/)
    const url = new URL(line.replace('SyncDesk dashboard: ', ''))
    const ws = (await connect(`ws://127.0.0.1:${url.port}/ws?token=${url.searchParams.get('token')}`, `http://127.0.0.1:${url.port}`)) as WebSocket
    const list = await request(ws, 1, 'projects:list', {})
    expect((list.value as { dir: string }[]).map((p) => p.dir)).toEqual([projectDir])
    ws.close()
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  })
})
