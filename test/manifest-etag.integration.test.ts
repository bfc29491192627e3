/**
 * The versioned manifest against the real server process (dist/server.cjs on 127.0.0.1):
 * `GET /v1/files` carries an ETag, a no-change request with `If-None-Match` gets 304 and no
 * body, and every change (a write through the API, a file written, changed or deleted on
 * disk behind the server's back) gives a new ETag and the new manifest at once. Through
 * `ServerRemote`, a no-change scan moves no manifest. Times are printed for the record.
 */
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFilter } from '../src-main/engine/filter.js'
import { ServerRemote } from '../src-main/remotes/server-remote.js'
import { rawRequest, startTestServer } from '../src-server/testing.js'
import { cleanupTemps, ensureBuilt, put, sha, tempDir } from './helpers.js'
import { createToken, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

beforeAll(() => ensureBuilt())
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

function request(server: ServerProcess, token: string, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(server.url)
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { authorization: `Bearer ${token}`, ...headers }
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body)
    const req = http.request({ hostname: u.hostname, port: u.port, method, path: urlPath, headers: h, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

type ManifestBody = { files: { path: string; hash: string; size: number; mtimeMs: number }[]; skipped: { path: string; reason: string }[] }

function paths(a: Answer): string[] {
  return (JSON.parse(a.body.toString('utf8')) as ManifestBody).files.map((f) => f.path)
}

async function served(name: string): Promise<{ server: ServerProcess; dir: string; token: string; get: (headers?: Record<string, string>) => Promise<Answer> }> {
  const dir = tempDir(`syncdesk-etag-${name}-`)
  put(dir, 'agents/a.yml', 'name: a\n')
  put(dir, 'docs/b.md', '# b\n')
  const token = createToken(dir, 'ci', 'read,write')
  const server = await startServerProcess(dir)
  return { server, dir, token, get: (headers = {}) => request(server, token, 'GET', '/v1/files', headers) }
}

describe('GET /v1/files ETag', () => {
  it('answers 304 with no body to If-None-Match with the current ETag, in any of its forms', async () => {
    const { server, token, get } = await served('304')
    const first = await get()
    expect(first.status).toBe(200)
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/)
    expect(paths(first)).toEqual(['agents/a.yml', 'docs/b.md'])

    const again = await get({ 'if-none-match': etag })
    expect(again.status).toBe(304)
    expect(again.body.byteLength).toBe(0)
    expect(again.headers.etag).toBe(etag)
    expect((await get({ 'if-none-match': `W/${etag}` })).status).toBe(304)
    expect((await get({ 'if-none-match': `"0000", ${etag}` })).status).toBe(304)
    expect((await get({ 'if-none-match': '*' })).status).toBe(304)
    const other = await get({ 'if-none-match': '"0000"' })
    expect(other.status).toBe(200)
    expect(other.headers.etag).toBe(etag)
    expect(other.body.equals(first.body)).toBe(true)

    // HEAD gives the version without the manifest; the status names the same version.
    const head = await request(server, token, 'HEAD', '/v1/files')
    expect(head.headers.etag).toBe(etag)
    expect(head.body.byteLength).toBe(0)
    const status = JSON.parse((await request(server, token, 'GET', '/v1/status')).body.toString('utf8')) as { manifestVersion: string; items: { files: number } }
    expect(`"${status.manifestVersion}"`).toBe(etag)
    expect(status.items.files).toBe(2)
    // Still needs a token.
    expect((await request(server, 'wrong', 'GET', '/v1/files', { 'if-none-match': etag })).status).toBe(401)
  })

  it('changes the ETag after a write through the API, and 200 returns the new manifest', async () => {
    const { server, token, get } = await served('put')
    const etag = (await get()).headers.etag as string
    const put1 = await request(server, token, 'PUT', '/v1/files/docs/new.md', { 'if-none-match': '*', 'content-type': 'application/octet-stream' }, '# new\n')
    expect(put1.status).toBe(201)
    const after = await get({ 'if-none-match': etag })
    expect(after.status).toBe(200)
    expect(after.headers.etag).not.toBe(etag)
    expect(paths(after)).toEqual(['agents/a.yml', 'docs/b.md', 'docs/new.md'])
    const del = await request(server, token, 'DELETE', '/v1/files/docs/new.md', { 'if-match': `"${sha('# new\n')}"` })
    expect(del.status).toBe(200)
    const afterDelete = await get({ 'if-none-match': after.headers.etag as string })
    expect(afterDelete.status).toBe(200)
    expect(paths(afterDelete)).toEqual(['agents/a.yml', 'docs/b.md'])
    // Same files as at first: the same version (it is the manifest's digest, not a counter).
    expect(afterDelete.headers.etag).toBe(etag)
    expect((await get({ 'if-none-match': etag })).status).toBe(304)
  })

  it('changes the ETag at once for files written, changed or deleted on disk behind the server', async () => {
    const { dir, get } = await served('disk')
    let etag = (await get()).headers.etag as string
    expect((await get({ 'if-none-match': etag })).status).toBe(304)

    /** The next conditional GET must see the change: 200, a new ETag, the new manifest. */
    const expectChange = async (what: string, expected: string[]): Promise<void> => {
      const a = await get({ 'if-none-match': etag })
      expect(a.status, what).toBe(200)
      expect(a.headers.etag, what).not.toBe(etag)
      expect(paths(a), what).toEqual(expected)
      etag = a.headers.etag as string
      expect((await get({ 'if-none-match': etag })).status, `${what}, asked again`).toBe(304)
    }

    fs.writeFileSync(path.join(dir, 'docs/c.md'), '# c\n')
    await expectChange('a new file', ['agents/a.yml', 'docs/b.md', 'docs/c.md'])
    fs.writeFileSync(path.join(dir, 'docs/c.md'), '# C\n')
    await expectChange('a file changed in place, same size', ['agents/a.yml', 'docs/b.md', 'docs/c.md'])
    fs.rmSync(path.join(dir, 'docs/c.md'))
    await expectChange('a file deleted', ['agents/a.yml', 'docs/b.md'])
    fs.mkdirSync(path.join(dir, 'skills/s1'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'skills/s1/config.yaml'), 'x: 1\n')
    await expectChange('a new folder with a file', ['agents/a.yml', 'docs/b.md', 'skills/s1/config.yaml'])
    fs.writeFileSync(path.join(dir, 'skills/s1/prompt.md'), 'p\n')
    await expectChange('a file in the folder made just now', ['agents/a.yml', 'docs/b.md', 'skills/s1/config.yaml', 'skills/s1/prompt.md'])
    fs.writeFileSync(path.join(dir, 'docs/.b.md.tmp1'), '# b2\n')
    fs.renameSync(path.join(dir, 'docs/.b.md.tmp1'), path.join(dir, 'docs/b.md'))
    await expectChange('an editor\'s atomic save', ['agents/a.yml', 'docs/b.md', 'skills/s1/config.yaml', 'skills/s1/prompt.md'])
    fs.renameSync(path.join(dir, 'skills'), path.join(dir, 'moved'))
    await expectChange('a folder renamed', ['agents/a.yml', 'docs/b.md', 'moved/s1/config.yaml', 'moved/s1/prompt.md'])
    fs.writeFileSync(path.join(dir, 'moved/s1/prompt.md'), 'p2\n')
    await expectChange('a file in the renamed folder', ['agents/a.yml', 'docs/b.md', 'moved/s1/config.yaml', 'moved/s1/prompt.md'])
    fs.writeFileSync(path.join(dir, '.syncdeskignore'), 'moved/\n')
    await expectChange('an ignore rule', ['agents/a.yml', 'docs/b.md'])

    // What is not synced does not change the manifest: same ETag.
    fs.mkdirSync(path.join(dir, '.git'), { recursive: true })
    fs.writeFileSync(path.join(dir, '.git/x.md'), 'x\n')
    fs.writeFileSync(path.join(dir, 'docs/image.png'), 'png')
    fs.writeFileSync(path.join(dir, 'moved/s1/ignored.md'), 'ignored\n')
    expect((await get({ 'if-none-match': etag })).status).toBe(304)
  })

  it('keeps the same ETag across a restart of the server when nothing changed', async () => {
    const { server, dir, token, get } = await served('restart')
    const etag = (await get()).headers.etag as string
    await server.stop()
    const again = await startServerProcess(dir)
    const a = await request(again, token, 'GET', '/v1/files', { 'if-none-match': etag })
    expect(a.status).toBe(304)
  })
})

describe('ServerRemote manifest', () => {
  it('a no-change second scan transfers no manifest and returns the same files; a change transfers the new one', async () => {
    const { server, dir, token } = await served('remote')
    const remote = new ServerRemote('staging', server.url, token)
    try {
      const filter = createFilter()
      const first = await remote.scan(filter)
      expect([...first.files.keys()].sort()).toEqual(['agents/a.yml', 'docs/b.md'])
      const afterFirst = remote.manifestTransfers
      expect(afterFirst).toMatchObject({ requests: 1, notModified: 0 })
      expect(afterFirst.bodyBytes).toBeGreaterThan(0)
      // The engine trims what it is given: the kept manifest must not change with it.
      first.files.delete('docs/b.md')

      const second = await remote.scan(filter)
      expect(remote.manifestTransfers).toEqual({ requests: 2, notModified: 1, bodyBytes: afterFirst.bodyBytes })
      expect([...second.files.keys()].sort()).toEqual(['agents/a.yml', 'docs/b.md'])
      expect(second.files.get('docs/b.md')?.hash).toBe(sha('# b\n'))

      const version = await remote.manifestVersion()
      expect(remote.manifestTransfers.notModified).toBe(2)
      fs.writeFileSync(path.join(dir, 'docs/b.md'), '# b, changed on the server\n')
      const changed = await remote.manifestVersion()
      expect(changed).not.toBe(version)
      expect(remote.manifestTransfers.bodyBytes).toBeGreaterThan(afterFirst.bodyBytes)
      // The poll that saw the change fetched the manifest: the scan after it is a 304.
      const before = remote.manifestTransfers
      const third = await remote.scan(filter)
      expect(remote.manifestTransfers).toEqual({ requests: before.requests + 1, notModified: before.notModified + 1, bodyBytes: before.bodyBytes })
      expect(third.files.get('docs/b.md')?.hash).toBe(sha('# b, changed on the server\n'))
      const status = await remote.status()
      expect(status.manifestVersion).toBe(changed)
    } finally {
      await remote.close()
    }
  })

  it('a no-change poll of 5,000 files costs a 304 (the times are printed)', async () => {
    const { server, dir, token } = await served('cost')
    for (let i = 0; i < 5000; i++) put(dir, `content/part-${i % 50}/page-${i}.md`, `# page ${i}\n`)
    const remote = new ServerRemote('staging', server.url, token)
    try {
      let t = performance.now()
      await remote.scan(createFilter())
      const full = performance.now() - t
      const bytes = remote.manifestTransfers.bodyBytes
      const times: number[] = []
      for (let i = 0; i < 20; i++) {
        t = performance.now()
        await remote.manifestVersion()
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      console.log(`[manifest] 5,002 files: first scan ${full.toFixed(0)} ms (${(bytes / 1024).toFixed(0)} KiB); no-change poll median ${(times[10] as number).toFixed(1)} ms, max ${(times[19] as number).toFixed(1)} ms, 0 bytes of body`)
      expect(remote.manifestTransfers).toMatchObject({ requests: 21, notModified: 20, bodyBytes: bytes })
    } finally {
      await remote.close()
    }
  })
})

describe('the manifest without a scan', () => {
  it('answers a no-change request from the last scan, and scans again once it is older than the limit', async () => {
    // A change no watch of the served folders can see: a write through a hard link that lives
    // outside them (as a write by another machine into a network share would be). A conditional
    // GET that scanned would see it; one answered from the last scan does not, until the limit.
    const srv = await startTestServer({ manifestMaxAgeMs: 1500 })
    try {
      put(srv.projectDir, 'docs/b.md', '# b\n')
      const link = path.join(srv.outsideDir, 'b-link.md')
      fs.linkSync(path.join(srv.projectDir, 'docs/b.md'), link)
      const get = (etag?: string) => rawRequest(srv.url, 'GET', '/v1/files', { token: srv.tokens.reader, headers: etag ? { 'if-none-match': etag } : {} })
      const first = await get()
      const etag = first.headers.etag as string
      fs.writeFileSync(link, '# b, written where no watch looks\n')
      expect((await get(etag)).status).toBe(304)
      // Without If-None-Match the folder is always scanned.
      const fresh = await get()
      const scannedBy = Date.now()
      expect(fresh.status).toBe(200)
      expect(fresh.headers.etag).not.toBe(etag)
      const unseen = path.join(srv.outsideDir, 'c-link.md')
      fs.linkSync(path.join(srv.projectDir, 'docs/b.md'), unseen)
      fs.writeFileSync(unseen, '# b, a second time\n')
      const seenBy = fresh.headers.etag as string
      expect((await get(seenBy)).status).toBe(304)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, scannedBy + 1600 - Date.now())))
      const late = await get(seenBy)
      expect(late.status).toBe(200)
      expect((late.json as ManifestBody).files.find((f) => f.path === 'docs/b.md')?.hash).toBe(sha('# b, a second time\n'))
    } finally {
      await srv.close()
    }
  })
})
