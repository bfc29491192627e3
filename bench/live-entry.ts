/**
 * The live host's numbers (issue 8), for `npm run bench`: the time from one saved file to the
 * host's status-changed event with the host running on a 10k-file tree, and a no-change poll of
 * a 10k-file environment server (its round trip, which bounds the server's time, and the bytes
 * of manifest it sent). Bundled and run by bench/live.mjs; prints one JSON line.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Events } from '../src-shared/ipc.js'
import { AppHost } from '../src-main/host/app-host.js'
import { ServerRemote } from '../src-main/remotes/server-remote.js'
import { createFilter } from '../src-main/engine/filter.js'
import type { CredentialStore } from '../src-main/secrets/credential-store.js'

const FILES = 10_000
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-bench-live-'))
const repo = process.argv[2] as string

/** Folder environments need no secret: a store that holds none. */
const noSecrets: CredentialStore = { get: async () => null, set: async () => undefined, delete: async () => false }

function tree(dir: string): void {
  for (let d = 0; d < 100; d++) {
    fs.mkdirSync(path.join(dir, `d${d}`), { recursive: true })
    for (let i = 0; i < FILES / 100; i++) fs.writeFileSync(path.join(dir, `d${d}`, `f${i}.md`), `file ${d}/${i}\n`.repeat(4))
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function saveToEvent(): Promise<number[]> {
  const project = path.join(root, 'project')
  const env = path.join(root, 'env')
  tree(project)
  fs.mkdirSync(env)
  const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: noSecrets, hostKind: 'web', version: 'bench', live: true })
  await host.core.initProject(project)
  const view = await host.openProjectAt(project)
  await host.dispatch('environments:add', { projectId: view.id, name: 'staging', kind: 'folder', location: env })
  const plan = await host.dispatch('run:plan', { projectId: view.id, env: 'staging', direction: 'push' })
  if (!plan.ok) throw new Error(plan.error.message)
  await host.dispatch('run:apply', { planId: (plan.value as { planId: string }).planId, allowMassDelete: true })
  await host.refreshStatus(view.id, 'staging')
  const times: number[] = []
  for (let k = 0; k < 10; k++) {
    const target = k + 1
    const seen = new Promise<number>((resolve) => {
      const stop = host.onEvent((event, payload) => {
        if (event === 'status:changed' && (payload as Events['status:changed']).counts.local_to_remote === target) {
          stop()
          resolve(performance.now())
        }
      })
    })
    const t0 = performance.now()
    fs.writeFileSync(path.join(project, `d${k}`, 'f0.md'), `saved ${k}\n`)
    times.push((await seen) - t0)
    await new Promise((r) => setTimeout(r, 100))
  }
  await host.dispose()
  return times
}

async function noChangePoll(): Promise<{ ms: number[]; bytes: number; firstMs: number }> {
  const srv = path.join(root, 'srv')
  tree(srv)
  const bin = path.join(repo, 'bin', 'syncdesk-server.cjs')
  const made = spawn(process.execPath, [bin, 'token', 'create', 'bench', '--scopes', 'read', '--project-dir', srv], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  made.stdout.on('data', (d: Buffer) => (out += d.toString()))
  await new Promise((r) => made.once('exit', r))
  const token = out.trim().split('\n').pop() as string
  const server = spawn(process.execPath, [bin, 'serve', '--project-dir', srv, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise<string>((resolve) => {
    let o = ''
    server.stdout.on('data', (d: Buffer) => {
      o += d.toString()
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(o)
      if (m) resolve(m[1] as string)
    })
  })
  const remote = new ServerRemote('bench', url, token)
  const filter = createFilter()
  const t0 = performance.now()
  await remote.scan(filter)
  const firstMs = performance.now() - t0
  const before = remote.manifestTransfers
  const ms: number[] = []
  for (let k = 0; k < 20; k++) {
    const t = performance.now()
    await remote.scan(filter)
    ms.push(performance.now() - t)
  }
  const after = remote.manifestTransfers
  await remote.close()
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
  return { ms, bytes: after.bodyBytes - before.bodyBytes, firstMs }
}

async function main(): Promise<void> {
  const save = await saveToEvent()
  const poll = await noChangePoll()
  fs.rmSync(root, { recursive: true, force: true })
  process.stdout.write(JSON.stringify({ saveToEventMs: { median: median(save), max: save.reduce((a, b) => Math.max(a, b)) }, poll: { medianMs: median(poll.ms), maxMs: poll.ms.reduce((a, b) => Math.max(a, b)), bytes: poll.bytes, firstScanMs: poll.firstMs } }) + '\n')
}

void main().then(() => process.exit(0))
