/**
 * Records sync through the built CLI against a folder environment: a local SQLite project
 * database and the environment's `<folder>/.syncdesk-server/database.sqlite`.
 *
 * Every outcome is checked on the database rows themselves (and on status JSON): the
 * classification table, push/pull/sync, field-level merges, the mass-delete guard, dry runs
 * and backups of prior rows.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, put, tempDir } from './helpers.js'
import { categoriesOf, insert, makeProject, makeSqlite, must, rawRows, recordData, records, sql, statusJson, type CliProject, type Row } from './records-support.js'

beforeAll(() => ensureBuilt())
afterEach(() => cleanupTemps())

const agent = (id: number, extra: Partial<Row> = {}): Row => ({ id, name: `agent ${id}`, config: JSON.stringify({ model: 'm', n: id }), enabled: 1, score: id / 2, updated_at: '2024-01-01T00:00:00.000Z', ...extra })

/** A project and a folder environment `staging`, in sync with `agents` (first push done). */
function synced(agents: Row[]): { p: CliProject; folder: string; remoteDb: string } {
  const root = tempDir('syncdesk-records-')
  const folder = path.join(root, 'env')
  const remoteDb = path.join(folder, '.syncdesk-server', 'database.sqlite')
  makeSqlite(remoteDb)
  const p = makeProject(path.join(root, 'project'), agents)
  must(p.run('env', 'add', 'staging', '--folder', folder), 'env add')
  if (agents.length) must(p.run('push'), 'first push')
  return { p, folder, remoteDb }
}

