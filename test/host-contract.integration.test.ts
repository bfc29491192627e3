/**
 * The host's contract, driven as a UI drives it (issue 8): every request has a schema and a
 * handler, bad payloads get a clear error, and runs go in two phases whose preview lists
 * exactly what apply then does, never overwriting what changed in between.
 *
 * Real folders, a real keychain (the suite runs under a private gnome-keyring) and the real
 * CLI for "another run meanwhile".
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REQUEST_NAMES, requestSchemas, type RequestArgs, type RequestName, type Responses } from '../src-shared/ipc.js'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { cleanupTemps, cli, ensureBuilt, get, put, tempDir } from './helpers.js'
import { createToken, startServerProcess, stopAllServers } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(async () => {
  for (const h of made) await h.dispose()
  await stopAllServers()
  cleanupTemps()
})

/** A host over a fresh data folder, and a typed call that throws the error payload. */
const made: AppHost[] = []
function makeHost(): { host: AppHost; call: <K extends RequestName>(k: K, a: RequestArgs<K>) => Promise<Responses[K]> } {
  const data = tempDir('syncdesk-hostdata-')
  const host = new AppHost({ dataDir: data, demoDir: path.join(data, 'demo'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
  made.push(host)
  const call = async <K extends RequestName>(k: K, a: RequestArgs<K>): Promise<Responses[K]> => {
    const ans = await host.dispatch(k, a)
    if (!ans.ok) throw Object.assign(new Error(ans.error.message), { payload: ans.error })
    return ans.value as Responses[K]
  }
  return { host, call }
}

/** A project synced once with a folder environment `staging`. */
async function syncedProject(files: Record<string, string>) {
  const root = tempDir('syncdesk-host-')
  const project = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const [k, v] of Object.entries(files)) put(env, k, v)
  expect(cli(['--project-dir', project, 'init']).code).toBe(0)
  const { host, call } = makeHost()
  const view = await call('projects:open', { dir: project })
  await call('environments:add', { projectId: view.id, name: 'staging', kind: 'folder', location: env })
  const plan = await call('run:plan', { projectId: view.id, env: 'staging', direction: 'pull' })
  await call('run:apply', { planId: plan.planId })
  return { root, project, env, host, call, projectId: view.id }
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (err) {
    return (err as { payload: { code: string; message: string } }).payload
  }
  throw new Error('expected an error')
}

describe('the contract', () => {
  it('has a schema and a handler for every request', async () => {
    const { host } = makeHost()
    expect(Object.keys(requestSchemas).sort()).toEqual([...REQUEST_NAMES].sort())
    for (const name of REQUEST_NAMES) {
      // A payload of the wrong type reaches the schema (not "no such request") and is refused clearly.
      const ans = await host.dispatch(name, 42)
      expect(ans.ok, name).toBe(false)
      if (!ans.ok) {
        expect(ans.error.code, name).toBe('invalid-request')
        expect(ans.error.message, name).toContain(name)
      }
    }
  })

  it('refuses unknown requests, unknown fields and bad values with an error, never a crash', async () => {
    const { host } = makeHost()
    const cases: [string, unknown][] = [
      ['nope', {}],
      ['__proto__', {}],
      ['status:page', { projectId: 'p', env: 'staging', offset: -1, limit: 10 }],
      ['status:page', { projectId: 'p', env: '../x', offset: 0, limit: 10 }],
      ['run:plan', { projectId: 'p', env: 'staging', direction: 'delete-everything' }],
      ['projects:open', { dir: '/tmp', extra: true }],
      ['settings:set', { pollIntervalSec: 1 }],
      ['credentials:set', { projectId: 'p', env: 'staging', token: '' }],
    ]
    for (const [channel, args] of cases) {
      const ans = await host.dispatch(channel, args)
      expect(ans.ok, channel).toBe(false)
      if (!ans.ok) expect(ans.error.code, `${channel} ${JSON.stringify(args)}`).toBe('invalid-request')
    }
    const unknownProject = await host.dispatch('status:summary', { projectId: 'nobody', env: 'staging' })
    expect(unknownProject).toMatchObject({ ok: false, error: { code: 'project-unknown' } })
  })

  it('never hands a secret back: a token goes in, is checked and kept, and answers only "kept"', async () => {
    const root = tempDir('syncdesk-host-token-')
    const srv = path.join(root, 'srv')
    fs.mkdirSync(srv)
    const token = createToken(srv, 'ci', 'read,write')
    const server = await startServerProcess(srv)
    const project = path.join(root, 'project')
    expect(cli(['--project-dir', project, 'init']).code).toBe(0)
    const { call } = makeHost()
    const { id: projectId } = await call('projects:open', { dir: project })
    const wrong = await errorOf(call('environments:add', { projectId, name: 'prod', kind: 'server', location: server.url, token: 'not-the-token' }))
    expect(wrong.code).toBe('remote-refused')
    await call('environments:add', { projectId, name: 'prod', kind: 'server', location: server.url, token })
    expect(await call('credentials:has', { projectId, env: 'prod' })).toEqual({ has: true, source: 'keychain' })
    const everything = JSON.stringify([await call('projects:list', {}), await call('status:summary', { projectId, env: 'prod', refresh: true }), await call('app:info', {})])
    expect(everything).not.toContain(token)
    expect(fs.readFileSync(path.join(project, '.syncdesk', 'config.json'), 'utf8')).not.toContain(token)
    expect(await call('credentials:delete', { projectId, env: 'prod' })).toEqual({ deleted: true })
    await server.stop()
  })
})

describe('status through the contract', () => {
  it('is a summary with counts, then pages of rows in words, filtered and searched in the host', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 30; i++) files[`docs/d${i}.md`] = `doc ${i}\n`
    const { project, env, call, projectId } = await syncedProject(files)
    for (let i = 0; i < 12; i++) put(project, `docs/d${i}.md`, `mine ${i}\n`)
    for (let i = 20; i < 25; i++) put(env, `docs/d${i}.md`, `cloud ${i}\n`)
    put(project, 'docs/d29.md', 'mine 29\n')
    put(env, 'docs/d29.md', 'cloud 29\n')
    const s = await call('status:summary', { projectId, env: 'staging', refresh: true })
    expect(s.counts).toMatchObject({ local_to_remote: 12, remote_to_local: 5, conflicts: 1, in_sync: 12 })
    expect(s.reachable).toBe(true)
    const page = await call('status:page', { projectId, env: 'staging', category: 'local_to_remote', offset: 10, limit: 5 })
    expect(page.total).toBe(12)
    expect(page.rows).toHaveLength(2)
    expect(page.rows[0]?.description).toBe('You changed it; Staging did not')
    const searched = await call('status:page', { projectId, env: 'staging', search: 'd2', offset: 0, limit: 50 })
    expect(searched.rows.map((r) => r.label).sort()).toEqual(['docs/d2.md', 'docs/d20.md', 'docs/d21.md', 'docs/d22.md', 'docs/d23.md', 'docs/d24.md', 'docs/d29.md'])
    const conflict = searched.rows.find((r) => r.label === 'docs/d29.md')
    expect(conflict?.description).toBe('You changed it; Staging changed it too')
    const detail = await call('item:detail', { projectId, env: 'staging', item: { kind: 'file', path: 'docs/d29.md' } })
    expect(detail).toMatchObject({ kind: 'file', local: 'mine 29\n', remote: 'cloud 29\n', category: 'conflicts' })
  })
})

