/**
 * Test helpers: a real environment server on 127.0.0.1 (port 0) over a fresh temp folder.
 *
 * Used by the server's and the server remote's integration tests; no mocks: real folders,
 * real HTTP, real tokens.
 */
import fs from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildServer, type ServerOptions } from './app.js'
import { SERVER_DATA_DIR } from './environment.js'
import { TokenStore } from './tokens.js'

/** A running test server and its folders. */
export interface TestServer {
  /** The temp folder holding `project/` and `outside/`. */
  base: string
  projectDir: string
  /** A folder beside the project that must never be touched. */
  outsideDir: string
  url: string
  app: FastifyInstance
  /** Tokens: writer (read,write), reader (read), deployer (read,deploy), admin (all). */
  tokens: { writer: string; reader: string; deployer: string; admin: string }
  close(): Promise<void>
}

/** Starts a server over a new temp project folder. */
export async function startTestServer(opts: Partial<ServerOptions> = {}, hooks: { beforeStart?: (projectDir: string) => Promise<void> | void } = {}): Promise<TestServer> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'syncdesk-server-test-'))
  const projectDir = path.join(base, 'project')
  const outsideDir = path.join(base, 'outside')
  await fs.mkdir(projectDir)
  await fs.mkdir(outsideDir)
  const store = new TokenStore(path.join(projectDir, SERVER_DATA_DIR, 'tokens.json'))
  const tokens = {
    writer: await store.create('writer', ['read', 'write']),
    reader: await store.create('reader', ['read']),
    deployer: await store.create('deployer', ['read', 'deploy']),
    admin: await store.create('admin', ['read', 'write', 'deploy']),
  }
  await hooks.beforeStart?.(projectDir)
  const app = await buildServer({ projectDir, log: false, ...opts })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    base,
    projectDir,
    outsideDir,
    url,
    app,
    tokens,
    async close() {
      await app.close()
      await fs.rm(base, { recursive: true, force: true })
    },
  }
}

/** An HTTP answer as tests see it. */
export interface RawAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** The body parsed as JSON, or null. */
  json: unknown
}

/** Sends a request with the path exactly as given (no URL normalization, unlike fetch). */
export function rawRequest(baseUrl: string, method: string, rawPath: string, opts: { token?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawAnswer> {
  const u = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body)
    const req = http.request({ hostname: u.hostname, port: u.port, method, path: rawPath, headers, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => {
        const body = Buffer.concat(parts)
        let json: unknown = null
        try {
          json = JSON.parse(body.toString('utf8'))
        } catch {
          // Not JSON.
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json })
      })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Every file under `dir` (relative paths, sorted), hidden ones included. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) await walk(r)
      else out.push(r)
    }
  }
  await walk('')
  return out.sort()
}