describe('records over a folder environment (CLI)', () => {
  it('keeps the environment database\'s row cache in the project, and forgets it with the environment', () => {
    const { p, remoteDb } = synced([1, 2].map((i) => agent(i)))
    const cache = path.join(p.dir, '.syncdesk', 'cache', 'records-env-staging.json')
    statusJson(p)
    expect(fs.existsSync(cache)).toBe(true)
    // Nothing of the reading project's is left in the environment's folder.
    expect(fs.readdirSync(path.dirname(remoteDb)).filter((f) => !f.startsWith('database.sqlite') && f !== 'versions')).toEqual([])
    must(p.run('env', 'remove', 'staging'), 'env remove')
    expect(fs.existsSync(cache)).toBe(false)
  })

  it('classifies every row of the table, with table and key (no path), and honours --scope', async () => {
    const { p, folder, remoteDb } = synced([1, 2, 3, 4, 5, 6, 7, 10].map((i) => agent(i)))
    const L = p.db
    const R = remoteDb
    sql(L, "UPDATE agents SET name = 'local edit' WHERE id = 2") // local modified
    sql(R, "UPDATE agents SET name = 'remote edit' WHERE id = 3") // remote modified
    sql(L, "UPDATE agents SET score = 99 WHERE id = 4") // same change on both sides
    sql(R, "UPDATE agents SET score = 99 WHERE id = 4")
    sql(L, "UPDATE agents SET name = 'L' WHERE id = 5") // edit/edit
    sql(R, "UPDATE agents SET name = 'R' WHERE id = 5")
    sql(L, 'DELETE FROM agents WHERE id = 6') // local deleted
    sql(R, 'DELETE FROM agents WHERE id = 7') // remote deleted
    sql(L, "UPDATE agents SET name = 'kept' WHERE id = 10") // edit/delete
    sql(R, 'DELETE FROM agents WHERE id = 10')
    insert(L, 'agents', [agent(8)]) // local added
    insert(R, 'agents', [agent(9)]) // remote added
    insert(L, 'agents', [agent(11, { name: 'mine' })]) // add/add, different
    insert(R, 'agents', [agent(11, { name: 'theirs' })])
    insert(L, 'agents', [agent(12)]) // add/add, same
    insert(R, 'agents', [agent(12)])
    insert(L, 'skills', [{ id: 1, name: 'skill' }])
    put(p.dir, 'notes.md', 'a file\n')
    put(folder, 'remote.md', 'remote file\n')

    const st = statusJson(p)
    expect(categoriesOf(st)).toEqual({
      '1': 'in_sync',
      '2': 'local_to_remote',
      '3': 'remote_to_local',
      '4': 'in_sync',
      '5': 'conflicts',
      '6': 'local_to_remote',
      '7': 'remote_to_local',
      '8': 'local_to_remote',
      '9': 'remote_to_local',
      '10': 'conflicts',
      '11': 'conflicts',
      '12': 'in_sync',
    })
    expect(categoriesOf(st, 'skills')).toEqual({ '1': 'local_to_remote' })
    const all = Object.values(st).flat()
    for (const e of all.filter((x) => x.kind === 'record')) {
      expect(e).toHaveProperty('table')
      expect(e).toHaveProperty('key')
      expect(e).not.toHaveProperty('path')
    }
    const byKey = (k: string) => all.find((e) => e.kind === 'record' && e.table === 'agents' && e.key === k)
    expect(byKey('2')).toMatchObject({ local: 'modified', remote: 'unchanged', fields: ['name'] })
    expect(byKey('6')).toMatchObject({ local: 'deleted', remote: 'unchanged' })
    expect(byKey('9')).toMatchObject({ local: 'unchanged', remote: 'added' })
    expect(byKey('10')).toMatchObject({ local: 'modified', remote: 'deleted' })
    expect(byKey('11')).toMatchObject({ local: 'added', remote: 'added' })
    expect(all.filter((e) => e.kind === 'file').map((e) => e.path).sort()).toEqual(['notes.md', 'remote.md'])

    const records = statusJson(p, '--scope', 'records')
    expect(Object.values(records).flat().every((e) => e.kind === 'record')).toBe(true)
    expect(categoriesOf(records)).toEqual(categoriesOf(st))
    const files = statusJson(p, '--scope', 'files')
    expect(Object.values(files).flat().map((e) => e.kind)).toEqual(['file', 'file'])
    // Status changes nothing.
    expect(rawRows(L).map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5, 7, 8, 10, 11, 12])
  })

  it('push, pull and sync carry the right rows and leave conflicts alone', async () => {
    const { p, remoteDb: R } = synced([1, 2, 3, 4, 5].map((i) => agent(i)))
    const L = p.db
    sql(L, "UPDATE agents SET name = 'pushed' WHERE id = 1")
    sql(L, 'DELETE FROM agents WHERE id = 2')
    insert(L, 'agents', [agent(6, { name: 'new local' })])
    sql(R, "UPDATE agents SET name = 'pulled' WHERE id = 3")
    insert(R, 'agents', [agent(7, { name: 'new remote' })])
    sql(L, "UPDATE agents SET name = 'L5' WHERE id = 5")
    sql(R, "UPDATE agents SET name = 'R5' WHERE id = 5")

    const push = p.run('push', '--format', 'json')
    expect(push.code).toBe(3) // a conflict is left
    const pushed = JSON.parse(push.stdout) as { done: { op: string; key: string }[]; conflicts_left: { table: string; key: string }[] }
    expect(pushed.done.map((d) => `${d.op} ${d.key}`).sort()).toEqual(['delete-remote 2', 'write-remote 1', 'write-remote 6'])
    expect(pushed.conflicts_left).toEqual([{ table: 'agents', key: '5' }])
    let remote = await recordData({ sqlite: R })
    expect(Object.keys(remote).sort()).toEqual(['1', '3', '4', '5', '6', '7'])
    expect(remote['1']?.name).toBe('pushed')
    expect(remote['6']?.name).toBe('new local')
    expect(remote['3']?.name).toBe('pulled') // not pulled by a push
    expect(remote['5']?.name).toBe('R5')
    expect((await recordData({ sqlite: L }))['3']?.name).toBe('agent 3')

    const pull = p.run('pull', '--format', 'json')
    expect(pull.code).toBe(3)
    let local = await recordData({ sqlite: L })
    expect(Object.keys(local).sort()).toEqual(['1', '3', '4', '5', '6', '7'])
    expect(local['3']?.name).toBe('pulled')
    expect(local['7']?.name).toBe('new remote')
    expect(local['5']?.name).toBe('L5')

    // sync --resolve remote settles the conflict with the environment's row.
    const sync = p.run('sync', '--resolve', 'remote')
    expect(sync.code, sync.stderr).toBe(0)
    local = await recordData({ sqlite: L })
    remote = await recordData({ sqlite: R })
    expect(local).toEqual(remote)
    expect(local['5']?.name).toBe('R5')
    const st = statusJson(p)
    expect(st.conflicts).toEqual([])
    expect(st.local_to_remote).toEqual([])
    expect(st.remote_to_local).toEqual([])
    // Identical hashes on both sides.
    const [lh, rh] = [await records({ sqlite: L }), await records({ sqlite: R })]
    expect([...lh].map(([k, e]) => [k, e.hash])).toEqual([...rh].map(([k, e]) => [k, e.hash]))
  })

  it('merges a record field by field when the sides changed different fields; same field stays a conflict', async () => {
    const { p, remoteDb: R } = synced([1, 2].map((i) => agent(i)))
    const L = p.db
    sql(L, "UPDATE agents SET name = 'local name' WHERE id = 1")
    sql(R, 'UPDATE agents SET score = 42.5 WHERE id = 1')
    sql(L, "UPDATE agents SET name = 'mine' WHERE id = 2")
    sql(R, "UPDATE agents SET name = 'theirs', enabled = 0 WHERE id = 2")

    const st = statusJson(p)
    const c1 = st.conflicts.find((e) => e.key === '1')
    const c2 = st.conflicts.find((e) => e.key === '2')
    expect(c1).toMatchObject({ mergeable: true })
    expect(c2?.mergeable).toBeFalsy()
    expect(c2?.fields).toEqual(['enabled', 'name'])

    // Without --resolve, on no terminal: conflicts are skipped, exit 3, nothing changes.
    const before = [rawRows(L), rawRows(R)]
    const skipped = p.run('sync')
    expect(skipped.code).toBe(3)
    expect([rawRows(L), rawRows(R)]).toEqual(before)

    const merged = p.run('sync', '--resolve', 'merge', '--format', 'json')
    expect(merged.code).toBe(3) // record 2 stays a conflict
    const report = JSON.parse(merged.stdout) as { conflicts_left: { key: string }[] }
    expect(report.conflicts_left).toEqual([{ table: 'agents', key: '2' }])
    const local = await recordData({ sqlite: L })
    const remote = await recordData({ sqlite: R })
    expect(local['1']).toMatchObject({ name: 'local name', score: 42.5 })
    expect(remote['1']).toEqual(local['1'])
    expect(local['2']).toMatchObject({ name: 'mine', enabled: true })
    expect(remote['2']).toMatchObject({ name: 'theirs', enabled: false })
    const after = statusJson(p)
    expect(categoriesOf(after)).toEqual({ '1': 'in_sync', '2': 'conflicts' })
    expect(after.conflicts[0]?.fields).toEqual(['enabled', 'name'])
  })

  it('stops a push that would delete most records (exit 3, rows intact); --allow-mass-delete goes on', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => i + 1)
    const { p, remoteDb: R } = synced(ids.map((i) => agent(i)))
    sql(p.db, 'DELETE FROM agents WHERE id > 5')
    const before = rawRows(R)
    const stopped = p.run('push')
    expect(stopped.code).toBe(3)
    expect(stopped.stderr).toMatch(/mass-delete guard/)
    expect(rawRows(R)).toEqual(before)
    const dry = p.run('push', '--dry-run', '--allow-mass-delete')
    expect(dry.code).toBe(0)
    expect(rawRows(R)).toEqual(before)
    const go = p.run('push', '--allow-mass-delete')
    expect(go.code, go.stderr).toBe(0)
    expect(rawRows(R).map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5])
  })

  it('also stops when the local table is empty against a large baseline', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => i + 1)
    const { p, remoteDb: R } = synced(ids.map((i) => agent(i)))
    sql(p.db, 'DELETE FROM agents')
    const before = rawRows(R)
    expect(p.run('sync').code).toBe(3)
    expect(rawRows(R)).toEqual(before)
  })

  it('changes no row on a dry run, in any direction', async () => {
    const { p, remoteDb: R } = synced([1, 2, 3].map((i) => agent(i)))
    const L = p.db
    sql(L, "UPDATE agents SET name = 'x' WHERE id = 1")
    sql(R, "UPDATE agents SET name = 'y' WHERE id = 2")
    sql(R, 'DELETE FROM agents WHERE id = 3')
    const before = [rawRows(L), rawRows(R)]
    const baselines = fs.readdirSync(path.join(p.dir, '.syncdesk', 'baselines')).map((f) => fs.readFileSync(path.join(p.dir, '.syncdesk', 'baselines', f), 'utf8'))
    // The first sync is a run that can be undone (it pushed): the dry runs add no backup to it.
    const backupsDir = path.join(p.dir, '.syncdesk', 'backups')
    const backupsBefore = fs.existsSync(backupsDir) ? fs.readdirSync(backupsDir).sort() : []
    for (const args of [['push'], ['pull'], ['sync', '--resolve', 'local'], ['pull', '--overwrite-local']]) {
      const r = p.run(...args, '--dry-run', '--format', 'json')
      expect(r.code, args.join(' ')).toBe(0)
      expect((JSON.parse(r.stdout) as { dry_run: boolean; actions: unknown[] }).actions.length).toBeGreaterThan(0)
      expect([rawRows(L), rawRows(R)]).toEqual(before)
    }
    expect(fs.readdirSync(path.join(p.dir, '.syncdesk', 'baselines')).map((f) => fs.readFileSync(path.join(p.dir, '.syncdesk', 'baselines', f), 'utf8'))).toEqual(baselines)
    expect(fs.existsSync(backupsDir) ? fs.readdirSync(backupsDir).sort() : []).toEqual(backupsBefore)
  })

  it('backs up the prior local rows of a pull in .syncdesk/backups/<run>/run.json', async () => {
    const { p, remoteDb: R } = synced([1, 2].map((i) => agent(i)))
    const prior1 = (await records({ sqlite: p.db })).get('1')?.data
    const prior2 = (await records({ sqlite: p.db })).get('2')?.data
    sql(R, "UPDATE agents SET name = 'from cloud' WHERE id = 1")
    sql(R, 'DELETE FROM agents WHERE id = 2')
    insert(R, 'agents', [agent(3)])
    const pull = p.run('pull', '--format', 'json')
    expect(pull.code, pull.stderr).toBe(0)
    const runId = (JSON.parse(pull.stdout) as { backup_run: string }).backup_run
    expect(runId).toBeTruthy()
    const run = JSON.parse(fs.readFileSync(path.join(p.dir, '.syncdesk', 'backups', runId, 'run.json'), 'utf8')) as { records: { table: string; key: string; before: unknown; after: string | null }[] }
    const byKey = Object.fromEntries(run.records.map((r) => [r.key, r]))
    expect(byKey['1']).toMatchObject({ table: 'agents', before: prior1 })
    expect(byKey['1']?.after).toBe((await records({ sqlite: p.db })).get('1')?.hash)
    expect(byKey['2']).toMatchObject({ table: 'agents', before: prior2, after: null })
    expect(byKey['3']).toMatchObject({ table: 'agents', before: null })
    expect((await recordData({ sqlite: p.db }))['1']?.name).toBe('from cloud')
  })

  it('backups restore undoes a pull of records: prior rows back, deleted rows back, created rows gone', async () => {
    const { p, remoteDb: R } = synced([1, 2].map((i) => agent(i)))
    const before = rawRows(p.db)
    sql(R, "UPDATE agents SET name = 'from cloud' WHERE id = 1")
    sql(R, 'DELETE FROM agents WHERE id = 2')
    insert(R, 'agents', [agent(3)])
    expect(p.run('pull').code).toBe(0)
    expect(rawRows(p.db)).not.toEqual(before)
    const r = p.run('backups', 'restore', 'latest')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Restored 2 items and removed 1 item that run had created/)
    expect(rawRows(p.db)).toEqual(before)
    // The cloud is untouched by a local restore.
    expect((await recordData({ sqlite: R }))['1']?.name).toBe('from cloud')
  })

  it('pull --overwrite-local replaces a local change in a conflict and backs the local row up', async () => {
    const { p, remoteDb: R } = synced([agent(1)])
    sql(p.db, "UPDATE agents SET name = 'local work' WHERE id = 1")
    sql(R, "UPDATE agents SET name = 'cloud work' WHERE id = 1")
    const mine = (await records({ sqlite: p.db })).get('1')?.data
    expect(p.run('pull').code).toBe(3)
    expect((await recordData({ sqlite: p.db }))['1']?.name).toBe('local work')
    const r = p.run('pull', '--overwrite-local', '--format', 'json')
    expect(r.code, r.stderr).toBe(0)
    expect((await recordData({ sqlite: p.db }))['1']?.name).toBe('cloud work')
    const runId = (JSON.parse(r.stdout) as { backup_run: string }).backup_run
    const run = JSON.parse(fs.readFileSync(path.join(p.dir, '.syncdesk', 'backups', runId, 'run.json'), 'utf8')) as { records: { key: string; before: unknown }[] }
    expect(run.records).toEqual([expect.objectContaining({ key: '1', before: mine })])
  })

  it('with both databases settled, reads from the row caches and still sees every edit, even one whose mtime was set back', async () => {
    const { p, remoteDb } = synced([1, 2, 3, 4, 5].map((i) => agent(i)))
    const L = p.db
    const R = remoteDb
    // The row cache trusts the files' marker only once they are older than the racy window (2 s).
    const settle = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2200)
    settle()
    // The first look reads every row and keeps the files' marker; the next ones read none.
    expect(Object.values(categoriesOf(statusJson(p)))).toEqual(['in_sync', 'in_sync', 'in_sync', 'in_sync', 'in_sync'])
    expect(Object.values(categoriesOf(statusJson(p)))).toEqual(['in_sync', 'in_sync', 'in_sync', 'in_sync', 'in_sync'])
    const old = new Date(Date.now() - 60_000)
    sql(L, "UPDATE agents SET name = 'local edit' WHERE id = 2")
    sql(R, "UPDATE agents SET name = 'theirs' WHERE id = 3")
    for (const f of [L, R]) fs.utimesSync(f, old, old)
    expect(categoriesOf(statusJson(p))).toMatchObject({ '2': 'local_to_remote', '3': 'remote_to_local', '4': 'in_sync' })
    must(p.run('sync'), 'sync')
    expect(rawRows(L)).toEqual(rawRows(R))
    expect(rawRows(R).find((r) => r.id === 2n)?.name).toBe('local edit')
    expect(rawRows(L).find((r) => r.id === 3n)?.name).toBe('theirs')
    // A first sync again (the baseline lost), planned after its look closed both databases.
    settle()
    statusJson(p)
    fs.rmSync(path.join(p.dir, '.syncdesk', 'baselines', 'staging.json'))
    must(p.run('sync'), 'first sync from the caches')
    expect(Object.values(categoriesOf(statusJson(p))).every((c) => c === 'in_sync')).toBe(true)
    expect(rawRows(L)).toEqual(rawRows(R))
    // Each record's data at this sync was kept as its merge base.
    const saved = JSON.parse(fs.readFileSync(path.join(p.dir, '.syncdesk', 'baselines', 'staging.json'), 'utf8')) as { recordData: string }
    const bases = (JSON.parse(saved.recordData) as Record<string, Record<string, { name: string }>>).agents ?? {}
    expect(Object.keys(bases).sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(bases['2']?.name).toBe('local edit')
  })
})
