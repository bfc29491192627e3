import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SyncDeskError } from '../engine/errors.js'
import { createFilter } from '../engine/filter.js'
import { SERVER_DATA_DIR } from '../../src-server/environment.js'
import { startTestServer, type TestServer } from '../../src-server/testing.js'
import { ServerRemote } from './server-remote.js'

const sha = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex')
const filter = createFilter()

let srv: TestServer
let lines: string[]
const remotes: ServerRemote[] = []

function remote(token: string, opts: ConstructorParameters<typeof ServerRemote>[3] = {}, url = srv.url): ServerRemote {
  const r = new ServerRemote('staging', url, token, { retryBaseMs: 20, retryBudgetMs: 2000, ...opts })
  remotes.push(r)
  return r
}

async function caught(p: Promise<unknown>): Promise<SyncDeskError> {
  try {
    await p
  } catch (err) {
    if (err instanceof SyncDeskError) return err
    throw err
  }
  throw new Error('expected a SyncDeskError')
}

beforeEach(async () => {
  lines = []
  srv = await startTestServer({ log: (l) => lines.push(l) })
})
afterEach(async () => {
  for (const r of remotes.splice(0)) await r.close()
  await srv.close()
})

describe('ServerRemote against a real environment server', () => {
  it('scans, reads, creates, updates, refuses stale writes and deletes', async () => {
    await fs.mkdir(path.join(srv.projectDir, 'agents'))
    await fs.writeFile(path.join(srv.projectDir, 'agents/a.yml'), 'a: 1\n')
    await fs.writeFile(path.join(srv.projectDir, 'notes.txt'), 'n\n')
    await fs.writeFile(path.join(srv.projectDir, 'binary.exe'), 'x')
    const r = remote(srv.tokens.writer)
    expect(r.describe()).toBe(`server ${srv.url}`)

    const scan = await r.scan(filter)
    expect([...scan.files.keys()].sort()).toEqual(['agents/a.yml', 'notes.txt'])
    expect(scan.files.get('agents/a.yml')).toMatchObject({ hash: sha('a: 1\n'), size: 5 })

    const read = await r.readFiles(['agents/a.yml', 'missing.md', '../etc/passwd'])
    expect((read.get('agents/a.yml') as Buffer).toString()).toBe('a: 1\n')
    expect(read.get('missing.md')).toBeInstanceOf(Error)
    expect(read.get('../etc/passwd')).toBeInstanceOf(Error)

    const writes = await r.writeFiles([
      { path: 'agents/b.yml', content: Buffer.from('b: 2\n'), expectedHash: null },
      { path: 'agents/a.yml', content: Buffer.from('a: 2\n'), expectedHash: sha('a: 1\n') },
      { path: 'notes.txt', content: Buffer.from('mine\n'), expectedHash: sha('not what is there') },
      { path: 'tool.exe', content: Buffer.from('x'), expectedHash: null },
    ])
    expect(writes[0]).toEqual({ path: 'agents/b.yml', ok: true, hash: sha('b: 2\n') })
    expect(writes[1]).toEqual({ path: 'agents/a.yml', ok: true, hash: sha('a: 2\n') })
    expect(writes[2]).toMatchObject({ path: 'notes.txt', ok: false, reason: 'stale' })
    expect(writes[3]).toMatchObject({ path: 'tool.exe', ok: false, reason: 'refused' })
    expect(await fs.readFile(path.join(srv.projectDir, 'agents/a.yml'), 'utf8')).toBe('a: 2\n')
    expect(await fs.readFile(path.join(srv.projectDir, 'notes.txt'), 'utf8')).toBe('n\n')

    const deletes = await r.deleteFiles([
      { path: 'agents/b.yml', expectedHash: sha('b: 2\n') },
      { path: 'notes.txt', expectedHash: sha('stale') },
    ])
    expect(deletes[0]).toEqual({ path: 'agents/b.yml', ok: true, hash: null })
    expect(deletes[1]).toMatchObject({ path: 'notes.txt', ok: false, reason: 'stale' })
    await expect(fs.access(path.join(srv.projectDir, 'agents/b.yml'))).rejects.toThrow()

    // Prior versions are on disk and restorable.
    const versions = await r.versions('agents/a.yml')
    expect(versions.map((v) => v.hash)).toEqual([sha('a: 1\n')])
    const kept = path.join(srv.projectDir, SERVER_DATA_DIR, 'versions', versions[0]!.id, 'agents/a.yml')
    expect(await fs.readFile(kept, 'utf8')).toBe('a: 1\n')
    expect((await r.readVersion(versions[0]!.id, 'agents/a.yml')).toString()).toBe('a: 1\n')
    expect(await r.restoreVersion(versions[0]!.id, 'agents/a.yml', sha('stale'))).toMatchObject({ ok: false, reason: 'stale' })
    expect(await r.restoreVersion(versions[0]!.id, 'agents/a.yml', sha('a: 2\n'))).toEqual({ path: 'agents/a.yml', ok: true, hash: sha('a: 1\n') })
    expect(await fs.readFile(path.join(srv.projectDir, 'agents/a.yml'), 'utf8')).toBe('a: 1\n')
    expect((await r.versions('agents/a.yml')).map((v) => v.hash)).toEqual([sha('a: 2\n'), sha('a: 1\n')])

    const status = await r.status()
    expect(status).toMatchObject({ name: 'project', lastPush: { by: 'writer' }, lastPull: { by: 'writer' } })
  })

  it('moves thousands of small files in a few batch requests', async () => {
    const n = 10_000
    const reqs = Array.from({ length: n }, (_, i) => ({ path: `pipelines/p${i % 50}/f${i}.sql`, content: Buffer.from(`select ${i};\n`.repeat(1 + (i % 40))), expectedHash: null }))
    const r = remote(srv.tokens.writer)
    let t = performance.now()
    const written = await r.writeFiles(reqs)
    const writeMs = performance.now() - t
    expect(written.filter((w) => w.ok)).toHaveLength(n)
    t = performance.now()
    const scan = await r.scan(filter)
    const scanMs = performance.now() - t
    expect(scan.files.size).toBe(n)
    t = performance.now()
    const read = await r.readFiles(reqs.map((q) => q.path))
    const readMs = performance.now() - t
    expect(read.size).toBe(n)
    for (const q of reqs) expect((read.get(q.path) as Buffer).equals(q.content)).toBe(true)
    const updates = reqs.map((q) => ({ path: q.path, content: Buffer.concat([q.content, Buffer.from('-- v2\n')]), expectedHash: sha(q.content) }))
    t = performance.now()
    const updated = await r.writeFiles(updates)
    const updateMs = performance.now() - t
    expect(updated.every((u) => u.ok)).toBe(true)
    t = performance.now()
    const deleted = await r.deleteFiles(updates.map((u) => ({ path: u.path, expectedHash: sha(u.content) })))
    const deleteMs = performance.now() - t
    expect(deleted.every((d) => d.ok)).toBe(true)
    // 10,000 files in 500-item batches: 20 requests per direction, not 10,000.
    expect(lines.filter((l) => l.includes('POST /v1/files/write')).length).toBe(60)
    expect(lines.filter((l) => l.includes('POST /v1/files/read')).length).toBe(20)
    const versions = await fs.readdir(path.join(srv.projectDir, SERVER_DATA_DIR, 'versions'))
    expect(versions.length).toBeGreaterThan(0)
    console.log(`10k small files over loopback: write ${writeMs.toFixed(0)} ms, scan ${scanMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms, update ${updateMs.toFixed(0)} ms, delete ${deleteMs.toFixed(0)} ms`)
  })

  it('sends and fetches large files one at a time as raw bytes, names with spaces and Unicode included', async () => {
    const r = remote(srv.tokens.writer, { largeFileBytes: 1024 })
    const big = crypto.randomBytes(300_000).toString('hex')
    const res = await r.writeFiles([
      { path: 'docs/grande résumé #1?.md', content: Buffer.from(big), expectedHash: null },
      { path: 'docs/small.md', content: Buffer.from('s'), expectedHash: null },
    ])
    expect(res.map((x) => x.ok)).toEqual([true, true])
    expect(lines.some((l) => l.includes('PUT /v1/files/docs/grande%20r%C3%A9sum%C3%A9%20%231%3F.md 201'))).toBe(true)
    await r.scan(filter)
    const read = await r.readFiles(['docs/grande résumé #1?.md', 'docs/small.md'])
    expect((read.get('docs/grande résumé #1?.md') as Buffer).toString()).toBe(big)
    const stale = await r.writeFiles([{ path: 'docs/grande résumé #1?.md', content: Buffer.from(big + 'x'), expectedHash: sha('old') }])
    expect(stale[0]).toMatchObject({ ok: false, reason: 'stale' })
  })

  it('two clients with the same If-Match: exactly one wins, nothing is lost', async () => {
    await fs.writeFile(path.join(srv.projectDir, 'shared.md'), 'original\n')
    const alice = remote(srv.tokens.writer)
    const bob = remote(srv.tokens.admin)
    for (let round = 0; round < 5; round++) {
      const base = await fs.readFile(path.join(srv.projectDir, 'shared.md'))
      const aliceContent = Buffer.from(`alice ${round}\n`)
      const bobContent = Buffer.from(`bob ${round}\n`)
      const [a, b] = await Promise.all([
        alice.writeFiles([{ path: 'shared.md', content: aliceContent, expectedHash: sha(base) }]),
        bob.writeFiles([{ path: 'shared.md', content: bobContent, expectedHash: sha(base) }]),
      ])
      const wins = [a[0]!, b[0]!].filter((x) => x.ok)
      const stale = [a[0]!, b[0]!].filter((x) => !x.ok)
      expect(wins).toHaveLength(1)
      expect(stale).toHaveLength(1)
      expect(stale[0]).toMatchObject({ reason: 'stale' })
      const winner = a[0]!.ok ? aliceContent : bobContent
      expect(await fs.readFile(path.join(srv.projectDir, 'shared.md'))).toEqual(winner)
      const kept = (await alice.versions('shared.md'))[0]!
      expect(kept.hash).toBe(sha(base))
    }
  })

  it('counts a retried write that meets 412 with its own content as written (lost answer)', async () => {
    await fs.writeFile(path.join(srv.projectDir, 'x.md'), 'old\n')
    // A proxy that forwards the first request but drops its answer, as a broken network would.
    const target = new URL(srv.url)
    let connections = 0
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname)
      const first = connections++ === 0
      client.pipe(upstream)
      if (first) upstream.once('data', () => { client.destroy(); upstream.destroy() })
      else upstream.pipe(client)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (proxy.address() as net.AddressInfo).port
      const r = remote(srv.tokens.writer, {}, `http://127.0.0.1:${port}`)
      const res = await r.writeFiles([
        { path: 'x.md', content: Buffer.from('new\n'), expectedHash: sha('old\n') },
        { path: 'y.md', content: Buffer.from('y\n'), expectedHash: null },
      ])
      expect(res).toEqual([
        { path: 'x.md', ok: true, hash: sha('new\n') },
        { path: 'y.md', ok: true, hash: sha('y\n') },
      ])
      expect(connections).toBeGreaterThanOrEqual(2)
      expect(lines.filter((l) => l.includes('POST /v1/files/write'))).toHaveLength(2)
      expect(await fs.readFile(path.join(srv.projectDir, 'x.md'), 'utf8')).toBe('new\n')
    } finally {
      proxy.close()
    }
  })

  it('throws remote-refused for a wrong, revoked or under-scoped token, without the token', async () => {
    const wrong = remote('sdk_this_is_not_the_token')
    const e1 = await caught(wrong.scan(filter))
    expect(e1.code).toBe('remote-refused')
    expect(e1.message).toMatch(/^The token for staging was refused: /)
    expect(e1.message).not.toContain('sdk_this_is_not_the_token')
    const reader = remote(srv.tokens.reader)
    const e2 = await caught(reader.writeFiles([{ path: 'a.md', content: Buffer.from('a'), expectedHash: null }]))
    expect(e2.code).toBe('remote-refused')
    expect(e2.message).toContain('The token for staging was refused')
    expect(e2.message).toContain('"write" scope')
    expect(e2.message).not.toContain(srv.tokens.reader)
    await expect(fs.access(path.join(srv.projectDir, 'a.md'))).rejects.toThrow()
  })

  it('throws remote-unreachable quickly when the server is down', async () => {
    const url = srv.url
    const r = remote(srv.tokens.writer, { retries: 3, retryBaseMs: 100, retryBudgetMs: 1500 }, url)
    await srv.app.close()
    const t = Date.now()
    const e = await caught(r.scan(filter))
    expect(Date.now() - t).toBeLessThan(5000)
    expect(e.code).toBe('remote-unreachable')
    expect(e.message).toBe(`Cannot reach environment "staging" at ${url} (connection refused: is the server running?).`)
    expect(e.message).not.toContain(srv.tokens.writer)
  })

  it('deploys, reports the deployment and the environment info', async () => {
    const dsrv = await startTestServer({ deployCommand: 'echo deploying; echo done', log: false })
    try {
      const r = remote(dsrv.tokens.admin, {}, dsrv.url)
      const started = await r.deploy()
      expect(started.state).toBe('queued')
      let d = await r.deployment(started.id)
      for (let i = 0; i < 200 && (d.state === 'queued' || d.state === 'running'); i++) {
        await new Promise((res) => setTimeout(res, 25))
        d = await r.deployment(started.id)
      }
      expect(d).toMatchObject({ id: started.id, state: 'succeeded', exitCode: 0, logTail: 'deploying\ndone' })
      expect((await r.deployments())[0]?.id).toBe(started.id)
      const info = await r.info()
      expect(info.deployment).toMatchObject({ id: started.id, state: 'succeeded' })
      const e = await caught(remote(dsrv.tokens.writer, {}, dsrv.url).deploy())
      expect(e.code).toBe('remote-refused')
      expect(e.message).toContain('"deploy" scope')
    } finally {
      await dsrv.close()
    }
  })

  it('stops when cancelled', async () => {
    const r = remote(srv.tokens.writer)
    const ctl = new AbortController()
    ctl.abort()
    const e = await caught(r.scan(filter, { signal: ctl.signal }))
    expect(e.code).toBe('cancelled')
  })
})
