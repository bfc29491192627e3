/**
 * Activity: the history of runs in words, and Undo with a preview of what it puts back.
 */
import fs from 'node:fs'
import path from 'node:path'
import { cliProject, del, exists, get, put, tempDir } from '../test/helpers.js'
import { expect, expectAccessible, shoot, tabThrough, test, tileCount } from './support/dashboard.js'

test.describe('activity', () => {
  test('activity: the history in words; Undo this pull previews what it puts back, removes and leaves (and why), then the files on disk are back', async ({ page, open }) => {
    test.setTimeout(120_000)
    const root = tempDir('syncdesk-dash-undo-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    put(envDir, 'content/blog/welcome.md', '# Welcome\n')
    put(envDir, 'content/blog/pricing.md', '# Pricing: 10 a month\n')
    put(envDir, 'content/blog/team.md', '# Our team\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    // Staging edits one page, deletes one and adds one; the pull brings all three here.
    put(envDir, 'content/blog/pricing.md', '# Pricing: 12 a month\n')
    del(envDir, 'content/blog/team.md')
    put(envDir, 'content/blog/careers.md', '# Careers\n')
    put(envDir, 'content/blog/welcome.md', '# Welcome, again\n')

    await open({ projectDir: project })
    await expect.poll(() => tileCount(page, 'remote_to_local').textContent()).toBe('4')
    await page.getByTestId('pull-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    await sheet.getByTestId('summary-close').click()
    expect(get(project, 'content/blog/pricing.md')).toBe('# Pricing: 12 a month\n')
    expect(exists(project, 'content/blog/team.md')).toBe(false)
    // Edited here after the pull: the undo must leave it alone and say why.
    put(project, 'content/blog/welcome.md', '# Welcome, edited here\n')

    await page.getByTestId('nav-activity').click()
    const activity = page.getByTestId('activity')
    const entry = activity.getByTestId('activity-entry').first()
    await entry.waitFor()
    expect(await entry.textContent()).toContain('Pulled from Staging')
    expect(await entry.textContent()).toContain('4 changes')
    expect(await entry.textContent()).toContain('Done')
    await shoot(page, 'activity')
    await expectAccessible(page, 'activity')
    await entry.getByTestId('undo-button').click()
    const undo = page.getByTestId('undo-sheet')
    await undo.getByTestId('undo-preview').getByTestId('undo-restore').waitFor()
    expect(await undo.getByRole('heading', { level: 2 }).textContent()).toBe('Undo this pull')
    const restore = (await undo.getByTestId('undo-restore').textContent()) ?? ''
    expect(restore).toContain('content/blog/pricing.md')
    expect(restore).toContain('content/blog/team.md')
    expect(await undo.getByTestId('undo-remove').textContent()).toContain('content/blog/careers.md')
    expect(await undo.getByTestId('undo-left').textContent()).toContain('content/blog/welcome.md — it changed after that run')
    // Nothing changed yet.
    expect(get(project, 'content/blog/pricing.md')).toBe('# Pricing: 12 a month\n')
    await shoot(page, 'undo-preview')
    await expectAccessible(page, 'undo preview')
    expect(await undo.getByTestId('undo-confirm').textContent()).toBe('Put back 3 items')
    await undo.getByTestId('undo-confirm').click()
    await undo.getByTestId('undo-done').waitFor()
    expect(await undo.getByTestId('undo-done').textContent()).toContain('Done. 2 items put back, 1 item removed.')
    expect(get(project, 'content/blog/pricing.md')).toBe('# Pricing: 10 a month\n')
    expect(get(project, 'content/blog/team.md')).toBe('# Our team\n')
    expect(exists(project, 'content/blog/careers.md')).toBe(false)
    expect(get(project, 'content/blog/welcome.md')).toBe('# Welcome, edited here\n')
    await undo.getByTestId('undo-close').click()
    await expect.poll(() => activity.getByTestId('activity-entry').first().textContent()).toContain('Undid an earlier run')
    await shoot(page, 'activity-after-undo')

    // Keyboard: every control on the activity and environment screens shows its focus.
    await tabThrough(page, 16)
    await page.getByTestId('nav-environments').click()
    await page.getByTestId('environment-settings').waitFor()
    const reached = await tabThrough(page, 40)
    expect(reached).toEqual(expect.arrayContaining(['button:Test connection', 'button:Remove…', 'input:Name', 'input:Protected']))
  })
})
