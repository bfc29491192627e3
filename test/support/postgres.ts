/**
 * A private PostgreSQL server for the tests: Debian's `postgresql`, in a temp data
 * directory, on a free loopback port and a private socket directory.
 *
 * The vitest globalSetup (test/support/global-setup.ts) starts one server per run and
 * provides its base URL as `pgUrl`; each test file makes its own database with
 * `createTestDatabase()`. PostgreSQL refuses to run as root, so when the tests run as root
 * the server runs as the `postgres` user (through `runuser`) and its directories are
 * chowned to it. fsync is off and buffers are small: these clusters are thrown away.
 */
import crypto from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { POSTGRES_MISSING } from './postgres-server.js'

export { POSTGRES_MISSING, findPostgresBin, startPostgres, type PostgresServer } from './postgres-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the test server (its `postgres` database); '' when PostgreSQL is not available. */
    pgUrl: string
    /** Why PostgreSQL is not available; '' when it is. */
    pgMissing: string
  }
}

/**
 * Why PostgreSQL tests cannot run here, or null when they can.
 *
 * Use with `describe.skipIf(postgresUnavailable() !== null)`; in CI the global setup has
 * already failed the run instead.
 */
export function postgresUnavailable(): string | null {
  const missing = inject('pgMissing')
  if (missing) return missing
  if (!inject('pgUrl')) return 'the PostgreSQL test server was not started (is test/support/global-setup.ts the vitest globalSetup?)'
  return null
}

/**
 * A fresh, empty database on the test server; returns its URL.
 *
 * One per test file (or per test) keeps files independent when they run in parallel.
 */
export async function createTestDatabase(): Promise<string> {
  const base = inject('pgUrl')
  if (!base) throw new Error(postgresUnavailable() ?? POSTGRES_MISSING)
  const name = `t_${crypto.randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(base)
  url.pathname = `/${name}`
  return url.toString()
}
