/**
 * The interactive conflict prompt on a real terminal: `sync` without --resolve runs under a
 * pseudo-terminal (`script` from util-linux) and the test answers each question as it appears.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cleanupTemps, cliProject, ensureBuilt, get, put, tempDir } from './helpers.js'

const hasScript = spawnSync('script', ['--version']).status === 0

beforeAll(ensureBuilt)
afterAll(cleanupTemps)

const PROMPT = 'Keep [r]emote / [l]ocal / [s]kip?'

/** A synced project, then conflicts: a, b, c edited on both sides; d deleted locally and edited remotely. */
function conflicted(): { project: string; env: string } {
  const root = tempDir()
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  for (const n of ['a', 'b', 'c', 'd', 'e']) put(env, `${n}.md`, `${n} base\n`)
  const { project, p } = cliProject(root, ['--folder', env])
  expect(p('pull', '--env', 'staging').code).toBe(0)
  for (const n of ['a', 'b', 'c']) {
    put(project, `${n}.md`, `${n} local\n`)
    put(env, `${n}.md`, `${n} remote\n`)
  }
  fs.rmSync(path.join(project, 'd.md'))
  put(env, 'd.md', 'd remote\n')
  put(env, 'e.md', 'e remote, no conflict\n')
  return { project, env }
}

