import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildServer } from './app.js'
import { SERVER_DATA_DIR } from './environment.js'
import { listTree, rawRequest, startTestServer, type TestServer } from './testing.js'
import { TokenStore } from './tokens.js'

const sha = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex')

let srv: TestServer

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  )
}

function errorCode(json: unknown): string | undefined {
  return (json as { error?: { code?: string } } | null)?.error?.code
}

describe('environment server: refusals', () => {
  beforeEach(async () => {
    srv = await startTestServer({ maxFileBytes: 1024, maxBatchBytes: 8192 })
    await fs.mkdir(path.join(srv.projectDir, 'docs'))
    await fs.writeFile(path.join(srv.projectDir, 'docs/a.md'), 'alpha\n')
    await fs.writeFile(path.join(srv.outsideDir, 'secret.md'), 'outside secret\n')
  })
  afterEach(async () => {
    await srv.close()
  })

  describe('401 and 403', () => {
    it('refuses a request without a token, with a wrong one, and with a malformed header', async () => {
      for (const headers of [{}, { authorization: 'Bearer sdk_wrong' }, { authorization: `Basic ${srv.tokens.writer}` }, { authorization: 'Bearer' }] as Record<string, string>[]) {
        const ans = await rawRequest(srv.url, 'PUT', '/v1/files/docs/new.md', { headers: { ...headers, 'if-none-match': '*' }, body: 'x' })
        expect(ans.status).toBe(401)
        expect(errorCode(ans.json)).toBe('unauthorized')
        expect(ans.headers['www-authenticate']).toMatch(/^Bearer/)
      }
      expect(await exists(path.join(srv.projectDir, 'docs/new.md'))).toBe(false)
      for (const p of ['/v1/files', '/v1/status', '/v1/versions', '/v1/deployments', '/v1/nope']) {
        expect((await rawRequest(srv.url, 'GET', p)).status).toBe(401)
      }
    })

    it('refuses a revoked token on the running server', async () => {
      const store = new TokenStore(path.join(srv.projectDir, SERVER_DATA_DIR, 'tokens.json'))
      expect((await rawRequest(srv.url, 'GET', '/v1/files', { token: srv.tokens.reader })).status).toBe(200)
      expect(await store.revoke('reader')).toBe(true)
      const ans = await rawRequest(srv.url, 'GET', '/v1/files', { token: srv.tokens.reader })
      expect(ans.status).toBe(401)
      expect(errorCode(ans.json)).toBe('unauthorized')
    })

    it('refuses a token without the needed scope (403) and writes nothing', async () => {
      const put = await rawRequest(srv.url, 'PUT', '/v1/files/docs/new.md', { token: srv.tokens.reader, headers: { 'if-none-match': '*' }, body: 'x' })
      expect(put.status).toBe(403)
      expect(errorCode(put.json)).toBe('forbidden')
      expect((put.json as { error: { message: string } }).error.message).toContain('"write" scope')
      const del = await rawRequest(srv.url, 'DELETE', '/v1/files/docs/a.md', { token: srv.tokens.reader, headers: { 'if-match': `"${sha('alpha\n')}"` } })
      expect(del.status).toBe(403)
      const batch = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.deployer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/b.md', content: Buffer.from('b').toString('base64'), ifNoneMatch: '*' }] }),
      })
      expect(batch.status).toBe(403)
      expect((await rawRequest(srv.url, 'POST', '/v1/deploy', { token: srv.tokens.writer })).status).toBe(403)
      expect((await rawRequest(srv.url, 'POST', '/v1/versions/restore', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403)
      expect(await exists(path.join(srv.projectDir, 'docs/new.md'))).toBe(false)
      expect(await exists(path.join(srv.projectDir, 'docs/b.md'))).toBe(false)
      expect(await fs.readFile(path.join(srv.projectDir, 'docs/a.md'), 'utf8')).toBe('alpha\n')
    })
  })

  describe('preconditions', () => {
    it('answers 428 to a write or delete without a precondition', async () => {
      const put = await rawRequest(srv.url, 'PUT', '/v1/files/docs/new.md', { token: srv.tokens.writer, body: 'x' })
      expect(put.status).toBe(428)
      expect(errorCode(put.json)).toBe('precondition-required')
      const upd = await rawRequest(srv.url, 'PUT', '/v1/files/docs/a.md', { token: srv.tokens.writer, body: 'overwrite' })
      expect(upd.status).toBe(428)
      const del = await rawRequest(srv.url, 'DELETE', '/v1/files/docs/a.md', { token: srv.tokens.writer })
      expect(del.status).toBe(428)
      const batch = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/a.md', content: Buffer.from('overwrite').toString('base64') }], deletes: [{ path: 'docs/a.md' }] }),
      })
      expect(batch.status).toBe(200)
      const res = batch.json as { writes: { status: number }[]; deletes: { status: number }[] }
      expect(res.writes[0]?.status).toBe(400) // the same path twice in one batch
      const single = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/a.md', content: Buffer.from('overwrite').toString('base64') }] }),
      })
      expect((single.json as { writes: { status: number }[] }).writes[0]?.status).toBe(428)
      expect(await exists(path.join(srv.projectDir, 'docs/new.md'))).toBe(false)
      expect(await fs.readFile(path.join(srv.projectDir, 'docs/a.md'), 'utf8')).toBe('alpha\n')
    })

    it('answers 412 when the item moved on, with the current ETag, and keeps it', async () => {
      const wrong = sha('something else')
      const put = await rawRequest(srv.url, 'PUT', '/v1/files/docs/a.md', { token: srv.tokens.writer, headers: { 'if-match': `"${wrong}"` }, body: 'mine' })
      expect(put.status).toBe(412)
      expect(errorCode(put.json)).toBe('stale')
      expect(put.headers.etag).toBe(`"${sha('alpha\n')}"`)
      const create = await rawRequest(srv.url, 'PUT', '/v1/files/docs/a.md', { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: 'mine' })
      expect(create.status).toBe(412)
      const del = await rawRequest(srv.url, 'DELETE', '/v1/files/docs/a.md', { token: srv.tokens.writer, headers: { 'if-match': `"${wrong}"` } })
      expect(del.status).toBe(412)
      const upd = await rawRequest(srv.url, 'PUT', '/v1/files/docs/gone.md', { token: srv.tokens.writer, headers: { 'if-match': `"${wrong}"` }, body: 'mine' })
      expect(upd.status).toBe(412)
      expect(await fs.readFile(path.join(srv.projectDir, 'docs/a.md'), 'utf8')).toBe('alpha\n')
      expect(await exists(path.join(srv.projectDir, 'docs/gone.md'))).toBe(false)
      expect(await listTree(path.join(srv.projectDir, 'docs'))).toEqual(['a.md'])
    })

    it('refuses malformed preconditions (400)', async () => {
      for (const headers of [{ 'if-match': 'abc' }, { 'if-match': `"${sha('alpha\n')}"`, 'if-none-match': '*' }, { 'if-none-match': '"abc"' }] as Record<string, string>[]) {
        const ans = await rawRequest(srv.url, 'PUT', '/v1/files/docs/a.md', { token: srv.tokens.writer, headers, body: 'x' })
        expect(ans.status).toBe(400)
        expect(errorCode(ans.json)).toBe('bad-precondition')
      }
      expect(await fs.readFile(path.join(srv.projectDir, 'docs/a.md'), 'utf8')).toBe('alpha\n')
    })
  })

  describe('hostile paths', () => {
    const hostile = [
      '/v1/files/../outside/secret.md',
      '/v1/files/docs/../../outside/secret.md',
      '/v1/files/..%2Foutside%2Fsecret.md',
      '/v1/files/%2e%2e%2foutside%2fsecret.md',
      '/v1/files/%2E%2E/outside/secret.md',
      '/v1/files/%252e%252e%252foutside%252fsecret.md',
      '/v1/files/%25252e%25252e%25252f%25252e%25252e%25252fsecret.md',
      '/v1/files/%2Ftmp%2Fsecret.md',
      '/v1/files//tmp/secret.md',
      '/v1/files/docs%5C..%5C..%5Coutside%5Csecret.md',
      '/v1/files/..%5Coutside%5Csecret.md',
      '/v1/files/docs/a%00.md',
      '/v1/files/C:%5Csecret.md',
      '/v1/files/docs/./a.md',
      '/v1/files/docs//a.md',
      '/v1/files/',
      '/v1/files/.git/config.md',
      '/v1/files/.syncdesk-server/tokens.json',
      '/v1/files/.syncdesk-server/status.md',
      '/v1/files/node_modules/x.md',
      '/v1/files/docs/__pycache__/x.py',
      '/v1/files/docs/.syncdesk-tmp-0123abcd-42-0123456789ab.tmp',
      '/v1/files/%E0%A4%A.md',
    ]

    it.each(hostile)('refuses %s for read, write and delete, touching nothing', async (p) => {
      const before = await listTree(srv.base)
      const get = await rawRequest(srv.url, 'GET', p, { token: srv.tokens.admin })
      expect(get.status).toBe(400)
      expect(errorCode(get.json)).toMatch(/^(path-refused|bad-url)$/)
      expect(get.body.toString()).not.toContain('outside secret')
      const put = await rawRequest(srv.url, 'PUT', p, { token: srv.tokens.admin, headers: { 'if-none-match': '*' }, body: 'evil' })
      expect(put.status).toBe(400)
      const put2 = await rawRequest(srv.url, 'PUT', p, { token: srv.tokens.admin, headers: { 'if-match': `"${sha('outside secret\n')}"` }, body: 'evil' })
      expect(put2.status).toBe(400)
      const del = await rawRequest(srv.url, 'DELETE', p, { token: srv.tokens.admin, headers: { 'if-match': `"${sha('outside secret\n')}"` } })
      expect(del.status).toBe(400)
      expect(await listTree(srv.base)).toEqual(before)
      expect(await fs.readFile(path.join(srv.outsideDir, 'secret.md'), 'utf8')).toBe('outside secret\n')
      expect(await fs.readFile(path.join(srv.projectDir, 'docs/a.md'), 'utf8')).toBe('alpha\n')
    })

    it('refuses hostile paths item by item in batches', async () => {
      const before = await listTree(srv.base)
      const paths = ['../outside/secret.md', '/etc/passwd.md', 'docs\\..\\..\\outside\\secret.md', 'a\u0000.md', '.git/x.md', '.syncdesk-server/tokens.json', 'docs/./a.md', '', 'docs/a.md']
      const read = await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths }) })
      expect(read.status).toBe(200)
      const items = (read.json as { items: { path: string; status: number; content?: string }[] }).items
      expect(items.map((i) => i.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400, 200])
      expect(read.body.toString()).not.toContain(Buffer.from('outside secret\n').toString('base64'))
      const write = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          items: paths.slice(0, -1).map((p) => ({ path: p, content: Buffer.from('evil').toString('base64'), ifNoneMatch: '*' })),
          deletes: [{ path: '../outside/secret.md', ifMatch: sha('outside secret\n') }],
        }),
      })
      expect(write.status).toBe(200)
      const res = write.json as { writes: { status: number }[]; deletes: { status: number }[] }
      expect(res.writes.every((w) => w.status === 400)).toBe(true)
      expect(res.deletes[0]?.status).toBe(400)
      expect(await listTree(srv.base)).toEqual(before)
    })

    it('never follows a symlink inside the project out of it', async () => {
      await fs.symlink(srv.outsideDir, path.join(srv.projectDir, 'linkdir'))
      await fs.symlink(path.join(srv.outsideDir, 'secret.md'), path.join(srv.projectDir, 'docs/link.md'))
      const before = await listTree(srv.outsideDir)
      const secretHash = sha('outside secret\n')

      const getDir = await rawRequest(srv.url, 'GET', '/v1/files/linkdir/secret.md', { token: srv.tokens.admin })
      expect(getDir.status).toBe(400)
      expect(getDir.body.toString()).not.toContain('outside secret')
      const getFile = await rawRequest(srv.url, 'GET', '/v1/files/docs/link.md', { token: srv.tokens.admin })
      expect(getFile.status).toBe(400)
      expect(getFile.body.toString()).not.toContain('outside secret')

      const putNew = await rawRequest(srv.url, 'PUT', '/v1/files/linkdir/new.md', { token: srv.tokens.admin, headers: { 'if-none-match': '*' }, body: 'evil' })
      expect(putNew.status).toBe(400)
      const putOver = await rawRequest(srv.url, 'PUT', '/v1/files/linkdir/secret.md', { token: srv.tokens.admin, headers: { 'if-match': `"${secretHash}"` }, body: 'evil' })
      expect(putOver.status).toBe(400)
      const putLink = await rawRequest(srv.url, 'PUT', '/v1/files/docs/link.md', { token: srv.tokens.admin, headers: { 'if-match': `"${secretHash}"` }, body: 'evil' })
      expect(putLink.status).toBe(400)
      const delLink = await rawRequest(srv.url, 'DELETE', '/v1/files/docs/link.md', { token: srv.tokens.admin, headers: { 'if-match': `"${secretHash}"` } })
      expect(delLink.status).toBe(400)
      const delDir = await rawRequest(srv.url, 'DELETE', '/v1/files/linkdir/secret.md', { token: srv.tokens.admin, headers: { 'if-match': `"${secretHash}"` } })
      expect(delDir.status).toBe(400)

      const batch = await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['linkdir/secret.md', 'docs/link.md'] }) })
      expect((batch.json as { items: { status: number }[] }).items.map((i) => i.status)).toEqual([400, 400])
      expect(batch.body.toString()).not.toContain(Buffer.from('outside secret\n').toString('base64'))

      const manifest = await rawRequest(srv.url, 'GET', '/v1/files', { token: srv.tokens.reader })
      const m = manifest.json as { files: { path: string }[]; skipped: { path: string; reason: string }[] }
      expect(m.files.map((f) => f.path)).toEqual(['docs/a.md'])
      expect(m.skipped.map((s) => s.path).sort()).toEqual(['docs/link.md', 'linkdir'])

      expect(await listTree(srv.outsideDir)).toEqual(before)
      expect(await fs.readFile(path.join(srv.outsideDir, 'secret.md'), 'utf8')).toBe('outside secret\n')
      expect((await fs.lstat(path.join(srv.projectDir, 'docs/link.md'))).isSymbolicLink()).toBe(true)
    })
  })

  describe('bodies and types', () => {
    it('refuses an oversized body with 413 and writes nothing', async () => {
      const put = await rawRequest(srv.url, 'PUT', '/v1/files/docs/big.md', { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: Buffer.alloc(2000, 97) })
      expect(put.status).toBe(413)
      expect(errorCode(put.json)).toBe('body-too-large')
      const batch = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/big2.md', content: Buffer.alloc(9000, 97).toString('base64'), ifNoneMatch: '*' }] }),
      })
      expect(batch.status).toBe(413)
      expect(errorCode(batch.json)).toBe('body-too-large')
      expect(await listTree(path.join(srv.projectDir, 'docs'))).toEqual(['a.md'])
    })

    it('refuses file types the environment does not sync', async () => {
      for (const p of ['docs/tool.exe', 'docs/noext', 'docs/archive.tar.gz', 'docs/.hidden']) {
        const put = await rawRequest(srv.url, 'PUT', `/v1/files/${p}`, { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: 'x' })
        expect(put.status, p).toBe(415)
        expect(errorCode(put.json)).toBe('type-not-synced')
      }
      const batch = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/x.exe', content: 'eA==', ifNoneMatch: '*' }, { path: 'docs/ok.md', content: 'eA==', ifNoneMatch: '*' }] }),
      })
      expect((batch.json as { writes: { status: number }[] }).writes.map((w) => w.status)).toEqual([415, 201])
      expect(await listTree(path.join(srv.projectDir, 'docs'))).toEqual(['a.md', 'ok.md'])
    })

    it('honours .syncdeskignore for writes', async () => {
      await fs.writeFile(path.join(srv.projectDir, '.syncdeskignore'), 'drafts/\n*.secret.md\n')
      for (const p of ['drafts/x.md', 'docs/a.secret.md']) {
        const put = await rawRequest(srv.url, 'PUT', `/v1/files/${p}`, { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: 'x' })
        expect(put.status, p).toBeGreaterThanOrEqual(400)
      }
      expect(await exists(path.join(srv.projectDir, 'drafts'))).toBe(false)
    })

    it('refuses malformed JSON, the wrong shape, bad base64 and non-JSON bodies', async () => {
      const bad = await rawRequest(srv.url, 'POST', '/v1/files/write', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: '{"items": [' })
      expect(bad.status).toBe(400)
      expect(errorCode(bad.json)).toBe('malformed-json')
      const empty = await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: '' })
      expect(empty.status).toBe(400)
      const shape = await rawRequest(srv.url, 'POST', '/v1/files/write', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: 'nope' }) })
      expect(shape.status).toBe(400)
      expect(errorCode(shape.json)).toBe('invalid-request')
      const b64 = await rawRequest(srv.url, 'POST', '/v1/files/write', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ path: 'docs/c.md', content: 'not base64!', ifNoneMatch: '*' }] }),
      })
      expect((b64.json as { writes: { status: number; error: { code: string } }[] }).writes[0]).toMatchObject({ status: 400, error: { code: 'bad-content' } })
      const text = await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'text/plain' }, body: 'docs/a.md' })
      expect(text.status).toBe(415)
      expect(errorCode(text.json)).toBe('unsupported-media-type')
      const proto = await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: '{"__proto__": {"x": 1}, "paths": []}' })
      expect(proto.status).toBe(400)
      expect(await listTree(path.join(srv.projectDir, 'docs'))).toEqual(['a.md'])
    })

    it('answers unknown endpoints with a JSON 404', async () => {
      const ans = await rawRequest(srv.url, 'GET', '/v1/nothing/here', { token: srv.tokens.reader })
      expect(ans.status).toBe(404)
      expect(errorCode(ans.json)).toBe('not-found')
    })
  })
})

