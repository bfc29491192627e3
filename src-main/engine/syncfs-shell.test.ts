/**
 * The syncfs shell: answers in order, says false for a `sync` that fails or is missing, starts
 * again after it is killed, and never keeps the process alive once it owes no answer.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildSync } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { runSyncfs } from './syncfs-shell.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-syncfs-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** A stand-in for `sync` that logs its arguments and fails for paths containing "bad". */
function fakeSync(): { bin: string; log: string } {
  const bin = path.join(root, `sync-${Math.random().toString(16).slice(2)}`)
  const log = `${bin}.log`
  fs.writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\ncase "$3" in *bad*) exit 1;; esac\nexit 0\n`, { mode: 0o755 })
  return { bin, log }
}

describe('runSyncfs', () => {
  it('flushes through one shell, answering each request in order', async () => {
    const { bin, log } = fakeSync()
    const files = ['a', 'bad b', 'c with spaces', "d'quote", 'bad-e'].map((n) => path.join(root, n))
    const answers = await Promise.all(files.map((f) => runSyncfs(bin, f, 1001)))
    expect(answers).toEqual([true, false, true, true, false])
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(files.map((f) => `-f -- ${f}`))
  })

  it('gives `sync` no input: one that reads it takes none of the paths', async () => {
    const { bin, log } = fakeSync()
    fs.writeFileSync(bin, `#!/bin/sh\nread -r stolen\nprintf '%s|%s\\n' "$3" "$stolen" >> '${log}'\nexit 0\n`, { mode: 0o755 })
    const files = ['one', 'two', 'three'].map((n) => path.join(root, n))
    expect(await Promise.all(files.map((f) => runSyncfs(bin, f, 1004)))).toEqual([true, true, true])
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(files.map((f) => `${f}|`))
  })

  it('says false when `sync` is missing or fails, and the real one succeeds', async () => {
    expect(await runSyncfs('/nonexistent/sync', root, 1002)).toBe(false)
    expect(await runSyncfs('/bin/false', root, 1002)).toBe(false)
    expect(await runSyncfs('sync', root, 1002)).toBe(true)
  })

  it('starts a new shell when the last one was killed', async () => {
    const { bin } = fakeSync()
    expect(await runSyncfs(bin, root, 1003)).toBe(true)
    const shells = spawnSync('pgrep', ['-f', `done ${bin}$`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean)
    expect(shells.length).toBeGreaterThan(0)
    for (const pid of shells) process.kill(Number(pid), 'SIGKILL')
    await new Promise((r) => setTimeout(r, 100))
    expect(await runSyncfs(bin, root, 1003)).toBe(true)
  })

  it('lets the process end as soon as its last flush is answered', () => {
    // This module alone, bundled, in a process of its own.
    const code = buildSync({ entryPoints: [path.join(import.meta.dirname, 'syncfs-shell.ts')], bundle: true, platform: 'node', format: 'cjs', write: false }).outputFiles[0]!.text
    const started = Date.now()
    const r = spawnSync(process.execPath, ['-e', `${code}\nmodule.exports.runSyncfs('sync', ${JSON.stringify(root)}, 1).then((ok) => console.log(ok))`], { encoding: 'utf8', timeout: 20_000 })
    expect(r.stdout.trim()).toBe('true')
    expect(r.status).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
