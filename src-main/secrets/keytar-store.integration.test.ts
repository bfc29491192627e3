/**
 * The keychain store against real keytar and a real gnome-keyring (DESIGN.md, testing with
 * real parts). `scripts/with-keyring.sh` (which `npm test` goes through) provides a private
 * D-Bus session with a fresh, unlocked keyring and says so in SYNCDESK_KEYRING (or why not, in
 * SYNCDESK_KEYRING_PROBLEM). The failure cases run keytar in child processes, because GLib
 * keeps its bus connection per process.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accountFor, resolveToken, tokenVariableName } from './credential-store.js'
import { KeytarCredentialStore } from './keytar-store.js'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '../..')

/** Whether the in-process keychain tests can run here, and why not. */
function keyringState(): { ready: true } | { ready: false; reason: string } {
  if (process.env.SYNCDESK_KEYRING === 'ready') return { ready: true }
  const problem = process.env.SYNCDESK_KEYRING_PROBLEM
  if (problem) return { ready: false, reason: `keychain tests cannot run: ${problem}` }
  return { ready: false, reason: 'keychain tests need a private keyring: run them through scripts/with-keyring.sh (npm test does)' }
}

const keyring = keyringState()
if (!keyring.ready && process.env.CI !== 'true') console.warn(`skipping: ${keyring.reason}`)

describe('KeytarCredentialStore with a real gnome-keyring', () => {
  if (!keyring.ready && process.env.CI === 'true') {
    it('has a keyring to test against (required in CI)', () => {
      throw new Error(keyring.reason)
    })
    return
  }
  const store = new KeytarCredentialStore()
  let projectDir: string

  beforeAll(async () => {
    projectDir = await mkdtemp(path.join(os.tmpdir(), 'syncdesk-secrets-'))
  })
  afterAll(async () => {
    await rm(projectDir, { recursive: true, force: true })
  })

  it.skipIf(!keyring.ready)('stores, reads, replaces and deletes a token', async () => {
    const account = accountFor(projectDir, `env-${randomUUID()}`)
    await store.set(account, 'first-token')
    expect(await store.get(account)).toBe('first-token')
    await store.set(account, 'second-token')
    expect(await store.get(account)).toBe('second-token')
    expect(await store.delete(account)).toBe(true)
    expect(await store.get(account)).toBeNull()
    expect(await store.delete(account)).toBe(false)
  })

  it.skipIf(!keyring.ready)('answers null for a token that was never stored', async () => {
    expect(await store.get(accountFor(projectDir, `never-${randomUUID()}`))).toBeNull()
  })

  it.skipIf(!keyring.ready)('keeps tokens apart per project and environment', async () => {
    const env = `env-${randomUUID()}`
    const other = await mkdtemp(path.join(os.tmpdir(), 'syncdesk-secrets-other-'))
    try {
      await store.set(accountFor(projectDir, env), 'token-a')
      await store.set(accountFor(other, env), 'token-b')
      expect(await store.get(accountFor(projectDir, env))).toBe('token-a')
      expect(await store.get(accountFor(other, env))).toBe('token-b')
      expect(await store.get(accountFor(projectDir, `${env}-x`))).toBeNull()
    } finally {
      await store.delete(accountFor(projectDir, env))
      await store.delete(accountFor(other, env))
      await rm(other, { recursive: true, force: true })
    }
  })

  it.skipIf(!keyring.ready)('resolveToken prefers the environment variable, then the keychain', async () => {
    const env = `env-${randomUUID()}`
    await store.set(accountFor(projectDir, env), 'from-keychain')
    try {
      expect(await resolveToken(store, projectDir, env, {})).toBe('from-keychain')
      expect(await resolveToken(store, projectDir, env, { [tokenVariableName(env)]: 'from-env' })).toBe('from-env')
    } finally {
      await store.delete(accountFor(projectDir, env))
    }
  })

  it.skipIf(!keyring.ready)('resolveToken names both ways to provide a token when neither has one', async () => {
    const env = `env-${randomUUID()}`
    const failure = await resolveToken(store, projectDir, env, {}).catch((err: unknown) => err)
    expect(failure).toMatchObject({ name: 'SyncDeskError', code: 'keychain' })
    const { message, hint } = failure as { message: string; hint: string }
    expect(message).toContain(tokenVariableName(env))
    expect(message).toContain('keychain')
    expect(hint).toContain(tokenVariableName(env))
  })
})

