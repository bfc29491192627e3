/**
 * A new environment that just works, from the dashboard: an environment with no tables yet,
 * the preview names each table to create with its statement, nothing is made until the
 * operator ticks "Create the missing tables", and then the tables and their rows are there.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../test/helpers.js'
import { makeProject, must } from '../test/records-support.js'
import { expect, expectAccessible, shoot, test } from './support/dashboard.js'

test.describe('a new environment', () => {
  test('the push preview offers to create the missing tables; ticked, they are made and the records sent in the same run', async ({ page, open }) => {
    const root = tempDir('syncdesk-dash-newenv-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const proj = makeProject(path.join(root, 'project'), [
      { id: 1, name: 'support-agent', enabled: 1 },
      { id: 2, name: 'billing-agent', enabled: 0 },
    ])
    must(proj.run('env', 'add', 'staging', '--folder', envDir), 'env add')
    const envDb = path.join(envDir, '.syncdesk-server', 'database.sqlite')

    await open({ projectDir: proj.dir })
    await page.getByTestId('push-button').click()
    const sheet = page.getByTestId('run-sheet')
    const tables = sheet.getByTestId('tables')
    await tables.waitFor()
    const agents = tables.getByTestId('table-create').filter({ hasText: 'Create table agents in Staging' })
    await expect(agents).toContainText('then send its 2 records')
    await agents.getByText('The statement').click()
    await expect(agents.getByTestId('table-statement')).toContainText('CREATE TABLE "agents"')
    await shoot(page, 'preview-create-tables')
    await expectAccessible(page, 'push preview with tables to create')

    // Not ticked: the run leaves the tables alone.
    await sheet.getByRole('button', { name: 'Cancel' }).click()
    expect(fs.existsSync(envDb)).toBe(false)

    await page.getByTestId('push-button').click()
    await sheet.getByTestId('create-tables').check()
    await sheet.getByTestId('apply-button').click()
    await sheet.getByTestId('summary').waitFor()
    await expect(sheet.getByTestId('summary')).toContainText('agents')
    const db = new Database(envDb, { readonly: true })
    try {
      expect(db.prepare('SELECT id, name, enabled FROM agents ORDER BY id').all()).toEqual([
        { id: 1, name: 'support-agent', enabled: 1 },
        { id: 2, name: 'billing-agent', enabled: 0 },
      ])
    } finally {
      db.close()
    }
    await shoot(page, 'summary-create-tables')
  })
})
