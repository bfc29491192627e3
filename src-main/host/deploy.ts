/**
 * Waiting for an environment's deployment to finish, with a bounded wait.
 */
import { SyncDeskError } from '../engine/errors.js'
import type { DeploymentInfo, Remote } from '../engine/remote.js'

/** Polls a deployment until it succeeds or fails (or `timeoutMs` passes). */
export async function waitForDeployment(
  remote: Remote,
  started: DeploymentInfo,
  opts: { timeoutMs?: number; intervalMs?: number; onUpdate?: (d: DeploymentInfo) => void } = {},
): Promise<DeploymentInfo> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000)
  let current = started
  while (current.state === 'queued' || current.state === 'running') {
    if (Date.now() > deadline) throw new SyncDeskError('remote-error', `The deployment ${current.id} of ${remote.envName} is still ${current.state}; stopped waiting.`, undefined, { deploymentId: current.id, env: remote.envName })
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500))
    if (!remote.deployment) break
    current = await remote.deployment(current.id)
    opts.onUpdate?.(current)
  }
  return current
}
