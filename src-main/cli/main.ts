/**
 * `syncdesk`: the command-line face of the sync engine.
 *
 * The command names are a contract scripts rely on. Every failure ends in one plain line
 * (no stack trace) and a documented exit code: 0 done, 1 error, 2 usage, 3 stopped by a
 * guard, by unresolved conflicts or by items that changed meanwhile.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Command, CommanderError, Option } from 'commander'
import { CATEGORIES, type Resolution, type SyncScope } from '../../src-shared/sync-types.js'
import { listBackups, restoreBackup } from '../engine/backups.js'
import { DirStore } from '../engine/dir-store.js'
import { EXIT, SyncDeskError, describeError } from '../engine/errors.js'
import { acquireLock } from '../engine/lock.js'
import { STATE_DIR, assertEnvName, initProject, openProject, type Project } from '../engine/project.js'
import { getStatus, openProjectDatabase, runDirection, type RunReport, type RunRequest } from '../engine/sync-engine.js'
import type { RecordStore } from '../engine/records/record-store.js'
import { GENERIC_VARIABLE, accountFor, tokenFromEnvironment, tokenVariableName } from '../secrets/credential-store.js'
import { KeytarCredentialStore } from '../secrets/keytar-store.js'
import { assertFolderOutsideProject, withRemote } from '../remotes/open-remote.js'
import type { Remote } from '../remotes/remote.js'
import { DEMO_ENV, createDemo } from './demo.js'
import { formatDeployment, formatRun, formatStatus, formatSummaryLine, progressPrinter } from './format.js'
import { waitForDeployment } from './deploy.js'
import { ask, askConflict, askHidden, canAsk } from './prompt.js'
import { ServerRemote } from '../remotes/server-remote.js'
import { createFilter } from '../engine/filter.js'

interface GlobalOptions {
  projectDir?: string
  localProjectDir?: string
}

function projectDirOf(cmd: Command): string {
  const g = cmd.optsWithGlobals<GlobalOptions>()
  return path.resolve(g.projectDir ?? g.localProjectDir ?? process.cwd())
}

/**
 * The project a command works on. With no --project-dir, the nearest folder at or above the
 * current one that holds `.syncdesk/config.json` (as git finds its repository), else the
 * current folder, so that the error names it.
 */
function openProjectOf(cmd: Command): Project {
  const g = cmd.optsWithGlobals<GlobalOptions>()
  if (g.projectDir ?? g.localProjectDir) return openProject(projectDirOf(cmd))
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, STATE_DIR, 'config.json'))) return openProject(dir)
    if (path.dirname(dir) === dir) return openProject(process.cwd())
  }
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/** The environment to use: the one named, or the only one there is. */
function envNameFor(project: Project, name: string | undefined): string {
  if (name) return name
  const names = Object.keys(project.config.environments)
  if (names.length === 1) return names[0] as string
  throw new SyncDeskError('usage', names.length ? `Say which environment with --env (one of: ${names.join(', ')}).` : 'This project has no environments yet.', names.length ? undefined : 'Add one with "syncdesk env add NAME --folder PATH".')
}

