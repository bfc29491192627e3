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
 * test-results/screens/; axe-core runs on every main screen in both themes (no serious or
 * critical violation may be found); a failing test leaves a trace and a screenshot under
 * test-results/failures/ (open the trace with `npx playwright show-trace`).
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import axeCore from 'axe-core'
import Database from 'better-sqlite3'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppHost } from '../src-main/host/app-host.js'
import { accountFor, type CredentialStore } from '../src-main/secrets/credential-store.js'
import { KEYCHAIN_SERVICE, KeytarCredentialStore } from '../src-main/secrets/keytar-store.js'
import { startWsHost, type WsHost } from '../src-main/web/ws-host.js'
import { REPO, cleanupTemps, cli, cliProject, del, ensureBuilt, exists, get, put, tempDir } from './helpers.js'
import { makeProject, makeSqlite } from './records-support.js'
import { SERVER_BIN, createToken, startServerProcess, stopAllServers } from './support/server-process.js'

const CHROMIUM = '/usr/bin/chromium'
const RENDERER = path.join(REPO, 'dist-renderer')
const SHOTS = path.join(REPO, 'test-results', 'screens')
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
  await stopAllServers()
  await browser?.close()
  cleanupTemps()
})

/** What a test drives: the page, and the host behind it. */
interface Dashboard {
  page: Page
  context: BrowserContext
  host: AppHost
  web: WsHost
  /** Problems the page reported (uncaught errors, console errors). */
  pageErrors: string[]
}

/**
 * Runs `fn` against a fresh host and browser context on a fresh data directory; on failure
 * saves a screenshot and a trace, named after the test.
 */
async function withDashboard(name: string, opts: { projectDir?: string; demoDir?: string; credentials?: CredentialStore }, fn: (d: Dashboard) => Promise<void>): Promise<void> {
  const root = tempDir('syncdesk-dash-')
  const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: opts.credentials ?? new KeytarCredentialStore(), hostKind: 'web', version: 'test', demoDir: opts.demoDir, live: true })
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
    await fn({ page, context, host, web, pageErrors })
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

/** A violation axe-core found, short enough to read in a failure. */
interface Finding {
  id: string
  impact: string | null
  help: string
  nodes: string[]
}

/** Runs axe-core on the page in the light and the dark theme; no serious or critical finding may be left. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  // An inline <script> would be refused by the page's CSP; evaluate goes around it, as a devtools console does.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeCore.source)
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    // Let the buttons' colour transitions end, so the contrast measured is the one that stays.
    await page.waitForTimeout(300)
    const found = await page.evaluate(async () => {
      type Result = { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }
      // In the page: the globals are the browser's (this file is typed for Node).
      const g = globalThis as unknown as { axe: { run: (ctx: unknown, opts: object) => Promise<Result> }; document: unknown }
      const r = await g.axe.run(g.document, { resultTypes: ['violations'] })
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))
    })
    const serious = (found as Finding[]).filter((v) => v.impact === 'serious' || v.impact === 'critical')
    expect(serious, `${screen} (${colorScheme})`).toEqual([])
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/**
 * Tabs through the page from its start and checks that every control that takes focus shows
 * it (an outline, or a ring drawn with box-shadow), in both themes' default (light). Returns
 * the names of what was reached, in order.
 */
