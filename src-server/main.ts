/**
 * `syncdesk-server`: serve one environment's project folder, and manage its tokens and versions.
 *
 * `serve` (the default command) takes a lock in `.syncdesk-server/` so two servers never write
 * the same folder, sweeps temp files an interrupted write left, and listens. The other commands
 * work on the folder directly and need no running server.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { SyncDeskError } from '../src-main/engine/errors.js'
import { buildServer } from './app.js'
import { Environment, SERVER_DATA_DIR } from './environment.js'
import { ApiError } from './http-errors.js'
import { acquireServerLock } from './server-lock.js'
import { parseScopes, TokenStore } from './tokens.js'

function projectDir(dir: string | undefined): string {
  if (!dir) throw new SyncDeskError('usage', 'Give the environment\'s project folder with --project-dir DIR.')
  const abs = path.resolve(dir)
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new SyncDeskError('usage', `${abs} is not a folder.`)
  return abs
}

function tokenStore(dir: string | undefined): TokenStore {
  const root = projectDir(dir)
  fs.mkdirSync(path.join(root, SERVER_DATA_DIR), { recursive: true, mode: 0o700 })
  return new TokenStore(path.join(root, SERVER_DATA_DIR, 'tokens.json'))
}

function intArg(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}

interface ServeFlags {
  projectDir?: string
  port: number
  host: string
  name?: string
  deployCommand?: string
  deployTimeout?: number
  databaseUrl?: string
  quiet?: boolean
}

async function serve(flags: ServeFlags): Promise<void> {
  const root = projectDir(flags.projectDir)
  const lock = acquireServerLock(path.join(root, SERVER_DATA_DIR, 'server.lock'))
  const app = await buildServer({
    projectDir: root,
    name: flags.name,
    deployCommand: flags.deployCommand,
    deployTimeoutSec: flags.deployTimeout,
    databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL,
    log: flags.quiet ? false : undefined,
  }).catch((err: unknown) => {
    lock.release()
    throw err
  })
  const swept = await app.environment.sweepStaleTemps()
  if (swept > 0) process.stderr.write(`syncdesk-server: removed ${swept} temp file(s) left by an interrupted write\n`)
  if (app.environment.tokens.list().length === 0) {
    process.stderr.write(`syncdesk-server: no tokens yet; every request will be refused. Create one: syncdesk-server token create NAME --scopes read,write --project-dir ${root}\n`)
  }
  const address = await app.listen({ port: flags.port, host: flags.host })
  const db = app.environment.records
  process.stdout.write(`syncdesk-server: serving "${app.environment.name}" (${root}) on ${address}\n`)
  process.stderr.write(`syncdesk-server: database: ${db ? db.store.describe() : 'none (records are not served; give --database-url, or create .syncdesk-server/database.sqlite)'}\n`)
  let closing = false
  const shutdown = (): void => {
    if (closing) return
    closing = true
    void app.close().finally(() => {
      lock.release()
      process.exit(0)
    })
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

const program = new Command('syncdesk-server')
  .description('Serve one SyncDesk environment (a project folder) over an authenticated HTTP API.')
  .showHelpAfterError()

program
  .command('serve', { isDefault: true })
  .description('serve the project folder (the default command)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .option('--port <port>', 'TCP port (0: any free port)', intArg(0, 65535), 7420)
  .option('--host <host>', 'address to listen on (put a TLS proxy in front for anything but loopback)', '127.0.0.1')
  .option('--name <name>', 'environment name (default: config.json "name", else the folder name)')
  .option('--deploy-command <command>', 'shell command run by POST /v1/deploy (default: config.json "deployCommand")')
  .option('--deploy-timeout <seconds>', 'stop a deployment after this long (default 600)', intArg(1, 86_400))
  .option('--database-url <url>', 'the database: postgres://… or sqlite:PATH (default: $DATABASE_URL, else .syncdesk-server/database.sqlite when it exists, else none)')
  .option('--quiet', 'no request log')
  .action(serve)

const token = program.command('token').description('manage API tokens (stored hashed in .syncdesk-server/tokens.json)')
token
  .command('create <name>')
  .description('create a token and print it once')
  .requiredOption('--scopes <list>', 'comma-separated: read, write, deploy')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .action(async (name: string, flags: { scopes: string; projectDir?: string }) => {
    const scopes = parseScopes(flags.scopes)
    const secret = await tokenStore(flags.projectDir).create(name, scopes)
    process.stderr.write(`Created token "${name}" (${scopes.join(',')}). It is shown only now; store it in your keychain:\n`)
    process.stdout.write(secret + '\n')
  })
token
  .command('list')
  .description('list tokens (names, scopes, creation time; never the tokens)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .option('--json', 'print JSON')
  .action((flags: { projectDir?: string; json?: boolean }) => {
    const list = tokenStore(flags.projectDir).list()
    if (flags.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n')
    else if (list.length === 0) process.stdout.write('No tokens.\n')
    else for (const t of list) process.stdout.write(`${t.name}\t${t.scopes.join(',')}\t${t.created}\n`)
  })
token
  .command('revoke <name>')
  .description('revoke a token (a running server refuses it from the next request)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .action(async (name: string, flags: { projectDir?: string }) => {
    if (!(await tokenStore(flags.projectDir).revoke(name))) throw new SyncDeskError('not-found', `There is no token named "${name}".`)
    process.stdout.write(`Revoked token "${name}".\n`)
  })

program
  .command('versions [path]')
  .description('list kept prior versions (of one file, or all), newest first')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .option('--limit <n>', 'at most this many', intArg(1, 1_000_000), 1000)
  .option('--json', 'print JSON')
  .action(async (itemPath: string | undefined, flags: { projectDir?: string; limit: number; json?: boolean }) => {
    const env = new Environment({ projectDir: projectDir(flags.projectDir) })
    const list = await env.versions.list(itemPath, flags.limit)
    if (flags.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n')
    else if (list.length === 0) process.stdout.write('No kept versions.\n')
    else for (const v of list) process.stdout.write(`${v.id}\t${v.path}\t${v.size} B\t${v.op ?? '-'} by ${v.by ?? '-'} at ${v.at ?? '-'}\n`)
  })

program
  .command('restore <versionId> <path>')
  .description('put a kept version of a file back (the current content is kept as a version in turn)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .action(async (versionId: string, itemPath: string, flags: { projectDir?: string }) => {
    const env = new Environment({ projectDir: projectDir(flags.projectDir) })
    const o = await env.restore(versionId, itemPath, 'command-line')
    await env.close()
    if (o.status >= 400) throw new SyncDeskError('io', `Could not restore ${itemPath}: ${o.error?.message ?? 'failed'}`)
    process.stdout.write(`Restored ${itemPath} from version ${versionId}.${o.versionId ? ` The content it replaced is kept as version ${o.versionId}.` : ''}\n`)
  })

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof SyncDeskError) {
    process.stderr.write(`syncdesk-server: ${err.message}\n`)
    process.exit(err.exitCode)
  }
  if (err instanceof ApiError) {
    process.stderr.write(`syncdesk-server: ${err.message}\n`)
    process.exit(1)
  }
  process.stderr.write(`syncdesk-server: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
