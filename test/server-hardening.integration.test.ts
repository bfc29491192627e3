/**
 * The environment server at its edges, as an operator and a client see them: starting on a
 * fresh folder and failing to start (exit code, one line on stderr, files on disk), refusals
 * made by Node's HTTP layer before any route sees the request (raw bytes over a socket, the
 * raw answer parsed), and a damaged token file (503 for every request, one log line, repaired
 * by `token create`). Real `syncdesk-server` child processes on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, tempDir } from './helpers.js'
import { closedPort, createToken, SERVER_BIN, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

beforeAll(() => ensureBuilt())
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

const AS_ROOT = process.getuid?.() === 0
const SETPRIV = '/usr/bin/setpriv'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `syncdesk-server ARGS` to its end (a start that fails, or a one-off command), optionally through `runAs` (setpriv …). */
function runServerCommand(args: readonly string[], runAs: readonly string[] = []): Run {
  const argv = [...runAs, process.execPath, SERVER_BIN, ...args]
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 30_000 })
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}

/** stderr is exactly one `syncdesk-server:` line matching `message`: no stack trace, no raw errno. */
function expectOneLine(stderr: string, message: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines.length, `one line: ${stderr}`).toBe(1)
  expect(lines[0]).toMatch(/^syncdesk-server: /)
  expect(lines[0]).toMatch(message)
  expect(stderr).not.toMatch(/^\s+at .+:\d+/m)
  expect(stderr).not.toMatch(/\bE[A-Z]{3,}: |Error: |TypeError|SyntaxError/)
}

/** Waits until `test(stderr)` holds (lines the server writes after it printed its URL). */
async function stderrUntil(server: ServerProcess, test: (stderr: string) => boolean): Promise<string> {
  const deadline = Date.now() + 10_000
  while (!test(server.stderr())) {
    if (Date.now() > deadline) throw new Error(`stderr never showed what was awaited: ${server.stderr()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return server.stderr()
}

function countMatches(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length
}

/** One HTTP answer as it came over the wire. */
interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** Splits the bytes a server sent into its answers (Content-Length or chunked bodies). */
function parseAnswers(bytes: Buffer): RawAnswer[] {
  const answers: RawAnswer[] = []
  let rest = bytes
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) throw new Error(`an incomplete answer: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`)
    const [statusLine, ...headerLines] = rest.subarray(0, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '')
    if (!m) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`)
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const i = line.indexOf(':')
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    let body: Buffer
    rest = rest.subarray(end + 4)
    const status = Number(m[1])
    if (status === 100) continue
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length'])
      body = rest.subarray(0, n)
      expect(body.length, 'the whole body arrived').toBe(n)
      rest = rest.subarray(n)
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = []
      for (;;) {
        const eol = rest.indexOf('\r\n')
        const size = Number.parseInt(rest.subarray(0, eol).toString('latin1'), 16)
        rest = rest.subarray(eol + 2)
        if (size === 0) {
          rest = rest.subarray(2)
          break
        }
        parts.push(rest.subarray(0, size))
        rest = rest.subarray(size + 2)
      }
      body = Buffer.concat(parts)
    } else {
      body = rest
      rest = Buffer.alloc(0)
    }
    answers.push({ status, headers, body: body.toString('utf8') })
  }
  return answers
}

/**
 * Sends raw bytes to the server and collects everything it answers until it closes the
 * connection (our side never closes first, so a server that keeps it open fails the test).
 */
