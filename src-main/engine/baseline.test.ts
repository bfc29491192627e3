import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadBaseline, saveBaseline, type Baseline } from './baseline.js'
import { classifyRecords } from './classify.js'
import { recordHash } from './records/canonical.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true })
})

function baselineFile(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-baseline-'))
  roots.push(root)
  return path.join(root, 'staging.json')
}

const base = { id: 1, name: 'writer', model: 'small' }
const mine = { id: 1, name: 'writer v2', model: 'small' }
const theirs = { id: 1, name: 'writer', model: 'large' }
const entry = (data: Record<string, unknown>) => ({ hash: recordHash(data), data })

/** The conflict of record 1 (edited on both sides) against a baseline's records of `agents`. */
function conflictOf(b: Baseline) {
  const status = classifyRecords('agents', new Map([['1', entry(mine)]]), new Map([['1', entry(theirs)]]), b.records.get('agents') ?? new Map())
  expect(status.conflicts).toHaveLength(1)
  return status.conflicts[0]
}

describe('baseline records', () => {
  it('saves the records apart from their data, and the data still gives the field merge of a conflict', async () => {
    const file = baselineFile()
    const saved: Baseline = { files: new Map([['a.md', 'a'.repeat(64)]]), records: new Map([['agents', new Map([['1', entry(base)], ['2', entry({ id: 2 })]])]]), existed: true }
    await saveBaseline(file, 'staging', saved)
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
    expect(raw.records).toBeUndefined()
    expect(raw.recordHashes).toEqual({ agents: { keys: ['1', '2'], hashes: [recordHash(base), recordHash({ id: 2 })] } })
    expect(typeof raw.recordData).toBe('string')
    const loaded = loadBaseline(file).baseline
    expect(loaded.files).toEqual(saved.files)
    expect(loaded.records.get('agents')?.get('2')?.data).toEqual({ id: 2 })
    const c = conflictOf(loaded)
    expect(c?.baseData).toEqual(base)
    expect(c?.mergeable).toBe(true)
    expect(c?.mergedData).toEqual({ id: 1, name: 'writer v2', model: 'large' })
    // Saved again after a load, the records are the same.
    await saveBaseline(file, 'staging', loaded)
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>).recordData).toBe(raw.recordData)
  })

  it('reads a baseline saved by an earlier version, each record with its data', () => {
    const file = baselineFile()
    fs.writeFileSync(file, JSON.stringify({ version: 2, env: 'staging', paths: [], hashes: [], records: { agents: { 1: [recordHash(base), base] } } }))
    const { baseline, warning } = loadBaseline(file)
    expect(warning).toBeUndefined()
    expect(conflictOf(baseline)?.mergedData).toEqual({ id: 1, name: 'writer v2', model: 'large' })
  })

  it.each([
    ['cut short', '{"agents":{"1":'],
    ['not a text', 42],
  ])('keeps the hashes when the data is damaged (%s): the conflict stays, with no merge offered, and a save keeps them', async (_what, recordData) => {
    const file = baselineFile()
    fs.writeFileSync(file, JSON.stringify({ version: 2, env: 'staging', paths: [], hashes: [], recordHashes: { agents: { keys: ['1', '2'], hashes: [recordHash(base), recordHash({ id: 2 })] } }, recordData }))
    const { baseline, warning } = loadBaseline(file)
    expect(warning).toBeUndefined()
    const c = conflictOf(baseline)
    expect(c?.baseHash).toBe(recordHash(base))
    expect(c?.baseData).toBeNull()
    expect(c?.mergeable).toBe(false)
    await saveBaseline(file, 'staging', baseline)
    const again = loadBaseline(file).baseline.records.get('agents')
    expect([...(again?.keys() ?? [])]).toEqual(['1', '2'])
    expect(again?.get('2')?.hash).toBe(recordHash({ id: 2 }))
    expect(again?.get('2')?.data).toBeNull()
  })

  it('refuses malformed record hashes as a damaged baseline (compared as on a first sync)', () => {
    const file = baselineFile()
    fs.writeFileSync(file, JSON.stringify({ version: 2, env: 'staging', paths: [], hashes: [], recordHashes: { agents: { keys: ['1', '2'], hashes: [recordHash(base)] } }, recordData: '{}' }))
    const { baseline, warning } = loadBaseline(file, { readOnly: true })
    expect(baseline.existed).toBe(false)
    expect(warning).toMatch(/damaged/)
    expect(fs.existsSync(file)).toBe(true)
  })
})
