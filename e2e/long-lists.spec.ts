/**
 * Long pending lists: 5,000 files and 50,000 records render with only a window of rows in the
 * page, scroll to the last, and search and filter through the host.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { cliProject, get, put, tempDir } from '../test/helpers.js'
import { makeProject, makeSqlite } from '../test/records-support.js'
import { expect, shoot, test, tileCount } from './support/dashboard.js'

test.describe('long lists', () => {
  test('5,000 pending rows: only a window of them is in the page, the list scrolls to the last, search and filters go to the host', async ({ page, open }) => {
    test.setTimeout(180_000)
    const root = tempDir('syncdesk-dash-many-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const { project } = cliProject(root, ['--folder', envDir])
    const N = 5000
    for (let i = 0; i < N; i++) put(project, `content/pages/page-${String(i).padStart(5, '0')}.md`, `# Page ${i}\n`)

    const { host } = await open({ projectDir: project })
    const list = page.getByTestId('pending-list')
    await expect.poll(() => page.getByTestId('list-total').getAttribute('data-total'), { timeout: 30_000 }).toBe(String(N))
    await page.getByTestId('pending-row').first().waitFor()
    const inDom = async () => (await page.getByTestId('pending-row').count()) + (await page.getByTestId('pending-row-loading').count())
    expect(await inDom()).toBeLessThan(200)
    await shoot(page, 'list-many')

    // The host's last row, as its own page says.
    const projectId = host.store.projects[0]!.id
    const answer = await host.dispatch('status:page', { projectId, env: 'staging', offset: N - 1, limit: 1 })
    if (!answer.ok) throw new Error(answer.error.message)
    const last = (answer.value as { rows: { label: string }[] }).rows[0]!.label
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    const lastRow = page.locator(`[data-testid="pending-row"][data-label="${last}"]`)
    await lastRow.waitFor()
    expect(await lastRow.isVisible()).toBe(true)
    expect(await inDom()).toBeLessThan(200)
    // The group's header sticks at the top while its rows scroll under it.
    const header = page.getByTestId('group-header').first()
    const [listBox, headerBox] = [await list.boundingBox(), await header.boundingBox()]
    expect(Math.abs((headerBox?.y ?? -1) - (listBox?.y ?? 0))).toBeLessThan(2)
    await shoot(page, 'list-many-end')

    // Keyboard: Home goes back to the first row.
    await list.focus()
    await page.keyboard.press('Home')
    await expect.poll(() => page.locator('[data-testid="pending-row"][aria-selected="true"]').getAttribute('data-label')).toBe('content/pages/page-00000.md')

    await page.getByTestId('list-search').fill('page-04321')
    await expect.poll(() => page.getByTestId('list-total').getAttribute('data-total')).toBe('1')
    await expect.poll(() => page.getByTestId('pending-row').count()).toBe(1)
    await page.getByTestId('list-search').fill('')
    await page.getByRole('radio', { name: 'Records' }).click()
    await expect.poll(() => page.getByTestId('list-empty').textContent()).toContain('No records')
    await shoot(page, 'list-empty-records')
    await page.getByRole('radio', { name: 'All' }).click()
    await expect.poll(() => page.getByTestId('list-total').getAttribute('data-total')).toBe(String(N))

    // Pushing them all: progress while it goes, then the summary; the files are in Staging.
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    await sheet.getByTestId('preview').waitFor()
    expect(await sheet.getByTestId('plan-send').getByTestId('plan-count').textContent()).toBe('5,000')
    await shoot(page, 'preview-push-many')
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('progress').or(sheet.getByTestId('summary')).first().waitFor()
    if (await sheet.getByTestId('progress').isVisible()) await shoot(page, 'progress').catch(() => undefined)
    await sheet.getByTestId('summary').waitFor({ timeout: 60_000 })
    expect(await sheet.getByTestId('summary-lines').textContent()).toContain('Sent 5,000 changes to Staging')
    expect(get(envDir, 'content/pages/page-04999.md')).toBe('# Page 4999\n')
    expect(fs.readdirSync(path.join(envDir, 'content', 'pages')).length).toBe(N)
  })

  test('50,000 pending records: the list says 50,000, keeps fewer than 200 rows in the page and scrolls to the last', async ({ page, open }) => {
    test.setTimeout(180_000)
    const root = tempDir('syncdesk-dash-50k-')
    const envDir = path.join(root, 'staging')
    makeSqlite(path.join(envDir, '.syncdesk-server', 'database.sqlite'))
    const proj = makeProject(path.join(root, 'project'))
    expect(proj.run('env', 'add', 'staging', '--folder', envDir).code).toBe(0)
    const N = 50_000
    const db = new Database(proj.db)
    try {
      const ins = db.prepare('INSERT INTO agents (id, name, enabled) VALUES (?, ?, 1)')
      db.transaction(() => {
        for (let i = 1; i <= N; i++) ins.run(i, `agent ${i}`)
      })()
    } finally {
      db.close()
    }

    const { host } = await open({ projectDir: proj.dir })
    await expect.poll(() => page.getByTestId('list-total').getAttribute('data-total'), { timeout: 60_000 }).toBe(String(N))
    expect(await tileCount(page, 'local_to_remote').textContent()).toBe('50,000')
    await page.getByTestId('pending-row').first().waitFor()
    const inDom = async () => (await page.getByTestId('pending-row').count()) + (await page.getByTestId('pending-row-loading').count())
    expect(await inDom()).toBeLessThan(200)
    const projectId = host.store.projects[0]!.id
    const answer = await host.dispatch('status:page', { projectId, env: 'staging', category: 'local_to_remote', offset: N - 1, limit: 1 })
    if (!answer.ok) throw new Error(answer.error.message)
    const last = (answer.value as { rows: { label: string }[] }).rows[0]!.label
    const list = page.getByTestId('pending-list')
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    const lastRow = page.locator(`[data-testid="pending-row"][data-label="${last}"]`)
    await lastRow.waitFor({ timeout: 15_000 })
    expect(await lastRow.isVisible()).toBe(true)
    expect(await lastRow.textContent()).toContain('agents › ')
    expect(await inDom()).toBeLessThan(200)
    await shoot(page, 'list-50k-end')
  })
})
