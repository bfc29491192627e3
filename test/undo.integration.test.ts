/**
 * Undo of a run from every face (issue 10, part 2): a push undone on a folder environment and on
 * a real environment server (contents asserted in the environment), an item changed after the
 * push left alone and named, the dry run first, undo of the undo, and records too.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, cliProject, ensureBuilt, get, put, tempDir, type CliResult } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers } from './support/server-process.js'

beforeAll(ensureBuilt)
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

async function projectOn(kind: 'folder' | 'server'): Promise<{ env: string; project: string; p: (...a: string[]) => CliResult; stop: () => Promise<void> }> {
  const root = tempDir('syncdesk-undo-')
  const env = path.join(root, 'env')
  fs.mkdirSync(env)
  put(env, 'a.md', 'a\n')
  put(env, 'b.md', 'b\n')
  put(env, 'c.md', 'c\n')
  if (kind === 'folder') {
    const { project, p } = cliProject(root, ['--folder', env])
    expect(p('pull', '--yes').code).toBe(0)
    return { env, project, p, stop: async () => undefined }
  }
  const token = createToken(env, 'ci', 'read,write')
  const server = await startServerProcess(env)
  const project = path.join(root, 'project')
  const vars = childEnv({ SYNCDESK_TOKEN_STAGING: token })
  const p = (...a: string[]) => runCli(['--project-dir', project, ...a], { env: vars })
  expect(p('init').code).toBe(0)
  expect(p('env', 'add', 'staging', '--url', server.url).code).toBe(0)
  expect(p('pull', '--yes').code).toBe(0)
  return { env, project, p, stop: () => server.stop() }
}

describe.each(['folder', 'server'] as const)('undo of a push, %s environment', (kind) => {
  it('puts the environment back, leaves what changed since, and can itself be undone', async () => {
    const { env, project, p, stop } = await projectOn(kind)
    put(project, 'a.md', 'a, mine\n')
    put(project, 'b.md', 'b, mine\n')
    fs.rmSync(path.join(project, 'c.md'))
    put(project, 'new.md', 'new\n')
    const push = p('push', '--yes', '--allow-mass-delete', '--format', 'json')
    expect(push.code, push.stderr).toBe(0)
    const runId = JSON.parse(push.stdout).backup_run as string
    expect(runId).toBeTruthy()
    expect(get(env, 'a.md')).toBe('a, mine\n')
    expect(get(env, 'c.md')).toBeNull()
    // Someone changes b.md in the environment after the push.
    if (kind === 'folder') put(env, 'b.md', 'b, changed in the cloud\n')
    else put(env, 'b.md', 'b, changed in the cloud\n')

    const dry = p('undo', runId, '--dry-run')
    expect(dry.stdout).toMatch(/Would put back 2 items in staging and remove 1 item/)
    expect(dry.stdout).toMatch(/left as it is: b\.md \(it changed in staging after that run\)/)
    expect(get(env, 'a.md')).toBe('a, mine\n')

    const undo = p('undo', runId)
    expect(undo.code, undo.stdout + undo.stderr).toBe(3)
    expect(get(env, 'a.md')).toBe('a\n')
    expect(get(env, 'c.md')).toBe('c\n')
    expect(get(env, 'new.md')).toBeNull()
    expect(get(env, 'b.md')).toBe('b, changed in the cloud\n')
    // The local files are not touched by undoing a push.
    expect(get(project, 'a.md')).toBe('a, mine\n')
    const again = /syncdesk undo (\S+)/.exec(undo.stdout)?.[1]
    expect(again).toBeTruthy()
    const redo = p('undo', again as string)
    expect(redo.code, redo.stdout + redo.stderr).toBe(0)
    expect(get(env, 'a.md')).toBe('a, mine\n')
    expect(get(env, 'new.md')).toBe('new\n')
    expect(get(env, 'c.md')).toBeNull()
    await stop()
  })
})

describe('undo of a pull', () => {
  it('is the same command: the local changes come back', () => {
    const root = tempDir('syncdesk-undo-pull-')
    const env = path.join(root, 'env')
    fs.mkdirSync(env)
    put(env, 'a.md', 'a\n')
    const { project, p } = cliProject(root, ['--folder', env])
    expect(p('pull', '--yes').code).toBe(0)
    put(env, 'a.md', 'a, from the cloud\n')
    expect(p('pull', '--yes').code).toBe(0)
    expect(get(project, 'a.md')).toBe('a, from the cloud\n')
    const undo = p('undo')
    expect(undo.code, undo.stderr).toBe(0)
    expect(get(project, 'a.md')).toBe('a\n')
  })
})
