import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEMP_MARKER } from '../engine/atomic.js'
import { createFilter } from '../engine/filter.js'
import { listTree } from '../../src-server/testing.js'
import { TokenStore } from '../../src-server/tokens.js'
import { ServerRemote } from './server-remote.js'

const repo = path.resolve(__dirname, '..', '..')
const bin = path.join(repo, 'bin', 'syncdesk-server.cjs')
const sha = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex')

let base: string
let projectDir: string
let token: string

/** Starts `node bin/syncdesk-server.cjs` on a free port; resolves with its URL once it listens. */
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--project-dir', projectDir, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) resolve({ child, url: m[1] as string })
    })
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)))
  })
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))
}

describe('environment server killed during a big batch write', () => {
  beforeAll(async () => {
    await fs.access(path.join(repo, 'dist', 'server.cjs')).catch(() => {
      throw new Error('dist/server.cjs is missing: run "npm run build" first')
    })
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'syncdesk-crash-'))
    projectDir = path.join(base, 'project')
    await fs.mkdir(projectDir)
    token = await new TokenStore(path.join(projectDir, '.syncdesk-server', 'tokens.json')).create('ci', ['read', 'write'])
  })
  afterAll(async () => {
    await fs.rm(base, { recursive: true, force: true })
  })

  it('leaves every file old or new, no temp in the manifest, and accepts the next push after restart', async () => {
    const n = 4000
    const oldContent = (i: number): Buffer => Buffer.from(`old ${i}\n`.repeat(20))
    const newContent = (i: number): Buffer => Buffer.from(`new ${i}\n`.repeat(30))
    for (let d = 0; d < 20; d++) await fs.mkdir(path.join(projectDir, `d${d}`))
    await Promise.all(Array.from({ length: n }, (_, i) => fs.writeFile(path.join(projectDir, `d${i % 20}/f${i}.md`), oldContent(i))))

    const first = await startServer()
    const remote = new ServerRemote('crashy', first.url, token, { retries: 0, batchItems: 250, inFlight: 4 })
    const push = remote.writeFiles(Array.from({ length: n }, (_, i) => ({ path: `d${i % 20}/f${i}.md`, content: newContent(i), expectedHash: sha(oldContent(i)) }))).catch((err: unknown) => err)
    // Kill it mid-batch: after the first files are replaced, long before all are.
    for (let waited = 0; waited < 20_000; waited += 5) {
      const kept = await fs.readdir(path.join(projectDir, '.syncdesk-server', 'versions')).catch(() => [])
      if (kept.length > 0) break
      await new Promise((r) => setTimeout(r, 5))
    }
    first.child.kill('SIGKILL')
    await exited(first.child)
    const outcome = await push
    await remote.close()
    expect(outcome).toBeInstanceOf(Error)

    // On disk: every file is either entirely old or entirely new; temp files may remain but are not items.
    let olds = 0
    let news = 0
    for (let i = 0; i < n; i++) {
      const c = await fs.readFile(path.join(projectDir, `d${i % 20}/f${i}.md`))
      if (c.equals(oldContent(i))) olds++
      else if (c.equals(newContent(i))) news++
      else throw new Error(`f${i}.md is neither old nor new`)
    }
    expect(olds + news).toBe(n)
    const tempsLeft = (await listTree(projectDir)).filter((p) => p.includes(TEMP_MARKER)).length

    const second = await startServer()
    try {
      // The restart swept the interrupted write's temp files.
      expect((await listTree(projectDir)).filter((p) => p.includes(TEMP_MARKER))).toEqual([])
      const r2 = new ServerRemote('crashy', second.url, token)
      const scan = await r2.scan(createFilter())
      expect(scan.files.size).toBe(n)
      expect([...scan.files.keys()].some((p) => p.includes(TEMP_MARKER))).toBe(false)
      // The next push completes the work: re-plan from the manifest, write what is still old.
      const todo = [...scan.files].filter(([p, e]) => e.hash === sha(oldContent(Number(/f(\d+)\.md$/.exec(p)![1]))))
      expect(todo.length).toBe(olds)
      const res = await r2.writeFiles(todo.map(([p, e]) => ({ path: p, content: newContent(Number(/f(\d+)\.md$/.exec(p)![1])), expectedHash: e.hash })))
      expect(res.every((x) => x.ok)).toBe(true)
      const after = await r2.scan(createFilter())
      for (const [p, e] of after.files) expect(e.hash).toBe(sha(newContent(Number(/f(\d+)\.md$/.exec(p)![1]))))
      await r2.close()
    } finally {
      second.child.kill('SIGTERM')
      await exited(second.child)
    }
    await expect(fs.access(path.join(projectDir, '.syncdesk-server', 'server.lock'))).rejects.toThrow()
    console.log(`killed mid-push: ${news} of ${n} files were new, ${olds} old, ${tempsLeft} temp files left; the restart swept them and the next push completed`)
  })
})