function exchange(url: string, parts: readonly (string | Buffer)[]): Promise<RawAnswer[]> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname)
    const got: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the server did not close the connection in 10 s; it sent: ${Buffer.concat(got).toString('latin1').slice(0, 300)}`))
    }, 10_000)
    socket.on('data', (d: Buffer) => got.push(d))
    // A server that refuses mid-body may reset while we still write: what it answered counts.
    socket.on('error', () => {})
    socket.on('end', () => socket.destroy())
    socket.on('close', () => {
      clearTimeout(timer)
      try {
        resolve(parseAnswers(Buffer.concat(got)))
      } catch (err) {
        reject(err as Error)
      }
    })
    for (const p of parts) socket.write(p)
  })
}

/** The answer is the documented JSON refusal with `code`. */
function expectRefusal(ans: RawAnswer | undefined, status: number, code: string): { code: string; message: string } {
  expect(ans, 'an answer').toBeDefined()
  const a = ans as RawAnswer
  expect(a.status, a.body).toBe(status)
  expect(a.headers['content-type']).toMatch(/^application\/json/)
  const body = JSON.parse(a.body) as { error: { code: string; message: string } }
  expect(Object.keys(body)).toEqual(['error'])
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
  expect(body.error.message.length).toBeGreaterThan(10)
  return body.error
}

/** A refusal of the HTTP layer: the JSON body, and the connection closed after it. */
function expectClosingRefusal(answers: RawAnswer[], status: number, code: string): { code: string; message: string } {
  expect(answers.length, JSON.stringify(answers)).toBe(1)
  expect(answers[0]?.headers.connection).toMatch(/^close$/i)
  return expectRefusal(answers[0], status, code)
}

describe('starting the server', () => {
  it('on a fresh empty folder: it starts, makes .syncdesk-server/ (0700), and says in one line that it has no tokens yet and how to create one', async () => {
    const dir = tempDir('syncdesk-hard-empty-')
    expect(fs.readdirSync(dir)).toEqual([])
    const server = await startServerProcess(dir)
    const dataDir = path.join(dir, '.syncdesk-server')
    expect(fs.statSync(dataDir).isDirectory()).toBe(true)
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8').trim()).toBe(String(server.child.pid))
    const stderr = await stderrUntil(server, (s) => /no tokens yet/.test(s))
    expect(countMatches(stderr, /no tokens yet/)).toBe(1)
    const line = stderr.split('\n').find((l) => /no tokens yet/.test(l)) as string
    expect(line).toBe(`syncdesk-server: no tokens yet; every request will be refused. Create one: syncdesk-server token create NAME --scopes read,write --project-dir ${dir}`)
    expect(stderr).not.toMatch(/ENOENT|^\s+at /m)

    const refused = expectClosingRefusal(await exchange(server.url, ['GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sdk_nothing_yet\r\nConnection: close\r\n\r\n']), 401, 'unauthorized')
    expect(refused.message).toMatch(/not known/)
    // The line's advice works on the running server.
    const token = createToken(dir, 'ci', 'read,write')
    const ok = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    await server.stop()
    expect(server.child.exitCode).toBe(0)
    expect(fs.existsSync(path.join(dataDir, 'server.lock')), 'the lock is released').toBe(false)
  })

  it('a start that fails says why and what to do in one line, exits 1, and leaves no lock behind', async () => {
    const cases: { name: string; setup: (dir: string) => Promise<string[]> | string[]; message: RegExp; cleanup?: () => void }[] = []
    let blocker: net.Server | null = null
    cases.push({
      name: 'port in use',
      setup: async () => {
        blocker = net.createServer()
        await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', () => r()))
        return ['--port', String((blocker.address() as net.AddressInfo).port)]
      },
      message: /^syncdesk-server: Cannot listen on 127\.0\.0\.1:\d+: another program is listening there\. Stop it, or pick another port with --port/,
      cleanup: () => blocker?.close(),
    })
    cases.push({ name: 'an address this machine does not have', setup: () => ['--port', '0', '--host', '192.0.2.1'], message: /Cannot listen on 192\.0\.2\.1: this machine has no such address\. Give --host an address of this machine/ })
    cases.push({
      name: '.syncdesk-server is a file',
      setup: (dir) => {
        fs.writeFileSync(path.join(dir, '.syncdesk-server'), 'oops')
        return ['--port', '0']
      },
      message: /\.syncdesk-server is not a folder: .*Move that file away/,
    })
    cases.push({
      name: 'the lock is a folder',
      setup: (dir) => {
        fs.mkdirSync(path.join(dir, '.syncdesk-server', 'server.lock'), { recursive: true })
        return ['--port', '0']
      },
      message: /server\.lock is a folder, not a server lock\. Remove it, then start the server again\./,
    })
    cases.push({
      name: 'a damaged config.json',
      setup: (dir) => {
        fs.mkdirSync(path.join(dir, '.syncdesk-server'))
        fs.writeFileSync(path.join(dir, '.syncdesk-server', 'config.json'), '{"name": \n  oops')
        return ['--port', '0']
      },
      message: /config\.json is not valid: .*Fix it .* or remove it, then start again\./,
    })
    cases.push({
      name: 'a database it cannot reach',
      setup: async () => ['--port', '0', '--database-url', `postgres://me:hunter2@127.0.0.1:${await closedPort()}/db`],
      message: /Cannot connect to PostgreSQL postgres:\/\/me:\*\*\*@127\.0\.0\.1:\d+\/db: .*(ECONNREFUSED|refused).*Check --database-url/i,
    })
    for (const c of cases) {
      const dir = tempDir('syncdesk-hard-fail-')
      const args = await c.setup(dir)
      const r = runServerCommand(['serve', '--project-dir', dir, ...args])
      c.cleanup?.()
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(1)
      expectOneLine(r.stderr, c.message)
      expect(r.stderr, c.name).not.toContain('hunter2')
      expect(r.stdout, c.name).toBe('')
      const lock = path.join(dir, '.syncdesk-server', 'server.lock')
      if (c.name !== 'the lock is a folder') expect(fs.existsSync(lock), `${c.name}: no lock left behind`).toBe(false)
    }
  })

  it('a second server on the same folder is refused in one line; the first keeps serving and keeps its lock', async () => {
    const dir = tempDir('syncdesk-hard-twice-')
    const token = createToken(dir, 'ci', 'read')
    const first = await startServerProcess(dir)
    const r = runServerCommand(['serve', '--project-dir', dir, '--port', '0'])
    expect(r.code).toBe(1)
    expectOneLine(r.stderr, new RegExp(`Another syncdesk-server \\(pid ${first.child.pid}\\) is serving this folder\\. Stop it first`))
    expect(fs.readFileSync(path.join(dir, '.syncdesk-server', 'server.lock'), 'utf8').trim()).toBe(String(first.child.pid))
    expect((await fetch(`${first.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    await first.stop()
  })

  it.skipIf(AS_ROOT && !fs.existsSync(SETPRIV))('a folder it may not write: one line saying so (run as an unprivileged user)', () => {
    const base = tempDir('syncdesk-hard-ro-')
    fs.chmodSync(base, 0o755)
    const dir = path.join(base, 'project')
    fs.mkdirSync(dir, { mode: 0o555 })
    fs.chmodSync(dir, 0o555)
    // Root may write anywhere: run the server as "nobody" then.
    const r = runServerCommand(['serve', '--project-dir', dir, '--port', '0'], AS_ROOT ? [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups'] : [])
    expect(r.code, r.stderr).toBe(1)
    expectOneLine(r.stderr, new RegExp(`Permission denied on ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\.syncdesk-server\\. Let the user running syncdesk-server read and write the project folder`))
  })

  it('a project folder that does not exist: one line, exit 2 (usage)', () => {
    const dir = path.join(tempDir('syncdesk-hard-none-'), 'missing')
    const r = runServerCommand(['serve', '--project-dir', dir, '--port', '0'])
    expect(r.code).toBe(2)
    expectOneLine(r.stderr, /is not a folder\. Give --project-dir an existing folder\./)
  })
})

describe('refusals: every one carries {"error": {"code", "message"}}', () => {
  let server: ServerProcess
  let auth: string
  beforeAll(async () => {
    const dir = tempDir('syncdesk-hard-http-')
    auth = `Authorization: Bearer ${createToken(dir, 'ci', 'read,write')}\r\n`
    server = await startServerProcess(dir)
  })
  afterAll(async () => {
    await server.stop()
  })

  const layer: [string, number, string, () => string, RegExp][] = [
    ['a URL over the header limit', 431, 'headers-too-large', () => `GET /v1/files/${'a'.repeat(20_000)}.md HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, /URL and headers are larger .*: shorten the URL/],
    ['a header over the limit', 431, 'headers-too-large', () => `GET /v1/status HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`, /shorten the URL or send fewer or smaller headers/],
    ['a Content-Length that is not a number', 400, 'bad-http-request', () => `POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`, /Content-Length/],
    ['two Content-Lengths', 400, 'bad-http-request', () => `POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, /Content-Length/],
    ['Content-Length with Transfer-Encoding', 400, 'bad-http-request', () => `POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, /Transfer-Encoding/],
    ['a bad chunk size', 400, 'bad-http-request', () => `POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, /chunk/],
    ['a line that is not HTTP', 400, 'bad-http-request', () => 'hello there\r\n\r\n', /not valid HTTP\/1\.1 .*: send a well-formed request/],
    ['an unknown HTTP version', 400, 'bad-http-request', () => 'GET /v1/status HTTP/7.1\r\nHost: x\r\n\r\n', /version/i],
    ['HTTP/1.1 without Host', 400, 'bad-http-request', () => `GET /v1/status HTTP/1.1\r\n${auth}\r\n`, /Host/],
    ['an Expect other than 100-continue', 417, 'expectation-failed', () => `POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nExpect: something-else\r\nContent-Length: 12\r\n\r\n{"paths":[]}`, /100-continue/],
    ['CONNECT', 405, 'method-not-allowed', () => `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n${auth}\r\n`, /CONNECT/],
  ]
  it.each(layer)('HTTP layer: %s → %i %s, then the connection closes', async (_label, status, code, request, message) => {
    const error = expectClosingRefusal(await exchange(server.url, [request()]), status, code)
    expect(error.message).toMatch(message)
  })

  it('HTTP layer: a bad request pipelined after a good one comes after the good one\'s answer', async () => {
    const answers = await exchange(server.url, [`GET /v1/status HTTP/1.1\r\nHost: x\r\n${auth}\r\nNOT HTTP AT ALL\r\n\r\n`])
    expect(answers.map((a) => a.status)).toEqual([200, 400])
    expect((JSON.parse(answers[0]!.body) as { name: string }).name).toBeTruthy()
    expectRefusal(answers[1], 400, 'bad-http-request')
    expect(answers[1]?.headers.connection).toMatch(/^close$/i)
  })

  const routes: [string, number, string, () => (string | Buffer)[], RegExp][] = [
    ['an unknown endpoint', 404, 'not-found', () => [`GET /v1/nothing/here HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`], /No such endpoint: GET \/v1\/nothing\/here/],
    ['a method the endpoint has not', 405, 'method-not-allowed', () => [`DELETE /v1/status HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`], /DELETE is not allowed on \/v1\/status: use GET or HEAD/],
    ['a JSON body over its limit (Content-Length)', 413, 'body-too-large', () => [`POST /v1/versions/restore HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n{`], /at most 1 MiB/],
    ['a file over its limit (Content-Length)', 413, 'body-too-large', () => [`PUT /v1/files/a.md HTTP/1.1\r\nHost: x\r\n${auth}If-None-Match: *\r\nContent-Length: ${300 * 1024 * 1024}\r\nConnection: close\r\n\r\nabc`], /at most 256 MiB/],
    [
      'a chunked JSON body over its limit',
      413,
      'body-too-large',
      () => {
        const chunk = 'x'.repeat(65_536)
        const parts = [`POST /v1/versions/restore HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`]
        for (let i = 0; i < 24; i++) parts.push(`10000\r\n${chunk}\r\n`)
        return [...parts, '0\r\n\r\n']
      },
      /larger than this environment accepts/,
    ],
    ['a body that is not JSON', 415, 'unsupported-media-type', () => [`POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`], /takes JSON, not "text\/plain"/],
    ['a body without a Content-Type', 415, 'unsupported-media-type', () => [`POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nConnection: close\r\n\r\n{}`], /Content-Type: application\/json/],
    ['malformed JSON', 400, 'malformed-json', () => [`POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"paths":`], /not valid JSON/],
    ['an empty JSON body', 400, 'malformed-json', () => [`POST /v1/files/read HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`], /not valid JSON/],
    ['a bad percent-escape in the URL', 400, 'bad-url', () => [`GET /v1/files/%zz.md HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`], /not valid/],
    ['no token', 401, 'unauthorized', () => ['GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], /Authorization: Bearer/],
  ]
  it.each(routes)('routes: %s → %i %s', async (_label, status, code, request, message) => {
    const answers = await exchange(server.url, request())
    expect(answers.length, JSON.stringify(answers)).toBe(1)
    const error = expectRefusal(answers[0], status, code)
    expect(error.message).toMatch(message)
    if (status === 405) expect(answers[0]?.headers.allow).toBe('GET, HEAD')
  })

  it('after all of these the server still answers, and it never wrote an internal error', async () => {
    const answers = await exchange(server.url, [`GET /v1/status HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`])
    expect(answers.map((a) => a.status)).toEqual([200])
    expect(server.stderr()).not.toMatch(/internal error|^\s+at /m)
  })
})

describe('a damaged token file', () => {
  const DAMAGED = /^syncdesk-server: The token file .*tokens\.json is damaged/
  const files: [string, string, RegExp][] = [
    ['corrupt JSON', '{"version": 1, "tokens": [{"name": "ci", "scopes": ["read"]', /not valid JSON/],
    ['an empty file', '', /it is empty/],
    ['valid JSON of the wrong shape', '{"tokens": {"ci": "read"}}\n', /"version" is missing, not 1/],
    ['a token entry of the wrong shape', '{"version": 1, "tokens": [{"name": "ci", "scopes": "read", "created": "2024-01-01T00:00:00.000Z", "hash": "abc"}]}\n', /token 1 of 1 \("ci"\) has no valid "hash"/],
  ]

  it.each(files)('%s: every request with a token is 503 tokens-unreadable, one log line says what to fix, token create repairs it', async (_label, content, detail) => {
    const dir = tempDir('syncdesk-hard-tokens-')
    const dataDir = path.join(dir, '.syncdesk-server')
    fs.mkdirSync(dataDir, { mode: 0o700 })
    const tokensFile = path.join(dataDir, 'tokens.json')
    fs.writeFileSync(tokensFile, content)
    const server = await startServerProcess(dir)

    for (let i = 0; i < 5; i++) {
      const ans = await fetch(`${server.url}/v1/status`, { headers: { authorization: 'Bearer sdk_any_token_at_all_000000000000000000' } })
      expect(ans.status).toBe(503)
      expect(ans.headers.get('content-type')).toMatch(/^application\/json/)
      const body = (await ans.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('tokens-unreadable')
      expect(body.error.message).toMatch(/token file is damaged.*syncdesk-server token create NAME --scopes/)
      expect(body.error.message, 'no server paths in answers').not.toContain(dir)
    }
    const write = await fetch(`${server.url}/v1/files/a.md`, { method: 'PUT', headers: { authorization: 'Bearer sdk_x', 'if-none-match': '*' }, body: 'x' })
    expect(write.status).toBe(503)
    expect(fs.existsSync(path.join(dir, 'a.md'))).toBe(false)
    // Without any token it is still "send a token".
    expect((await fetch(`${server.url}/v1/status`)).status).toBe(401)

    const stderr = await stderrUntil(server, (s) => s.split('\n').some((l) => DAMAGED.test(l)))
    expect(countMatches(stderr, /is damaged/), stderr).toBe(1)
    const line = stderr.split('\n').find((l) => DAMAGED.test(l)) as string
    expect(line).toContain(tokensFile)
    expect(line).toMatch(detail)
    expect(line).toContain(`syncdesk-server token create NAME --scopes read,write --project-dir ${dir}`)
    expect(stderr).not.toMatch(/no tokens yet|internal error|^\s+at /m)

    const list = runServerCommand(['token', 'list', '--project-dir', dir])
    expect(list.code).toBe(1)
    expectOneLine(list.stderr, /The token file .* is damaged .*token create/)
    expect(fs.readFileSync(tokensFile, 'utf8'), 'token list left the file as it was').toBe(content)

    const create = runServerCommand(['token', 'create', 'ops', '--scopes', 'read', '--project-dir', dir])
    expect(create.code, create.stderr).toBe(0)
    const moved = /moved it aside to (\S+tokens\.json\.broken-[0-9TZ-]+) and started a new one/.exec(create.stderr)
    expect(moved, create.stderr).not.toBeNull()
    expect(fs.readFileSync(moved![1] as string, 'utf8'), 'the damaged file is kept, byte for byte').toBe(content)
    const token = create.stdout.trim().split('\n').pop() as string
    const ok = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect((await fetch(`${server.url}/v1/status`, { headers: { authorization: 'Bearer sdk_any_token_at_all_000000000000000000' } })).status).toBe(401)
    expect(countMatches(server.stderr(), /is damaged/)).toBe(1)
    await server.stop()
  })

  it('damaged while serving: 503 from the next request (one line), working again once the file is put back, without a restart', async () => {
    const dir = tempDir('syncdesk-hard-tokens-live-')
    const token = createToken(dir, 'ci', 'read')
    const tokensFile = path.join(dir, '.syncdesk-server', 'tokens.json')
    const good = fs.readFileSync(tokensFile, 'utf8')
    const server = await startServerProcess(dir)
    const status = () => fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)
    expect(await status()).toBe(200)
    fs.writeFileSync(tokensFile, good.slice(0, 40))
    expect([await status(), await status(), await status()]).toEqual([503, 503, 503])
    await stderrUntil(server, (s) => /is damaged/.test(s))
    expect(countMatches(server.stderr(), /is damaged/)).toBe(1)
    fs.writeFileSync(tokensFile, good)
    expect(await status()).toBe(200)
    await server.stop()
  })
})
