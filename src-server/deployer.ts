/**
 * Deployments: the environment's configured deploy command, run one at a time.
 *
 * A deploy request while another runs is refused with 409 (`deploy-busy`, naming the running
 * deployment) rather than queued: the operator pushed once and deploys once, and a silent
 * queue would run a deploy against files that changed meanwhile. The command runs in its own
 * process group (through the shell, in the project folder) so a timeout kills it and its
 * children. Each deployment is kept as `.syncdesk-server/deployments/<id>.json`.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../src-main/engine/atomic.js'
import { ApiError } from './http-errors.js'
import { sortableId } from './ids.js'
import type { ApiDeployment, DeploymentState } from '../src-shared/server-api.js'
import { appendAll } from '../src-main/engine/arrays.js'

/** The states of a deployment, in order. */
export type { DeploymentState }

/** One deployment as the API shows it. */
export type Deployment = ApiDeployment

export interface DeployerOptions {
  /** The shell command; none: deploy requests are refused. */
  command?: string
  timeoutMs: number
  /** Where the command runs. */
  cwd: string
  /** Where deployments are recorded. */
  dir: string
  /** How many output lines are kept. */
  tailLines?: number
  /**
   * Mark deployments left queued/running by a stopped server as failed. Only the serving
   * process does this; a `versions` command beside a running server must not.
   */
  reconcile?: boolean
}

const KEEP_DEPLOYMENTS = 50

export class Deployer {
  private readonly deployments = new Map<string, Deployment>()
  private current: Deployment | null = null
  private finished: Promise<void> = Promise.resolve()
  private readonly tailLines: number
  private stopCurrent: (() => void) | null = null

  constructor(private readonly opts: DeployerOptions) {
    this.tailLines = opts.tailLines ?? 100
    this.loadHistory()
  }

  /** Whether a deploy command is configured. */
  get configured(): boolean {
    return Boolean(this.opts.command)
  }

  private loadHistory(): void {
    let names: string[]
    try {
      names = fs.readdirSync(this.opts.dir).filter((n) => n.endsWith('.json')).sort()
    } catch {
      return
    }
    for (const name of names.slice(-KEEP_DEPLOYMENTS)) {
      try {
        const d = JSON.parse(fs.readFileSync(path.join(this.opts.dir, name), 'utf8')) as Deployment
        if (this.opts.reconcile && (d.state === 'queued' || d.state === 'running')) {
          // The server stopped while it ran: it did not finish as far as anyone can tell.
          d.state = 'failed'
          d.error = 'the environment server stopped while this deployment ran'
          d.finishedAt = d.finishedAt ?? new Date().toISOString()
          void this.persist(d)
        }
        this.deployments.set(d.id, d)
      } catch {
        // An unreadable record is skipped; it never blocks deploying.
      }
    }
  }

  private async persist(d: Deployment): Promise<void> {
    try {
      await writeFileAtomic(path.join(this.opts.dir, `${d.id}.json`), JSON.stringify(d, null, 2) + '\n')
    } catch {
      // History is informational; the API still answers from memory.
    }
  }

  /** Starts a deployment; throws 409 when none is configured or one is running. */
  start(by: string): Deployment {
    if (!this.opts.command) {
      throw new ApiError(409, 'deploy-not-configured', 'No deploy command is configured for this environment (use --deploy-command or "deployCommand" in .syncdesk-server/config.json).')
    }
    if (this.current) {
      throw new ApiError(409, 'deploy-busy', `Deployment ${this.current.id} is still ${this.current.state}; wait for it to finish.`, { deploymentId: this.current.id })
    }
    const d: Deployment = { id: sortableId(), state: 'queued', by, queuedAt: new Date().toISOString(), startedAt: null, finishedAt: null, exitCode: null, error: null, logTail: [] }
    this.deployments.set(d.id, d)
    this.current = d
    this.trim()
    this.finished = this.run(d, this.opts.command)
    return { ...d }
  }

  private trim(): void {
    const ids = [...this.deployments.keys()].sort()
    for (const id of ids.slice(0, Math.max(0, ids.length - KEEP_DEPLOYMENTS))) this.deployments.delete(id)
  }

  private async run(d: Deployment, command: string): Promise<void> {
    await this.persist(d)
    d.state = 'running'
    d.startedAt = new Date().toISOString()
    await this.persist(d)
    const outcome = await new Promise<{ exitCode: number | null; error: string | null }>((resolve) => {
      let partial = ''
      const push = (chunk: Buffer): void => {
        const lines = (partial + chunk.toString('utf8')).split(/\r?\n/)
        partial = lines.pop() ?? ''
        appendAll(d.logTail, lines)
        if (d.logTail.length > this.tailLines) d.logTail.splice(0, d.logTail.length - this.tailLines)
      }
      let timedOut = false
      const child = spawn(command, {
        shell: true,
        cwd: this.opts.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SYNCDESK_DEPLOYMENT_ID: d.id, SYNCDESK_PROJECT_DIR: this.opts.cwd },
      })
      child.stdout.on('data', push)
      child.stderr.on('data', push)
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }
      this.stopCurrent = killGroup
      const timer = setTimeout(() => {
        timedOut = true
        killGroup()
      }, this.opts.timeoutMs)
      child.on('error', (err) => {
        clearTimeout(timer)
        resolve({ exitCode: null, error: `the deploy command could not start (${err.message})` })
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        if (partial) d.logTail.push(partial)
        if (d.logTail.length > this.tailLines) d.logTail.splice(0, d.logTail.length - this.tailLines)
        if (timedOut) resolve({ exitCode: code, error: `timed out after ${Math.round(this.opts.timeoutMs / 1000)} s and was stopped` })
        else if (code === 0) resolve({ exitCode: 0, error: null })
        else if (code !== null) resolve({ exitCode: code, error: `the deploy command exited with code ${code}` })
        else resolve({ exitCode: null, error: `the deploy command was stopped by ${signal}` })
      })
    })
    this.stopCurrent = null
    d.exitCode = outcome.exitCode
    d.error = outcome.error
    d.state = outcome.error ? 'failed' : 'succeeded'
    d.finishedAt = new Date().toISOString()
    this.current = null
    await this.persist(d)
  }

  /** One deployment, or null. */
  get(id: string): Deployment | null {
    const d = this.deployments.get(id)
    return d ? { ...d, logTail: [...d.logTail] } : null
  }

  /** Deployments, newest first. */
  list(limit = 20): Deployment[] {
    return [...this.deployments.keys()]
      .sort()
      .reverse()
      .slice(0, limit)
      .map((id) => this.get(id) as Deployment)
  }

  /** The running deployment, if any. */
  running(): Deployment | null {
    return this.current ? this.get(this.current.id) : null
  }

  /** Stops the running deployment, if any, and waits until it is recorded (used when closing). */
  async stop(): Promise<void> {
    this.stopCurrent?.()
    await this.finished
  }
}