/** Ctrl-C stops a run between chunks; what was done is recorded. A second Ctrl-C exits. */
function cancellation(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write('\nStopping after the current batch… (Ctrl-C again to quit at once)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) }
}

interface RunFlags {
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
}

/** The token for a new server environment: stdin with --token-stdin, else asked on a terminal. */
async function readToken(envName: string, o: { tokenStdin?: boolean }): Promise<string | null> {
  if (o.tokenStdin) {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    const token = Buffer.concat(chunks).toString('utf8').trim()
    if (!token) throw new SyncDeskError('usage', 'Standard input held no token.')
    return token
  }
  if (tokenFromEnvironment(envName)) return null
  if (!canAsk()) return null
  const token = (await askHidden(`Token for ${envName} (input hidden): `)).trim()
  if (!token) throw new SyncDeskError('usage', 'No token was typed.')
  return token
}

/** Starts a deployment and waits for it, printing its outcome (and log tail on failure). */
async function deployAndWait(remote: Remote): Promise<number> {
  if (!remote.deploy) throw new SyncDeskError('usage', `${remote.envName} cannot deploy (only environment servers can).`)
  process.stderr.write(`Deploying ${remote.envName}…\n`)
  const done = await waitForDeployment(remote, await remote.deploy())
  out(formatDeployment(remote.envName, done))
  return done.state === 'succeeded' ? EXIT.ok : EXIT.error
}

function scopeOption(): Option {
  return new Option('--scope <scope>', 'what to compare: files, records (database) or all').choices(['files', 'records', 'all']).default('all')
}

/** The keychain account of a project's PostgreSQL password (environment names cannot hold "#"). */
function databaseAccount(project: Project): string {
  return accountFor(project.dir, '#database')
}

/** Opens the project's database, with a PostgreSQL password from SYNCDESK_DB_PASSWORD or the keychain. */
async function openLocalDatabase(project: Project): Promise<RecordStore | null> {
  const db = project.config.database
  if (!db) return null
  if (db.kind === 'sqlite') return openProjectDatabase(project)
  const fromEnv = process.env.SYNCDESK_DB_PASSWORD
  const password = fromEnv ?? (await new KeytarCredentialStore().get(databaseAccount(project)).catch(() => null)) ?? undefined
  return openProjectDatabase(project, password)
}

async function run(cmd: Command, direction: RunRequest['direction'], flags: RunFlags): Promise<number> {
  const project = openProjectOf(cmd)
  const envName = envNameFor(project, flags.env)
  return withRemote(project, envName, async (remote) => {
    const interactive = canAsk() && !flags.yes
    const showProgress = process.stderr.isTTY && flags.format !== 'json'
    const bar = showProgress ? progressPrinter(process.stderr, { pull: 'Pulling', push: 'Pushing', sync: 'Syncing', clone: 'Cloning' }[direction]) : null
    const cancel = cancellation()
    let report: RunReport
    try {
      report = await runDirection(project, remote, {
        direction,
        scope: flags.scope,
        openLocalRecords: () => openLocalDatabase(project),
        dryRun: flags.dryRun,
        overwriteLocal: flags.overwriteLocal,
        overwriteRemote: flags.overwriteRemote,
        allowMassDelete: flags.allowMassDelete,
        signal: cancel.signal,
        onProgress: bar ? (p) => bar.update(p) : undefined,
        resolve:
          direction !== 'sync'
            ? undefined
            : flags.resolve === 'merge'
              ? (c) => (c.kind === 'record' && c.mergeable ? 'merge' : 'skip')
              : flags.resolve
                ? () => flags.resolve as Resolution
              : interactive
                ? (c) => {
                    bar?.done()
                    return askConflict(c, envName)
                  }
                : undefined,
        confirmOverwriteRemote: interactive
          ? async (items) => {
              bar?.done()
              process.stderr.write(`\nThese ${items.length} item(s) were changed in ${envName} too; --overwrite-remote replaces those changes with yours:\n`)
              for (const i of items.slice(0, 20)) process.stderr.write(`  ${i}\n`)
              if (items.length > 20) process.stderr.write(`  … and ${items.length - 20} more\n`)
              return (await ask(`Type the environment name (${envName}) to replace them, or press Enter to stop: `)) === envName
            }
          : undefined,
        confirmMassDelete: interactive
          ? async (problem) => {
              bar?.done()
              process.stderr.write(`\n${problem}\n`)
              const answer = await ask(`Type the environment name (${envName}) to go on, or press Enter to stop: `)
              return answer === envName
            }
          : undefined,
      })
    } finally {
      bar?.done()
      cancel.dispose()
    }
    if (flags.format === 'json') out(JSON.stringify(runReportJson(report), null, 2))
    else out(formatRun(report))
    const problems = report.result?.problems ?? []
    if (report.errors.length) return EXIT.error
    if (flags.deploy && !flags.dryRun) {
      if (problems.length) {
        process.stderr.write(`syncdesk: ${problems.length} items were not pushed, so ${envName} was not deployed.\n`)
        return EXIT.error
      }
      const code = await deployAndWait(remote)
      if (code !== EXIT.ok) return code
    }
    if (problems.some((p) => p.reason !== 'stale')) return EXIT.error
    if (problems.length || report.plan.conflictsLeft.length || report.result?.cancelled) return EXIT.stopped
    return EXIT.ok
  })
}

/** `{path}` for a file, `{table, key}` for a record. */
function itemRef(x: { kind: 'file'; path: string } | { kind: 'record'; table: string; key: string }): Record<string, string> {
  return x.kind === 'file' ? { path: x.path } : { table: x.table, key: x.key }
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
  }
}

