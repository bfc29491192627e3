/**
 * `pull`, `push`, `sync` and `clone`: the two phases of a run, with the terminal as the face
 * that decides. The plan comes first (with the project's lock held, so a terminal's run never
 * meets a preview that went stale); the prompts (each conflict, the mass-delete guard, the
 * environment's name before its changes are replaced) answer the plan's questions; then the
 * plan is applied with those choices. With --yes or no terminal, the flags decide.
 */
import type { Command } from 'commander'
import type { Direction, Resolution, SyncScope } from '../../src-shared/sync-types.js'
import { displayName, displayText } from '../../src-shared/display-text.js'
import { SyncDeskError } from '../../src-shared/errors.js'
import type { DeploymentInfo, RunReport, TableToCreate } from '../host/engine-types.js'
import { CliContext, EXIT, cancellation } from './cli-context.js'
import { formatDeployment, formatRun, itemRef, progressPrinter, tablesJson } from './format.js'
import { ask, askConflict, askCreateTable, canAsk } from './prompt.js'

/** The flags of a run command. */
export interface RunFlags {
  env?: string
  dryRun?: boolean
  overwriteLocal?: boolean
  overwriteRemote?: boolean
  resolve?: Resolution
  allowMassDelete?: boolean
  yes?: boolean
  format?: 'human' | 'json'
  scope?: SyncScope
  deploy?: boolean
  /** Items to push to a protected environment in spite of the problems the checks found in them. */
  allowProblems?: string[]
  /** Create the tables one side lacks (the dry run and the prompt show their statements). */
  createTables?: boolean
}

/** Runs a direction for a command and returns its exit code. */
export async function runCommand(ctx: CliContext, cmd: Command, direction: Direction, flags: RunFlags): Promise<number> {
  const { host } = ctx
  const project = ctx.projectOf(cmd)
  const envName = envNameOrUsage(ctx, project, flags.env)
  const interactive = canAsk() && !flags.yes
  const showProgress = process.stderr.isTTY && flags.format !== 'json'
  const bar = showProgress ? progressPrinter(process.stderr, { pull: 'Pulling', push: 'Pushing', sync: 'Syncing', clone: 'Cloning' }[direction]) : null
  const cancel = cancellation()
  const allowProblems = flags.allowProblems?.length ? new Set(flags.allowProblems) : undefined
  let report: RunReport
  try {
    const handle = await host.plan(project, envName, direction, {
      scope: flags.scope,
      overwriteLocal: flags.overwriteLocal,
      overwriteRemote: flags.overwriteRemote,
      holdLock: !flags.dryRun,
      signal: cancel.signal,
      onProgress: bar ? (p) => bar.update(p) : undefined,
    })
    try {
      const resolutions = new Map<string, Resolution>()
      const decide = direction !== 'sync' ? undefined : resolverFor(flags, interactive, envName, () => bar?.done())
      if (decide) for (const c of handle.prepared.report.status.conflicts) resolutions.set(conflictLabel(c), await decide(c))
      if (flags.dryRun) {
        // As a real run would: a dry run past the guard needs the flag (or the name typed).
        const planned = host.planWith(handle, resolutions)
        if (planned.guard && !flags.allowMassDelete) {
          const go = interactive && (bar?.done(), process.stderr.write(`\n${displayText(planned.guard)}\n`), (await ask(`Type the environment name (${displayName(envName)}) to go on, or press Enter to stop: `)) === envName)
          if (!go) throw new SyncDeskError('guard', `Stopped by the mass-delete guard: ${planned.guard}`, 'Nothing was changed.', { problem: planned.guard })
        }
        report = host.dryRunReport(handle, resolutions, allowProblems)
      } else {
        const planned = host.planWith(handle, resolutions)
        let allowMassDelete = flags.allowMassDelete
        if (planned.guard && !allowMassDelete && interactive) {
          bar?.done()
          process.stderr.write(`\n${displayText(planned.guard)}\n`)
          allowMassDelete = (await ask(`Type the environment name (${displayName(envName)}) to go on, or press Enter to stop: `)) === envName
        }
        // A table one side lacks is created on the operator's yes: the flag, or an answer here.
        const createTables = await tablesYes(handle.planned.plan.tables.create, flags, interactive && !(planned.guard && !allowMassDelete), envName, () => bar?.done())
        // With --yes or no terminal the flags decide: the command itself is the confirmation.
        const needed = host.confirmNameFor(handle, resolutions, createTables)
        let confirmName: string | undefined = needed ?? undefined
        if (needed !== null && interactive && !(planned.guard && !allowMassDelete)) {
          bar?.done()
          // The operator learns what will be held back before confirming the rest.
          const held = host.dryRunReport(handle, resolutions, allowProblems).refused
          if (held.length) process.stderr.write(`\n${held.length} file(s) with problems will not be pushed to ${displayName(envName)} (name them with --allow-problems to push them anyway): ${held.slice(0, 10).map(displayName).join(', ')}${held.length > 10 ? ', …' : ''}\n`)
          confirmName = await askEnvName(envName, planned.replacingRemote, !!flags.overwriteRemote)
          if (confirmName !== envName) {
            throw new SyncDeskError('guard', planned.replacingRemote.length ? `Nothing was pushed: replacing the changes made in ${envName} was not confirmed.` : `Nothing was changed: the run on ${envName} was not confirmed.`, undefined, { env: envName })
          }
        }
        report = await host.apply(handle.id, { resolutions, confirmName, allowMassDelete, allowProblems, createTables, signal: cancel.signal, onProgress: bar ? (p) => bar.update(p) : undefined, resolve: decide })
      }
    } finally {
      await host.discard(handle.id)
    }
  } finally {
    bar?.done()
    cancel.dispose()
  }
  if (flags.format === 'json') ctx.out(JSON.stringify(runReportJson(report), null, 2))
  else ctx.out(formatRun(report))
  const problems = report.result?.problems ?? []
  if (report.errors.length) return EXIT.error
  if (flags.deploy && !flags.dryRun) {
    if (problems.length) {
      process.stderr.write(`syncdesk: ${problems.length} items were not pushed, so ${displayName(envName)} was not deployed.\n`)
      return EXIT.error
    }
    const code = await deployAndWait(ctx, project, envName)
    if (code !== EXIT.ok) return code
  }
  // Items held back because of their problems stop the run as conflicts do: the operator decides.
  const heldBack = new Set(report.refused)
  if (problems.some((p) => p.reason !== 'stale' && !(p.reason === 'refused' && heldBack.has(p.path)))) return EXIT.error
  // So do tables the run could have created and did not (no yes): their records were left out.
  const tablesLeft = !flags.dryRun && report.plan.tables.create.length > (report.createdTables ? report.createdTables.created.length + report.createdTables.existed.length + report.createdTables.failed.length : 0)
  if (problems.length || report.refused.length || report.plan.conflictsLeft.length || report.result?.cancelled || tablesLeft) return EXIT.stopped
  return EXIT.ok
}

