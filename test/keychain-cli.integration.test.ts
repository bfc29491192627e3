/**
 * Server tokens through the CLI and a real OS keychain (DESIGN.md safety rule 8): `env add
 * --url` keeps the token in gnome-keyring and nowhere else, later commands use it without
 * SYNCDESK_TOKEN_STAGING, `env remove` deletes it, and without a keychain the CLI says so
 * clearly and writes no plaintext. The interactive prompt runs under a pseudo-terminal.
 *
 * Vitest itself must run inside scripts/with-keyring.sh (npm test does):
 *   scripts/with-keyring.sh npx vitest run test/keychain-cli.integration.test.ts
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemps, CLI, ensureBuilt, get, put, tempDir } from './helpers.js'
import { childEnv, createToken, runCli, startServerProcess, stopAllServers, type ServerProcess } from './support/server-process.js'

const SERVICE = 'SyncDesk'

function keyringProblem(): string | null {
  if (process.env.SYNCDESK_KEYRING_PROBLEM) return `keychain CLI tests cannot run: ${process.env.SYNCDESK_KEYRING_PROBLEM}`
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return 'keychain CLI tests need a D-Bus session with gnome-keyring: run vitest through scripts/with-keyring.sh (npm test does)'
  return null
}
const problem = keyringProblem()
if (problem && process.env.CI !== 'true') console.warn(`skipping: ${problem}`)

type Keytar = Pick<typeof import('keytar'), 'getPassword' | 'setPassword' | 'deletePassword'>
async function keytar(): Promise<Keytar> {
  const mod = (await import('keytar')) as Keytar & { default?: Keytar }
  return mod.default && typeof mod.default.getPassword === 'function' ? mod.default : mod
}

/** Every file under `dir` whose bytes contain `needle` (relative paths). */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = []
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) walk(r)
      else if (e.isFile() && fs.readFileSync(path.join(dir, r)).includes(needle)) hits.push(r)
    }
  }
  if (fs.existsSync(dir)) walk('')
  return hits
}

/** A child environment with no keychain: no session bus (and a private HOME and XDG dirs to search for leaks). */
function noKeychainEnv(root: string, bus: 'unset' | 'nowhere'): NodeJS.ProcessEnv {
  const home = path.join(root, 'home')
  for (const d of ['', '.config', '.local/share', '.cache']) fs.mkdirSync(path.join(home, d), { recursive: true })
  return childEnv(
    {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      ...(bus === 'nowhere' ? { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } : {}),
    },
    bus === 'unset' ? ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY'] : ['DISPLAY', 'WAYLAND_DISPLAY'],
  )
}

