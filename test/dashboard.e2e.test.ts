/**
 * The web dashboard end to end: the real host (AppHost with the OS keychain) behind the real
 * web host (`startWsHost`, the same as `syncdesk serve`), the built renderer, and Debian's
 * Chromium driven by playwright-core. Every test has its own temp project, environment
 * folder and data directory; what a test asserts is what the operator sees and what is on
 * disk afterwards.
 *
 * Needs: the CLI built (`node scripts/build.mjs`, for the projects made through it) and
 * /usr/bin/chromium. The renderer is built here when dist-renderer/ is missing or older than
 * its sources. Screenshots of every main screen, light and dark, go to
 * test-results/screenshots/; a failing test leaves a trace and a screenshot under
 * test-results/failures/ (open the trace with `npx playwright show-trace`).
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppHost } from '../src-main/host/app-host.js'
import { KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { startWsHost, type WsHost } from '../src-main/web/ws-host.js'
import { REPO, cleanupTemps, cliProject, ensureBuilt, get, put, tempDir } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const RENDERER = path.join(REPO, 'dist-renderer')
const SHOTS = path.join(REPO, 'test-results', 'screenshots')
const FAILURES = path.join(REPO, 'test-results', 'failures')
const notRun = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`
if (notRun) console.log(`[dashboard e2e] did not run: ${notRun}.`)

/** The newest modification time under the renderer's sources. */
function newestSource(): number {
  let newest = 0
  const walk = (p: string) => {
    const st = fs.statSync(p)
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e))
    else newest = Math.max(newest, st.mtimeMs)
  }
  for (const p of ['src-renderer', 'src-shared', 'vite.config.ts']) walk(path.join(REPO, p))
  return newest
}

/** Builds the renderer with Vite's API unless dist-renderer/ is newer than every source. */
async function ensureRendererBuilt(): Promise<void> {
  const index = path.join(RENDERER, 'index.html')
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newestSource()) return
  const { build } = await import('vite')
  await build({ configFile: path.join(REPO, 'vite.config.ts'), root: path.join(REPO, 'src-renderer'), logLevel: 'warn' })
}

let browser: Browser

beforeAll(async () => {
  if (notRun) return
  ensureBuilt()
  await ensureRendererBuilt()
  fs.mkdirSync(SHOTS, { recursive: true })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  cleanupTemps()
})

/** What a test drives: the page, and the host behind it. */
interface Dashboard {
  page: Page
  host: AppHost
  web: WsHost
  /** Problems the page reported (uncaught errors, console errors). */
  pageErrors: string[]
}

/**
 * Runs `fn` against a fresh host and browser context on a fresh data directory; on failure
 * saves a screenshot and a trace, named after the test.
 */
async function withDashboard(name: string, opts: { projectDir?: string; demoDir?: string }, fn: (d: Dashboard) => Promise<void>): Promise<void> {
  const root = tempDir('syncdesk-dash-')
  const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: new KeytarCredentialStore(), hostKind: 'web', version: 'test', demoDir: opts.demoDir, live: true })
  if (opts.projectDir) await host.openProjectAt(opts.projectDir)
  const web = await startWsHost({ host, staticDir: RENDERER })
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 820 }, colorScheme: 'light' })
  await context.tracing.start({ screenshots: true, snapshots: true })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text())
  })
  try {
    await page.goto(web.url)
    await fn({ page, host, web, pageErrors })
    expect(pageErrors).toEqual([])
    await context.tracing.stop()
  } catch (err) {
    fs.mkdirSync(FAILURES, { recursive: true })
    await page.screenshot({ path: path.join(FAILURES, `${name}.png`), fullPage: true }).catch(() => undefined)
    await context.tracing.stop({ path: path.join(FAILURES, `${name}.trace.zip`) }).catch(() => undefined)
    throw err
  } finally {
    await context.close()
    await web.close()
    await host.dispose()
  }
}

