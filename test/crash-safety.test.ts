/**
 * Crash safety (DESIGN.md safety rules 1 and 2): the CLI is killed with SIGKILL at random
 * moments of a large pull and a large push. Every file must then hold its old or its new
 * content, the baseline must parse, and a rerun must finish the work with no false deletion.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, cli, cliAsync, ensureBuilt, prng, put, syncedTree, TEMP_MARKER, tempDir, treeObject } from './helpers.js'

const FILES = 2000
const ADDED = 400
// 25 per direction: 50 kills of the CLI in all.
const TRIALS = Number(process.env.SYNCDESK_CRASH_TRIALS ?? 25)
const SEED = Number(process.env.SYNCDESK_SEED ?? 99)

const pathOf = (i: number) => `d${i % 24}/s${i % 7}/f${i}.md`
const addedPath = (i: number) => `n${i % 10}/deep/a${i}.yml`
const oldContent = (i: number) => `old ${i}\n`.repeat(20 + (i % 50))
const newContent = (i: number) => `new ${i} - changed\n`.repeat(40 + (i % 60))
const addedContent = (i: number) => `added ${i}\n`.repeat(10 + (i % 30))
const isModified = (i: number) => i % 3 === 0
const isDeleted = (i: number) => i % 31 === 1

type Mode = 'pull' | 'push'

afterAll(cleanupTemps)

interface Pair {
  project: string
  env: string
  /** The side the run writes (the project for a pull, the environment for a push). */
  target: string
  source: string
  baselineFile: string
  /** The baseline as it was before any trial. */
  baselineText: string
}

/**
 * A project and a folder environment in sync (through the CLI), then changed on the side the
 * mode carries from: the environment for a pull, the project for a push.
 */
function makePair(mode: Mode): Pair {
  const root = tempDir(`syncdesk-crash-${mode}-`)
  const project = path.join(root, 'project')
  const env = path.join(root, 'env')
  fs.mkdirSync(env, { recursive: true })
  for (let i = 0; i < FILES; i++) put(env, pathOf(i), oldContent(i))
  const p = (...a: string[]) => cli(['--project-dir', project, ...a])
  expect(p('init').code).toBe(0)
  expect(p('env', 'add', 'staging', '--folder', env).code).toBe(0)
  const first = p('pull', '--env', 'staging')
  expect(first.code, first.stderr).toBe(0)
  const source = mode === 'pull' ? env : project
  for (let i = 0; i < FILES; i++) {
    if (isDeleted(i)) fs.rmSync(path.join(source, ...pathOf(i).split('/')))
    else if (isModified(i)) put(source, pathOf(i), newContent(i))
  }
  for (let i = 0; i < ADDED; i++) put(source, addedPath(i), addedContent(i))
  const baselineFile = path.join(project, '.syncdesk', 'baselines', 'staging.json')
  return { project, env, source, target: mode === 'pull' ? project : env, baselineFile, baselineText: fs.readFileSync(baselineFile, 'utf8') }
}

/**
 * Puts the written side, the baseline and SyncDesk's own folders back as they were before the
 * first trial (cheaper than copying a template of thousands of files for every trial).
 * Returns how many temp files an interrupted run had left on the written side.
 */
let trashCount = 0
function reset(pair: Pair): number {
  const t = pair.target
  fs.mkdirSync(path.join(path.dirname(pair.project), 'trash'), { recursive: true })
  for (let i = 0; i < FILES; i++) {
    if (!isModified(i) && !isDeleted(i)) continue
    const abs = path.join(t, ...pathOf(i).split('/'))
    // A fresh inode: rewriting the synced one in place would free its blocks (slow here).
    if (fs.existsSync(abs)) fs.renameSync(abs, path.join(path.dirname(pair.project), 'trash', `f${++trashCount}`))
    put(t, pathOf(i), oldContent(i))
  }
  // Moved into a trash folder rather than deleted: deleting freshly synced files is slow on
  // some disks, and the whole temp folder goes at the end anyway.
  const trash = path.join(path.dirname(pair.project), 'trash', String(++trashCount))
  fs.mkdirSync(trash, { recursive: true })
  const away = (p: string) => {
    if (fs.existsSync(p)) fs.renameSync(p, path.join(trash, `${path.basename(p)}-${++trashCount}`))
  }
  for (let k = 0; k < 10; k++) away(path.join(t, `n${k}`))
  const temps = listTemps(t)
  for (const f of temps) away(f)
  fs.writeFileSync(pair.baselineFile, pair.baselineText)
  for (const d of ['cache', 'backups']) away(path.join(pair.project, '.syncdesk', d))
  away(path.join(pair.env, '.syncdesk-server'))
  const initial = treeObject(syncedTree(t))
  const want: Record<string, string> = {}
  for (let i = 0; i < FILES; i++) want[pathOf(i)] = oldContent(i)
  expect(initial, 'the reset did not restore the starting tree').toEqual(treeObject(new Map(Object.entries(want))))
  return temps.length
}

/** The tree the changed side starts with and both sides end with. */
function finalTree(): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < FILES; i++) if (!isDeleted(i)) out[pathOf(i)] = isModified(i) ? newContent(i) : oldContent(i)
  for (let i = 0; i < ADDED; i++) out[addedPath(i)] = addedContent(i)
  return treeObject(new Map(Object.entries(out)))
}

