/**
 * The environment server's retention of prior versions (issue 10, part 2): versions past the
 * newest N of a file that are also older than D days are pruned (a fake clock dates and prunes
 * them; nothing else is faked), record versions the same way, and the undo of the latest push
 * still works after a prune. The `prune` command and the serve flags, through the real binary.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DirStore } from '../src-main/engine/dir-store.js'
import type { RecordResult } from '../src-main/engine/records/record-store.js'
import { initProject } from '../src-main/engine/project.js'
import { runDirection } from '../src-main/engine/sync-engine.js'
import { undoRun } from '../src-main/engine/undo.js'
import { ServerRemote } from '../src-main/remotes/server-remote.js'
import { SERVER_DATA_DIR } from '../src-server/environment.js'
import { rawRequest, startTestServer, type TestServer } from '../src-server/testing.js'
import { cleanupTemps, get, put, sha, tempDir } from './helpers.js'
import { SERVER_BIN } from './support/server-process.js'

const DAY = 86_400_000
const servers: TestServer[] = []
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close()
  cleanupTemps()
})

/** A server whose clock the test sets. */
async function clockedServer(retention: { keepPerItem: number; keepDays: number }): Promise<{ srv: TestServer; at: (day: number) => void; remote: ServerRemote }> {
  let now = Date.parse('2025-03-01T12:00:00.000Z')
  const start = now
  const srv = await startTestServer({ now: () => now, retention, pruneIntervalMs: false })
  servers.push(srv)
  return { srv, at: (day) => void (now = start + day * DAY), remote: new ServerRemote('staging', srv.url, srv.tokens.writer) }
}

/** Writes `content` to `p` on the environment, conditionally on what is there. */
async function write(remote: ServerRemote, p: string, content: string): Promise<void> {
  const current = (await remote.scan({} as never)).files.get(p)?.hash ?? null
  const [r] = await remote.writeFiles([{ path: p, content: Buffer.from(content), expectedHash: current }])
  expect(r?.ok, JSON.stringify(r)).toBe(true)
}

/** The contents of the versions kept of a file, newest first (read back over HTTP). */
async function keptContents(srv: TestServer, p: string): Promise<string[]> {
  const list = await rawRequest(srv.url, 'GET', `/v1/versions?path=${encodeURIComponent(p)}`, { token: srv.tokens.reader })
  const out: string[] = []
  for (const v of (list.json as { versions: { id: string }[] }).versions) {
    out.push((await rawRequest(srv.url, 'GET', `/v1/versions/${v.id}/${p}`, { token: srv.tokens.reader })).body.toString())
  }
  return out
}

function versionFolders(srv: TestServer): string[] {
  return fs.readdirSync(path.join(srv.projectDir, SERVER_DATA_DIR, 'versions')).sort()
}

describe('pruning prior versions of files', () => {
  it('keeps the newest N of each file and everything younger than D days; removes the rest from disk', async () => {
    const { srv, at, remote } = await clockedServer({ keepPerItem: 1, keepDays: 7 })
    try {
      // a.md: written on days 0..4, so versions made on days 1..4 hold a0..a3.
      for (let day = 0; day <= 4; day++) {
        at(day)
        await write(remote, 'a.md', `a${day}\n`)
      }
      // b.md: one version (made on day 1), never pruned: it is b.md's newest.
      at(0)
      await write(remote, 'b.md', 'b0\n')
      at(1)
      await write(remote, 'b.md', 'b1\n')
      expect(await keptContents(srv, 'a.md')).toEqual(['a3\n', 'a2\n', 'a1\n', 'a0\n'])
      const before = versionFolders(srv)

      at(5)
      let r = await srv.app.environment.pruneVersions()
      expect(r.files.removed).toBe(0)
      expect(versionFolders(srv)).toEqual(before)

      // Day 8.5: only the version made on day 1 is older than 7 days (a0); a1 and a2 are young.
      at(8.5)
      r = await srv.app.environment.pruneVersions({ dryRun: true })
      expect(r.files.removed).toBe(1)
      expect(await keptContents(srv, 'a.md')).toEqual(['a3\n', 'a2\n', 'a1\n', 'a0\n'])
      r = await srv.app.environment.pruneVersions()
      expect(r.files).toEqual({ removed: 1, bytes: 3, versions: 1 })
      expect(await keptContents(srv, 'a.md')).toEqual(['a3\n', 'a2\n', 'a1\n'])

      // Day 30: everything is old; the newest of each file stays.
      at(30)
      r = await srv.app.environment.pruneVersions()
      expect(r.files.removed).toBe(2)
      expect(await keptContents(srv, 'a.md')).toEqual(['a3\n'])
      expect(await keptContents(srv, 'b.md')).toEqual(['b0\n'])
      // A version left with nothing is gone with its record; the others stay on disk.
      const left = versionFolders(srv)
      expect(left.filter((n) => !n.endsWith('.json')).length).toBe(2)
      expect(left.filter((n) => n.endsWith('.json')).length).toBe(2)
      for (const id of left.filter((n) => !n.endsWith('.json'))) expect(left).toContain(`${id}.json`)
    } finally {
      await remote.close()
    }
  })

  it('prunes kept record rows the same way', async () => {
    const { srv, at, remote } = await clockedServer({ keepPerItem: 2, keepDays: 1 })
    try {
      const created = await rawRequest(srv.url, 'POST', '/v1/tables', {
        token: srv.tokens.writer,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'agents', columns: [{ name: 'id', type: 'bigint', notNull: true }, { name: 'name', type: 'text' }], primaryKey: ['id'] }),
      })
      expect(created.status).toBe(201)
      const records = await remote.openRecords()
      const agents = { name: 'agents', key: 'id' }
      let hash: string | null = null
      for (let day = 0; day <= 5; day++) {
        at(day)
        const results: RecordResult[] = (await records?.write(agents, [{ key: '1', data: { id: 1, name: `v${day}` }, expectedHash: hash }])) ?? []
        const res = results[0]
        expect(res?.ok).toBe(true)
        hash = res?.ok ? res.hash : null
      }
      const kept = async () => ((await rawRequest(srv.url, 'GET', '/v1/tables/agents/versions?key=1', { token: srv.tokens.reader })).json as { versions: { data: { name: string } }[] }).versions.map((v) => v.data.name)
      expect(await kept()).toEqual(['v4', 'v3', 'v2', 'v1', 'v0'])
      at(40)
      const r = await srv.app.environment.pruneVersions()
      expect(r.records.removed).toBe(3)
      expect(await kept()).toEqual(['v4', 'v3'])
      expect(fs.readdirSync(path.join(srv.projectDir, SERVER_DATA_DIR, 'record-versions')).length).toBe(2)
    } finally {
      await remote.close()
    }
  })
})

