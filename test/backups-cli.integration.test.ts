/**
 * Local backups through the built CLI: `syncdesk backups list` says the space each run's backup
 * takes and the total (a file linked into several backups counted once), and the runs past the
 * project's retention (`backups: { keepRuns, keepDays }` in .syncdesk/config.json) are removed
 * after each run and after an undo, never the one just made nor the one just undone.
 *
 * Real parts: the CLI as a child process, a folder environment, the files on disk.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, cliProject, ensureBuilt, put, tempDir, type CliResult } from './helpers.js'

beforeAll(() => ensureBuilt())
afterAll(() => cleanupTemps())

function must(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

/** A project pulling from a folder environment; each `round` changes the environment's files and pulls (a backup each). */
function pulling(retention?: { keepRuns?: number; keepDays?: number }) {
  const root = tempDir('syncdesk-backups-cli-')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  put(env, 'a.md', 'a 0\n')
  put(env, 'big.bin', Buffer.alloc(50_000, 7))
  const { project, p } = cliProject(root, ['--folder', env])
  if (retention) {
    const file = path.join(project, '.syncdesk', 'config.json')
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
    fs.writeFileSync(file, JSON.stringify({ ...config, backups: retention }, null, 2))
  }
  const runs: string[] = []
  const round = (i: number) => {
    put(env, 'a.md', `a ${i} ${'x'.repeat(i * 100)}\n`)
    if (i % 2 === 0) put(env, 'big.bin', Buffer.alloc(50_000, i))
    const r = JSON.parse(must(p('pull', '--env', 'staging', '--format', 'json'), `pull ${i}`).stdout) as { backup_run: string | null }
    if (r.backup_run) runs.push(r.backup_run)
  }
  const kept = () => fs.readdirSync(path.join(project, '.syncdesk', 'backups')).sort()
  return { project, env, p, runs, round, kept }
}

/** The bytes of the regular files under a folder, each inode once across calls sharing `seen`. */
function bytesUnder(dir: string, seen = new Set<string>()): number {
  let total = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) total += bytesUnder(abs, seen)
    else if (e.isFile()) {
      const st = fs.lstatSync(abs)
      const id = `${st.dev}:${st.ino}`
      if (!seen.has(id)) {
        seen.add(id)
        total += st.size
      }
    }
  }
  return total
}

function unitBytes(shown: string): number {
  const m = /^([\d.]+) (B|KB|MB|GB)$/.exec(shown.trim())
  if (!m) throw new Error(`not a size: ${shown}`)
  return Number(m[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as 'B']
}

describe('syncdesk backups list', () => {
  it('says the space each backup takes and the total, and keeps every run under the default retention', () => {
    const b = pulling()
    for (let i = 1; i <= 4; i++) b.round(i)
    expect(b.runs).toHaveLength(4)
    // The defaults keep the newest 20 runs and the last 30 days: nothing goes.
    expect(b.kept()).toEqual([...b.runs].sort())
    const out = must(b.p('backups', 'list'), 'backups list').stdout.trim().split('\n')
    expect(out).toHaveLength(5)
    const lines = out.slice(0, 4)
    // Newest first, each with its size.
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([...b.runs].reverse())
    for (const l of lines) {
      const m = /^(\S+)\s+pull\s+staging\s+\d+ replaced, \d+ deleted, \d+ created {2}([\d.]+ (?:B|KB|MB|GB))$/.exec(l)
      expect(m, l).not.toBeNull()
      const onDisk = bytesUnder(path.join(b.project, '.syncdesk', 'backups', m![1] as string))
      expect(Math.abs(unitBytes(m![2] as string) - onDisk), l).toBeLessThanOrEqual(onDisk * 0.05 + 1)
    }
    const total = /^Total: 4 backups, ([\d.]+ (?:B|KB|MB|GB)) on disk \(kept: the newest 20 runs and those of the last 30 days; older ones are removed after each run\)\.$/.exec(out[4] as string)
    expect(total, out[4]).not.toBeNull()
    const seen = new Set<string>()
    const expected = b.runs.reduce((sum, r) => sum + bytesUnder(path.join(b.project, '.syncdesk', 'backups', r), seen), 0)
    expect(Math.abs(unitBytes(total![1] as string) - expected)).toBeLessThanOrEqual(expected * 0.05 + 1)
  })

  it('says so when there are none', () => {
    const b = pulling()
    expect(must(b.p('backups', 'list'), 'backups list').stdout.trim()).toBe('No backups yet.')
  })
})

describe('backups past the retention', () => {
  it('are removed after each run (the project keeps 2 runs, 0 days), and after an undo, never the ones just made or undone', () => {
    const b = pulling({ keepRuns: 2, keepDays: 0 })
    b.round(1)
    expect(b.kept()).toEqual([...b.runs].sort())
    for (let i = 2; i <= 6; i++) b.round(i)
    expect(b.runs).toHaveLength(6)
    expect(b.kept()).toEqual(b.runs.slice(-2).sort())
    const list = must(b.p('backups', 'list'), 'backups list').stdout
    expect(list).toMatch(/^Total: 2 backups, .* \(kept: the newest 2 runs and those of the last 0 days; /m)

    // The undo of the latest pull is itself a backup: it and the run it undid stay.
    const undo = JSON.parse(must(b.p('undo', 'latest', '--format', 'json'), 'undo').stdout) as { runId: string; undoRunId: string }
    expect(undo.runId).toBe(b.runs.at(-1))
    expect(b.kept()).toEqual([undo.runId, undo.undoRunId].sort())
    expect(fs.readFileSync(path.join(b.project, 'a.md'), 'utf8')).toBe(`a 5 ${'x'.repeat(500)}\n`)
  })

  it('a config with a bad retention is refused with its place named', () => {
    const b = pulling({ keepRuns: -1 })
    const r = b.p('backups', 'list')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/config\.json is not valid: backups\.keepRuns/)
  })
})