/** Deploys an environment and waits, printing its outcome (and log tail on failure). */
export async function deployAndWait(ctx: CliContext, project: Parameters<CliContext['host']['deploy']>[0], envName: string): Promise<number> {
  process.stderr.write(`Deploying ${displayName(envName)}…\n`)
  const done: DeploymentInfo = await ctx.host.deploy(project, envName)
  ctx.out(formatDeployment(envName, done))
  return done.state === 'succeeded' ? EXIT.ok : EXIT.error
}

/** The environment a command means; with several and none named, a usage error naming the flag. */
export function envNameOrUsage(ctx: CliContext, project: Parameters<CliContext['host']['environmentName']>[0], name: string | undefined): string {
  try {
    return ctx.host.environmentName(project, name)
  } catch (err) {
    if (err instanceof SyncDeskError && err.details?.envRequired) {
      const known = (err.details.known as string[]) ?? []
      throw new SyncDeskError('usage', known.length ? `Say which environment with --env (one of: ${known.join(', ')}).` : 'This project has no environments yet.', known.length ? undefined : 'Add one with "syncdesk env add NAME --folder PATH".')
    }
    throw err
  }
}

function conflictLabel(c: { kind: 'file'; path: string } | { kind: 'record'; table: string; key: string }): string {
  return c.kind === 'file' ? c.path : `${c.table}/${c.key}`
}

/** How a sync decides each conflict: the --resolve flag, the terminal prompt, or not at all (skip). */
function resolverFor(flags: RunFlags, interactive: boolean, envName: string, beforePrompt: () => void) {
  if (flags.resolve === 'merge') return (c: import('../../src-shared/sync-types.js').StatusEntry): Resolution => (c.mergeable ? 'merge' : 'skip')
  if (flags.resolve) return (): Resolution => flags.resolve as Resolution
  if (interactive)
    return (c: import('../../src-shared/sync-types.js').StatusEntry) => {
      beforePrompt()
      return askConflict(c, envName)
    }
  return undefined
}

/**
 * Which of the tables a run can create the operator said yes to: all with --create-tables; on a
 * terminal, each asked with its statement shown; otherwise none (the run says how).
 */
async function tablesYes(tables: readonly TableToCreate[], flags: RunFlags, interactive: boolean, envName: string, beforePrompt: () => void): Promise<boolean | ReadonlySet<string>> {
  if (tables.length === 0) return false
  if (flags.createTables) return true
  if (!interactive) return false
  beforePrompt()
  const yes = new Set<string>()
  for (const t of tables) if (await askCreateTable(t, envName)) yes.add(t.table)
  return yes
}

/** Asks for the environment's name before a run that changes a protected one or replaces its changes. */
async function askEnvName(envName: string, replacing: readonly string[], overwriting: boolean): Promise<string> {
  if (replacing.length && overwriting) {
    process.stderr.write(`\nThese ${replacing.length} item(s) were changed in ${displayName(envName)} too; --overwrite-remote replaces those changes with yours:\n`)
    for (const i of replacing.slice(0, 20)) process.stderr.write(`  ${displayName(i)}\n`)
    if (replacing.length > 20) process.stderr.write(`  … and ${replacing.length - 20} more\n`)
    return ask(`Type the environment name (${displayName(envName)}) to replace them, or press Enter to stop: `)
  }
  process.stderr.write(`\n${displayName(envName)} is protected.\n`)
  return ask(`Type the environment name (${displayName(envName)}) to go on, or press Enter to stop: `)
}

function runReportJson(r: RunReport): unknown {
  return {
    env: r.env,
    direction: r.direction,
    dry_run: r.dryRun,
    actions: r.plan.actions.map((a) => ({ op: a.op, ...itemRef(a), bytes: a.size, why: a.why })),
    done: r.result?.done.map((a) => ({ op: a.op, ...itemRef(a) })) ?? [],
    problems: r.result?.problems ?? [],
    conflicts_left: r.plan.conflictsLeft.map(itemRef),
    not_carried: r.plan.notCarried.map(itemRef),
    backup_run: r.backupRunId,
    replanned: r.replanned,
    errors: r.errors,
    cancelled: r.result?.cancelled ?? false,
    warnings: r.warnings,
    // Positions, rule ids and plain words only: never the text of a file.
    checks: { problems: r.plan.checks.problems, unchecked: r.plan.checks.unchecked, refuses: r.plan.checks.refuses },
    refused: r.refused,
    tables: tablesJson(r),
  }
}
