/**
 * The command line as a user meets it first: finding the project from a subfolder, usage
 * errors, the version.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
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
