/**
 * The operations layer of a CLI or MCP process: a SyncHost whose status first asks the host
 * that keeps the project live (the desktop app, `syncdesk serve`), as git asks its fsmonitor.
 *
 * That host answers from the index its watcher keeps current (after making sure every change
 * made before the request is in it) and from a fresh look at the environment, so the report is
 * the one a scan would give; when no host runs, or it does not answer within a short time, or
 * its answer does not check, the status is worked out here as always, and nothing is said.
 * Records are not kept resident: the host reads them afresh for each answer, as a scan here
 * would, so a status of files and records still saves the walks of both trees. Where the host
 * might read another database than this process (residentMayAnswer), or for records alone,
 * the status is worked out here.
 *
 * `SYNCDESK_RESIDENT` in the environment: `off` never asks a host; `require` fails when no host
 * answers (tests and the benchmark use it to be sure which path they measure).
 */
import type { SyncScope } from '../../src-shared/sync-types.js'
import { SyncDeskError } from '../engine/errors.js'
import type { Project } from '../engine/project.js'
import type { EnvironmentInfo } from '../engine/remote.js'
import type { KnownScans, StatusReport } from '../engine/sync-engine.js'
import { askResidentHost, normalizeStatusReport, residentMayAnswer, type ResidentTimeouts } from './resident-status.js'
import { SyncHost, type HostPorts } from './sync-host.js'

/** Whether a status asks the resident host: always when one may answer, never, or it must. */
export type ResidentMode = 'auto' | 'off' | 'require'

/** The operations layer with a status from the resident host (see the file comment). */
export class ResidentSyncHost extends SyncHost {
  private readonly mode: ResidentMode

  constructor(ports: HostPorts, private readonly timeouts: ResidentTimeouts = {}) {
    super(ports)
    const setting = (ports.env ?? process.env).SYNCDESK_RESIDENT
    this.mode = setting === 'off' || setting === 'require' ? setting : 'auto'
  }

  override async status(project: Project, env: string, opts: { scope?: SyncScope; withInfo?: boolean; known?: KnownScans; merges?: boolean } = {}): Promise<{ report: StatusReport; info: EnvironmentInfo | null }> {
    const scope = opts.scope ?? 'all'
    const eligible = this.mode !== 'off' && !opts.known && !opts.merges && !!project.config.environments[env] && residentMayAnswer(project, scope)
    if (eligible) {
      const answer = await askResidentHost(project, { env, scope, withInfo: !!opts.withInfo }, this.timeouts)
      if (answer.ok) return { report: normalizeStatusReport(answer.report), info: answer.info }
      if (this.mode === 'require') throw new SyncDeskError('remote-unreachable', `No resident host answered for this project: ${answer.why}.`, undefined, { resident: 'required' })
    } else if (this.mode === 'require') {
      throw new SyncDeskError('usage', 'This status is always worked out here (it is of records alone, of a PostgreSQL database or one outside the project, or asks for merges), not by a resident host.', undefined, { resident: 'required' })
    }
    const { report, info } = await super.status(project, env, opts)
    return { report: normalizeStatusReport(report), info }
  }
}
