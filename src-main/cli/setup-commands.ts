/**
 * The commands that set a project up: `init`, `env …`, `db …`. Each translates its arguments
 * into one host call and the answer into words.
 */
import type { Command } from 'commander'
import { displayName, displayText } from '../../src-shared/display-text.js'
import { SyncDeskError } from '../../src-shared/errors.js'
import { tokenFromEnvironment, tokenVariableName } from '../host/sync-host.js'
import type { CliContext } from './cli-context.js'
import { askHidden, canAsk } from './prompt.js'

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
  const token = (await askHidden(`Token for ${displayName(envName)} (input hidden): `)).trim()
  if (!token) throw new SyncDeskError('usage', 'No token was typed.')
  return token
}

/** Registers `init`, `env` and `db`. */
export function registerSetupCommands(program: Command, ctx: CliContext): void {
  const { host } = ctx
  program
    .command('init')
    .description('make .syncdesk/ in the project')
    .action(async (_o, cmd: Command) => {
      const { project, created } = await host.initProject(ctx.projectDirOf(cmd))
      const dir = displayText(project.dir)
      ctx.out(created ? `Initialized a SyncDesk project in ${dir}` : `${dir} is already a SyncDesk project.`)
    })

  const env = program.command('env').description('manage environments')
  env
    .command('add <name>')
    .description('add an environment: a folder (--folder) or an environment server (--url)')
    .option('--folder <path>', 'a directory used as the environment')
    .option('--url <url>', 'the URL of an environment server')
    .option('--token-stdin', 'with --url: read the token from standard input (for scripts)')
    .option('--protected', 'ask for the environment’s name before any run that changes it (production)')
    .option('--color <hex>', 'a colour for the environment in the app, like #dc2626')
    .action(async (name: string, o: { folder?: string; url?: string; tokenStdin?: boolean; protected?: boolean; color?: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      if (Object.hasOwn(project.config.environments, name)) throw new SyncDeskError('env-exists', `There is already an environment named "${name}".`, `Remove it first with "syncdesk env remove ${name}".`)
      if (!!o.folder === !!o.url) throw new SyncDeskError('usage', 'Give exactly one of --folder PATH or --url URL.')
      if (o.color !== undefined && !/^#[0-9a-fA-F]{6}$/.test(o.color)) throw new SyncDeskError('usage', 'A colour is written like #dc2626.')
      const look = { protected: o.protected, color: o.color }
      if (o.folder) {
        const added = await host.addFolderEnvironment(project, name, o.folder, look)
        ctx.out(`Added environment ${displayName(name)}: folder ${displayText(added.kind === 'folder' ? added.path : '')}`)
        return
      }
      const token = await readToken(name, o)
      if (token === null && !tokenFromEnvironment(name)) {
        throw new SyncDeskError('usage', `No token given for ${name}.`, `Type it when asked (on a terminal), pass --token-stdin, or set ${tokenVariableName(name)}.`)
      }
      const { env: added } = await host.addServerEnvironment(project, name, o.url as string, token, look)
      const url = added.kind === 'server' ? added.url : ''
      ctx.out(`Added environment ${displayName(name)}: server ${displayText(url)}${token !== null ? ' (token checked and kept in the OS keychain)' : ` (token from ${displayName(tokenVariableName(name))})`}`)
    })
  env
    .command('list')
    .description('list the environments')
    .option('--format <format>', 'json or human', 'human')
    .action(async (o: { format: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      const envs = Object.entries(project.config.environments)
      if (o.format === 'json') return ctx.out(JSON.stringify(envs.map(([name, e]) => ({ name, ...e })), null, 2))
      if (envs.length === 0) return ctx.out('No environments yet. Add one with "syncdesk env add NAME --folder PATH".')
      for (const [name, e] of envs) ctx.out(`${displayName(name).padEnd(16)} ${e.kind.padEnd(7)} ${displayText(e.kind === 'folder' ? e.path : e.url)}${e.protected ? '  (protected)' : ''}`)
    })
  env
    .command('edit <name>')
    .description('change an environment: protect it, colour it, or point it elsewhere')
    .option('--protected', 'ask for its name before any run that changes it')
    .option('--unprotected', 'stop asking for its name')
    .option('--color <hex>', 'a colour for it in the app, like #dc2626 ("none" to clear)')
    .option('--folder <path>', 'a folder environment: its new folder')
    .option('--url <url>', 'a server environment: its new URL')
    .action(async (name: string, o: { protected?: boolean; unprotected?: boolean; color?: string; folder?: string; url?: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      if (o.color !== undefined && o.color !== 'none' && !/^#[0-9a-fA-F]{6}$/.test(o.color)) throw new SyncDeskError('usage', 'A colour is written like #dc2626, or "none".')
      const e = await host.editEnvironment(project, name, {
        protected: o.protected ? true : o.unprotected ? false : undefined,
        color: o.color === undefined ? undefined : o.color === 'none' ? null : o.color,
        location: o.folder ?? o.url,
      })
      ctx.out(`${displayName(name)}: ${e.kind} ${displayText(e.kind === 'folder' ? e.path : e.url)}${e.protected ? ', protected' : ''}${e.color ? `, colour ${e.color}` : ''}`)
    })
  env
    .command('remove <name>')
    .description('forget an environment (its files are not touched)')
    .action(async (name: string, _o, cmd: Command) => {
      await host.removeEnvironment(ctx.projectOf(cmd), name)
      ctx.out(`Removed environment ${displayName(name)}. Its files were not touched.`)
    })
  env
    .command('test <name>')
    .description('check that an environment can be reached')
    .action(async (name: string, _o, cmd: Command) => {
      const r = await host.testEnvironment(ctx.projectOf(cmd), name)
      ctx.out(`${displayName(name)} (${displayText(r.describe)}) answers: ${r.files} files.`)
    })

  const db = program.command('db').description('the project’s database, whose records sync like files')
  db.command('add')
    .description('use a SQLite file or a PostgreSQL database as the project’s database')
    .option('--sqlite <path>', 'a SQLite database file (relative to the project, or absolute)')
    .option('--postgres <url>', 'a PostgreSQL URL; a password in it goes to the OS keychain, never to the config')
    .action(async (o: { sqlite?: string; postgres?: string }, cmd: Command) => {
      const project = ctx.projectOf(cmd)
      if (!!o.sqlite === !!o.postgres) throw new SyncDeskError('usage', 'Give exactly one of --sqlite PATH or --postgres URL.')
      const r = await host.setDatabase(project, o.sqlite ? { sqlite: o.sqlite } : { postgres: o.postgres as string })
      ctx.out(`The project's database is now ${displayText(r.describe)} (${r.counts.map((c) => `${displayName(c.table)}: ${c.records ?? 'no such table'}`).join(', ')}).`)
    })
  db.command('tables')
    .description('list the synced tables, or change them')
    .option('--add <table>', 'sync this table too')
    .option('--key <column>', 'with --add: its primary key column', 'id')
    .option('--remove <table>', 'stop syncing this table (its records are not touched)')
    .action(async (o: { add?: string; key: string; remove?: string }, cmd: Command) => {
      const tables = await host.setTables(ctx.projectOf(cmd), { add: o.add ? { name: o.add, key: o.key } : undefined, remove: o.remove })
      for (const t of tables) ctx.out(`${displayName(t.name).padEnd(20)} key ${displayName(t.key)}`)
    })
}
