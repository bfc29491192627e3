/**
 * The first run: the welcome screen, a folder that is no project, and the demo with every
 * category filled, records included, whose conflicts settle (a file, a record, field by field).
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Locator } from '@playwright/test'
import { get, tempDir } from '../test/helpers.js'
import { expect, expectAccessible, shoot, tabThrough, test, tileCount } from './support/dashboard.js'

test.describe('the first run and the demo', () => {
  test('opens on the welcome screen; a folder that is no project is a clear banner; Try the demo lands on a dashboard with every category filled, and its conflicts settle (a file, a record, a field-level merge)', async ({ page, open }) => {
    test.setTimeout(120_000)
    const root = tempDir('syncdesk-dash-demo-')
    const notAProject = path.join(root, 'just-a-folder')
    fs.mkdirSync(notAProject)
    await open({ demoDir: path.join(root, 'demo') })
    await page.getByTestId('welcome').waitFor()
    await shoot(page, 'welcome')
    await expectAccessible(page, 'welcome')

    await page.getByLabel('Project folder').fill(notAProject)
    await page.getByRole('button', { name: 'Open project' }).click()
    const banner = page.getByTestId('error-banner')
    await banner.waitFor()
    const text = (await banner.textContent()) ?? ''
    expect(text.length).toBeGreaterThan(10)
    expect(text).not.toMatch(/\bat .+:\d+:\d+|Error:|\n\s+at /)
    await shoot(page, 'welcome-error')
    await banner.getByRole('button', { name: 'Dismiss this message' }).click()
    expect(await page.getByTestId('error-banner').count()).toBe(0)

    await page.getByRole('button', { name: 'Try the demo' }).click()
    await page.getByTestId('dashboard').waitFor()
    for (const c of ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync']) {
      await expect.poll(async () => Number(await tileCount(page, c).textContent()), { message: c }).toBeGreaterThan(0)
    }
    expect(await page.getByTestId('env-title').textContent()).toBe('Staging')
    await expect.poll(() => page.getByTestId('group-header').count()).toBe(3)
    await shoot(page, 'dashboard-demo')
    await expectAccessible(page, 'demo dashboard')
    // Keyboard: Tab reaches the sidebar, the header's buttons, the tiles and the list, each with a visible ring.
    const reached = await tabThrough(page, 24)
    expect(reached).toEqual(expect.arrayContaining(['button:Activity', 'button:Environments', expect.stringMatching(/^button:Pull/), expect.stringMatching(/^button:Cloud has newer/)]))

    // Records are in the list as well as files.
    await page.getByRole('radio', { name: 'Records' }).click()
    await expect.poll(async () => Number(await page.getByTestId('list-total').getAttribute('data-total'))).toBeGreaterThan(0)
    expect(await page.getByTestId('pending-row').first().textContent()).toContain('›')
    await page.getByRole('radio', { name: 'All' }).click()

    // A tile filters the list (the host does the filtering).
    await page.getByTestId('tile-in_sync').click()
    await expect.poll(() => page.getByTestId('group-header').allTextContents()).toEqual([expect.stringContaining('In sync')])
    await page.getByTestId('tile-in_sync').click()
    await expect.poll(() => page.getByTestId('group-header').count()).toBe(3)

    // Sync on the demo leaves its conflict alone and says so.
    await page.getByTestId('sync-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    const conflicts = await tileCount(page, 'conflicts').textContent()
    expect(await sheet.getByTestId('plan-left').getByTestId('plan-count').textContent()).toBe(conflicts)
    await shoot(page, 'preview-sync-demo')
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    expect(await sheet.getByTestId('summary-next').textContent()).toMatch(/^\d+ conflicts? (is|are) left/)
    await shoot(page, 'summary-sync-demo')

    // The summary's next step: the review. A file kept as mine, a record taken from Staging,
    // and a record whose sides changed different fields combined field by field.
    await sheet.getByRole('button', { name: /^Review \d+ conflicts?$/ }).click()
    const review = page.getByTestId('conflict-review')
    const row = (label: string) => review.locator(`[data-testid="conflict-row"][data-label="${label}"]`)
    await row('agents/3').waitFor()
    expect(await row('agents/1').getByRole('radio', { name: 'Combine both' }).count()).toBe(0)

    // A record whose sides changed different fields: the table marks each and shows the combined record.
    await row('agents/3').getByTestId('conflict-toggle').click()
    const fields3 = row('agents/3').getByTestId('record-fields')
    await fields3.waitFor()
    expect(await fields3.locator('thead th').allTextContents()).toEqual(['Field', 'At last sync', 'Yours', "Staging's", 'If you combine both'])
    const field = (f: Locator, name: string) => f.locator(`[data-testid="field-row"][data-field="${name}"]`)
    expect(await field(fields3, 'model').getAttribute('data-differs')).toBe('true')
    expect(await field(fields3, 'model').getByTestId('field-changed').textContent()).toBe('changed here')
    expect(await field(fields3, 'enabled').getByTestId('field-changed').textContent()).toBe('changed in Staging')
    expect(await field(fields3, 'name').getAttribute('data-differs')).toBe('false')
    expect(await field(fields3, 'model').locator('td').allTextContents()).toEqual(['standard', 'large', 'standard', 'large'])
    expect(await field(fields3, 'enabled').getByTestId('field-merged').textContent()).toMatch(/^(1|yes)$/)
    expect(await row('agents/3').getByTestId('merge-note').textContent()).toContain('Combine both')
    // A record both sides changed in the same field: no combination offered.
    await row('agents/1').getByTestId('conflict-toggle').click()
    const fields1 = row('agents/1').getByTestId('record-fields')
    await fields1.waitFor()
    expect(await field(fields1, 'notes').getByTestId('field-changed').textContent()).toBe('changed on both sides')
    expect(await fields1.getByTestId('field-merged').count()).toBe(0)
    await row('agents/3').getByTestId('record-fields').scrollIntoViewIfNeeded()
    await shoot(page, 'conflict-review-records')
    await expectAccessible(page, 'conflict review with records')
    // Keyboard: Space on a focused choice decides, Space again takes it back.
    await row('agents/1').getByRole('radio', { name: 'Keep mine' }).focus()
    await page.keyboard.press('Space')
    expect(await row('agents/1').getByRole('radio', { name: 'Keep mine' }).getAttribute('aria-checked')).toBe('true')
    await page.keyboard.press('Space')
    expect(await row('agents/1').getByRole('radio', { name: 'Keep mine' }).getAttribute('aria-checked')).toBe('false')
    // The choices are one Tab stop; the arrow keys move between them and take the one reached.
    await page.keyboard.press('ArrowRight')
    expect(await row('agents/1').getByRole('radio', { name: "Keep Staging's" }).getAttribute('aria-checked')).toBe('true')
    expect(await row('agents/1').getByRole('radio', { name: "Keep Staging's" }).getAttribute('tabindex')).toBe('0')
    expect(await row('agents/1').getByRole('radio', { name: 'Keep mine' }).getAttribute('tabindex')).toBe('-1')
    await page.keyboard.press('ArrowLeft')
    expect(await row('agents/1').getByRole('radio', { name: 'Keep mine' }).getAttribute('aria-checked')).toBe('true')
    await page.keyboard.press('Space')
    expect(await row('agents/1').getByRole('radio', { name: 'Keep mine' }).getAttribute('aria-checked')).toBe('false')
    await row('services/agents/support-agent.yml').getByRole('radio', { name: 'Keep mine' }).click()
    await row('agents/1').getByRole('radio', { name: "Keep Staging's" }).click()
    await row('agents/3').getByRole('radio', { name: 'Combine both' }).click()
    expect(await review.getByTestId('conflicts-left').textContent()).toBe('3 of 3 decided · all decided')
    await shoot(page, 'conflict-review-demo')
    await review.getByTestId('review-sync').click()
    await sheet.getByTestId('preview').waitFor()
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    await sheet.getByTestId('summary-close').click()
    await review.getByTestId('no-conflicts').waitFor()
    const demoDir = path.join(root, 'demo')
    expect(get(path.join(demoDir, 'environment-staging'), 'services/agents/support-agent.yml')).toContain('politely and briefly')
    const db = new Database(path.join(demoDir, 'project', 'app.sqlite'), { readonly: true })
    try {
      expect(db.prepare('SELECT notes FROM agents WHERE id = 1').get()).toEqual({ notes: 'First line of support, all week' })
      expect(db.prepare('SELECT model, enabled FROM agents WHERE id = 3').get()).toEqual({ model: 'large', enabled: 1 })
    } finally {
      db.close()
    }
  })
})