describe('KeytarCredentialStore without a usable keychain', () => {
  let work: string
  let probe: string
  const secret = `probe-secret-${randomUUID()}`

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'syncdesk-nokeychain-'))
    // Inside the repository, so that keytar resolves from its node_modules as in a real build.
    probe = path.join(repoRoot, 'node_modules', '.cache', 'syncdesk-tests', `keychain-probe-${randomUUID()}.cjs`)
    // The probe tries every operation and prints what came back: values or error fields.
    await build({
      stdin: {
        contents: `
          import { KeytarCredentialStore } from ${JSON.stringify(path.join(here, 'keytar-store.ts'))}
          const store = new KeytarCredentialStore()
          const [account, secret] = process.argv.slice(2)
          async function attempt(op) {
            try { return { value: await op() } }
            catch (e) { return { error: { name: e.name, code: e.code, message: e.message, hint: e.hint } } }
          }
          ;(async () => {
            const results = {
              set: await attempt(() => store.set(account, secret)),
              get: await attempt(() => store.get(account)),
              delete: await attempt(() => store.delete(account)),
            }
            console.log(JSON.stringify(results))
          })()
        `,
        resolveDir: here,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['keytar'],
      outfile: probe,
      logLevel: 'silent',
    })
  })
  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
    await rm(probe, { force: true })
  })

  /** Runs `command` with a bare home (no bus, no display) and returns the probe's results. */
  async function probeWith(setBus: (env: NodeJS.ProcessEnv, home: string) => void, command: string[] = []) {
    const home = await mkdtemp(path.join(work, 'home-'))
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_RUNTIME_DIR: home,
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
    }
    setBus(env, home)
    const [file, ...args] = [...command, process.execPath, probe, 'project:staging', secret]
    const { stdout, stderr } = await run(file!, args, { env, cwd: home, timeout: 30_000 })
    const leftovers = await readdir(home, { recursive: true })
    return { results: JSON.parse(stdout.trim().split('\n').pop()!), output: stdout + stderr, leftovers }
  }

  function expectKeychainError(result: unknown, pattern: RegExp) {
    expect(result).toMatchObject({ error: { name: 'SyncDeskError', code: 'keychain' } })
    const { message, hint } = (result as { error: { message: string; hint: string } }).error
    expect(message).toMatch(pattern)
    expect(message).not.toContain('\n')
    expect(hint).toContain('SYNCDESK_TOKEN_')
  }

  it('gives a clear keychain error when no D-Bus session bus is set', async () => {
    const { results, output, leftovers } = await probeWith(() => {})
    for (const op of ['set', 'get', 'delete']) expectKeychainError(results[op], /no D-Bus session bus/)
    expect(results.set.error.hint).toMatch(/desktop session/)
    expect(output).not.toContain(secret)
    expect(leftovers).toEqual([]) // nothing written anywhere: no plaintext fallback
  })

  it('gives a clear keychain error when the session bus address points nowhere', async () => {
    const { results, output, leftovers } = await probeWith((env, home) => {
      env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${path.join(home, 'no-such-bus')}`
    })
    for (const op of ['set', 'get', 'delete']) expectKeychainError(results[op], /no D-Bus session bus/)
    expect(output).not.toContain(secret)
    expect(leftovers).toEqual([])
  })

  it.skipIf(!keyring.ready)('gives a clear keychain error when no Secret Service runs on the bus', async () => {
    const config = path.join(work, 'bare-bus.conf')
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
      <busconfig><type>session</type><listen>unix:tmpdir=${work}</listen>
        <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
          <allow own="*"/></policy></busconfig>`,
    )
    const { results, output } = await probeWith(() => {}, ['dbus-run-session', `--config-file=${config}`, '--'])
    for (const op of ['set', 'get', 'delete']) expectKeychainError(results[op], /no Secret Service/)
    expect(output).not.toContain(secret)
  })

  it.skipIf(!keyring.ready)('gives a clear keychain error when saving to a locked keyring', async () => {
    // A keyring created with one password and then opened with another stays locked.
    const keyrings = path.join(work, 'locked-data')
    const startDaemon = (password: string) => [
      'dbus-run-session', '--', 'sh', '-c',
      `printf %s "${password}" | XDG_DATA_HOME="${keyrings}" gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"`,
      'sh',
    ]
    const created = await probeWith(() => {}, startDaemon('right'))
    expect(created.results.set).toEqual({ value: undefined })
    const locked = await probeWith(() => {}, startDaemon('wrong'))
    expectKeychainError(locked.results.set, /locked/)
    expect(locked.results.set.error.hint).toMatch(/Unlock your keyring/)
    // keytar cannot tell a locked keyring from an empty one when reading (atom/node-keytar#422).
    expect(locked.results.get).toEqual({ value: null })
    expect(locked.output).not.toContain(secret)
  })

  it('gives a clear keychain error when keytar cannot be loaded', async () => {
    const broken = new KeytarCredentialStore('SyncDesk', async () => {
      throw new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory')
    })
    const failure = await broken.get('project:staging').catch((err: unknown) => err)
    expect(failure).toMatchObject({ name: 'SyncDeskError', code: 'keychain' })
    expect((failure as Error).message).toMatch(/Cannot load the OS keychain library \(keytar\): libsecret-1\.so\.0/)
    expect((failure as { hint: string }).hint).toContain('SYNCDESK_TOKEN_')
  })
})
