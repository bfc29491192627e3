import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    // In CI, also write the counts as JSON for .ci/run to report.
    ...(process.env.CI
      ? { reporters: ['default', 'json'], outputFile: { json: 'test-results/vitest.json' } }
      : {}),
  },
})
