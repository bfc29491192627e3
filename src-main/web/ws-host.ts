/**
 * `syncdesk serve`: the host's `dispatch` and events over one WebSocket, and the dashboard's
 * files over plain HTTP, on 127.0.0.1 only.
 *
 * Like Jupyter, the server makes a random token and prints a URL that carries it; the
 * dashboard's bridge sends it when it opens the socket. The upgrade is refused without the
 * token (compared in constant time), from a foreign Origin (another site in the operator's
 * browser must not drive the host), or to anything but the one socket path. Static files hold
 * no data and are served without the token, but only from the dashboard's own folder, never
 * through a symlink or `..`, with a strict Content-Security-Policy.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { isRequestName } from '../../src-shared/ipc.js'
import type { HostPort } from '../host/host-api.js'

/** What the web host is built from. */
export interface WsHostOptions {
  host: HostPort
  /** The built dashboard (index.html and its assets); none: a page that says it is not built. */
  staticDir?: string
  port?: number
  /** Only for tests: a fixed token. */
  token?: string
}

/** A running web host. */
export interface WsHost {
  /** `http://127.0.0.1:<port>/?token=…`: the URL to open. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** The path of the one WebSocket. */
export const SOCKET_PATH = '/ws'

/** Largest message a client may send (a request is small; a token or a path at most a few KB). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
}

/** Starts the web host on 127.0.0.1; resolves once it listens. */
export async function startWsHost(opts: WsHostOptions): Promise<WsHost> {
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url')
  const server = http.createServer((req, res) => serveStatic(opts.staticDir, req, res))
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  const sockets = new Set<WebSocket>()

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as { port: number }).port
  const allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])

  server.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: { code: 'refused', message: why } })}`)
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    if (url.pathname !== SOCKET_PATH) return refuse(404, 'There is no socket at this path.')
    const origin = req.headers.origin
    if (!origin || !allowedOrigins.has(origin)) return refuse(403, 'Connections come only from the dashboard this server serves.')
    if (!sameToken(url.searchParams.get('token') ?? '', token)) return refuse(401, 'The token is missing or wrong: open the URL syncdesk serve printed.')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const stopEvents = opts.host.onEvent((event, payload) => {
    const text = JSON.stringify({ event, payload })
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
  })

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('message', (data, isBinary) => {
      void answer(opts.host, ws, isBinary ? null : data.toString())
    })
  })

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      stopEvents()
      for (const ws of sockets) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
    },
  }
}

/** Answers one message: `{id, channel, args}` → `{id, answer}`; anything else gets an error answer. */
async function answer(host: HostPort, ws: WebSocket, text: string | null): Promise<void> {
  let msg: unknown
  try {
    msg = text === null ? null : JSON.parse(text)
  } catch {
    msg = null
  }
  const m = msg as { id?: unknown; channel?: unknown; args?: unknown } | null
  const id = m && (typeof m.id === 'number' || typeof m.id === 'string') ? m.id : null
  if (!m || id === null || !isRequestName(m.channel)) {
    send(ws, { id, answer: { ok: false, error: { code: 'invalid-request', message: 'A message is {"id", "channel", "args"} with a channel of the contract.' } } })
    return
  }
  send(ws, { id, answer: await host.dispatch(m.channel, m.args) })
}

function send(ws: WebSocket, value: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(value))
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

/** Serves a file of the dashboard, refusing anything outside its folder. */
function serveStatic(dir: string | undefined, req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'method-not-allowed', message: 'Only GET.' } }))
    return
  }
  let rel: string
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  } catch {
    res.writeHead(400, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'bad-url', message: 'The URL is not valid.' } }))
    return
  }
  if (rel === '/') rel = '/index.html'
  if (!dir) {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>SyncDesk</title><p>The dashboard is not built. Run <code>npm run build</code>.</p>')
    return
  }
  const root = path.resolve(dir)
  const file = path.resolve(root, '.' + rel)
  const inside = file.startsWith(root + path.sep) && !rel.includes('\0') && !rel.split('/').some((s) => s === '..' || s.startsWith('.'))
  let st: fs.Stats | null = null
  try {
    st = inside ? fs.lstatSync(file) : null
  } catch {
    st = null
  }
  if (!st || !st.isFile()) {
    res.writeHead(404, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'not-found', message: 'No such file.' } }))
    return
  }
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size })
  if (req.method === 'HEAD') res.end()
  else fs.createReadStream(file).pipe(res)
}
