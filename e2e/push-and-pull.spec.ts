/**
 * Push and Pull through the preview sheet: the counts on the badge and tiles, the protected
 * environment's typed name, the mass-delete guard, and files on disk afterwards; a file saved
 * while the dashboard is open shows up without a reload.
 */
import fs from 'node:fs'
import path from 'node:path'
import { cliProject, del, get, put, tempDir } from '../test/helpers.js'
import { expect, expectAccessible, shoot, test, tileCount } from './support/dashboard.js'

test.describe('pushing and pulling', () => {
  test('shows an environment with its badge and counts; Push through the preview (protected: the name typed first) and Pull change the files on disk', async ({ page, open }) => {
    test.setTimeout(120_000)
    const root = tempDir('syncdesk-dash-push-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    put(envDir, 'content/blog/from-the-cloud.md', '# Written in the cloud\n')
    const { project } = cliProject(root, ['--folder', envDir, '--protected', '--color', '#7c3aed'])
    put(project, 'services/agents/support-agent.yml', 'name: support-agent\nmodel: standard\n')
    put(project, 'services/web/theme.yaml', 'primary: "#2b6cb0"\n')

    await open({ projectDir: project })
    // The token left the address bar as soon as the page took it.
    await expect.poll(() => new URL(page.url()).search).toBe('')
    const env = page.getByTestId('sidebar-env').filter({ hasText: 'Staging' })
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('3 pending')
    await expect.poll(() => tileCount(page, 'local_to_remote').textContent()).toBe('2')
    expect(await tileCount(page, 'remote_to_local').textContent()).toBe('1')
    expect(await tileCount(page, 'conflicts').textContent()).toBe('0')
    await expect.poll(() => page.getByTestId('pending-row').count()).toBe(3)
    expect(await page.getByTestId('pending-row').first().textContent()).toContain('Staging')
    await expect.poll(() => page.getByTestId('env-meta').textContent()).toMatch(/Never synced.*checked/)
    await shoot(page, 'dashboard-first-look')
    await expectAccessible(page, 'dashboard')

    // Push: the preview lists what goes to Staging; the protected name must be typed.
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    expect(await sheet.getByTestId('plan-send').getByTestId('plan-count').textContent()).toBe('2')
    expect(await sheet.getByTestId('plan-send').textContent()).toContain('support-agent.yml')
    const apply = sheet.getByTestId('apply-button')
    expect(await apply.textContent()).toBe('Push 2 changes to Staging')
    expect(await apply.isDisabled()).toBe(true)
    await sheet.getByTestId('confirm-name').fill('Staging')
    expect(await apply.isDisabled()).toBe(true)
    await sheet.getByTestId('confirm-name').fill('staging')
    expect(await apply.isEnabled()).toBe(true)
    await shoot(page, 'preview-push-protected')
    await expectAccessible(page, 'push preview')
    await apply.click()
    await sheet.getByTestId('summary').waitFor()
    expect(await sheet.getByTestId('summary-lines').textContent()).toContain('Sent 2 changes to Staging')
    expect(get(envDir, 'services/agents/support-agent.yml')).toBe('name: support-agent\nmodel: standard\n')
    expect(get(envDir, 'services/web/theme.yaml')).toBe('primary: "#2b6cb0"\n')
    await shoot(page, 'summary-push')
    await sheet.getByTestId('summary-close').click()

    // The tiles follow the host's new status.
    await expect.poll(() => tileCount(page, 'local_to_remote').textContent()).toBe('0')
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('1 pending')

    // Pull brings the cloud's post; a pull changes nothing in Staging, so no name is asked.
    await page.getByTestId('pull-button').click()
    await sheet.getByTestId('preview').waitFor()
    expect(await sheet.getByTestId('plan-bring').textContent()).toContain('from-the-cloud.md')
    expect(await sheet.getByTestId('confirm-name').count()).toBe(0)
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(project, 'content/blog/from-the-cloud.md')).toBe('# Written in the cloud\n')
    await sheet.getByTestId('summary-close').click()
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('Up to date')
    await expect.poll(() => page.getByTestId('list-empty').textContent()).toContain('Everything is up to date with Staging')
    await expect.poll(() => page.getByTestId('env-meta').textContent()).toMatch(/Last synced \d\d:\d\d/)
    await shoot(page, 'dashboard-up-to-date')

    // A file saved while the dashboard is open shows up without a reload.
    // Within a second as the issue asks, with half a second's margin for a busy test machine.
    put(project, 'services/skills/refunds/index.md', '# Refunds\n')
    await expect(tileCount(page, 'local_to_remote')).toHaveText('1', { timeout: 1_500 })
    await page.locator('[data-testid="pending-row"][data-label="services/skills/refunds/index.md"]').waitFor({ timeout: 5_000 })
  })

  test('a push stopped by the mass-delete guard: it says how many and why, and runs only once the operator says so', async ({ page, open }) => {
    test.setTimeout(90_000)
    const root = tempDir('syncdesk-dash-guard-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    for (let i = 0; i < 20; i++) put(envDir, `content/pages/page-${i}.md`, `# Page ${i}\n`)
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    for (let i = 0; i < 15; i++) del(project, `content/pages/page-${i}.md`)

    await open({ projectDir: project })
    await expect.poll(() => tileCount(page, 'local_to_remote').textContent()).toBe('15')
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    const guard = sheet.getByTestId('guard')
    expect(await guard.textContent()).toContain('This would delete 15 items in staging')
    expect(await guard.textContent()).toContain('That is more than usual, so SyncDesk stopped.')
    expect(await sheet.getByTestId('apply-button').isDisabled()).toBe(true)
    await shoot(page, 'preview-guard')
    await expectAccessible(page, 'mass-delete guard')
    await sheet.getByRole('button', { name: 'Cancel' }).click()
    expect(fs.readdirSync(path.join(envDir, 'content', 'pages')).length).toBe(20)

    await page.getByTestId('push-button').click()
    await sheet.getByTestId('guard').waitFor()
    await sheet.getByLabel('Delete them anyway').check()
    expect(await sheet.getByTestId('apply-button').textContent()).toBe('Push 15 changes to Staging')
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(await sheet.getByTestId('summary-lines').textContent()).toContain('Deleted 15 items in Staging')
    expect(fs.readdirSync(path.join(envDir, 'content', 'pages')).length).toBe(5)
  })
})