/** Checks the side being written: every file old or new, nothing else. Returns how many are new. */
function checkTarget(root: string, label: string): { changed: number } {
  const tree = syncedTree(root)
  let changed = 0
  for (let i = 0; i < FILES; i++) {
    const p = pathOf(i)
    const c = tree.get(p)
    tree.delete(p)
    const allowed = isDeleted(i) ? [oldContent(i), undefined] : isModified(i) ? [oldContent(i), newContent(i)] : [oldContent(i)]
    if (!allowed.includes(c)) throw new Error(`${label}: ${p} is neither its old nor its new content (${c === undefined ? 'missing' : JSON.stringify(c.slice(0, 40)) + `, ${c.length} bytes`})`)
    if (c !== oldContent(i)) changed++
  }
  for (let i = 0; i < ADDED; i++) {
    const p = addedPath(i)
    const c = tree.get(p)
    tree.delete(p)
    if (c !== undefined && c !== addedContent(i)) throw new Error(`${label}: new file ${p} is partial (${c.length} bytes)`)
    if (c !== undefined) changed++
  }
  if (tree.size) throw new Error(`${label}: unexpected files ${[...tree.keys()].slice(0, 5).join(', ')}`)
  return { changed }
}

function listTemps(root: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name)
      if (e.isDirectory()) walk(abs)
      else if (e.name.includes(TEMP_MARKER)) out.push(abs)
    }
  }
  walk(root)
  return out
}

const pairs: Partial<Record<Mode, Pair>> = {}
let partialKills = 0
let emptyLockRetries = 0
const leftTemps: Record<Mode, number> = { pull: 0, push: 0 }

beforeAll(() => {
  ensureBuilt()
  pairs.pull = makePair('pull')
  pairs.push = makePair('push')
}, 120_000)

describe('SIGKILL during a large run', () => {
  for (const mode of ['pull', 'push'] as const) {
    it(`${mode}: ${TRIALS} kills at random moments leave old-or-new files and a run that completes`, async () => {
      const pair = pairs[mode] as Pair
      const { project, env, target, source } = pair
      const rnd = prng(SEED + (mode === 'push' ? 1 : 0))
      const expected = finalTree()
      const sourceTree = () => treeObject(syncedTree(source))
      expect(sourceTree()).toEqual(expected)

      // How long an uninterrupted run takes here.
      const full = await cliAsync(['--project-dir', project, mode, '--env', 'staging'])
      expect(full.code, full.stderr).toBe(0)
      expect(treeObject(syncedTree(target))).toEqual(expected)
      const duration = full.ms
      reset(pair)

      for (let t = 0; t < TRIALS; t++) {
        const delay = Math.floor(rnd() * duration)
        const label = `[SYNCDESK_SEED=${SEED} ${mode} trial ${t}, killed after ${delay} ms of ${duration}]`
        const killed = await cliAsync(['--project-dir', project, mode, '--env', 'staging'], { killAfterMs: delay })

        // Right after the kill: old or new content everywhere, the source side untouched.
        const { changed } = checkTarget(target, label)
        if (killed.signal === 'SIGKILL' && changed > 0 && changed < FILES) partialKills++
        expect(sourceTree(), `${label} the ${mode === 'pull' ? 'environment' : 'project'} changed`).toEqual(expected)
        const baseline = JSON.parse(fs.readFileSync(pair.baselineFile, 'utf8')) as { version: number; paths: string[]; hashes: string[] }
        expect(baseline.version, label).toBe(2)
        expect(baseline.paths.length, label).toBe(baseline.hashes.length)

        // A rerun completes the work: the same command, or a sync that skips conflicts.
        const rerunArgs = t % 2 === 0 ? [mode, '--env', 'staging'] : ['sync', '--env', 'staging', '--resolve', 'skip']
        let rerun = cli(['--project-dir', project, ...rerunArgs])
        if (rerun.code === 1 && rerun.stderr.includes('Could not take the project lock')) {
          // The kill landed between creating the lock file and writing its owner: the next run
          // gives up for 2 s (see "an empty lock file left by a crash" in scenarios.test.ts).
          emptyLockRetries++
          await new Promise((r) => setTimeout(r, 2100))
          rerun = cli(['--project-dir', project, ...rerunArgs])
        }
        expect(rerun.code, `${label} rerun ${rerunArgs.join(' ')}: ${rerun.stdout}\n${rerun.stderr}`).toBe(0)
        expect(treeObject(syncedTree(project)), `${label} project after the rerun`).toEqual(expected)
        expect(treeObject(syncedTree(env)), `${label} environment after the rerun`).toEqual(expected)
        expect(listTemps(project), `${label} local temp files left after the rerun`).toEqual([])

        const status = cli(['--project-dir', project, 'status', '--env', 'staging', '--format', 'json'])
        expect(status.code, `${label} ${status.stderr}`).toBe(0)
        const json = JSON.parse(status.stdout) as Record<string, { path: string }[]>
        expect(json.remote_to_local, label).toEqual([])
        expect(json.local_to_remote, label).toEqual([])
        expect(json.conflicts, label).toEqual([])
        expect(json.in_sync?.length, label).toBe(Object.keys(expected).length)
        expect(json.in_sync?.filter((e) => e.path.includes(TEMP_MARKER)), label).toEqual([])
        leftTemps[mode] += reset(pair)
      }
      if (process.env.SYNCDESK_VERBOSE) console.log(`${mode}: temp files left on the written side after reruns: ${leftTemps[mode]}; reruns refused by an ownerless lock: ${emptyLockRetries}`)
    }, 150_000)
  }

  it('at least one kill landed in the middle of a transfer (the trials were not vacuous)', () => {
    expect(partialKills).toBeGreaterThan(0)
  })

  // Interrupted pushes leave `.<name>.syncdesk-tmp-*` files in the environment folder: the local
  // side sweeps its stale temp files under the lock, the folder remote never does.
  it('a completed rerun leaves no temp files of the interrupted push in the environment folder', () => {
    expect(leftTemps.push, 'temp files left in the environment folder after the reruns').toBe(0)
    expect(leftTemps.pull, 'temp files left in the project after the reruns').toBe(0)
  })
})
