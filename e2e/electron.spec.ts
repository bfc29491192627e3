/**
 * The desktop app end to end: the real Electron binary, driven by Playwright's
 * `_electron.launch`, with a fresh data directory.
 *
 * It runs only where it can: the Electron binary must be installed (these build machines
 * cannot download it, DESIGN.md) and there must be a display (use xvfb-run on a headless
 * Linux). Otherwise it says which is missing and skips. The app must be built (`npm run
 * build`); where Electron is there and the app is not, the spec fails rather than skips. The
 * build under test keeps the inspector fuse on (SYNCDESK_E2E=1 at pack time, after-pack.cjs),
 * since Playwright always passes --inspect=0; SYNCDESK_E2E=1 at run time also exposes
 * `globalThis.syncDeskE2E` in main, which is how windows and the tray are counted.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { _electron, expect, test, type ElectronApplication, type Page } from '@playwright/test'
import { findElectronBinary } from '../scripts/ui-mode.mjs'

const root = path.resolve('.')
const binary = findElectronBinary(root)
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
const notRun = !binary
  ? 'the Electron binary is not installed here (node_modules/electron/path.txt and dist/ are missing; "npx install-electron" fetches it where there is internet)'
  : headless
    ? 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set; run the tests under xvfb-run)'
    : null

/** What the page sees of its global object. */
type PageGlobal = {
  syncDesk: { invoke(channel: string, args: object): Promise<unknown> }
  document: { body: { innerText: string } | null }
  require?: unknown
  process?: unknown
}

/** What main exposes when SYNCDESK_E2E=1. */
type MainGlobal = { syncDeskE2E: { windows(): number; trays(): number } }

test.describe('the desktop app (Electron)', () => {
  test.skip(notRun !== null, `did not run: ${notRun}`)
  test.describe.configure({ mode: 'serial' })

  let app: ElectronApplication
  let page: Page
  let dataDir = ''

  test.beforeAll(async () => {
    for (const built of ['dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist-renderer/index.html']) {
      expect(fs.existsSync(path.join(root, built)), `${built} is missing: build the app first`).toBe(true)
    }
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-electron-e2e-'))
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v
    env.SYNCDESK_E2E = '1'
    env.SYNCDESK_USER_DATA_DIR = dataDir
    app = await _electron.launch({ executablePath: binary!, args: ['.'], cwd: root, env, timeout: 60_000 })
    page = await app.firstWindow()
  })

  test.afterAll(async () => {
    await app?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  test('opens one window on the built dashboard, and the dashboard shows', async () => {
    expect(page.url()).toMatch(/\/dist-renderer\/index\.html(#.*)?$/)
    await page.waitForFunction(() => ((globalThis as unknown as PageGlobal).document.body?.innerText.trim().length ?? 0) > 0, undefined, { timeout: 30_000 })
    expect(await app.evaluate(() => (globalThis as unknown as MainGlobal).syncDeskE2E.windows())).toBe(1)
  })

  test('gives the page window.syncDesk with invoke and on, and no Node', async () => {
    const seen = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobal
      return { keys: Object.keys(g.syncDesk).sort(), require: typeof g.require, process: typeof g.process }
    })
    expect(seen).toEqual({ keys: ['invoke', 'on'], require: 'undefined', process: 'undefined' })
  })

  test('answers a contract request from the page, and refuses one outside it', async () => {
    const info = (await page.evaluate(() => (globalThis as unknown as PageGlobal).syncDesk.invoke('app:info', {}))) as { host: string }
    expect(info.host).toBe('electron')
    const refused = await page.evaluate(() => (globalThis as unknown as PageGlobal).syncDesk.invoke('shell:exec', {}).then(() => 'resolved', (e: { payload?: { code: string } }) => e.payload?.code ?? 'no payload'))
    expect(refused).toBe('invalid-request')
  })

  test('has its tray icon', async () => {
    expect(await app.evaluate(() => (globalThis as unknown as MainGlobal).syncDeskE2E.trays())).toBe(1)
  })
})