describe('two-phase runs', () => {
  it('the preview lists exactly what apply then does', async () => {
    const { project, env, call, projectId } = await syncedProject({ 'a.md': 'a\n', 'b.md': 'b\n', 'c.md': 'c\n' })
    put(project, 'a.md', 'a mine\n')
    fs.rmSync(path.join(project, 'b.md'))
    put(project, 'new.md', 'new\n')
    put(env, 'c.md', 'c cloud\n')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    expect(preview.counts).toMatchObject({ upload: 2, deleteRemote: 1, download: 0, notCarried: 1 })
    expect(preview.items.map((i) => `${i.op} ${i.label}`).sort()).toEqual(['delete-remote b.md', 'upload a.md', 'upload new.md'])
    // Nothing changed yet.
    expect(get(env, 'a.md')).toBe('a\n')
    const done = await call('run:apply', { planId: preview.planId })
    expect(done.done).toEqual({ upload: 2, download: 0, deleteLocal: 0, deleteRemote: 1 })
    expect(get(env, 'a.md')).toBe('a mine\n')
    expect(get(env, 'new.md')).toBe('new\n')
    expect(get(env, 'b.md')).toBeNull()
    expect(get(env, 'c.md')).toBe('c cloud\n')
    expect(get(project, 'c.md')).toBe('c\n')
  })

  it('a change made between preview and apply is not overwritten', async () => {
    const { project, env, call, projectId } = await syncedProject({ 'a.md': 'a\n', 'b.md': 'b\n' })
    put(env, 'a.md', 'a from the cloud\n')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'pull' })
    expect(preview.items.map((i) => i.label)).toEqual(['a.md'])
    put(project, 'a.md', 'my edit, made while the preview was open\n')
    const done = await call('run:apply', { planId: preview.planId })
    expect(get(project, 'a.md')).toBe('my edit, made while the preview was open\n')
    expect(done.done.download).toBe(0)
    // Reported, not planned again: the approved preview never reaches content nobody saw.
    expect(done.problems.map((p) => `${p.label} ${p.reason}`)).toEqual(['a.md stale'])
    const s = await call('status:summary', { projectId, env: 'staging' })
    expect(s.counts.conflicts).toBe(1)
  })

  it('a plan whose sync state moved on (another run meanwhile) is refused whole', async () => {
    const { project, env, call, projectId } = await syncedProject({ 'a.md': 'a\n' })
    put(project, 'a.md', 'a mine\n')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    put(env, 'z.md', 'z\n')
    expect(cli(['--project-dir', project, 'pull', '--yes']).code).toBe(0)
    const err = await errorOf(call('run:apply', { planId: preview.planId }))
    expect(err.code).toBe('plan-stale')
    expect(get(env, 'a.md')).toBe('a\n')
  })

  it('an unknown plan id, or one already applied, is refused', async () => {
    const { project, call, projectId } = await syncedProject({ 'a.md': 'a\n' })
    expect((await errorOf(call('run:apply', { planId: 'no-such-plan' }))).code).toBe('plan-unknown')
    put(project, 'a.md', 'a2\n')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    await call('run:apply', { planId: preview.planId })
    expect((await errorOf(call('run:apply', { planId: preview.planId }))).code).toBe('plan-unknown')
  })

  it('a protected environment needs its name typed; sync resolutions are applied per item', async () => {
    const { project, env, call, projectId } = await syncedProject({ 'a.md': 'a\n', 'b.md': 'b\n' })
    await call('environments:edit', { projectId, env: 'staging', protected: true })
    put(project, 'a.md', 'a mine\n')
    put(env, 'a.md', 'a cloud\n')
    put(project, 'b.md', 'b mine\n')
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'sync' })
    expect(preview.confirmName).toBe('staging')
    expect(preview.conflicts.map((c) => c.label)).toEqual(['a.md'])
    const refused = await errorOf(call('run:apply', { planId: preview.planId, resolutions: { 'a.md': 'local' }, confirmName: 'Staging' }))
    expect(refused.code).toBe('confirmation-needed')
    expect(get(env, 'b.md')).toBe('b\n')
    const again = await call('run:plan', { projectId, env: 'staging', direction: 'sync' })
    const done = await call('run:apply', { planId: again.planId, resolutions: { 'a.md': 'local' }, confirmName: 'staging' })
    expect(done.done.upload).toBe(2)
    expect(get(env, 'a.md')).toBe('a mine\n')
    const activity = await call('activity:list', { projectId })
    expect(activity[0]).toMatchObject({ env: 'staging', kind: 'run', direction: 'sync', result: 'done' })
  })

  it('the mass-delete guard shows in the preview and stops apply unless allowed', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 20; i++) files[`f${i}.md`] = `${i}\n`
    const { project, env, call, projectId } = await syncedProject(files)
    for (let i = 0; i < 15; i++) fs.rmSync(path.join(project, `f${i}.md`))
    const preview = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    expect(preview.guard).toMatch(/delete 15/)
    expect((await errorOf(call('run:apply', { planId: preview.planId }))).code).toBe('guard')
    expect(get(env, 'f0.md')).toBe('0\n')
    const again = await call('run:plan', { projectId, env: 'staging', direction: 'push' })
    await call('run:apply', { planId: again.planId, allowMassDelete: true })
    expect(get(env, 'f0.md')).toBeNull()
  })
})

