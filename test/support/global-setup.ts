/**
 * Vitest global setup: one private PostgreSQL server for the whole run.
 *
 * Tests reach it through `inject('pgUrl')` (see test/support/postgres.ts). Without
 * PostgreSQL installed the run fails when CI is set (a CI machine must test everything) and
 * otherwise the PostgreSQL tests skip, naming the missing package.
 */
import type { TestProject } from 'vitest/node'
import { POSTGRES_MISSING, findPostgresBin, startPostgres, type PostgresServer } from './postgres-server.js'

let server: PostgresServer | null = null

/** Starts the server and provides its URL. */
export async function setup(project: TestProject): Promise<void> {
  if (!findPostgresBin()) {
    if (process.env.CI) throw new Error(`${POSTGRES_MISSING} (CI is set, so this fails the run instead of skipping)`)
    console.warn(`[postgres] ${POSTGRES_MISSING}; the PostgreSQL tests are skipped.`)
    project.provide('pgUrl', '')
    project.provide('pgMissing', POSTGRES_MISSING)
    return
  }
  server = await startPostgres()
  project.provide('pgUrl', server.url)
  project.provide('pgMissing', '')
}

/** Stops the server and removes its directory. */
export async function teardown(): Promise<void> {
  const s = server
  server = null
  await s?.stop()
}