/** Runs `args` under a pseudo-terminal, giving `answers` one by one, each after a prompt appears. */
function onTerminal(args: string[], answers: string[], prompt = PROMPT): Promise<{ code: number | null; output: string; prompts: number }> {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm', COLUMNS: '120' } })
    let output = ''
    let prompts = 0
    const queue = [...answers]
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no exit within 30 s; output so far:\n${output}`))
    }, 30_000)
    const onData = (d: Buffer) => {
      output += d.toString()
      const seen = output.split(prompt).length - 1
      while (prompts < seen) {
        prompts++
        const answer = queue.shift()
        if (answer !== undefined) child.stdin.write(`${answer}\r`)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, prompts })
    })
  })
}

describe.skipIf(!hasScript)('conflict prompt on a terminal', () => {
  it('shows each conflict and applies r / l / s as answered', async () => {
    const { project, env } = conflicted()
    const r = await onTerminal(['--project-dir', project, 'sync', '--env', 'staging'], ['r', 'l', 's', 'r'])
    const out = r.output.replace(/\r/g, '')
    expect(r.prompts, out).toBe(4)
    for (const n of ['a', 'b', 'c', 'd']) expect(out).toContain(`${n}.md — CONFLICT`)
    expect(out).toMatch(/Remote modified: \d{4}-\d\d-\d\d \d\d:\d\d\s+\(staging\)/)
    expect(out).toMatch(/Local modified: +\d{4}-\d\d-\d\d \d\d:\d\d/)
    expect(out).toMatch(/d\.md — CONFLICT\n\s+Remote modified: [^\n]+\n\s+Local modified: +deleted/)
    expect(out).toContain(PROMPT)
    // r: the environment's version on both sides; l: the local one; s: untouched.
    expect([get(project, 'a.md'), get(env, 'a.md')]).toEqual(['a remote\n', 'a remote\n'])
    expect([get(project, 'b.md'), get(env, 'b.md')]).toEqual(['b local\n', 'b local\n'])
    expect([get(project, 'c.md'), get(env, 'c.md')]).toEqual(['c local\n', 'c remote\n'])
    expect([get(project, 'd.md'), get(env, 'd.md')]).toEqual(['d remote\n', 'd remote\n'])
    expect(get(project, 'e.md')).toBe('e remote, no conflict\n')
    // One conflict left: exit 3, and it is named.
    expect(r.code).toBe(3)
    expect(out).toMatch(/1 conflict\(s\) left as they are/)
  })

  it('asks again after an answer it does not understand; Enter skips', async () => {
    const { project, env } = conflicted()
    const r = await onTerminal(['--project-dir', project, 'sync', '--env', 'staging'], ['what', 'l', '', 'remote', 'skip'])
    const out = r.output.replace(/\r/g, '')
    expect(out).toContain('Please answer r, l or s.')
    expect([get(project, 'a.md'), get(env, 'a.md')]).toEqual(['a local\n', 'a local\n'])
    expect([get(project, 'b.md'), get(env, 'b.md')]).toEqual(['b local\n', 'b remote\n'])
    expect([get(project, 'c.md'), get(env, 'c.md')]).toEqual(['c remote\n', 'c remote\n'])
    expect([get(project, 'd.md'), get(env, 'd.md')]).toEqual([null, 'd remote\n'])
    expect(r.code).toBe(3)
  })

  it('the mass-delete guard asks on a terminal: typing the environment name goes on, Enter stops', async () => {
    const root = tempDir()
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    for (let i = 0; i < 12; i++) put(env, `m/f${i}.md`, `${i}\n`)
    const { project, p } = cliProject(root, ['--folder', env])
    expect(p('pull', '--env', 'staging').code).toBe(0)
    fs.rmSync(path.join(env, 'm'), { recursive: true })
    const question = 'Type the environment name (staging) to go on'
    const stop = await onTerminal(['--project-dir', project, 'pull', '--env', 'staging'], [''], question)
    expect(stop.prompts).toBe(1)
    expect(stop.code).toBe(3)
    expect(fs.readdirSync(path.join(project, 'm'))).toHaveLength(12)
    const go = await onTerminal(['--project-dir', project, 'pull', '--env', 'staging'], ['staging'], question)
    expect(go.output).toContain('staging has no items')
    expect(go.code, go.output).toBe(0)
    expect(fs.existsSync(path.join(project, 'm'))).toBe(false)
  })

  it('--resolve decides without asking, even on a terminal', async () => {
    const { project, env } = conflicted()
    const r = await onTerminal(['--project-dir', project, 'sync', '--env', 'staging', '--resolve', 'local'], [])
    expect(r.prompts).toBe(0)
    expect(r.code).toBe(0)
    expect(get(env, 'c.md')).toBe('c local\n')
    expect(get(env, 'd.md')).toBe(null)
  })
})

describe('no terminal and no --resolve', () => {
  it('skips every conflict, names them, exits 3, and still carries the other changes', () => {
    const { project, env } = conflicted()
    const r = spawnSync(process.execPath, [CLI, '--project-dir', project, 'sync', '--env', 'staging'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: 'r\nr\nr\nr\n' })
    expect(r.status).toBe(3)
    expect(r.stderr).not.toContain(PROMPT)
    expect(r.stdout).toMatch(/4 conflict\(s\) left as they are/)
    for (const n of ['a', 'b', 'c', 'd']) expect(r.stdout).toMatch(new RegExp(`^\\s+${n}\\.md\\s`, 'm'))
    expect(r.stdout).toMatch(/--resolve local\|remote/)
    for (const n of ['a', 'b', 'c']) {
      expect(get(project, `${n}.md`)).toBe(`${n} local\n`)
      expect(get(env, `${n}.md`)).toBe(`${n} remote\n`)
    }
    expect(get(project, 'd.md')).toBe(null)
    expect(get(project, 'e.md')).toBe('e remote, no conflict\n')
  })

  it('push --overwrite-remote on a terminal names the environment and asks before replacing its changes', async () => {
    const ask = 'Type the environment name (staging) to replace them'
    const first = conflicted()
    const stop = await onTerminal(['--project-dir', first.project, 'push', '--env', 'staging', '--overwrite-remote'], [''], ask)
    const stopOut = stop.output.replace(/\r/g, '')
    expect(stop.prompts, stopOut).toBe(1)
    expect(stopOut).toMatch(/changed in staging too; --overwrite-remote replaces those changes with yours/)
    expect(stop.code, stopOut).toBe(3)
    expect(get(first.env, 'a.md')).toBe('a remote\n')

    const second = conflicted()
    const go = await onTerminal(['--project-dir', second.project, 'push', '--env', 'staging', '--overwrite-remote'], ['staging'], ask)
    expect(go.code, go.output).toBe(0)
    for (const n of ['a', 'b', 'c']) expect(get(second.env, `${n}.md`)).toBe(`${n} local\n`)
    expect(get(second.env, 'd.md')).toBe(null)
  })

  it('a record conflict in different fields shows the merge and [m]erge keeps both changes', async () => {
    const root = tempDir()
    const project = path.join(root, 'project')
    const env = path.join(root, 'env')
    fs.mkdirSync(path.join(env, '.syncdesk-server'), { recursive: true })
    fs.mkdirSync(project)
    const makeDb = (file: string) => {
      const db = new Database(file)
      for (const t of ['agents', 'skills', 'contexts']) db.exec(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT, enabled BOOLEAN)`)
      return db
    }
    const local = makeDb(path.join(project, 'app.sqlite'))
    const remote = makeDb(path.join(env, '.syncdesk-server', 'database.sqlite'))
    local.exec("INSERT INTO agents VALUES (1, 'support', 1)")
    const p = (...args: string[]) => spawnSync(process.execPath, [CLI, '--project-dir', project, ...args], { encoding: 'utf8' })
    for (const args of [['init'], ['env', 'add', 'staging', '--folder', env], ['db', 'add', '--sqlite', 'app.sqlite'], ['push']]) expect(p(...args).status, args.join(' ')).toBe(0)
    local.exec("UPDATE agents SET name = 'support-v2' WHERE id = 1")
    remote.exec('UPDATE agents SET enabled = 0 WHERE id = 1')

    const ask = 'Keep [r]emote / [l]ocal / [m]erge / [s]kip?'
    const r = await onTerminal(['--project-dir', project, 'sync'], ['m'], ask)
    const out = r.output.replace(/\r/g, '')
    expect(r.prompts, out).toBe(1)
    expect(out).toContain('agents/1 — CONFLICT (record)')
    expect(out).toMatch(/\[m\]erge keeps both changes:\n\s+enabled: false\s+\(from staging\)\n\s+name: "support-v2"\s+\(from local\)/)
    expect(r.code, out).toBe(0)
    for (const db of [local, remote]) expect(db.prepare('SELECT name, enabled FROM agents WHERE id = 1').get()).toEqual({ name: 'support-v2', enabled: 0 })
    local.close()
    remote.close()
  })
})