/** A screenshot of the page in the light and the dark theme. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), animations: 'disabled' })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

const tileCount = (page: Page, category: string) => page.getByTestId(`tile-${category}`).getByTestId('tile-count')

describe.skipIf(notRun !== null)('the web dashboard', () => {
  it('shows an environment with its badge and counts; Push through the preview (protected: the name typed first) and Pull change the files on disk', async () => {
    const root = tempDir('syncdesk-dash-push-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    put(envDir, 'content/blog/from-the-cloud.md', '# Written in the cloud\n')
    const { project } = cliProject(root, ['--folder', envDir, '--protected', '--color', '#7c3aed'])
    put(project, 'services/agents/support-agent.yml', 'name: support-agent\nmodel: standard\n')
    put(project, 'services/web/theme.yaml', 'primary: "#2b6cb0"\n')

    await withDashboard('push-and-pull', { projectDir: project }, async ({ page }) => {
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
      put(project, 'services/skills/refunds/index.md', '# Refunds\n')
      await expect.poll(() => tileCount(page, 'local_to_remote').textContent(), { timeout: 5_000 }).toBe('1')
      await page.locator('[data-testid="pending-row"][data-label="services/skills/refunds/index.md"]').waitFor({ timeout: 5_000 })
    })
  }, 120_000)

  it('settles a conflict with Keep mine through one Sync run', async () => {
    const root = tempDir('syncdesk-dash-conflict-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    put(envDir, 'services/agents/support-agent.yml', 'instructions: Answer politely.\n')
    put(envDir, 'services/skills/refunds.yml', 'max_amount: 200\n')
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('sync', '--yes').code).toBe(0)
    put(project, 'services/agents/support-agent.yml', 'instructions: Answer politely and briefly.\n')
    put(envDir, 'services/agents/support-agent.yml', 'instructions: Answer politely, in the customer’s language.\n')

    await withDashboard('conflict-keep-mine', { projectDir: project }, async ({ page }) => {
      const env = page.getByTestId('sidebar-env').filter({ hasText: 'Staging' })
      await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('1 conflict')
      await expect.poll(() => tileCount(page, 'conflicts').textContent()).toBe('1')
      await page.getByRole('button', { name: 'Review 1 conflict' }).click()
      const review = page.getByTestId('conflict-review')
      await review.getByTestId('conflict-row').first().waitFor()
      expect(await review.getByTestId('conflicts-left').textContent()).toBe('0 of 1 decided · 1 left')
      expect(await review.getByTestId('review-sync').isDisabled()).toBe(true)
      expect(await review.getByRole('radio', { name: "Keep Staging's" }).count()).toBe(1)
      await shoot(page, 'conflict-review')
      await review.getByRole('radio', { name: 'Keep mine' }).click()
      expect(await review.getByTestId('conflicts-left').textContent()).toBe('1 of 1 decided · all decided')
      await shoot(page, 'conflict-review-decided')
      await review.getByTestId('review-sync').click()

      const sheet = page.getByTestId('run-sheet')
      await sheet.getByTestId('preview').waitFor()
      expect(await sheet.getByTestId('plan-keep-mine').textContent()).toContain('support-agent.yml')
      await shoot(page, 'preview-sync-decisions')
      const apply = sheet.getByTestId('apply-button')
      expect(await apply.textContent()).toBe('Sync 1 change with Staging')
      await apply.click()
      await sheet.getByTestId('summary').waitFor()
      expect(get(envDir, 'services/agents/support-agent.yml')).toBe('instructions: Answer politely and briefly.\n')
      expect(get(project, 'services/agents/support-agent.yml')).toBe('instructions: Answer politely and briefly.\n')
      await sheet.getByTestId('summary-close').click()
      await expect.poll(() => env.getByTestId('env-badge').textContent()).toBe('Up to date')
      await review.getByTestId('no-conflicts').waitFor()
    })
  }, 120_000)

  it('opens on the welcome screen; a folder that is no project is a clear banner; Try the demo lands on a dashboard with every category filled, and its conflicts settle (a file, a record, a field-level merge)', async () => {
    const root = tempDir('syncdesk-dash-demo-')
    const notAProject = path.join(root, 'just-a-folder')
    fs.mkdirSync(notAProject)
    await withDashboard('welcome-and-demo', { demoDir: path.join(root, 'demo') }, async ({ page }) => {
      await page.getByTestId('welcome').waitFor()
      await shoot(page, 'welcome')

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
  }, 120_000)

  it('5,000 pending rows: only a window of them is in the page, the list scrolls to the last, search and filters go to the host', async () => {
    const root = tempDir('syncdesk-dash-many-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    const { project } = cliProject(root, ['--folder', envDir])
    const N = 5000
    for (let i = 0; i < N; i++) put(project, `content/pages/page-${String(i).padStart(5, '0')}.md`, `# Page ${i}\n`)

    await withDashboard('many-rows', { projectDir: project }, async ({ page, host }) => {
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
  }, 180_000)
})
