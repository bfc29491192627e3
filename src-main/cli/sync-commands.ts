/**
 * The commands that look and move: `status`, `pull`, `push`, `sync`, `clone`, `deploy …`,
 * `backups …` and `demo`. Each translates its arguments into host calls and the answers into
 * words; the runs themselves are in run-command.ts.
 */
import path from 'node:path'
import { Option, type Command } from 'commander'
import type { SyncScope } from '../../src-shared/sync-types.js'
import { displayName, displayText } from '../../src-shared/display-text.js'
import { SyncDeskError, describeError } from '../../src-shared/errors.js'
import { EXIT, type CliContext } from './cli-context.js'
import { formatBytes, formatDeployment, formatStatus, formatSummaryLine, renderStatus } from './format.js'
import { printPieces } from './print.js'
import { deployAndWait, envNameOrUsage, runCommand, type RunFlags } from './run-command.js'

function scopeOption(): Option {
  return new Option('--scope <scope>', 'what to compare: files, records (database) or all').choices(['files', 'records', 'all']).default('all')
}

/** Registers the commands that look and move. */
export function registerSyncCommands(program: Command, ctx: CliContext): void {
  const { host } = ctx
  program
    .command('status')
    .alias('sync-status')
    .description('show what changed where: remote_to_local, local_to_remote, conflicts, in_sync')
    .option('--env <name>', 'the environment (optional when there is only one)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'human']).default('human'))
    .addOption(new Option('--format-output <format>', 'alias of --format').choices(['json', 'human']).hideHelp())
    .option('--all', 'list in-sync items too (human format)')
    .addOption(scopeOption())
    .action(async (o: { env?: string; format: string; formatOutput?: string; all?: boolean; scope: SyncScope }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      const json = (o.formatOutput ?? o.format) === 'json'
      const names = Object.keys(project.config.environments)
      if (!o.env && !json && names.length > 1) {
        // Several environments: one summary line each (last sync, pending counts, deployment).
        for (const name of names) {
          try {
            const { report, info } = await host.status(project, name, { scope: o.scope, withInfo: true })
            ctx.out(formatSummaryLine(report, info))
          } catch (err) {
            ctx.out(`${displayName(name)}: ${displayText(err instanceof SyncDeskError ? err.message : describeError(err))}`)
            ctx.setExit(EXIT.error)
          }
        }
        ctx.out('\nDetails: syncdesk status --env NAME')
        return
      }
      const envName = envNameOrUsage(ctx, project, o.env)
      const { report, info } = await host.status(project, envName, { scope: o.scope, withInfo: !json })
      const shown = renderStatus(report, info, { json, all: o.all })
      process.stderr.write(shown.err)
      printPieces(shown.out)
    })

  const runOptions = (c: Command) =>
    c
      .option('--env <name>', 'the environment (optional when there is only one)')
      .option('--dry-run', 'print what would change, change nothing')
      .option('--allow-mass-delete', 'go on past the mass-delete guard')
      .option('-y, --yes', 'ask nothing on a terminal (flags decide)')
      .option('--create-tables', 'create the synced tables one side lacks from the other side\'s definition, then carry their records (--dry-run shows the statements)')
      .addOption(new Option('--format <format>', 'output format').choices(['json', 'human']).default('human'))
      .addOption(scopeOption())

  runOptions(program.command('pull').description('bring the environment’s changes here (remote_to_local)'))
    .option('--overwrite-local', 'also replace local changes in conflicts with the environment’s (backed up first)')
    .action(async (o: RunFlags, cmd: Command) => ctx.setExit(await runCommand(ctx, cmd, 'pull', o)))

  const allowProblems = (c: Command) => c.option('--allow-problems <file...>', 'push these files to a protected environment although the checks found problems in them (syntax errors, secrets)')

  allowProblems(runOptions(program.command('push').alias('sync-local-to-remote').description('send local changes to the environment (local_to_remote)')))
    .option('--overwrite-remote', 'also replace the environment’s changes in conflicts with the local ones')
    .option('--deploy', 'after a successful push, deploy the environment and wait for the outcome')
    .action(async (o: RunFlags, cmd: Command) => ctx.setExit(await runCommand(ctx, cmd, 'push', o)))

  allowProblems(runOptions(program.command('sync').description('both directions; each conflict is resolved: keep local / keep remote / skip')))
    .addOption(
      new Option('--resolve <choice>', 'resolve every conflict this way (no prompt); merge: the three-way merge of text files that changed in different lines and records that changed in different fields, others skipped').choices([
        'local',
        'remote',
        'skip',
        'merge',
      ]),
    )
    .action(async (o: RunFlags, cmd: Command) => ctx.setExit(await runCommand(ctx, cmd, 'sync', o)))

  runOptions(program.command('clone').alias('sync-project-to-local').description('pull the whole environment into an empty project directory'))
    .option('--folder <path>', 'in a new directory: the environment folder to clone from')
    .action(async (o: RunFlags & { folder?: string }, cmd: Command) => {
      const dir = ctx.projectDirOf(cmd)
      if (o.folder) {
        o.env = o.env ?? 'origin'
        await host.initFolderClone(dir, o.env, path.resolve(o.folder))
      }
      ctx.setExit(await runCommand(ctx, cmd, 'clone', o))
    })

  const deploy = program.command('deploy').description('the environment’s deployments')
  deploy
    .command('status')
    .description('the state of the environment’s latest deployment')
    .option('--env <name>', 'the environment (optional when there is only one)')
    .action(async (o: { env?: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      const envName = envNameOrUsage(ctx, project, o.env)
      const d = await host.deploymentStatus(project, envName)
      ctx.out(d ? formatDeployment(envName, d) : `${displayName(envName)} has not been deployed yet.`)
      if (d?.state === 'failed') ctx.setExit(EXIT.error)
    })
  deploy
    .command('start')
    .description('deploy the environment now and wait for the outcome')
    .option('--env <name>', 'the environment (optional when there is only one)')
    .action(async (o: { env?: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      ctx.setExit(await deployAndWait(ctx, project, envNameOrUsage(ctx, project, o.env)))
    })

  const backups = program.command('backups').description('local backups made before files were replaced or deleted')
  backups
    .command('list')
    .description('list the runs that replaced or deleted local files, newest first, with the space each takes')
    .action(async (_o, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      const { runs: list, totalBytes, retention: kept } = host.backupsUsage(project)
      if (list.length === 0) return ctx.out('No backups yet.')
      for (const b of list) ctx.out(`${displayName(b.runId)}  ${displayName(b.direction).padEnd(5)} ${displayName(b.env).padEnd(12)} ${b.overwritten} replaced, ${b.deleted} deleted, ${b.created} created  ${formatBytes(b.bytes)}`)
      // The total counts a file linked into several backups once: less than the sum of the lines.
      ctx.out(`Total: ${list.length} backup${list.length === 1 ? '' : 's'}, ${formatBytes(totalBytes)} on disk (kept: the newest ${kept.keepRuns} runs and those of the last ${kept.keepDays} days; older ones are removed after each run).`)
    })
  backups
    .command('restore <run>')
    .description('undo a run: put back the local files it replaced or deleted ("latest" for the last one)')
    .option('-y, --yes', 'ask nothing (a restore asks nothing; accepted as by every other command)')
    .action(async (runId: string, _o, cmd: Command) => {
      const r = await host.restore(ctx.projectOf(cmd), runId)
      const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`
      ctx.out(`Restored ${n(r.restored.length, 'item')} and removed ${n(r.removed.length, 'item')} that run had created.`)
      for (const l of r.left) ctx.out(`  left as it is: ${displayName(l.path)} (${displayText(l.reason)})`)
      if (r.restored.length + r.removed.length) ctx.out(`This restore can itself be undone: syncdesk backups restore ${r.restoreRunId}`)
      if (r.left.length) ctx.setExit(EXIT.stopped)
    })

  program
    .command('undo [run]')
    .description('undo a run ("latest" by default): a pull\'s local changes and a push\'s changes in the environment; what changed since is left alone')
    .option('--dry-run', 'say what would be put back, change nothing')
    .option('-y, --yes', 'ask nothing (an undo asks nothing; accepted as by every other command)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'human']).default('human'))
    .action(async (run: string | undefined, o: { dryRun?: boolean; format: string }, cmd: Command) => {
      const u = await host.undo(ctx.projectOf(cmd), run ?? 'latest', { dryRun: o.dryRun })
      if (o.format === 'json') return ctx.out(JSON.stringify(u, null, 2))
      const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`
      const verb = o.dryRun ? 'Would put back' : 'Put back'
      const env = displayName(u.env)
      if (u.local) ctx.out(`${verb} ${n(u.local.restored.length, 'item')} here and remove ${n(u.local.removed.length, 'item')} that run had created here.`)
      if (u.remote.restored.length + u.remote.removed.length + u.remote.left.length) ctx.out(`${verb} ${n(u.remote.restored.length, 'item')} in ${env} and remove ${n(u.remote.removed.length, 'item')} that run had created there.`)
      for (const l of [...(u.local?.left ?? []), ...u.remote.left]) ctx.out(`  left as it is: ${displayName(l.path)} (${displayText(l.reason)})`)
      if (u.undoRunId) ctx.out(`This undo can itself be undone: syncdesk undo ${u.undoRunId}`)
      if ((u.local?.left.length ?? 0) + u.remote.left.length) ctx.setExit(EXIT.stopped)
    })

  program
    .command('demo')
    .description('make a demo project with a local environment and show its status')
    .option('--dir <dir>', 'where to make it', path.join(process.env.HOME ?? process.cwd(), 'syncdesk-demo'))
    .action(async (o: { dir: string }) => {
      // Loaded when asked for: no other command pays for the demo's modules.
      const { DEMO_ENV, createDemo } = await import('../host/demo.js')
      const { projectDir, envDir } = await createDemo(path.resolve(o.dir))
      const project = host.openProject(projectDir)
      const { report } = await host.status(project, DEMO_ENV)
      const shownDir = displayText(projectDir)
      ctx.out(`Demo project: ${shownDir}\nIts environment "${DEMO_ENV}" is the folder ${displayText(envDir)} (standing in for the cloud).\n`)
      ctx.out(formatStatus(report))
      ctx.out(`\nTry:\n  npx syncdesk --project-dir ${shownDir} sync\n  npx syncdesk --project-dir ${shownDir} status`)
    })
}
