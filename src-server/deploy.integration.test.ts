import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildServer } from './app.js'
import type { Deployment } from './deployer.js'
import { SERVER_DATA_DIR } from './environment.js'
import { rawRequest, startTestServer, type TestServer } from './testing.js'
import { TokenStore } from './tokens.js'

let srv: TestServer | null = null

afterEach(async () => {
  await srv?.close()
  srv = null
})

async function waitDone(s: TestServer, id: string, timeoutMs = 15_000): Promise<Deployment> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const ans = await rawRequest(s.url, 'GET', `/v1/deployments/${id}`, { token: s.tokens.reader })
    const d = ans.json as Deployment
    if (d.state === 'succeeded' || d.state === 'failed') return d
    if (Date.now() > until) throw new Error(`deployment ${id} still ${d.state}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('deploy', () => {
  it('runs the configured command and reports success with its log tail', async () => {
    srv = await startTestServer({ deployCommand: 'for i in $(seq 1 150); do echo line $i; done; echo "in $PWD"' })
    const start = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.deployer })
    expect(start.status).toBe(202)
    const started = start.json as Deployment
    expect(started.state).toBe('queued')
    expect(started.by).toBe('deployer')
    expect(start.headers.location).toBe(`/v1/deployments/${started.id}`)
    const d = await waitDone(srv, started.id)
    expect(d.state).toBe('succeeded')
    expect(d.exitCode).toBe(0)
    expect(d.startedAt).not.toBeNull()
    expect(d.finishedAt).not.toBeNull()
    expect(d.logTail).toHaveLength(100)
    expect(d.logTail.at(-1)).toBe(`in ${srv.projectDir}`)
    expect(d.logTail[0]).toBe('line 52')
    const list = await rawRequest(srv.url, 'GET', '/v1/deployments', { token: srv.tokens.reader })
    expect((list.json as { deployments: Deployment[] }).deployments[0]?.id).toBe(started.id)
    const status = await rawRequest(srv.url, 'GET', '/v1/status', { token: srv.tokens.reader })
    expect(status.json).toMatchObject({ deploy: { configured: true, running: false, latest: { id: started.id, state: 'succeeded' } } })
    const onDisk = JSON.parse(await fs.readFile(path.join(srv.projectDir, SERVER_DATA_DIR, 'deployments', `${started.id}.json`), 'utf8')) as Deployment
    expect(onDisk.state).toBe('succeeded')
  })

  it('reports a failing command as failed, with its output', async () => {
    srv = await startTestServer({ deployCommand: 'echo building; echo "boom: missing thing" >&2; exit 3' })
    const start = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.admin })
    const d = await waitDone(srv, (start.json as Deployment).id)
    expect(d.state).toBe('failed')
    expect(d.exitCode).toBe(3)
    expect(d.error).toContain('code 3')
    expect(d.logTail).toEqual(['building', 'boom: missing thing'])
  })

  it('kills a command that runs past its timeout, children included; one deploy at a time', async () => {
    srv = await startTestServer({ deployCommand: 'echo started; sleep 30 & wait', deployTimeoutSec: 1 })
    const t0 = Date.now()
    const start = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.deployer })
    const id = (start.json as Deployment).id
    const busy = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.deployer })
    expect(busy.status).toBe(409)
    expect(busy.json).toMatchObject({ error: { code: 'deploy-busy', deploymentId: id } })
    const d = await waitDone(srv, id)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(d.state).toBe('failed')
    expect(d.error).toMatch(/timed out/)
    expect(d.logTail).toEqual(['started'])
    const next = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.deployer })
    expect(next.status).toBe(202)
  })

  it('enforces the deploy scope and refuses when no command is configured', async () => {
    srv = await startTestServer({ deployCommand: 'true' })
    for (const t of [srv.tokens.reader, srv.tokens.writer]) {
      const ans = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: t })
      expect(ans.status).toBe(403)
    }
    expect((await rawRequest(srv.url, 'POST', '/v1/deploy')).status).toBe(401)
    expect(((await rawRequest(srv.url, 'GET', '/v1/deployments', { token: srv.tokens.reader })).json as { deployments: unknown[] }).deployments).toEqual([])
    await srv.close()
    srv = await startTestServer()
    const none = await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.deployer })
    expect(none.status).toBe(409)
    expect(none.json).toMatchObject({ error: { code: 'deploy-not-configured' } })
    expect((await rawRequest(srv.url, 'GET', '/v1/deployments/nope', { token: srv.tokens.reader })).status).toBe(404)
  })

  it('reads the deploy command from .syncdesk-server/config.json', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'syncdesk-deploy-'))
    try {
      await fs.mkdir(path.join(base, SERVER_DATA_DIR), { recursive: true })
      await fs.writeFile(path.join(base, SERVER_DATA_DIR, 'config.json'), JSON.stringify({ name: 'prod', deployCommand: 'echo from-config' }))
      const token = await new TokenStore(path.join(base, SERVER_DATA_DIR, 'tokens.json')).create('ops', ['read', 'deploy'])
      const app = await buildServer({ projectDir: base, log: false })
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      try {
        const start = await rawRequest(url, 'POST', '/v1/deploy', { token })
        const id = (start.json as Deployment).id
        const s = { url, tokens: { reader: token } } as unknown as TestServer
        const d = await waitDone(s, id)
        expect(d.logTail).toEqual(['from-config'])
        const status = await rawRequest(url, 'GET', '/v1/status', { token })
        expect((status.json as { name: string }).name).toBe('prod')
      } finally {
        await app.close()
      }
    } finally {
      await fs.rm(base, { recursive: true, force: true })
    }
  })
})
