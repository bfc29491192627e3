/**
 * Checks before a push, in the preview sheet: a broken YAML file and a pasted secret are named
 * with their line and column (the secret never shown); a protected environment keeps them
 * back unless the operator ticks "Send anyway" for a file; an unprotected one warns and sends.
 */
import fs from 'node:fs'
import path from 'node:path'
import { cliProject, exists, get, put, tempDir } from '../test/helpers.js'
import { expect, expectAccessible, shoot, test } from './support/dashboard.js'

// A made-up key of the shape secretlint's AWS rule knows (never a real one).
const KEY = 'Hr7zS9kPq2mT4vXw8yB1nC6dF3gJ5hL0aE2rU7iO'

test.describe('checks before a push', () => {
  test('a protected environment keeps back files with problems until one is ticked; the preview names line and column and never the secret', async ({ page, open }) => {
    const root = tempDir('syncdesk-dash-checks-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const { project } = cliProject(root, ['--folder', envDir, '--protected'])
    put(project, 'services/agents/planner.yml', 'name: planner\n  model: large\n')
    put(project, 'services/skills/search.yml', `engine: web\naws_secret_access_key: ${KEY}\n`)
    put(project, 'content/pages/about.md', '# About us\n')

    await open({ projectDir: project })
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    const checks = sheet.getByTestId('checks')
    await checks.waitFor()
    await expect(checks).toContainText('2 problems found in 2 files to send to Staging.')
    await expect(checks).toContainText('Staging is protected, so a file with problems is not sent unless you tick it.')
    const item = (name: string) => checks.getByTestId('check-item').filter({ hasText: name })
    await expect(item('planner.yml')).toContainText(/Line 2, column \d+: Not valid YAML/)
    await expect(item('search.yml')).toContainText(/Line 2, column 1: Looks like a secret/)
    expect(await page.content()).not.toContain(KEY.slice(0, 12))
    await shoot(page, 'preview-checks-protected')
    await expectAccessible(page, 'push preview with problems')

    // Only the planner is ticked: it goes, the secret stays here.
    await item('planner.yml').getByTestId('allow-problem').check()
    await sheet.getByTestId('confirm-name').fill('staging')
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(envDir, 'services/agents/planner.yml')).toBe('name: planner\n  model: large\n')
    expect(get(envDir, 'content/pages/about.md')).toBe('# About us\n')
    expect(exists(envDir, 'services/skills/search.yml')).toBe(false)
    await expect(sheet.getByTestId('summary')).toContainText('search.yml')
    expect(await page.content()).not.toContain(KEY.slice(0, 12))
    await shoot(page, 'summary-checks-held-back')
  })

  test('an unprotected environment warns and sends', async ({ page, open }) => {
    const root = tempDir('syncdesk-dash-checks-open-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const { project } = cliProject(root, ['--folder', envDir])
    // JSON is not synced by default: this project asks for it.
    const configFile = path.join(project, '.syncdesk', 'config.json')
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), extensions: ['.json'] }, null, 2))
    put(project, 'config/tools.json', '{ "tools": ["search", "mail",] }\n')

    await open({ projectDir: project })
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    const checks = sheet.getByTestId('checks')
    await checks.waitFor()
    await expect(checks).toContainText('Staging is not protected, so these files will be sent all the same.')
    await expect(checks.getByTestId('check-item')).toContainText(/Line 1, column \d+: Not valid JSON/)
    expect(await checks.getByTestId('allow-problem').count()).toBe(0)
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(envDir, 'config/tools.json')).toBe('{ "tools": ["search", "mail",] }\n')
  })
})
