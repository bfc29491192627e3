/**
 * What every dashboard spec stands on: a `dashboard` fixture that opens the real host
 * (AppHost with the OS keychain) behind the real web host (`startWsHost`, what `syncdesk
 * serve` runs) on a fresh data directory, with the built renderer, in the test's own page;
 * and the checks the specs share: screenshots in both themes, axe-core, the focus ring.
 *
 * Screenshots of every main screen, light and dark, go to test-results/screens/. A failing
 * test keeps Playwright's trace and screenshot (playwright.config.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test as base, type Page } from '@playwright/test'
import { AppHost } from '../../src-main/host/app-host.js'
import type { CredentialStore } from '../../src-main/secrets/credential-store.js'
import { KeytarCredentialStore } from '../../src-main/secrets/keytar-store.js'
import { startWsHost, type WsHost } from '../../src-main/web/ws-host.js'
import { REPO, cleanupTemps, tempDir } from '../../test/helpers.js'
import { stopAllServers } from '../../test/support/server-process.js'

export { expect }

const RENDERER = path.join(REPO, 'dist-renderer')
const SHOTS = path.join(REPO, 'test-results', 'screens')

/** What a test opens the dashboard on. */
export interface DashboardOptions {
  /** A project to open before the page loads. */
  projectDir?: string
  /** Where the demo is made when the test clicks Try the demo. */
  demoDir?: string
  /** The keychain; the real one (keytar) unless a test breaks it on purpose. */
  credentials?: CredentialStore
}

/** The host and web host behind the page, once opened. */
export interface Dashboard {
  host: AppHost
  web: WsHost
}

/**
 * The fixture `open` loads the dashboard in the test's page. After the test, everything it
 * opened is closed, and the test's environment servers and temp folders go too.
 */
export const test = base.extend<{ open: (opts?: DashboardOptions) => Promise<Dashboard> }>({
  open: async ({ page }, use) => {
    const opened: Dashboard[] = []
    const pageErrors: string[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text())
    })
    await use(async (opts = {}) => {
      const root = tempDir('syncdesk-dash-')
      const host = new AppHost({ dataDir: path.join(root, 'data'), credentials: opts.credentials ?? new KeytarCredentialStore(), hostKind: 'web', version: 'test', demoDir: opts.demoDir, live: true })
      if (opts.projectDir) await host.openProjectAt(opts.projectDir)
      const web = await startWsHost({ host, staticDir: RENDERER })
      const d = { host, web }
      opened.push(d)
      await page.goto(web.url)
      return d
    })
    // The page reported no uncaught error and logged none.
    expect(pageErrors).toEqual([])
    for (const d of opened) {
      await d.web.close()
      await d.host.dispose()
    }
    await stopAllServers()
    cleanupTemps()
  },
})

/** A screenshot of the page in the light and the dark theme, under test-results/screens/. */
export async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true })
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    await page.screenshot({ path: path.join(SHOTS, `${name}-${colorScheme}.png`), animations: 'disabled' })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** The count on one of the four tiles. */
export const tileCount = (page: Page, category: string) => page.getByTestId(`tile-${category}`).getByTestId('tile-count')

/** Runs axe-core (`@axe-core/playwright`) in the light and the dark theme; no serious or critical finding may be left. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    // Let the buttons' colour transitions end, so the contrast measured is the one that stays.
    await page.waitForTimeout(300)
    const { violations } = await new AxeBuilder({ page }).analyze()
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))
    expect(serious, `${screen} (${colorScheme})`).toEqual([])
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/**
 * Tabs through the page from its start and checks that every control that takes focus shows
 * it (an outline, or a ring drawn with box-shadow) and is on screen. Returns the names of
 * what was reached, in order.
 */
export async function tabThrough(page: Page, presses: number): Promise<string[]> {
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
