/**
 * The command line as a user meets it first: finding the project from a subfolder, usage
 * errors, the version.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { isAscii } from 'node:buffer'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cleanupTemps, cliProject, ensureBuilt, lines, put, tempDir } from './helpers.js'

beforeAll(ensureBuilt)
afterAll(cleanupTemps)

function runIn(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('the syncdesk command', () => {
  it('finds the project from a subfolder, as git finds its repository', () => {
    const root = tempDir()
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    put(env, 'a.md', 'a\n')
    const { project } = cliProject(root, ['--folder', env])
    const deep = path.join(project, 'services', 'agents')
    fs.mkdirSync(deep, { recursive: true })
    const r = runIn(deep, 'pull')
    expect(r.code, r.stderr).toBe(0)
    expect(fs.readFileSync(path.join(project, 'a.md'), 'utf8')).toBe('a\n')
    // Outside any project, the error names the folder in one line.
    const outside = runIn(root, 'status')
    expect(outside.code).toBe(1)
    expect(lines(outside.stderr)).toEqual([`syncdesk: ${root} is not a SyncDesk project yet. Run "syncdesk init" there (or pass --project-dir).`])
  })

  it('answers a usage error with one line and exit 2', () => {
    const root = tempDir()
    for (const args of [['frobnicate'], ['sync', '--resolve', 'maybe'], ['env', 'add']]) {
      const r = runIn(root, ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(lines(r.stderr), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^syncdesk: .*\(see "syncdesk --help"\)$/m)
    }
  })

  it('prints its version', () => {
    const r = runIn(tempDir(), '--version')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(CLI, '..', '..', 'package.json'), 'utf8')).version)
  })
})

describe('the code cache (bin/cached-require.cjs)', () => {
  const runWith = (cacheHome: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: cacheHome, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, SYNCDESK_CODE_CACHE: '' } })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  const cacheFiles = (cacheHome: string) => {
    const dir = path.join(cacheHome, 'syncdesk', 'code-cache')
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : []
  }

  it('loads bundles that are plain ASCII (read as Latin-1, ten times faster than UTF-8 on Node 20)', () => {
    for (const bundle of ['cli.cjs', 'quick-status.cjs', 'scan-worker.cjs', 'check-worker.cjs']) {
      expect(isAscii(fs.readFileSync(path.join(CLI, '..', '..', 'dist', bundle))), bundle).toBe(true)
    }
  })

  it('is written after the first run of a command and used, unchanged, by the next', () => {
    const home = tempDir()
    const first = runWith(home, '--version')
    expect(first.code, first.stderr).toBe(0)
    const files = cacheFiles(home)
    expect(files).toHaveLength(1)
    const file = files[0] as string
    expect(path.basename(file)).toMatch(/^cli\.cjs-none-v\d+/)
    const written = fs.statSync(file).mtimeMs
    const second = runWith(home, '--version')
    expect(second.stdout).toBe(first.stdout)
    // V8 accepted the cache: it was not written again.
    expect(fs.statSync(file).mtimeMs).toBe(written)
    // Another command has its own cache; the project folder's name does not make one. (A status
    // tries the quick path's bundle first, which has its own.)
    runWith(home, '--project-dir', 'status', 'status')
    expect(cacheFiles(home).map((f) => path.basename(f).split('-v')[0]).sort()).toEqual(['cli.cjs-none', 'cli.cjs-status', 'quick-status.cjs-status'])
  })

  it('a damaged cache is refused by V8 and replaced; the command answers as before', () => {
    const home = tempDir()
    const first = runWith(home, '--version')
    const file = cacheFiles(home)[0] as string
    fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 7))
    const again = runWith(home, '--version')
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toBe(first.stdout)
    expect(again.stderr).toBe('')
    expect(fs.readFileSync(file).equals(Buffer.alloc(fs.statSync(file).size, 7))).toBe(false)
  })

  it('a cache folder that cannot be written costs nothing but the cache', () => {
    const home = tempDir()
    fs.writeFileSync(path.join(home, 'syncdesk'), 'a file where the folder would go')
    const r = runWith(home, '--version')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