describe('environment server: files, versions, status, log', () => {
  let lines: string[]
  beforeEach(async () => {
    lines = []
    srv = await startTestServer({ log: (line) => lines.push(line), name: 'staging' })
  })
  afterEach(async () => {
    await srv.close()
  })

  it('creates, reads, updates and deletes one file, keeping prior versions that restore', async () => {
    const create = await rawRequest(srv.url, 'PUT', '/v1/files/agents/a.yml', { token: srv.tokens.writer, headers: { 'if-none-match': '*', 'content-type': 'application/json' }, body: 'v1\n' })
    expect(create.status).toBe(201)
    expect(create.headers.etag).toBe(`"${sha('v1\n')}"`)
    const get = await rawRequest(srv.url, 'GET', '/v1/files/agents/a.yml', { token: srv.tokens.reader })
    expect(get.status).toBe(200)
    expect(get.body.toString()).toBe('v1\n')
    expect(get.headers.etag).toBe(`"${sha('v1\n')}"`)
    const update = await rawRequest(srv.url, 'PUT', '/v1/files/agents/a.yml', { token: srv.tokens.writer, headers: { 'if-match': get.headers.etag as string }, body: 'v2\n' })
    expect(update.status).toBe(200)
    const v1Id = (update.json as { versionId: string }).versionId
    expect(await fs.readFile(path.join(srv.projectDir, SERVER_DATA_DIR, 'versions', v1Id, 'agents/a.yml'), 'utf8')).toBe('v1\n')
    const del = await rawRequest(srv.url, 'DELETE', '/v1/files/agents/a.yml', { token: srv.tokens.writer, headers: { 'if-match': `"${sha('v2\n')}"` } })
    expect(del.status).toBe(200)
    expect(await exists(path.join(srv.projectDir, 'agents/a.yml'))).toBe(false)
    expect((await rawRequest(srv.url, 'GET', '/v1/files/agents/a.yml', { token: srv.tokens.reader })).status).toBe(404)

    const versions = await rawRequest(srv.url, 'GET', '/v1/versions?path=agents/a.yml', { token: srv.tokens.reader })
    const list = (versions.json as { versions: { id: string; hash: string; by: string; op: string }[] }).versions
    expect(list.map((v) => v.hash)).toEqual([sha('v2\n'), sha('v1\n')])
    expect(list[0]).toMatchObject({ by: 'writer', op: 'delete' })
    const content = await rawRequest(srv.url, 'GET', `/v1/versions/${v1Id}/agents/a.yml`, { token: srv.tokens.reader })
    expect(content.body.toString()).toBe('v1\n')

    const restore = await rawRequest(srv.url, 'POST', '/v1/versions/restore', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: v1Id, path: 'agents/a.yml', ifNoneMatch: '*' }) })
    expect(restore.status).toBe(200)
    expect(await fs.readFile(path.join(srv.projectDir, 'agents/a.yml'), 'utf8')).toBe('v1\n')
    const again = await rawRequest(srv.url, 'POST', '/v1/versions/restore', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: v1Id, path: 'agents/a.yml', ifNoneMatch: '*' }) })
    expect(again.status).toBe(412)
    const missing = await rawRequest(srv.url, 'POST', '/v1/versions/restore', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: v1Id, path: 'agents/other.yml' }) })
    expect(missing.status).toBe(404)
    const hostileId = await rawRequest(srv.url, 'POST', '/v1/versions/restore', { token: srv.tokens.writer, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: '../..', path: 'agents/a.yml' }) })
    expect(hostileId.status).toBe(400)
  })

  it('reports status: name, last push and pull by token name, counts', async () => {
    await rawRequest(srv.url, 'PUT', '/v1/files/a.md', { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: 'a' })
    await rawRequest(srv.url, 'POST', '/v1/files/read', { token: srv.tokens.reader, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['a.md'] }) })
    const ans = await rawRequest(srv.url, 'GET', '/v1/status', { token: srv.tokens.reader })
    expect(ans.status).toBe(200)
    expect(ans.json).toMatchObject({ name: 'staging', lastPush: { by: 'writer', items: 1 }, lastPull: { by: 'reader', items: 1 }, items: { files: 1, skipped: 0 }, deploy: { configured: false, latest: null } })
    await srv.app.environment.status.flush()
    const onDisk = JSON.parse(await fs.readFile(path.join(srv.projectDir, SERVER_DATA_DIR, 'status.json'), 'utf8')) as { lastPush: { by: string } }
    expect(onDisk.lastPush.by).toBe('writer')
  })

  it('logs one line per request with the token name, never the token or contents', async () => {
    await rawRequest(srv.url, 'PUT', '/v1/files/a.md', { token: srv.tokens.writer, headers: { 'if-none-match': '*' }, body: 'very private content' })
    await rawRequest(srv.url, 'GET', '/v1/files?x=1', { token: srv.tokens.reader })
    await rawRequest(srv.url, 'GET', '/v1/files', { token: 'sdk_not_a_real_token' })
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/ PUT \/v1\/files\/a\.md 201 \d+ms token=writer$/)
    expect(lines[1]).toMatch(/ GET \/v1\/files 200 \d+ms token=reader$/)
    expect(lines[2]).toMatch(/ GET \/v1\/files 401 \d+ms token=-$/)
    const all = lines.join('\n')
    for (const t of Object.values(srv.tokens)) expect(all).not.toContain(t)
    expect(all).not.toContain('sdk_not_a_real_token')
    expect(all).not.toContain('very private content')
  })

  it('stores tokens only as hashes', async () => {
    const text = await fs.readFile(path.join(srv.projectDir, SERVER_DATA_DIR, 'tokens.json'), 'utf8')
    for (const t of Object.values(srv.tokens)) {
      expect(text).not.toContain(t)
      expect(text).toContain(sha(t))
    }
  })
})

describe('buildServer', () => {
  it('refuses a project folder that does not exist', async () => {
    await expect(buildServer({ projectDir: '/nonexistent/syncdesk/x', log: false })).rejects.toThrow()
  })
})
