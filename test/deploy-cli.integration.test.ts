/**
 * Deployments through the CLI: `push --deploy`, `deploy status`, and the per-environment
 * summary of `status`, against real environment servers (child processes on 127.0.0.1) with a
 * succeeding and a failing deploy command.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, ensureBuilt, get, put, tempDir } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

const OK_COMMAND = 'echo building; echo deployed-fine'
const FAIL_COMMAND = "sh -c 'echo step one; echo boom; exit 3'"
const TIME = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}'

interface Env {
  server: ServerProcess
  dir: string
  token: string
}

let root: string
let staging: Env
let production: Env

async function serverEnv(name: string, deployCommand: string, scopes = 'read,write,deploy'): Promise<Env> {
  const dir = path.join(root, name)
  fs.mkdirSync(dir)
  const token = createToken(dir, 'ci', scopes)
  return { server: await startServerProcess(dir, { deployCommand, name }), dir, token }
}

/** A project with the named server environments (tokens from SYNCDESK_TOKEN_<ENV>). */
function project(envs: Record<string, Env>, extra: NodeJS.ProcessEnv = {}): { dir: string; p: (...args: string[]) => ReturnType<typeof runCli> } {
  const dir = tempDir('syncdesk-deploy-project-')
  const vars: NodeJS.ProcessEnv = { ...extra }
  for (const [name, e] of Object.entries(envs)) vars[`SYNCDESK_TOKEN_${name.toUpperCase()}`] = e.token
  const env = childEnv(vars)
  const p = (...args: string[]) => runCli(['--project-dir', dir, ...args], { env })
  expect(p('init').code).toBe(0)
  for (const [name, e] of Object.entries(envs)) {
    const add = p('env', 'add', name, '--url', e.server.url)
    expect(add.code, add.stderr).toBe(0)
  }
  return { dir, p }
}

beforeAll(async () => {
  ensureBuilt()
  root = tempDir('syncdesk-deploy-')
  ;[staging, production] = await Promise.all([serverEnv('staging', OK_COMMAND), serverEnv('production', FAIL_COMMAND)])
})
afterAll(async () => {
  await stopAllServers()
  cleanupTemps()
})

describe('push --deploy', () => {
  it('with a succeeding deploy command: pushes, deploys, exit 0; deploy status shows it', () => {
    const { dir, p } = project({ staging })
    expect(p('deploy', 'status').stdout).toMatch(/staging has not been deployed yet\./)
    put(dir, 'agents/a.yml', 'name: a\n')
    const r = p('push', '--deploy')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(get(staging.dir, 'agents/a.yml')).toBe('name: a\n')
    expect(r.stdout).toMatch(/Pushed to staging: 1 written to staging/)
    expect(r.stdout).toMatch(new RegExp(`Deployment \\S+ of staging: succeeded \\(${TIME}\\), exit code 0`))
    expect(r.stdout).not.toMatch(/Last lines of its log/)
    expect(r.stderr).toMatch(/Deploying staging…/)

    const st = p('deploy', 'status')
    expect(st.code, st.stderr).toBe(0)
    expect(st.stdout).toMatch(/of staging: succeeded/)
  })

  it('with a failing deploy command: pushes, exit 1, the log tail printed; deploy status shows the failure', () => {
    const { dir, p } = project({ production })
    put(dir, 'agents/b.yml', 'name: b\n')
    const r = p('push', '--deploy')
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(get(production.dir, 'agents/b.yml'), 'the push itself went through').toBe('name: b\n')
    expect(r.stdout).toMatch(new RegExp(`Deployment \\S+ of production: failed \\(${TIME}\\), exit code 3`))
    expect(r.stdout).toMatch(/Last lines of its log:\n(\s+.*\n)*\s+step one\n\s+boom/)
    expect(r.stderr).not.toMatch(/^\s+at /m)

    const st = p('deploy', 'status')
    expect(st.code).toBe(1)
    expect(st.stdout).toMatch(/of production: failed/)
    expect(st.stdout).toMatch(/boom/)
  })

  it('--dry-run does not deploy', () => {
    const fresh = project({ staging })
    const before = fresh.p('deploy', 'status').stdout
    put(fresh.dir, 'agents/dry.yml', 'name: dry\n')
    const r = fresh.p('push', '--deploy', '--dry-run')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Dry run of push with staging: nothing was changed/)
    expect(r.stdout).not.toMatch(/Deployment/)
    expect(get(staging.dir, 'agents/dry.yml')).toBeNull()
    expect(fresh.p('deploy', 'status').stdout).toBe(before)
  })

  it('a token without the deploy scope: the push is done, the deploy refused clearly, exit 1', async () => {
    const limited = await serverEnv('limited', OK_COMMAND, 'read,write')
    const { dir, p } = project({ limited })
    put(dir, 'agents/c.yml', 'name: c\n')
    const r = p('push', '--deploy')
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(get(limited.dir, 'agents/c.yml')).toBe('name: c\n')
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('syncdesk:'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/limited.*"deploy" scope/)
    expect(p('deploy', 'status').stdout).toMatch(/limited has not been deployed yet\./)
  })
})

describe('status (human) with several environments', () => {
  it('shows per environment the last sync time, pending counts and the deployment state', async () => {
    // Fresh servers, so that the counts are this test's own.
    const [staging, production] = await Promise.all([serverEnv('staging2', OK_COMMAND), serverEnv('production2', FAIL_COMMAND)])
    const folder = tempDir('syncdesk-deploy-folder-')
    const { dir, p } = project({ staging, production })
    expect(p('env', 'add', 'local', '--folder', folder).code).toBe(0)
    put(dir, 'agents/s.yml', 'name: s\n')
    expect(p('push', '--env', 'staging', '--deploy').code).toBe(0)
    expect(p('push', '--env', 'production', '--deploy').code).toBe(1)
    // Pending work: one new local file for every environment, one change in staging.
    put(dir, 'agents/t.yml', 'name: t\n')
    put(staging.dir, 'docs/from-staging.md', 'hello\n')

    const r = p('status')
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    const line = (env: string) => lines.find((l) => l.startsWith(`${env}: `)) ?? `(no line for ${env} in:\n${r.stdout})`
    expect(line('staging')).toMatch(new RegExp(`^staging: last sync ${TIME}; 1 to pull, 1 to push, 0 conflicts, 1 in sync; deployment succeeded ${TIME}$`))
    expect(line('production')).toMatch(new RegExp(`^production: last sync ${TIME}; 0 to pull, 1 to push, 0 conflicts, 1 in sync; deployment failed ${TIME}$`))
    expect(line('local')).toMatch(/^local: last sync never; 0 to pull, 2 to push, 0 conflicts, 0 in sync$/)
    expect(r.stdout).toMatch(/Details: syncdesk status --env NAME/)

    // One environment's details carry the same summary line first.
    const one = p('status', '--env', 'production')
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout.split('\n')[0]).toMatch(/^production: .*deployment failed/)
  })

  it('an environment that cannot be reached gets its own line and exit 1; the others still show', async () => {
    const gone = await serverEnv('gone', OK_COMMAND)
    const { p } = project({ staging, gone })
    await gone.server.kill()
    const r = p('status')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^staging: last sync never; .*deployment succeeded/m)
    expect(r.stdout).toMatch(/^gone: Cannot reach environment "gone"/m)
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })
})