/** Builds the program; exported for tests of the command surface. */
export function buildProgram(): Command {
  const program = new Command()
  program
    .name('syncdesk')
    .description('Keep a local project and its cloud environments in step.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--project-dir <dir>', 'the local project directory (default: the current directory)')
    .option('--local-project-dir <dir>', 'alias of --project-dir, as mage-agent users know it')
    .configureOutput({
      // Usage errors are one line too, in the same voice as every other error.
      outputError: (text, write) => write(`syncdesk: ${text.replace(/^error: /, '').trim()} (see "syncdesk --help")\n`),
    })
    .exitOverride()

  program
    .command('init')
    .description('make .syncdesk/ in the project')
    .action(async (_o, cmd: Command) => {
      const { project, created } = await initProject(projectDirOf(cmd))
      out(created ? `Initialized a SyncDesk project in ${project.dir}` : `${project.dir} is already a SyncDesk project.`)
    })

  const env = program.command('env').description('manage environments')
  env
    .command('add <name>')
    .description('add an environment: a folder (--folder) or an environment server (--url)')
    .option('--folder <path>', 'a directory used as the environment')
    .option('--url <url>', 'the URL of an environment server')
    .option('--token-stdin', 'with --url: read the token from standard input (for scripts)')
    .action(async (name: string, o: { folder?: string; url?: string; tokenStdin?: boolean }, cmd: Command) => {
      assertEnvName(name)
      const project = openProjectOf(cmd)
      if (project.config.environments[name]) throw new SyncDeskError('env-exists', `There is already an environment named "${name}".`, `Remove it first with "syncdesk env remove ${name}".`)
      if (!!o.folder === !!o.url) throw new SyncDeskError('usage', 'Give exactly one of --folder PATH or --url URL.')
      if (o.folder) {
        const folder = path.resolve(o.folder)
        if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new SyncDeskError('usage', `The folder ${folder} does not exist.`, 'Create it first (it may be empty).')
        assertFolderOutsideProject(project.dir, folder)
        project.config.environments[name] = { kind: 'folder', path: folder }
        await project.save()
        out(`Added environment ${name}: folder ${folder}`)
        return
      }
      let url: URL
      try {
        url = new URL(o.url as string)
      } catch {
        throw new SyncDeskError('usage', `${o.url} is not a URL (like https://staging.example.com:7420).`)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SyncDeskError('usage', 'The URL must start with https:// (or http:// on a trusted network).')
      if (url.username || url.password) throw new SyncDeskError('usage', 'Put no credentials in the URL: the token is asked for separately and kept in the OS keychain.')
      const token = await readToken(name, o)
      if (token !== null) {
        // Check the token before keeping anything, so a typo is caught now and not at the first push.
        const remote = new ServerRemote(name, url.toString(), token)
        try {
          await remote.scan(createFilter())
        } finally {
          await remote.close()
        }
        await new KeytarCredentialStore().set(accountFor(project.dir, name), token).catch((err: unknown) => {
          // The keychain's hint names the variable generically; name this environment's.
          if (err instanceof SyncDeskError && err.hint) throw new SyncDeskError(err.code, err.message, err.hint.split(GENERIC_VARIABLE).join(tokenVariableName(name)))
          throw err
        })
      } else if (!tokenFromEnvironment(name)) {
        throw new SyncDeskError('usage', `No token given for ${name}.`, `Type it when asked (on a terminal), pass --token-stdin, or set ${tokenVariableName(name)}.`)
      }
      project.config.environments[name] = { kind: 'server', url: url.toString() }
      await project.save()
      out(`Added environment ${name}: server ${url.toString()}${token !== null ? ' (token checked and kept in the OS keychain)' : ` (token from ${tokenVariableName(name)})`}`)
    })
  env
    .command('list')
    .description('list the environments')
    .option('--format <format>', 'json or human', 'human')
    .action(async (o: { format: string }, cmd: Command) => {
      const project = openProjectOf(cmd)
      const envs = Object.entries(project.config.environments)
      if (o.format === 'json') return out(JSON.stringify(envs.map(([name, e]) => ({ name, ...e })), null, 2))
      if (envs.length === 0) return out('No environments yet. Add one with "syncdesk env add NAME --folder PATH".')
      for (const [name, e] of envs) out(`${name.padEnd(16)} ${e.kind.padEnd(7)} ${e.kind === 'folder' ? e.path : e.url}`)
    })
  env
    .command('remove <name>')
    .description('forget an environment (its files are not touched)')
    .action(async (name: string, _o, cmd: Command) => {
      const project = openProjectOf(cmd)
      const removed = project.environment(name)
      const lock = acquireLock(project.stateDir, `env remove ${name}`)
      try {
        delete project.config.environments[name]
        await project.save()
        fs.rmSync(project.baselineFile(name), { force: true })
        fs.rmSync(project.cacheFile(name), { force: true })
      } finally {
        lock.release()
      }
      if (removed.kind === 'server') {
        await new KeytarCredentialStore().delete(accountFor(project.dir, name)).catch(() => false)
      }
      out(`Removed environment ${name}. Its files were not touched.`)
    })
  env
    .command('test <name>')
    .description('check that an environment can be reached')
    .action(async (name: string, _o, cmd: Command) => {
      const project = openProjectOf(cmd)
      await withRemote(project, name, async (remote) => {
        const scan = await remote.scan(project.filter())
        out(`${name} (${remote.describe()}) answers: ${scan.files.size} files.`)
      })
    })

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
      const project = openProjectOf(cmd)
      const json = (o.formatOutput ?? o.format) === 'json'
      const names = Object.keys(project.config.environments)
      if (!o.env && !json && names.length > 1) {
        // Several environments: one summary line each (last sync, pending counts, deployment).
        for (const name of names) {
          try {
            const line = await withRemote(project, name, async (remote) => {
              const report = await getStatus(project, remote, { scope: o.scope, openLocalRecords: () => openLocalDatabase(project) })
              const info = remote.info ? await remote.info().catch(() => null) : null
              return formatSummaryLine(report, info)
            })
            out(line)
          } catch (err) {
            out(`${name}: ${err instanceof SyncDeskError ? err.message : describeError(err)}`)
            setExit(EXIT.error)
          }
        }
        out('\nDetails: syncdesk status --env NAME')
        return
      }
      const envName = envNameFor(project, o.env)
      const { report, info } = await withRemote(project, envName, async (remote) => ({
        report: await getStatus(project, remote, { scope: o.scope, openLocalRecords: () => openLocalDatabase(project) }),
        info: !json && remote.info ? await remote.info().catch(() => null) : null,
      }))
      for (const w of report.warnings) process.stderr.write(`Warning: ${w}\n`)
      if (json) {
        const obj: Record<string, unknown> = {}
        for (const c of CATEGORIES) obj[c] = report.status[c]
        // In-sync items are listed by name only: thousands of hashes nobody reads cost seconds.
        obj.in_sync = report.status.in_sync.map((e) => ({ kind: e.kind, ...itemRef(e), local: e.local, remote: e.remote }))
        out(JSON.stringify(obj))
      } else out(`${formatSummaryLine(report, info)}\n\n${formatStatus(report, { all: o.all })}`)
    })

  const runOptions = (c: Command) =>
    c
      .option('--env <name>', 'the environment (optional when there is only one)')
      .option('--dry-run', 'print what would change, change nothing')
      .option('--allow-mass-delete', 'go on past the mass-delete guard')
      .option('-y, --yes', 'ask nothing on a terminal (flags decide)')
      .addOption(new Option('--format <format>', 'output format').choices(['json', 'human']).default('human'))
      .addOption(scopeOption())

  runOptions(program.command('pull').description('bring the environment’s changes here (remote_to_local)'))
    .option('--overwrite-local', 'also replace local changes in conflicts with the environment’s (backed up first)')
    .action((o: RunFlags, cmd: Command) => run(cmd, 'pull', o).then(setExit))

  runOptions(program.command('push').alias('sync-local-to-remote').description('send local changes to the environment (local_to_remote)'))
    .option('--overwrite-remote', 'also replace the environment’s changes in conflicts with the local ones')
    .option('--deploy', 'after a successful push, deploy the environment and wait for the outcome')
    .action((o: RunFlags, cmd: Command) => run(cmd, 'push', o).then(setExit))

  const deploy = program.command('deploy').description('the environment’s deployments')
  deploy
    .command('status')
    .description('the state of the environment’s latest deployment')
    .option('--env <name>', 'the environment (optional when there is only one)')
    .action(async (o: { env?: string }, cmd: Command) => {
      const project = openProjectOf(cmd)
      const envName = envNameFor(project, o.env)
      await withRemote(project, envName, async (remote) => {
        if (!remote.info) throw new SyncDeskError('usage', `${envName} has no deployments (only environment servers deploy).`)
        const info = await remote.info()
        out(info.deployment ? formatDeployment(envName, info.deployment) : `${envName} has not been deployed yet.`)
        if (info.deployment?.state === 'failed') setExit(EXIT.error)
      })
    })
  deploy
    .command('start')
    .description('deploy the environment now and wait for the outcome')
    .option('--env <name>', 'the environment (optional when there is only one)')
    .action(async (o: { env?: string }, cmd: Command) => {
      const project = openProjectOf(cmd)
      const envName = envNameFor(project, o.env)
      await withRemote(project, envName, async (remote) => setExit(await deployAndWait(remote)))
    })

  program
    .command('mcp')
    .description('serve the sync tools to an AI assistant over stdio (Model Context Protocol)')
    .action(async (_o, cmd: Command) => {
      const dir = projectDirOf(cmd)
      // Loaded only here: the MCP SDK is large and no other command needs it.
      const { serveMcp } = await import('./mcp.js')
      await serveMcp({ projectDir: dir, openLocalRecords: (p) => openLocalDatabase(p) })
      // The transport keeps the process alive until the client closes stdin.
      await new Promise<void>((resolve) => process.stdin.on('close', resolve))
    })

  runOptions(program.command('sync').description('both directions; each conflict is resolved: keep local / keep remote / skip'))
    .addOption(
      new Option('--resolve <choice>', 'resolve every conflict this way (no prompt); merge: field-level merge of records that changed in different fields, others skipped').choices([
        'local',
        'remote',
        'skip',
        'merge',
      ]),
    )
    .action((o: RunFlags, cmd: Command) => run(cmd, 'sync', o).then(setExit))

  runOptions(program.command('clone').alias('sync-project-to-local').description('pull the whole environment into an empty project directory'))
    .option('--folder <path>', 'in a new directory: the environment folder to clone from')
    .action(async (o: RunFlags & { folder?: string }, cmd: Command) => {
      const dir = projectDirOf(cmd)
      if (o.folder) {
        const folder = path.resolve(o.folder)
        const name = o.env ?? 'origin'
        assertEnvName(name)
        // Check before init, so a refused clone leaves no .syncdesk/ behind.
        assertFolderOutsideProject(dir, folder)
        const { project } = await initProject(dir)
        if (!project.config.environments[name]) {
          project.config.environments[name] = { kind: 'folder', path: folder }
          await project.save()
        }
        o.env = name
      }
      setExit(await run(cmd, 'clone', o))
    })

  const db = program.command('db').description('the project’s database, whose records sync like files')
  db.command('add')
    .description('use a SQLite file or a PostgreSQL database as the project’s database')
    .option('--sqlite <path>', 'a SQLite database file (relative to the project, or absolute)')
    .option('--postgres <url>', 'a PostgreSQL URL; a password in it goes to the OS keychain, never to the config')
    .action(async (o: { sqlite?: string; postgres?: string }, cmd: Command) => {
      const project = openProjectOf(cmd)
      if (!!o.sqlite === !!o.postgres) throw new SyncDeskError('usage', 'Give exactly one of --sqlite PATH or --postgres URL.')
      if (o.sqlite) {
        const file = path.resolve(project.dir, o.sqlite)
        if (!fs.existsSync(file)) throw new SyncDeskError('usage', `There is no database file at ${file}.`)
        project.config.database = { kind: 'sqlite', path: o.sqlite }
      } else {
        let url: URL
        try {
          url = new URL(o.postgres as string)
        } catch {
          throw new SyncDeskError('usage', 'The PostgreSQL URL is not a valid URL (postgres://user@host:5432/db).')
        }
        if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new SyncDeskError('usage', 'The URL must start with postgres:// or postgresql://.')
        if (url.password) {
          await new KeytarCredentialStore().set(databaseAccount(project), decodeURIComponent(url.password))
          url.password = ''
        }
        project.config.database = { kind: 'postgres', url: url.toString() }
      }
      await project.save()
      const store = await openLocalDatabase(project)
      try {
        const counts = await Promise.all(project.config.tables.map(async (t) => `${t.name}: ${(await store?.list(t))?.size ?? 0}`))
        out(`The project's database is now ${store?.describe()} (${counts.join(', ')}).`)
      } finally {
        await store?.close()
      }
    })
  db.command('tables')
    .description('list the synced tables, or change them')
    .option('--add <table>', 'sync this table too')
    .option('--key <column>', 'with --add: its primary key column', 'id')
    .option('--remove <table>', 'stop syncing this table (its records are not touched)')
    .action(async (o: { add?: string; key: string; remove?: string }, cmd: Command) => {
      const project = openProjectOf(cmd)
      const ident = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
      if (o.add) {
        if (!ident.test(o.add) || !ident.test(o.key)) throw new SyncDeskError('usage', 'Table and column names use letters, digits and "_".')
        project.config.tables = [...project.config.tables.filter((t) => t.name !== o.add), { name: o.add, key: o.key }]
        await project.save()
      }
      if (o.remove) {
        if (!project.config.tables.some((t) => t.name === o.remove)) throw new SyncDeskError('usage', `The table "${o.remove}" is not synced.`)
        project.config.tables = project.config.tables.filter((t) => t.name !== o.remove)
        await project.save()
      }
      for (const t of project.config.tables) out(`${t.name.padEnd(20)} key ${t.key}`)
    })

  const backups = program.command('backups').description('local backups made before files were replaced or deleted')
  backups
    .command('list')
    .description('list the runs that replaced or deleted local files, newest first')
    .action(async (_o, cmd: Command) => {
      const project = openProjectOf(cmd)
      const list = listBackups(project.backupsDir)
      if (list.length === 0) return out('No backups yet.')
      for (const b of list) out(`${b.runId}  ${b.direction.padEnd(5)} ${b.env.padEnd(12)} ${b.overwritten} replaced, ${b.deleted} deleted, ${b.created} created`)
    })
  backups
    .command('restore <run>')
    .description('undo a run: put back the local files it replaced or deleted ("latest" for the last one)')
    .action(async (runId: string, _o, cmd: Command) => {
      const project = openProjectOf(cmd)
      const lock = acquireLock(project.stateDir, `backups restore ${runId}`)
      try {
        const store = new DirStore(project.dir, { cacheFile: project.cacheFile('local') })
        const records = await openLocalDatabase(project)
        let r: Awaited<ReturnType<typeof restoreBackup>>
        try {
          r = await restoreBackup(project.backupsDir, runId, store, records ? { records, tables: project.config.tables } : null)
        } finally {
          await records?.close()
        }
        await store.saveCache()
        const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`
        out(`Restored ${n(r.restored.length, 'item')} and removed ${n(r.removed.length, 'item')} that run had created.`)
        for (const l of r.left) out(`  left as it is: ${l.path} (${l.reason})`)
        if (r.restored.length + r.removed.length) out(`This restore can itself be undone: syncdesk backups restore ${r.restoreRunId}`)
        if (r.left.length) setExit(EXIT.stopped)
      } finally {
        lock.release()
      }
    })

  program
    .command('demo')
    .description('make a demo project with a local environment and show its status')
    .option('--dir <dir>', 'where to make it', path.join(process.env.HOME ?? process.cwd(), 'syncdesk-demo'))
    .action(async (o: { dir: string }) => {
      const { projectDir, envDir } = await createDemo(path.resolve(o.dir))
      const project = openProject(projectDir)
      const report = await withRemote(project, DEMO_ENV, (remote) => getStatus(project, remote))
      out(`Demo project: ${projectDir}\nIts environment "${DEMO_ENV}" is the folder ${envDir} (standing in for the cloud).\n`)
      out(formatStatus(report))
      out(`\nTry:\n  npx syncdesk --project-dir ${projectDir} sync\n  npx syncdesk --project-dir ${projectDir} status`)
    })

  return program
}

declare const __SYNCDESK_VERSION__: string | undefined
const VERSION = typeof __SYNCDESK_VERSION__ === 'string' ? __SYNCDESK_VERSION__ : '0.0.0-dev'

let exitCode: number = EXIT.ok
function setExit(code: number): void {
  exitCode = Math.max(exitCode, code)
}

/** Runs the CLI with `argv` and returns the exit code; prints errors as one line. */
export async function main(argv: string[]): Promise<number> {
  exitCode = EXIT.ok
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok
      return EXIT.usage
    }
    if (err instanceof SyncDeskError) {
      // One line: what went wrong, then what to do about it.
      process.stderr.write(`syncdesk: ${err.message}${err.hint ? ` ${err.hint}` : ''}\n`)
      return err.exitCode
    }
    const errno = err as NodeJS.ErrnoException
    if (typeof errno?.code === 'string' && /^E[A-Z]+$/.test(errno.code)) {
      // A system error (disk full, permission denied, …): say what and where, not "unexpected".
      process.stderr.write(`syncdesk: ${describeError(err)}${errno.path ? ` (${errno.path})` : ''}\n`)
      if (process.env.SYNCDESK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`)
      return EXIT.error
    }
    process.stderr.write(`syncdesk: unexpected error: ${describeError(err)}\n`)
    if (process.env.SYNCDESK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    return EXIT.error
  }
}