async function tabThrough(page: Page, presses: number): Promise<string[]> {
  // Code run in the page is written as text: this file is typed for Node, not the DOM.
  await page.evaluate('document.activeElement && document.activeElement.blur()')
  await page.locator('body').focus()
  const reached: string[] = []
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab')
    const f = (await page.evaluate(`(() => {
      const el = document.activeElement
      if (!el || el === document.body) return null
      const st = getComputedStyle(el)
      const ring = (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0) || /\\d+px \\d+px 0px \\d+px/.test(st.boxShadow)
      const label = el.labels && el.labels[0] ? el.labels[0].textContent.trim() : ''
      const name = el.getAttribute('aria-label') || label || (el.textContent || '').trim().slice(0, 40) || el.getAttribute('placeholder') || el.tagName
      return { name: el.tagName.toLowerCase() + ':' + name, ring, visible: el.getClientRects().length > 0 }
    })()`)) as { name: string; ring: boolean; visible: boolean } | null
    if (!f) continue
    expect(f.ring, `focus ring on ${f.name}`).toBe(true)
    expect(f.visible, `focused ${f.name} is on screen`).toBe(true)
    reached.push(f.name)
  }
  return reached
}

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
      put(project, 'services/skills/refunds/index.md', '# Refunds\n')
      await expect.poll(() => tileCount(page, 'local_to_remote').textContent(), { timeout: 5_000 }).toBe('1')
      await page.locator('[data-testid="pending-row"][data-label="services/skills/refunds/index.md"]').waitFor({ timeout: 5_000 })
    })
  }, 120_000)

  it('conflict review: a side-by-side diff naming both sides, a plain line for a binary file, undo, bulk choices for the selection or all, applied through one Sync run', async () => {
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

    await withDashboard('conflict-review', { projectDir: project }, async ({ page }) => {
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
      const open = async (r: Locator) => {
        if ((await r.getByTestId('conflict-toggle').getAttribute('aria-expanded')) !== 'true') await r.getByTestId('conflict-toggle').click()
      }
      await open(agent)
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
      await open(logo)
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
  }, 120_000)

  it('a text conflict whose sides changed different lines: the merge is shown, Combine both writes it to both sides', async () => {
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

    await withDashboard('conflict-merge', { projectDir: project }, async ({ page }) => {
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
      await shoot(page, 'conflict-review-file-merge')
      await expectAccessible(page, 'conflict review with a file merge')
      await row.getByRole('radio', { name: 'Combine both' }).click()
      await review.getByTestId('review-sync').click()
      const sheet = page.getByTestId('run-sheet')
      await sheet.getByTestId('preview').waitFor()
      await sheet.getByTestId('apply-button').click()
      await sheet.getByTestId('summary').waitFor()
      expect(get(project, 'services/agents/support-agent.yml')).toBe(merged)
      expect(get(envDir, 'services/agents/support-agent.yml')).toBe(merged)
    })
  }, 120_000)

  it('opens on the welcome screen; a folder that is no project is a clear banner; Try the demo lands on a dashboard with every category filled, and its conflicts settle (a file, a record, a field-level merge)', async () => {
    const root = tempDir('syncdesk-dash-demo-')
    const notAProject = path.join(root, 'just-a-folder')
    fs.mkdirSync(notAProject)
    await withDashboard('welcome-and-demo', { demoDir: path.join(root, 'demo') }, async ({ page }) => {
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

  it('environment settings: a server added with its token (then only "Token stored"), colour and protection edited, Test connection; a refused token, a new one entered; unreachable; removal names the environment and touches no file; toasts for a deploy, a run elsewhere and reachability', async () => {
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

    await withDashboard('environment-settings', { projectDir: project }, async ({ page, context, web }) => {
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
  }, 150_000)

  it('the keychain unavailable: the environment says so with the next step and a way to try again', async () => {
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

    await withDashboard('keychain-unavailable', { projectDir: project, credentials: broken }, async ({ page }) => {
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
    })
    await server.stop()
  }, 90_000)

  it('activity: the history in words; Undo this pull previews what it puts back, removes and leaves (and why), then the files on disk are back', async () => {
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

    await withDashboard('activity-undo', { projectDir: project }, async ({ page }) => {
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
  }, 120_000)

  it('a push stopped by the mass-delete guard: it says how many and why, and runs only once the operator says so', async () => {
    const root = tempDir('syncdesk-dash-guard-')
    const envDir = path.join(root, 'staging')
    fs.mkdirSync(envDir)
    for (let i = 0; i < 20; i++) put(envDir, `content/pages/page-${i}.md`, `# Page ${i}\n`)
    const { project, p } = cliProject(root, ['--folder', envDir])
    expect(p('pull', '--yes').code).toBe(0)
    for (let i = 0; i < 15; i++) del(project, `content/pages/page-${i}.md`)

    await withDashboard('mass-delete-guard', { projectDir: project }, async ({ page }) => {
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
  }, 90_000)

  it('50,000 pending records: the list says 50,000, keeps fewer than 200 rows in the page and scrolls to the last', async () => {
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

    await withDashboard('fifty-thousand', { projectDir: proj.dir }, async ({ page, host }) => {
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
  }, 180_000)
})
