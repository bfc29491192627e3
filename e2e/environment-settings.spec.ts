/**
 * Environment settings and their error states: a server added with its token, colour and
 * protection, Test connection, a refused token, an unreachable server, removal; the keychain
 * unavailable.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { AppHost } from '../src-main/host/app-host.js'
import { accountFor } from '../src-main/secrets/credential-store.js'
import { KEYCHAIN_SERVICE, KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { cli, get, put, tempDir } from '../test/helpers.js'
import { SERVER_BIN, createToken, startServerProcess } from '../test/support/server-process.js'
import { expect, expectAccessible, shoot, test } from './support/dashboard.js'

test.describe('environments', () => {
  test('environment settings: a server added with its token (then only "Token stored"), colour and protection edited, Test connection; a refused token, a new one entered; unreachable; removal names the environment and touches no file; toasts for a deploy, a run elsewhere and reachability', async ({ page, context, open }) => {
    test.setTimeout(150_000)
    const root = tempDir('syncdesk-dash-server-')
    const srvDir = path.join(root, 'production')
    fs.mkdirSync(srvDir)
    put(srvDir, 'content/pages/about.md', '# About us\n')
    const token = createToken(srvDir, 'ops', 'read,write,deploy')
    const server = await startServerProcess(srvDir, { deployCommand: 'echo deploying; true', name: 'production' })
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    expect(cli(['--project-dir', project, 'init']).code).toBe(0)
    put(project, 'content/pages/pricing.md', '# Pricing\n')
    const config = () => JSON.parse(fs.readFileSync(path.join(project, '.syncdesk', 'config.json'), 'utf8')) as { environments: Record<string, { color?: string; protected?: boolean; url?: string }> }

    const { web } = await open({ projectDir: project })
    await page.getByTestId('no-environments').waitFor()
    await page.getByRole('button', { name: 'Add an environment' }).click()
    const settings = page.getByTestId('environment-settings')
    await settings.waitFor()
    const form = settings.getByTestId('add-env')
    await form.getByLabel('Name', { exact: true }).fill('production')
    await form.getByLabel('Server address').fill(server.url)
    // A wrong token is refused by the server and said so beside the form; nothing is added.
    await form.getByLabel('Token', { exact: true }).fill('not-the-token')
    await form.getByTestId('add-submit').click()
    await expect.poll(() => form.getByTestId('form-error').textContent()).toMatch(/token/i)
    expect(config().environments.production).toBeUndefined()
    await form.getByLabel('Token', { exact: true }).fill(token)
    await form.getByRole('radio', { name: 'Purple' }).click()
    await form.getByTestId('add-submit').click()
    const card = settings.locator('[data-testid="env-card"][data-env="production"]')
    await card.waitFor()
    expect(await card.getByTestId('token-state').textContent()).toBe('Token stored')
    expect(await page.content()).not.toContain(token)
    expect(fs.readFileSync(path.join(project, '.syncdesk', 'config.json'), 'utf8')).not.toContain(token)
    expect(config().environments.production).toMatchObject({ color: '#7c3aed', url: expect.stringContaining(server.url) })
    expect(await (await new KeytarCredentialStore().get(accountFor(project, 'production')))).toBe(token)

    // Colour and protection are saved at once.
    await card.getByRole('radio', { name: 'Teal' }).click()
    await expect.poll(() => config().environments.production?.color).toBe('#0d9488')
    await card.getByTestId('protected-check').check()
    await expect.poll(() => config().environments.production?.protected).toBe(true)
    await card.getByTestId('test-connection').click()
    await expect.poll(() => card.getByTestId('test-result').textContent()).toBe('Production answers: it has 1 file.')
    await shoot(page, 'environments')
    await expectAccessible(page, 'environment settings')

    // Push with "also deploy": the deploy's end is a notification; a second tab hears the run.
    const other = await context.newPage()
    await other.goto(web.url)
    await page.getByTestId('sidebar-env').filter({ hasText: 'Production' }).click()
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    await sheet.getByLabel('Also deploy Production after the push').check()
    await sheet.getByTestId('confirm-name').fill('production')
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(srvDir, 'content/pages/pricing.md')).toBe('# Pricing\n')
    await expect.poll(() => page.getByTestId('toast').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining('Production is deployed'))
    await expect.poll(() => other.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('Push to Production finished'))
    expect(await page.getByTestId('toast').filter({ hasText: 'Push to Production finished' }).count()).toBe(0)
    await shoot(page, 'toast-deploy')
    await other.close()
    await sheet.getByTestId('summary-close').click()
    // The header tells of the deploy, and still does after the next look at the environment.
    await expect(page.getByTestId('env-meta')).toContainText(/Deployed \d\d:\d\d/)
    await page.getByRole('button', { name: 'Check now' }).click()
    await expect(page.getByTestId('env-meta')).toContainText(/checked (just now|\d+ s ago)/)
    await expect(page.getByTestId('env-meta')).toContainText(/Deployed \d\d:\d\d/)

    // The stored token is revoked on the server: the environment says the token was refused and offers a new one.
    const revoked = spawnSync(process.execPath, [SERVER_BIN, 'token', 'revoke', 'ops', '--project-dir', srvDir], { encoding: 'utf8' })
    expect(revoked.status, revoked.stderr).toBe(0)
    const fresh = createToken(srvDir, 'ops-2', 'read,write,deploy')
    await page.getByRole('button', { name: 'Check now' }).click()
    const problem = page.getByTestId('unreachable')
    await expect.poll(() => problem.getAttribute('data-code')).toBe('remote-refused')
    expect(await problem.textContent()).toContain('Production refused the token stored for it.')
    await expect.poll(() => page.getByTestId('sidebar-env').filter({ hasText: 'Production' }).getByTestId('env-badge').textContent()).toBe('Token refused')
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('Production refused the token'))
    await shoot(page, 'error-token-refused')
    await expectAccessible(page, 'token refused')
    await problem.getByTestId('enter-token').click()
    await problem.getByTestId('token-input').fill('still-wrong')
    await problem.getByRole('button', { name: 'Store token' }).click()
    await expect.poll(() => problem.getByTestId('token-error').textContent()).toMatch(/token/i)
    await problem.getByTestId('token-input').fill(fresh)
    await problem.getByRole('button', { name: 'Store token' }).click()
    await expect.poll(() => page.getByTestId('unreachable').count(), { timeout: 15_000 }).toBe(0)
    expect(await new KeytarCredentialStore().get(accountFor(project, 'production'))).toBe(fresh)
    await expect.poll(() => page.getByTestId('toast').allTextContents()).toContainEqual(expect.stringContaining('Production answers again'))

    // The server goes away: "can't be reached", with what to check and a way to try again.
    await server.stop()
    await page.getByRole('button', { name: 'Check now' }).click()
    await expect.poll(() => page.getByTestId('unreachable').getAttribute('data-code'), { timeout: 30_000 }).toBe('remote-unreachable')
    expect(await page.getByTestId('unreachable').textContent()).toContain("Production can't be reached right now.")
    expect(await page.getByTestId('unreachable').getByRole('button', { name: 'Try again' }).count()).toBe(1)
    await shoot(page, 'error-unreachable')
    await page.getByTestId('unreachable').getByRole('button', { name: 'Check its settings' }).click()

    // Removal asks first, names the environment, and leaves every file where it is.
    const before = fs.readdirSync(path.join(srvDir, 'content', 'pages')).sort()
    await card.getByTestId('remove-env').click()
    const confirm = card.getByTestId('confirm-remove')
    expect(await confirm.textContent()).toContain('Remove Production from this project?')
    expect(await confirm.textContent()).toContain('No file is touched')
    await shoot(page, 'environments-remove')
    await confirm.getByTestId('confirm-remove-button').click()
    await settings.locator('[data-testid="env-card"]').first().waitFor({ state: 'detached' })
    expect(config().environments.production).toBeUndefined()
    expect(fs.readdirSync(path.join(srvDir, 'content', 'pages')).sort()).toEqual(before)
    expect(get(project, 'content/pages/pricing.md')).toBe('# Pricing\n')
    expect(await new KeytarCredentialStore().get(accountFor(project, 'production'))).toBe(null)
  })

  test('the keychain unavailable: the environment says so with the next step and a way to try again', async ({ page, open }) => {
    test.setTimeout(90_000)
    const root = tempDir('syncdesk-dash-keychain-')
    const srvDir = path.join(root, 'staging')
    fs.mkdirSync(srvDir)
    const token = createToken(srvDir, 'ops', 'read,write')
    const server = await startServerProcess(srvDir)
    const project = path.join(root, 'project')
    fs.mkdirSync(project)
    expect(cli(['--project-dir', project, 'init']).code).toBe(0)
    // Set up with the real keychain, then open the dashboard on a keychain that cannot load.
    const setup = new AppHost({ dataDir: path.join(root, 'setup-data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test' })
    const opened = await setup.dispatch('projects:open', { dir: project })
    if (!opened.ok) throw new Error(opened.error.message)
    const added = await setup.dispatch('environments:add', { projectId: (opened.value as { id: string }).id, name: 'staging', kind: 'server', location: server.url, token })
    if (!added.ok) throw new Error(added.error.message)
    await setup.dispatch('status:summary', { projectId: (opened.value as { id: string }).id, env: 'staging', refresh: true })
    await setup.dispose()
    const broken = new KeytarCredentialStore(KEYCHAIN_SERVICE, () => Promise.reject(new Error('libsecret-1.so.0: cannot open shared object file')))

    await open({ projectDir: project, credentials: broken })
    const problem = page.getByTestId('unreachable')
    await expect.poll(() => problem.getAttribute('data-code'), { timeout: 15_000 }).toBe('keychain')
    const text = (await problem.textContent()) ?? ''
    expect(text).toContain("SyncDesk can't read Staging's token: the system keychain did not answer.")
    expect(text).toContain('Unlock the keychain, then try again.')
    expect(await problem.getByRole('button', { name: 'Try again' }).count()).toBe(1)
    await shoot(page, 'error-keychain')
    await expectAccessible(page, 'keychain unavailable')
    expect(await page.getByTestId('sidebar-env').getByTestId('env-badge').textContent()).toBe('No keychain')
    // The list says why it is empty rather than loading for ever.
    await page.getByTestId('list-unknown').waitFor()
    await server.stop()
  })
})