/** Runs `command` under a pseudo-terminal (script(1)); types `answer` once `prompt` shows. */
function underPty(command: string, prompt: string, answer: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let screen = ''
    let typed = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no prompt in 20 s; screen so far: ${JSON.stringify(screen)}`))
    }, 20_000)
    const onData = (d: Buffer): void => {
      screen += d.toString()
      if (!typed && screen.includes(prompt)) {
        typed = true
        // Typed a moment after the prompt, as a person would (the CLI turns echo off right after it).
        setTimeout(() => child.stdin.write(`${answer}\r`), 150)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({ code, screen })
    })
  })
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

describe('server tokens in the OS keychain, through the CLI', () => {
  if (problem && process.env.CI === 'true') {
    it('has a keyring to test against (required in CI)', () => {
      throw new Error(problem)
    })
    return
  }
  if (problem) {
    it.skip(`skipped: ${problem}`, () => {})
    return
  }

  let server: ServerProcess
  let token: string
  beforeAll(async () => {
    ensureBuilt()
    const srv = tempDir('syncdesk-kc-srv-')
    token = createToken(srv, 'desk', 'read,write')
    server = await startServerProcess(srv)
  })
  afterAll(async () => {
    await stopAllServers()
    cleanupTemps()
  })

  function newProject(): { root: string; project: string; account: string } {
    const root = tempDir('syncdesk-kc-')
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    expect(runCli(['--project-dir', project, 'init']).code).toBe(0)
    return { root, project, account: `${path.resolve(project)}:staging` }
  }

  it('env add --token-stdin keeps the token in the keychain only; push and status then work without SYNCDESK_TOKEN_STAGING; env remove deletes it', async () => {
    const { project, account } = newProject()
    const env = childEnv()
    expect(env.SYNCDESK_TOKEN_STAGING).toBeUndefined()
    const add = runCli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url, '--token-stdin'], { env, input: `${token}\n` })
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout).toMatch(/token checked and kept in the OS keychain/)
    expect(add.stdout + add.stderr).not.toContain(token)

    const kt = await keytar()
    expect(await kt.getPassword(SERVICE, account)).toBe(token)
    expect(filesContaining(path.join(project, '.syncdesk'), token), 'files under .syncdesk holding the token').toEqual([])

    put(project, 'agents/a.yml', 'name: a\n')
    const push = runCli(['--project-dir', project, 'push'], { env })
    expect(push.code, push.stderr).toBe(0)
    expect(get(server.dir, 'agents/a.yml')).toBe('name: a\n')
    const status = runCli(['--project-dir', project, 'status', '--format', 'json'], { env })
    expect(status.code, status.stderr).toBe(0)
    expect((JSON.parse(status.stdout) as { in_sync: { path: string }[] }).in_sync.map((e) => e.path)).toContain('agents/a.yml')
    expect(filesContaining(path.join(project, '.syncdesk'), token)).toEqual([])

    const remove = runCli(['--project-dir', project, 'env', 'remove', 'staging'], { env })
    expect(remove.code, remove.stderr).toBe(0)
    expect(await kt.getPassword(SERVICE, account)).toBeNull()
  })

  it('a stored token is not readable without a keychain: the command says how to provide it, naming SYNCDESK_TOKEN_STAGING', async () => {
    const { root, project, account } = newProject()
    const add = runCli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url, '--token-stdin'], { input: token })
    expect(add.code, add.stderr).toBe(0)
    const r = runCli(['--project-dir', project, 'status'], { env: noKeychainEnv(root, 'unset') })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/^syncdesk: .*keychain/)
    expect(r.stderr).toContain('SYNCDESK_TOKEN_STAGING')
    expect(r.stderr).not.toMatch(/^\s+at /m)
    await (await keytar()).deletePassword(SERVICE, account)
  })

  it.each(['unset', 'nowhere'] as const)('no keychain reachable (DBUS_SESSION_BUS_ADDRESS %s): env add --token-stdin fails clearly, naming SYNCDESK_TOKEN_STAGING, and writes no plaintext', async (bus) => {
    const { root, project } = newProject()
    const env = noKeychainEnv(root, bus)
    const configBefore = fs.readFileSync(path.join(project, '.syncdesk', 'config.json'), 'utf8')
    const r = runCli(['--project-dir', project, 'env', 'add', 'staging', '--url', server.url, '--token-stdin'], { env, input: `${token}\n` })
    expect(r.code, r.stderr).toBe(1)
    const lines = r.stderr.split('\n').filter((l) => l.trim())
    expect(lines[0]).toMatch(/^syncdesk: Cannot save the token in the OS keychain/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stdout + r.stderr).not.toContain(token)
    // The environment was not added, and the token is in no file the CLI could have written.
    expect(fs.readFileSync(path.join(project, '.syncdesk', 'config.json'), 'utf8')).toBe(configBefore)
    expect(filesContaining(root, token), 'files holding the token').toEqual([])
    // The message tells a headless user the exact variable to set.
    expect(r.stderr, 'the keychain message names the variable for this environment').toContain('SYNCDESK_TOKEN_STAGING')
  })

  it('interactive env add --url asks "Token for staging (input hidden):" on a terminal, and the typed token is not shown', async () => {
    const { project, account } = newProject()
    const env = childEnv({ TERM: 'dumb' })
    const command = [process.execPath, CLI, '--project-dir', project, 'env', 'add', 'staging', '--url', server.url].map(quote).join(' ')
    const { code, screen } = await underPty(command, 'Token for staging (input hidden):', token, env)
    expect(screen).toContain('Token for staging (input hidden):')
    expect(screen, 'the typed token must not be echoed').not.toContain(token)
    expect(code, screen).toBe(0)
    expect(screen).toMatch(/Added environment staging: server .* \(token checked and kept in the OS keychain\)/)
    expect(await (await keytar()).getPassword(SERVICE, account)).toBe(token)
    expect(filesContaining(path.join(project, '.syncdesk'), token)).toEqual([])
    await (await keytar()).deletePassword(SERVICE, account)
  })
})
