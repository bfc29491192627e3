import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StatusReport } from '../engine/sync-engine.js'
import { encodeMessage, schemas, socketLocation, unpackReport } from './status-protocol.js'

const { accepted: acceptedSchema, answer: answerSchema, request: statusRequestSchema } = schemas()

describe('where a project host listens', () => {
  it('in the project state folder, or in a private folder of the user when that path is too long for a socket', () => {
    const short = socketLocation('/home/ana/projects/agents', 'linux', {})
    expect(short).toEqual({ path: '/home/ana/projects/agents/.syncdesk/host.sock', dir: '/home/ana/projects/agents/.syncdesk', inStateDir: true })
    const deep = `/home/ana/${'very-long-folder-name/'.repeat(6)}agents`
    const long = socketLocation(deep, 'linux', { XDG_RUNTIME_DIR: '/run/user/1000' })
    expect(long.inStateDir).toBe(false)
    expect(long.dir).toBe('/run/user/1000/syncdesk')
    expect(Buffer.byteLength(long.path)).toBeLessThan(100)
    // The same folder always gives the same socket; another folder another one.
    expect(socketLocation(deep, 'linux', { XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual(long)
    expect(socketLocation(`${deep}2`, 'linux', { XDG_RUNTIME_DIR: '/run/user/1000' }).path).not.toBe(long.path)
    expect(socketLocation(deep, 'linux', {}).dir).toBe(path.join(os.tmpdir(), `syncdesk-${process.getuid?.() ?? 0}`))
  })

  it('on Windows, a named pipe named after the folder (any letter case)', () => {
    const a = socketLocation('C:\\Users\\Ana\\agents', 'win32', {})
    expect(a.path).toMatch(/^\\\\\.\\pipe\\syncdesk-[0-9a-f]{32}$/)
    expect(a.dir).toBeNull()
    expect(socketLocation('c:\\users\\ana\\AGENTS', 'win32', {}).path).toBe(a.path)
  })
})

describe('the messages', () => {
  const request = { v: 1, type: 'status', projectDir: '/p', projectId: 'id-1', env: 'staging', scope: 'files', withInfo: false }
  it('a request is exactly its fields', () => {
    expect(statusRequestSchema.safeParse(request).success).toBe(true)
    expect(statusRequestSchema.safeParse({ ...request, more: 1 }).success).toBe(false)
    expect(statusRequestSchema.safeParse({ ...request, v: 2 }).success).toBe(false)
    expect(statusRequestSchema.safeParse({ ...request, env: '../etc' }).success).toBe(false)
    expect(statusRequestSchema.safeParse({ ...request, scope: 'everything' }).success).toBe(false)
  })
  it('an answer is checked down to its entries', () => {
    expect(acceptedSchema.safeParse({ v: 1, type: 'accepted' }).success).toBe(true)
    const entry = { kind: 'file', path: 'a.md', local: 'modified', remote: 'unchanged', localHash: 'h1', remoteHash: 'h0', baseHash: 'h0', localSize: 2, remoteSize: 1, localMtimeMs: 1, remoteMtimeMs: 1 }
    const report = { env: 'staging', remote: 'folder /e', scope: 'all', status: { remote_to_local: [], local_to_remote: [entry], conflicts: [], in_sync: [] }, skipped: [], warnings: [], baselineExisted: true, lastSyncAt: null, counts: { local: 1, remote: 1, baseline: 1 }, recordCounts: { local: 0, remote: 0, baseline: 0 } }
    expect(answerSchema.safeParse({ v: 1, type: 'status', report, info: null }).success).toBe(true)
    expect(answerSchema.safeParse({ v: 1, type: 'status', report: { ...report, status: { ...report.status, in_sync: [{ ...entry, local: 'gone' }] } }, info: null }).success).toBe(false)
    expect(answerSchema.safeParse({ v: 1, type: 'status', report: { ...report, counts: undefined }, info: null }).success).toBe(false)
    expect(answerSchema.safeParse({ v: 1, type: 'refused', code: 'busy', message: 'later' }).success).toBe(true)
  })
  it('file entries travel as rows and come back as the same objects, keys in the same order', () => {
    const file = (p: string, over: Record<string, unknown> = {}) => ({ kind: 'file', path: p, local: 'unchanged', remote: 'unchanged', localHash: `h-${p}`, remoteHash: `h-${p}`, baseHash: `h-${p}`, localSize: 3, remoteSize: 3, localMtimeMs: 1.5, remoteMtimeMs: 2.25, ...over })
    const report = {
      env: 'staging', remote: 'folder /e', scope: 'all',
      status: {
        remote_to_local: [file('r.md', { remote: 'modified', remoteHash: 'other' })],
        local_to_remote: [file('gone.md', { local: 'deleted', localHash: null, localSize: null, localMtimeMs: null })],
        conflicts: [file('c.md', { local: 'modified', remote: 'modified', localHash: 'x', remoteHash: 'y', mergeable: true, mergedText: 'm' })],
        in_sync: [file('a.md'), file('b.md'), { kind: 'record', table: 'agents', key: '1', local: 'unchanged', remote: 'unchanged', localHash: 'k', remoteHash: 'k', baseHash: 'k', fields: [] }],
      },
      skipped: [], warnings: [], baselineExisted: true, lastSyncAt: null, counts: { local: 1, remote: 1, baseline: 1 }, recordCounts: { local: 1, remote: 1, baseline: 1 },
    } as unknown as StatusReport
    const wire = encodeMessage({ type: 'status', report, info: null })
    expect(wire.length).toBeLessThan(JSON.stringify(report).length)
    const message = JSON.parse(wire) as { report: { status: Record<string, unknown[]> } }
    expect(Array.isArray(message.report.status.in_sync?.[0])).toBe(true)
    expect(Array.isArray(message.report.status.conflicts?.[0])).toBe(false)
    expect(answerSchema.safeParse(message).success).toBe(true)
    expect(JSON.stringify(unpackReport(message.report))).toBe(JSON.stringify(report))
    const bad = JSON.parse(wire) as { report: { status: Record<string, unknown[][]> } }
    ;(bad.report.status.in_sync?.[0] as unknown[])[2] = 'gone'
    expect(answerSchema.safeParse(bad).success).toBe(false)
  })
})
