/**
 * A disk that fills up mid-run: a real, tiny tmpfs (mounting needs root; elsewhere the tests
 * skip and say why). Nothing may be lost or half-written, the message must say what happened,
 * and once there is room again the same command finishes the work.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, cli, ensureBuilt, get, put, sha, syncedTree, tempDir, treeObject } from './helpers.js'

const mounts: string[] = []

function mountTiny(dir: string, size: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' })
    mounts.push(dir)
    return true
  } catch {
    return false
  }
}

function remount(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'ignore' })
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const probe = tempDir('syncdesk-mount-probe-')
  const ok = mountTiny(probe, '16k')
  if (ok) {
    execFileSync('umount', [probe])
    mounts.pop()
  }
  return ok
})()
if (!canMount && process.env.CI) throw new Error('The disk-full tests need root to mount a small tmpfs, and CI runs as root.')
if (!canMount) console.warn('disk-full tests skipped: mounting a tmpfs needs root')

beforeAll(() => ensureBuilt())
afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' })
    } catch {}
  }
  cleanupTemps()
})

/** 40 files of 6 KB: 240 KB, far more than the 96 KB disk holds. */
function bigTree(root: string, tag: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (let i = 0; i < 40; i++) {
    const text = `${tag} ${i}\n`.padEnd(6000, '.') + '\n'
    files[`docs/part-${String(i).padStart(2, '0')}.md`] = text
    put(root, `docs/part-${String(i).padStart(2, '0')}.md`, text)
  }
  return files
}

describe.skipIf(!canMount)('a disk that fills up', () => {
  it('push to a folder environment on a full disk: a clear error, no half-written file, and the rerun finishes once there is room', () => {
    const root = tempDir('syncdesk-full-push-')
    const project = path.join(root, 'project')
    const env = path.join(root, 'env')
    expect(mountTiny(env, '96k')).toBe(true)
    const files = bigTree(project, 'local')
    const p = (...a: string[]) => cli(['--project-dir', project, ...a])
    expect(p('init').code).toBe(0)
    expect(p('env', 'add', 'staging', '--folder', env).code).toBe(0)

    const before = treeObject(syncedTree(project))
    const r = p('push', '--env', 'staging')
    expect(r.code).toBe(1)
    expect(r.stderr + r.stdout).toMatch(/disk is full/)
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
    // Local files untouched; every file that reached the environment is whole.
    expect(treeObject(syncedTree(project))).toEqual(before)
    const landed = syncedTree(env)
    expect(landed.size).toBeLessThan(40)
    for (const [rel, content] of landed) expect(sha(content)).toBe(sha(files[rel] as string))
    expect(fs.readdirSync(path.join(env, 'docs')).filter((n) => n.includes('.syncdesk-tmp-'))).toEqual([])

    remount(env, '2m')
    const again = p('push', '--env', 'staging')
    expect(again.code, again.stderr).toBe(0)
    expect(treeObject(syncedTree(env))).toEqual(treeObject(syncedTree(project)))
    expect(p('status', '--env', 'staging', '--format', 'json').stdout).toMatch(/"local_to_remote":\[\]/)
  })

  it('pull onto a full local disk: a clear error, local files whole, nothing lost in the environment', () => {
    const root = tempDir('syncdesk-full-pull-')
    const project = path.join(root, 'project')
    const env = path.join(root, 'env')
    expect(mountTiny(project, '96k')).toBe(true)
    const files = bigTree(env, 'cloud')
    put(project, 'mine.md', 'my own notes\n')
    const p = (...a: string[]) => cli(['--project-dir', project, ...a])
    expect(p('init').code).toBe(0)
    expect(p('env', 'add', 'staging', '--folder', env).code).toBe(0)

    const envBefore = treeObject(syncedTree(env))
    const r = p('pull', '--env', 'staging')
    expect(r.code).toBe(1)
    expect(r.stderr + r.stdout).toMatch(/disk is full/)
    expect(treeObject(syncedTree(env))).toEqual(envBefore)
    expect(get(project, 'mine.md')).toBe('my own notes\n')
    for (const [rel, content] of syncedTree(project)) {
      if (rel === 'mine.md') continue
      expect(sha(content)).toBe(sha(files[rel] as string))
    }

    remount(project, '2m')
    const again = p('pull', '--env', 'staging')
    expect(again.code, again.stderr).toBe(0)
    for (const [rel, content] of Object.entries(files)) expect(get(project, rel)).toBe(content)
    expect(get(project, 'mine.md')).toBe('my own notes\n')
  })
})
