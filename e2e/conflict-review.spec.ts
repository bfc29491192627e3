/**
 * The conflict review: a side-by-side diff naming both sides, a plain line for a binary file,
 * undo of a choice, bulk choices, the three-way merge shown and written to both sides.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Locator } from '@playwright/test'
import { cliProject, exists, get, put, tempDir } from '../test/helpers.js'
import { expect, expectAccessible, shoot, test } from './support/dashboard.js'

test.describe('the conflict review', () => {
  test('conflict review: a side-by-side diff naming both sides, a plain line for a binary file, undo, bulk choices for the selection or all, applied through one Sync run', async ({ page, open }) => {
    test.setTimeout(120_000)
    const root = tempDir('syncdesk-dash-conflict-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const base = 'name: support-agent\nmodel: standard\ninstructions: Answer politely.\nskills:\n  - refunds\n'
    put(envDir, 'services/agents/support-agent.yml', base)
    put(envDir, 'services/skills/refunds.yml', 'max_amount: 200\n')
    put(envDir, 'assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]))
    const { project, p } = cliProject(root, ['--folder', envDir])
    // Pictures are not synced by default: this project asks for them.
    const configFile = path.join(project, '.syncdesk', 'config.json')
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), extensions: ['.png'] }, null, 2))
    expect(p('sync', '--yes').code).toBe(0)
    expect(exists(project, 'assets/logo.png')).toBe(true)
    put(project, 'services/agents/support-agent.yml', base.replace('Answer politely.', 'Answer politely and briefly.'))
    put(envDir, 'services/agents/support-agent.yml', base.replace('Answer politely.', 'Answer politely, in the customer’s language.'))
    // Of other sizes, so that neither side's scan can take them for the synced ones.
    put(project, 'assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 2, 2]))
    put(envDir, 'assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 3, 3, 3]))

    await open({ projectDir: project })
    const env = page.getByTestId('sidebar-env').filter({ hasText: 'Staging' })
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('2 conflicts')
    await page.getByRole('button', { name: 'Review 2 conflicts' }).click()
    const review = page.getByTestId('conflict-review')
    const row = (label: string) => review.locator(`[data-testid="conflict-row"][data-label="${label}"]`)
    await row('services/agents/support-agent.yml').waitFor()
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('0 of 2 decided · 2 left')
    expect(await review.getByTestId('review-sync').isDisabled()).toBe(true)

    // The text file: both versions side by side, each side named, the changed lines marked.
    const agent = row('services/agents/support-agent.yml')
    const expand = async (r: Locator) => {
      if ((await r.getByTestId('conflict-toggle').getAttribute('aria-expanded')) !== 'true') await r.getByTestId('conflict-toggle').click()
    }
    await expand(agent)
    const diff = agent.getByTestId('file-diff')
    await diff.locator('.cm-mergeView').waitFor()
    expect(await diff.getByTestId('diff-head-local').textContent()).toBe('On this computer')
    expect(await diff.getByTestId('diff-head-remote').textContent()).toBe('In Staging')
    const mine = diff.getByRole('textbox', { name: 'Your version of services/agents/support-agent.yml, on this computer' })
    const theirs = diff.getByRole('textbox', { name: "Staging's version of services/agents/support-agent.yml" })
    expect(await mine.textContent()).toContain('Answer politely and briefly.')
    expect(await theirs.textContent()).toContain('Answer politely, in the customer’s language.')
    expect(await mine.getAttribute('contenteditable')).toBe('false')
    expect(await diff.locator('.cm-changedLine').count()).toBeGreaterThan(0)
    expect(await diff.locator('.cm-changedLine').first().textContent()).toContain('instructions')

    // The binary file: a plain line, no diff.
    const logo = row('assets/logo.png')
    await expand(logo)
    expect(await logo.getByTestId('binary-note').textContent()).toContain("can't be shown side by side")
    expect(await logo.getByTestId('file-diff').count()).toBe(0)
    await shoot(page, 'conflict-review-diff')
    await expectAccessible(page, 'conflict review with a diff')

    // A choice, and its undo.
    await agent.getByRole('radio', { name: 'Keep mine' }).click()
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('1 of 2 decided · 1 left')
    await review.getByTestId('undo-choice').click()
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('0 of 2 decided · 2 left')
    expect(await agent.getByRole('radio', { name: 'Keep mine' }).getAttribute('aria-checked')).toBe('false')

    // A bulk choice for the selection only, then for all; each can be undone.
    await logo.getByTestId('conflict-pick').check()
    const bulk = review.getByTestId('review-bulk')
    await bulk.getByRole('button', { name: "Keep Staging's for 1 selected" }).click()
    expect(await logo.getByRole('radio', { name: "Keep Staging's" }).getAttribute('aria-checked')).toBe('true')
    expect(await agent.getByRole('radio', { name: "Keep Staging's" }).getAttribute('aria-checked')).toBe('false')
    await bulk.getByRole('button', { name: 'Keep mine for all' }).click()
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('2 of 2 decided · all decided')
    await review.getByTestId('undo-choice').click()
    expect(await logo.getByRole('radio', { name: "Keep Staging's" }).getAttribute('aria-checked')).toBe('true')
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('1 of 2 decided · 1 left')
    await agent.getByRole('radio', { name: 'Keep mine' }).click()
    await shoot(page, 'conflict-review-decided')
    await review.getByTestId('review-sync').click()

    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    expect(await sheet.getByTestId('plan-keep-mine').textContent()).toContain('support-agent.yml')
    expect(await sheet.getByTestId('plan-keep-theirs').textContent()).toContain('logo.png')
    await shoot(page, 'preview-sync-decisions')
    const apply = sheet.getByTestId('apply-button')
    expect(await apply.textContent()).toBe('Sync 2 changes with Staging')
    await apply.click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(envDir, 'services/agents/support-agent.yml')).toContain('Answer politely and briefly.')
    expect(get(project, 'services/agents/support-agent.yml')).toContain('Answer politely and briefly.')
    expect([...fs.readFileSync(path.join(project, 'assets', 'logo.png'))]).toEqual([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 3, 3, 3])
    await sheet.getByTestId('summary-close').click()
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('Up to date')
    await review.getByTestId('no-conflicts').waitFor()
  })

  test('a text conflict whose sides changed different lines: the merge is shown, Combine both writes it to both sides', async ({ page, open }) => {
    test.setTimeout(120_000)
    const root = tempDir('syncdesk-dash-merge-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const base = 'name: support-agent\nmodel: standard\ninstructions: Answer politely.\nskills:\n  - refunds\nlanguage: en\n'
    put(envDir, 'services/agents/support-agent.yml', base)
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    put(project, 'services/agents/support-agent.yml', base.replace('model: standard', 'model: large'))
    put(envDir, 'services/agents/support-agent.yml', base.replace('language: en', 'language: de'))
    const merged = base.replace('model: standard', 'model: large').replace('language: en', 'language: de')

    await open({ projectDir: project })
    const env = page.getByTestId('sidebar-env').filter({ hasText: 'Staging' })
    await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('1 conflict')
    await page.getByRole('button', { name: 'Review 1 conflict' }).click()
    const review = page.getByTestId('conflict-review')
    const row = review.locator('[data-testid="conflict-row"][data-label="services/agents/support-agent.yml"]')
    await row.waitFor()
    if ((await row.getByTestId('conflict-toggle').getAttribute('aria-expanded')) !== 'true') await row.getByTestId('conflict-toggle').click()
    const shown = row.getByTestId('file-merged')
    await shown.waitFor()
    expect(await shown.locator('pre').textContent()).toBe(merged)
    // The version at the last sync is one choice away: what each side changed since.
    const diff = row.getByTestId('file-diff')
    const compare = diff.getByRole('radiogroup', { name: 'Which versions of services/agents/support-agent.yml to compare' })
    await compare.getByRole('radio', { name: 'What you changed' }).click()
    expect(await diff.getByTestId('diff-head-base').textContent()).toBe('At the last sync')
    expect(await diff.getByTestId('diff-head-local').textContent()).toBe('On this computer')
    const atSync = diff.getByRole('textbox', { name: 'services/agents/support-agent.yml as it was at the last sync' })
    expect(await atSync.textContent()).toContain('model: standard')
    expect(await atSync.textContent()).toContain('language: en')
    expect(await diff.locator('.cm-changedLine').first().textContent()).toContain('model')
    // The arrow key moves to the next comparison: what Staging changed.
    await page.keyboard.press('ArrowRight')
    expect(await compare.getByRole('radio', { name: 'What Staging changed' }).getAttribute('aria-checked')).toBe('true')
    expect(await diff.getByTestId('diff-head-remote').textContent()).toBe('In Staging')
    await expect.poll(() => diff.locator('.cm-changedLine').first().textContent()).toContain('language')
    await shoot(page, 'conflict-review-base')
    await compare.getByRole('radio', { name: "Yours and Staging's" }).click()
    await shoot(page, 'conflict-review-file-merge')
    await expectAccessible(page, 'conflict review with a file merge')
    // The proposed merge can be edited before it is approved; editing it chooses Combine both.
    await shown.getByTestId('merge-edit').click()
    const editor = shown.getByRole('textbox', { name: 'services/agents/support-agent.yml combined, as you edit it' })
    await expect(editor).toBeFocused()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('owner: ops\n')
    const edited = `${merged}owner: ops\n`
    await expect(row.getByRole('radio', { name: 'Combine both' })).toHaveAttribute('aria-checked', 'true')
    await expect(shown).toHaveAttribute('data-edited', 'true')
    await shoot(page, 'conflict-review-merge-edit')
    await expectAccessible(page, 'conflict review, editing the merge')
    await shown.getByTestId('merge-edit-done').click()
    expect(await shown.locator('pre').textContent()).toBe(edited)
    // Nothing is written before the run.
    expect(get(project, 'services/agents/support-agent.yml')).toBe(base.replace('model: standard', 'model: large'))
    await review.getByTestId('review-sync').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(get(project, 'services/agents/support-agent.yml')).toBe(edited)
    expect(get(envDir, 'services/agents/support-agent.yml')).toBe(edited)
  })
})
