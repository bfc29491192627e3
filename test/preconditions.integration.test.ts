/**
 * HTTP preconditions as RFC 9110 §13.1.1 says (issue 10): an If-Match with well-formed tags
 * none of which matches answers 412 whatever their form; a weak tag never matches a write;
 * `If-Match: *` writes only where the item exists. Files and records, on the real server.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, get, put, tempDir } from './helpers.js'
import { makeSqlite } from './records-support.js'
import { createToken, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

let server: ServerProcess
let token: string
let dir: string
beforeAll(async () => {
  dir = tempDir('syncdesk-412-')
  put(dir, 'a.md', 'alpha\n')
  makeSqlite(path.join(dir, '.syncdesk-server', 'database.sqlite'), [{ id: 1, name: 'one' }])
  token = createToken(dir, 'ci', 'read,write')
  server = await startServerProcess(dir)
})

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex')
const putFile = (p: string, ifMatch: string, body = 'new\n') => fetch(`${server.url}/v1/files/${p}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'if-match': ifMatch }, body })

describe('If-Match on files', () => {
  it.each(['"abc"', '"not-a-hash", "neither"', `W/"${sha('alpha\n')}"`, `"${sha('something else\n')}"`])('%s does not match: 412, nothing written', async (tag) => {
    const r = await putFile('a.md', tag)
    expect(r.status).toBe(412)
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('stale')
    expect(get(dir, 'a.md')).toBe('alpha\n')
  })

  it('a list holding the current tag matches', async () => {
    const r = await putFile('a.md', `"x", "${sha('alpha\n')}"`, 'alpha 2\n')
    expect(r.status).toBe(200)
    expect(get(dir, 'a.md')).toBe('alpha 2\n')
  })

  it('* writes only where the item exists', async () => {
    expect((await putFile('a.md', '*', 'alpha 3\n')).status).toBe(200)
    expect(get(dir, 'a.md')).toBe('alpha 3\n')
    expect((await putFile('absent.md', '*')).status).toBe(412)
    expect(fs.existsSync(path.join(dir, 'absent.md'))).toBe(false)
  })

  it('a header that is no entity-tag list is still refused as malformed (400)', async () => {
    expect((await putFile('a.md', 'abc')).status).toBe(400)
  })
})

describe('If-Match on records', () => {
  const putRecord = (key: string, ifMatch: string) =>
    fetch(`${server.url}/v1/tables/agents/records/${key}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'if-match': ifMatch, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'changed' }) })
  it('a foreign tag gets 412; * updates an existing row and refuses an absent one', async () => {
    expect((await putRecord('1', '"abc"')).status).toBe(412)
    expect((await putRecord('1', '*')).status).toBe(200)
    expect((await putRecord('99', '*')).status).toBe(412)
  })
})