describe('the demo', () => {
  it('lands on a project whose embedded environment server differs a little: every category, records and a deploy', async () => {
    const { call } = makeHost()
    const demo = await call('projects:create-demo', {})
    expect(demo.demo).toBe(true)
    const env = demo.environments.find((e) => e.name === 'staging')
    expect(env).toMatchObject({ kind: 'server', hasToken: true })
    expect(env?.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const s = await call('status:summary', { projectId: demo.id, env: 'staging', refresh: true })
    expect(s.counts.remote_to_local).toBeGreaterThan(0)
    expect(s.counts.local_to_remote).toBeGreaterThan(0)
    expect(s.counts.conflicts).toBeGreaterThan(0)
    expect(s.counts.in_sync).toBeGreaterThan(0)
    expect(s.counts.records).toBeGreaterThan(0)
    const conflicts = await call('status:page', { projectId: demo.id, env: 'staging', category: 'conflicts', offset: 0, limit: 20 })
    expect(conflicts.rows.some((r) => r.kind === 'file')).toBe(true)
    expect(conflicts.rows.some((r) => r.kind === 'record' && r.mergeable)).toBe(true)
    const record = conflicts.rows.find((r) => r.kind === 'record' && r.mergeable)
    const detail = await call('item:detail', { projectId: demo.id, env: 'staging', item: { kind: 'record', table: record?.table as string, key: record?.key as string } })
    expect(detail.kind === 'record' && detail.merged).toBeTruthy()
    const deployed = await call('deploy:start', { projectId: demo.id, env: 'staging' })
    expect(deployed.state).toBe('succeeded')
  }, 60_000)
})

describe('a text conflict that merges', () => {
  it('is marked mergeable in the pending list, its detail holds the merge, and Combine both writes it to both sides', async () => {
    const base = 'one\ntwo\nthree\nfour\nfive\n'
    const { project, env, call, projectId } = await syncedProject({ 'notes.md': base })
    put(project, 'notes.md', base.replace('one', 'ONE'))
    put(env, 'notes.md', base.replace('five', 'FIVE'))
    await call('status:summary', { projectId, env: 'staging', refresh: true })
    const page = await call('status:page', { projectId, env: 'staging', category: 'conflicts', offset: 0, limit: 10 })
    expect(page.rows).toMatchObject([{ label: 'notes.md', mergeable: true }])
    const detail = await call('item:detail', { projectId, env: 'staging', item: { kind: 'file', path: 'notes.md' } })
    expect(detail).toMatchObject({ kind: 'file', base, merged: 'ONE\ntwo\nthree\nfour\nFIVE\n' })
    const plan = await call('run:plan', { projectId, env: 'staging', direction: 'sync' })
    await call('run:apply', { planId: plan.planId, resolutions: { 'notes.md': 'merge' } })
    expect(get(project, 'notes.md')).toBe('ONE\ntwo\nthree\nfour\nFIVE\n')
    expect(get(env, 'notes.md')).toBe('ONE\ntwo\nthree\nfour\nFIVE\n')
  })
})
