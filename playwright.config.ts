/**
 * Playwright's end-to-end specs (`e2e/`): the dashboard in Debian's Chromium against the real
 * host behind `syncdesk serve`'s web host, and the desktop app in Electron where its binary
 * and a display exist. `npm test` runs them after vitest, inside the same private keyring.
 *
 * Chromium is never downloaded: the specs drive /usr/bin/chromium (`apt-get install
 * chromium`). A failing test keeps its trace and a screenshot under test-results/e2e/ (open a
 * trace with `npx playwright show-trace <file>`). Under CI the counts are also written as JSON
 * for `.ci/run` to add to vitest's.
 */
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  globalSetup: './e2e/support/global-setup.ts',
  // One browser at a time: the tests start real servers and hosts, and the machines have two cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/playwright.json' }]] : [['list']],
  use: {
    viewport: { width: 1280, height: 820 },
    colorScheme: 'light',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
})
