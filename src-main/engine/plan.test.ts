import { describe, expect, it } from 'vitest'
import type { FileStatusEntry, RecordStatusEntry, SyncStatus } from '../../src-shared/sync-types.js'
import { makePlan, massDeleteProblem, planTotals, type RecordLookup } from './plan.js'
import { recordHash } from './records/canonical.js'

const H = (c: string) => c.repeat(64)

function file(path: string, local: string | null, remote: string | null, base: string | null): FileStatusEntry {
  const change = (side: string | null) => (base === null ? (side === null ? 'unchanged' : 'added') : side === null ? 'deleted' : side === base ? 'unchanged' : 'modified')
  return {
    kind: 'file',
    path,
    local: change(local),
    remote: change(remote),
    localHash: local,
    remoteHash: remote,
    baseHash: base,
    localSize: local ? 10 : null,
    remoteSize: remote ? 20 : null,
    localMtimeMs: null,
    remoteMtimeMs: null,
  }
}

function status(parts: Partial<SyncStatus>): SyncStatus {
  return { remote_to_local: [], local_to_remote: [], conflicts: [], in_sync: [], ...parts }
}

const pulled = file('pulled.md', H('a'), H('b'), H('a'))
const pushed = file('pushed.md', H('c'), H('a'), H('a'))
const goneRemote = file('gone-remote.md', H('a'), null, H('a'))
const clash = file('clash.md', H('c'), H('d'), H('a'))
const equalNew = file('equal.md', H('e'), H('e'), null)

const sample = status({ remote_to_local: [pulled, goneRemote], local_to_remote: [pushed], conflicts: [clash], in_sync: [equalNew] })

describe('makePlan', () => {
  it('pull carries remote_to_local only, keeps local changes and conflicts', () => {
    const plan = makePlan(sample, { direction: 'pull' })
    expect(plan.actions.map((a) => [a.op, a.kind === 'file' && a.path])).toEqual([
      ['write-local', 'pulled.md'],
      ['delete-local', 'gone-remote.md'],
    ])
    expect(plan.notCarried.map((e) => e.kind === 'file' && e.path)).toEqual(['pushed.md'])
    expect(plan.conflictsLeft).toEqual([clash])
    // Items equal on both sides are recorded in the baseline without a transfer.
    expect(plan.baselineUpdates).toEqual([{ kind: 'file', path: 'equal.md', hash: H('e') }])
  })

  it('push carries local_to_remote only; --overwrite-remote takes the local side of conflicts', () => {
    expect(makePlan(sample, { direction: 'push' }).actions.map((a) => a.op)).toEqual(['write-remote'])
    const over = makePlan(sample, { direction: 'push', overwriteRemote: true })
    expect(over.actions.map((a) => [a.op, a.why])).toEqual([
      ['write-remote', 'local_to_remote'],
      ['write-remote', 'keep-local'],
    ])
    expect(over.conflictsLeft).toEqual([])
  })

  it('overwrites only the conflicts it is told to', () => {
    const two = status({ conflicts: [clash, file('other.md', H('c'), H('d'), H('a'))] })
    const plan = makePlan(two, { direction: 'pull', overwriteItems: new Set(['clash.md']) })
    expect(plan.actions.map((a) => a.kind === 'file' && a.path)).toEqual(['clash.md'])
    expect(plan.conflictsLeft.map((e) => e.kind === 'file' && e.path)).toEqual(['other.md'])
  })

  it('sync resolves each conflict as asked and leaves skipped ones', () => {
    const plan = makePlan(sample, { direction: 'sync', resolutions: new Map([['clash.md', 'remote']]) })
    expect(plan.actions.find((a) => a.kind === 'file' && a.path === 'clash.md')).toMatchObject({ op: 'write-local', newHash: H('d'), why: 'keep-remote' })
    expect(makePlan(sample, { direction: 'sync' }).conflictsLeft).toEqual([clash])
  })

  it('a field-level merge of a record writes the merged record to both sides', () => {
    const base = { id: 1, name: 'a', enabled: true }
    const local = { id: 1, name: 'b', enabled: true }
    const remote = { id: 1, name: 'a', enabled: false }
    const entry: RecordStatusEntry = {
      kind: 'record',
      table: 'agents',
      key: '1',
      local: 'modified',
      remote: 'modified',
      localHash: recordHash(local),
      remoteHash: recordHash(remote),
      baseHash: recordHash(base),
      fields: ['enabled', 'name'],
      mergeable: true,
      baseData: base,
      localData: local,
      remoteData: remote,
    }
    const lookup: RecordLookup = { local: () => local, remote: () => remote }
    const plan = makePlan(status({ conflicts: [entry] }), { direction: 'sync', resolutions: new Map([['agents/1', 'merge']]) }, lookup)
    const merged = { id: 1, name: 'b', enabled: false }
    expect(plan.actions.map((a) => [a.op, a.kind === 'record' && a.data])).toEqual([
      ['write-local', merged],
      ['write-remote', merged],
    ])
    expect(plan.conflictsLeft).toEqual([])
  })

  it('counts what it will move', () => {
    expect(planTotals(makePlan(sample, { direction: 'sync' }))).toEqual({ items: 3, bytes: 30, toLocal: 1, toRemote: 1, deletesLocal: 1, deletesRemote: 0 })
  })
})

describe('massDeleteProblem', () => {
  const limits = { maxDeleteCount: 100, maxDeleteShare: 0.5 }
  const deletions = (n: number) => status({ local_to_remote: Array.from({ length: n }, (_, i) => file(`f${i}.md`, null, H('a'), H('a'))) })

  it('lets ordinary deletions through', () => {
    expect(massDeleteProblem(makePlan(deletions(3), { direction: 'push' }), { baseline: 100, local: 97, remote: 100 }, limits, 'staging')).toBeNull()
  })

  it('stops above the count or the share', () => {
    expect(massDeleteProblem(makePlan(deletions(101), { direction: 'push' }), { baseline: 1000, local: 899, remote: 1000 }, limits, 'staging')).toMatch(/101 items in staging, more than the limit of 100/)
    expect(massDeleteProblem(makePlan(deletions(60), { direction: 'push' }), { baseline: 100, local: 40, remote: 100 }, limits, 'staging')).toMatch(/60% of the 100 items/)
  })

  it('always stops at an empty side against a large baseline', () => {
    const loose = { maxDeleteCount: 1_000_000, maxDeleteShare: 1 }
    expect(massDeleteProblem(makePlan(deletions(20), { direction: 'push' }), { baseline: 20, local: 0, remote: 20 }, loose, 'staging')).toMatch(/local side has no items/)
  })

  it('does not apply the share rule to tiny projects', () => {
    expect(massDeleteProblem(makePlan(deletions(3), { direction: 'push' }), { baseline: 4, local: 1, remote: 4 }, limits, 'staging')).toBeNull()
  })
})
