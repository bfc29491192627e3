/**
 * A status answered by the resident host alone, for a process that has not loaded the engine's
 * sync machinery (the CLI's quick path, `src-main/cli/quick-status-command.ts`).
 *
 * It is ResidentSyncHost's first step on its own: the same project lookup, the same choice of
 * environment, the same question to the host and the same normalised report. Whenever that
 * step would not answer (no host runs, records it might read otherwise, the mode is off), it says so
 * with null and the caller does the full status.
 */
import type { SyncScope } from '../../src-shared/sync-types.js'
import { findProject } from '../engine/project.js'
import type { EnvironmentInfo } from '../engine/remote.js'
import type { StatusReport } from '../engine/sync-engine.js'
import { askResidentHost, normalizeStatusReport, residentMayAnswer } from './resident-status.js'

/** What a quick status is asked. */
export interface QuickStatusRequest {
  /** The project folder (with `findUp`, a folder at or under it). */
  dir: string
  findUp: boolean
  /** The environment named, if any. */
  env?: string
  scope: SyncScope
  withInfo: boolean
}

/** The resident host's report, or null when only a full status can answer. Never throws. */
export async function quickStatus(q: QuickStatusRequest, env: NodeJS.ProcessEnv = process.env): Promise<{ report: StatusReport; info: EnvironmentInfo | null } | null> {
  if (env.SYNCDESK_RESIDENT === 'off') return null
  try {
    const project = findProject(q.dir, { findUp: q.findUp })
    // The same eligibility as ResidentSyncHost.status.
    if (!residentMayAnswer(project, q.scope)) return null
    const envName = project.environmentName(q.env)
    const answer = await askResidentHost(project, { env: envName, scope: q.scope, withInfo: q.withInfo })
    return answer.ok ? { report: normalizeStatusReport(answer.report), info: answer.info } : null
  } catch {
    // Every error (no project, an unknown environment) is the full status's to word.
    return null
  }
}
