/**
 * `GET /v1/status`: the environment at a glance: its name, last push and pull, its database
 * (null when it has none), item counts (files, and records per table), the manifest's version
 * and the latest deployment.
 *
 * `manifestVersion` is the value of the manifest's ETag: a client that kept it knows from the
 * status alone whether the files changed, without asking for the manifest.
 */
import type { FastifyInstance } from 'fastify'
import type { Environment } from '../environment.js'

/** Registers the status route (inside the `/v1` prefix). */
export async function statusRoutes(app: FastifyInstance, opts: { env: Environment }): Promise<void> {
  const { env } = opts
  app.get('/status', { config: { scope: 'read' } }, async () => {
    const manifest = await env.manifest()
    const status = env.status.get()
    const latest = env.deployer.list(1)[0] ?? null
    const records = env.records ? await env.records.counts() : null
    return {
      name: env.name,
      lastPush: status.lastPush,
      lastPull: status.lastPull,
      database: env.records ? { kind: env.records.kind } : null,
      items: { files: manifest.files, skipped: manifest.skipped, ...(records ? { records } : {}) },
      manifestVersion: manifest.version,
      deploy: { configured: env.deployer.configured, running: env.deployer.running() !== null, latest },
    }
  })
}
