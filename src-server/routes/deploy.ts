/**
 * Deployments: `POST /v1/deploy` (deploy scope) starts the configured command;
 * `GET /v1/deployments` and `GET /v1/deployments/<id>` show their state and log tail.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Environment } from '../environment.js'
import { ApiError } from '../http-errors.js'
import { tokenName } from './common.js'

/** Registers the deploy routes (inside the `/v1` prefix). */
export async function deployRoutes(app: FastifyInstance, opts: { env: Environment }): Promise<void> {
  const { env } = opts
  app.post('/deploy', { config: { scope: 'deploy' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const d = env.deployer.start(tokenName(req))
    return reply.code(202).header('location', `/v1/deployments/${d.id}`).send(d)
  })
  app.get('/deployments', { config: { scope: 'read' } }, async () => ({ deployments: env.deployer.list(20) }))
  app.get('/deployments/:id', { config: { scope: 'read' } }, async (req: FastifyRequest) => {
    const { id } = req.params as { id: string }
    const d = env.deployer.get(id)
    if (!d) throw new ApiError(404, 'not-found', `No deployment ${JSON.stringify(id)} on this environment.`)
    return d
  })
}