describe('undo of the latest push after pruning', () => {
  it('still puts the environment back: the versions it needs are the newest of their files', async () => {
    const { srv, at, remote } = await clockedServer({ keepPerItem: 1, keepDays: 0 })
    const projectDir = tempDir('syncdesk-retention-project-')
    const { project } = await initProject(projectDir)
    try {
      put(projectDir, 'a.md', 'a, first\n')
      put(projectDir, 'b.md', 'b, first\n')
      put(projectDir, 'c.md', 'c, first\n')
      at(0)
      await runDirection(project, remote, { direction: 'push' })
      for (let i = 1; i <= 3; i++) {
        at(i)
        put(projectDir, 'a.md', `a, push ${i}\n`)
        if (i === 3) fs.rmSync(path.join(projectDir, 'c.md'))
        const report = await runDirection(project, remote, { direction: 'push' })
        expect(report.result?.problems).toEqual([])
      }
      expect(get(srv.projectDir, 'a.md')).toBe('a, push 3\n')
      expect(get(srv.projectDir, 'c.md')).toBeNull()
      at(400)
      const pruned = await srv.app.environment.pruneVersions()
      // a.md's versions made by pushes 1 and 2 go; push 3's (the newest of a.md) and c.md's stay.
      expect(pruned.files.removed).toBe(2)
      expect(await keptContents(srv, 'a.md')).toEqual(['a, push 2\n'])

      const sides = { local: new DirStore(projectDir), database: null, openRemote: async () => new ServerRemote('staging', srv.url, srv.tokens.writer), filter: project.filter() }
      const dry = await undoRun(project.backupsDir, 'latest', sides, { dryRun: true })
      expect(dry.remote).toEqual({ restored: ['a.md', 'c.md'], removed: [], left: [] })
      const undo = await undoRun(project.backupsDir, 'latest', sides)
      expect(undo.remote.left).toEqual([])
      expect(get(srv.projectDir, 'a.md')).toBe('a, push 2\n')
      expect(get(srv.projectDir, 'c.md')).toBe('c, first\n')
      expect(get(srv.projectDir, 'b.md')).toBe('b, first\n')
      // The undo can itself be undone: it kept what it replaced as the newest version.
      at(800)
      await srv.app.environment.pruneVersions()
      const redo = await undoRun(project.backupsDir, undo.undoRunId as string, sides)
      expect(redo.remote.left).toEqual([])
      expect(get(srv.projectDir, 'a.md')).toBe('a, push 3\n')
      expect(get(srv.projectDir, 'c.md')).toBeNull()
    } finally {
      await remote.close()
    }
  })
})

describe('syncdesk-server prune and the retention flags', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [SERVER_BIN, ...args], { encoding: 'utf8' })

  it('prunes an environment folder from the command line, and refuses a retention that would break undo', async () => {
    // Versions dated a year ago (the fake clock), pruned by the command at the real time.
    const { srv, at, remote } = await clockedServer({ keepPerItem: 100, keepDays: 1000 })
    at(-365)
    for (let i = 0; i < 4; i++) await write(remote, 'x.md', `x${i}\n`)
    await remote.close()
    const dir = srv.projectDir
    const dry = run('prune', '--project-dir', dir, '--keep-versions', '1', '--keep-version-days', '30', '--dry-run')
    expect(dry.status, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/^Would remove 2 file version\(s\) and 0 record version\(s\), 6 bytes \(kept: the newest 1 of each item, and everything of the last 30 days\)\./)
    expect(await keptContents(srv, 'x.md')).toEqual(['x2\n', 'x1\n', 'x0\n'])
    const done = run('prune', '--project-dir', dir, '--keep-versions', '1', '--keep-version-days', '30')
    expect(done.stdout).toMatch(/^Removed 2 file version/)
    expect(await keptContents(srv, 'x.md')).toEqual(['x2\n'])
    expect(sha(get(dir, 'x.md') ?? '')).toBe(sha('x3\n'))

    const zero = run('serve', '--project-dir', dir, '--keep-versions', '0', '--port', '0')
    expect(zero.status).not.toBe(0)
    expect(zero.stderr).toMatch(/--keep-versions.*expected a whole number from 1/)
    const days = run('prune', '--project-dir', dir, '--keep-version-days', '-1')
    expect(days.status).not.toBe(0)
  })
})
