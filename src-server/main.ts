/**
 * `syncdesk-server`: serve one environment's project folder, and manage its tokens and versions.
 *
 * `serve` (the default command) takes a lock in `.syncdesk-server/` so two servers never write
 * the same folder, sweeps temp files an interrupted write left, and listens. The other commands
 * work on the folder directly and need no running server.
 *
 * Whatever stops a command reaches the user as one line on stderr, what went wrong and then
 * what to do, never a stack trace: a raw errno (a port in use, a folder it may not write, a
 * full disk) is put in those words by `failureLine`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { describeError, SyncDeskError } from '../src-main/engine/errors.js'
import { displayName, displayText } from '../src-shared/display-text.js'
import { buildServer } from './app.js'
import { Environment, readServerConfig, SERVER_DATA_DIR } from './environment.js'
import { ApiError } from './http-errors.js'
import { acquireServerLock } from './server-lock.js'
import { parseScopes, TokenFileDamaged, TokenStore } from './tokens.js'
import { DEFAULT_VERSION_RETENTION } from './versions.js'

function projectDir(dir: string | undefined): string {
  if (!dir) throw new SyncDeskError('usage', 'Give the environment\'s project folder with --project-dir DIR.')
  const abs = path.resolve(dir)
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new SyncDeskError('usage', `${abs} is not a folder.`, 'Give --project-dir an existing folder.')
  return abs
}

/** The server's own folder in the project, made (owner-only, 0o700) when it is missing. */
function dataDir(root: string): string {
  const dir = path.join(root, SERVER_DATA_DIR)
  try {
    if (fs.mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) fs.chmodSync(dir, 0o700)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  if (!fs.statSync(dir).isDirectory()) throw new SyncDeskError('io', `${dir} is not a folder: syncdesk-server keeps its tokens and versions there.`, 'Move that file away, then run the command again.')
  return dir
}

/** Refuses a broken `.syncdesk-server/config.json` in one line naming it (the parser's own error names no file). */
function checkConfig(root: string): void {
  try {
    readServerConfig(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== undefined) throw err
    const file = path.join(root, SERVER_DATA_DIR, 'config.json')
    throw new SyncDeskError('config-invalid', `${file} is not valid: ${oneLine(describeError(err)).replace(/\.$/, '')}.`, 'Fix it (a JSON object: name, deployCommand, deployTimeoutSec, extraExtensions, tables) or remove it, then start again.')
  }
}

function tokenStore(dir: string | undefined): TokenStore {
  return new TokenStore(path.join(dataDir(projectDir(dir)), 'tokens.json'))
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

type SystemError = NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }

/**
 * The one line that reports a failure: what went wrong, then what to do.
 *
 * SyncDeskErrors carry both already; system errors (errno codes) are put in words for the
 * operation that failed: listening, or a file of the project.
 */
function failureLine(err: unknown): string {
  if (err instanceof SyncDeskError) return oneLine(`${err.message}${err.hint ? ` ${err.hint}` : ''}`)
  if (err instanceof ApiError) return oneLine(err.message)
  const e = (err ?? {}) as SystemError
  const code = typeof e.code === 'string' ? e.code : undefined
  if (code && (e.syscall === 'listen' || e.syscall === 'bind')) {
    const where = e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : 'the address'
    if (code === 'EADDRINUSE') return `Cannot listen on ${where}: another program is listening there. Stop it, or pick another port with --port (0: any free port).`
    if (code === 'EACCES' || code === 'EPERM') return `Cannot listen on ${where}: permission denied. Pick a port from 1024 up with --port.`
    if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${where}: this machine has no such address. Give --host an address of this machine (default 127.0.0.1).`
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || e.syscall === 'getaddrinfo') return `Cannot listen on "${e.hostname ?? 'the host'}": the name does not resolve. Give --host an IP address (default 127.0.0.1) or a name this machine resolves.`
  if (code && e.path) {
    if (code === 'EACCES' || code === 'EPERM') return `Permission denied on ${e.path}. Let the user running syncdesk-server read and write the project folder, then run the command again.`
    if (code === 'EROFS') return `${e.path} is on a read-only file system. Serve a folder on a writable disk.`
    if (code === 'ENOSPC' || code === 'EDQUOT') return `The disk holding ${e.path} is full. Free some space, then run the command again.`
    if (code === 'EMFILE' || code === 'ENFILE') return `Too many open files (at ${e.path}). Raise the limit (ulimit -n), then run the command again.`
    if (code === 'ENOTDIR') return `${e.path}: part of this path is a file, not a folder. Move that file away, then run the command again.`
    if (code === 'EISDIR') return `${e.path} is a folder where a file belongs. Move it away, then run the command again.`
    if (code === 'ENOENT') return `${e.path} went missing while the command ran. Check the project folder, then run the command again.`
    return `${oneLine(describeError(err))} (${code} at ${e.path}). Check that path, then run the command again.`
  }
  if (code) return `${oneLine(describeError(err))} (${code}). Check the project folder and the flags, then run the command again.`
  return `Unexpected error: ${oneLine(describeError(err))}. Run the command again; if it keeps failing, report it.`
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
  keepVersions?: number
  keepVersionDays?: number
}

async function serve(flags: ServeFlags): Promise<void> {
  const root = projectDir(flags.projectDir)
  const lockFile = path.join(dataDir(root), 'server.lock')
  checkConfig(root)
  const lock = acquireServerLock(lockFile)
  const app = await buildServer({
    projectDir: root,
    name: flags.name,
    deployCommand: flags.deployCommand,
    deployTimeoutSec: flags.deployTimeout,
    databaseUrl: flags.databaseUrl ?? process.env.DATABASE_URL,
    retention: { keepPerItem: flags.keepVersions, keepDays: flags.keepVersionDays },
    log: flags.quiet ? false : undefined,
    // --quiet silences the request log, not what the operator must fix.
    warn: (line) => void process.stderr.write(line + '\n'),
  }).catch((err: unknown) => {
    lock.release()
    // The database stores say what failed (a refused connection, a file it cannot open), not what to do.
    if (err instanceof SyncDeskError && err.code === 'io' && !err.hint) {
      throw new SyncDeskError('io', `${err.message.charAt(0).toUpperCase()}${err.message.slice(1).replace(/\.$/, '')}.`, 'Check --database-url (or $DATABASE_URL) and that the database is up, then start again.')
    }
    throw err
  })
  const swept = await app.environment.sweepStaleTemps()
  if (swept.removed > 0) process.stderr.write(`syncdesk-server: removed ${swept.removed} temp file(s) left by an interrupted write\n`)
  if (swept.kept.length > 0) process.stderr.write(`syncdesk-server: left ${swept.kept.length} temp file(s) whose writer may still be running; they are removed once it is gone\n`)
  const address = await app.listen({ port: flags.port, host: flags.host }).catch(async (err: unknown) => {
    await app.close().catch(() => {})
    lock.release()
    throw err
  })
  // Said once it listens, so a start that fails says only why it failed.
  try {
    if (app.environment.tokens.list().length === 0) {
      process.stderr.write(`syncdesk-server: no tokens yet; every request will be refused. Create one: syncdesk-server token create NAME --scopes read,write --project-dir ${root}\n`)
    }
  } catch (err) {
    // A damaged token file was reported by the app (once); it serves 503 until it is fixed.
    if (!(err instanceof TokenFileDamaged)) throw err
  }
  const db = app.environment.records
  process.stdout.write(displayText(`syncdesk-server: serving "${app.environment.name}" (${root}) on ${address}`) + '\n')
  process.stderr.write(`syncdesk-server: database: ${db ? db.store.describe() : 'none (records are not served)'}\n`)
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
  .option('--database-url <url>', 'the database: postgres://… or sqlite:PATH (default: $DATABASE_URL, else .syncdesk-server/database.sqlite, created when missing)')
  .option('--keep-versions <n>', `prior versions always kept of each file and record (at least 1; default ${DEFAULT_VERSION_RETENTION.keepPerItem})`, intArg(1, 1_000_000))
  .option('--keep-version-days <days>', `prior versions younger than this are always kept (default ${DEFAULT_VERSION_RETENTION.keepDays}); older ones past --keep-versions are pruned (at start, then hourly)`, intArg(0, 36_500))
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
    const store = tokenStore(flags.projectDir)
    const aside = store.setAsideIfDamaged()
    if (aside) process.stderr.write(displayText(`syncdesk-server: the token file was damaged (${aside.detail}); moved it aside to ${aside.movedTo} and started a new one. The tokens it held no longer work: create them again.`) + '\n')
    const secret = await store.create(name, scopes)
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
    else for (const t of list) process.stdout.write(`${displayName(t.name)}\t${t.scopes.join(',')}\t${displayText(t.created)}\n`)
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
    const root = projectDir(flags.projectDir)
    checkConfig(root)
    const env = new Environment({ projectDir: root })
    const list = await env.versions.list(itemPath, flags.limit)
    if (flags.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n')
    else if (list.length === 0) process.stdout.write('No kept versions.\n')
    else for (const v of list) process.stdout.write(`${displayText(v.id)}\t${displayName(v.path)}\t${v.size} B\t${displayText(v.op ?? '-')} by ${displayText(v.by ?? '-')} at ${displayText(v.at ?? '-')}\n`)
  })

program
  .command('prune')
  .description('remove prior versions past the retention now (the newest --keep-versions of each item and those younger than --keep-version-days stay)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .option('--keep-versions <n>', `kept of each file and record, whatever their age (default ${DEFAULT_VERSION_RETENTION.keepPerItem})`, intArg(1, 1_000_000))
  .option('--keep-version-days <days>', `younger than this are kept (default ${DEFAULT_VERSION_RETENTION.keepDays})`, intArg(0, 36_500))
  .option('--dry-run', 'only say what would be removed')
  .action(async (flags: { projectDir?: string; keepVersions?: number; keepVersionDays?: number; dryRun?: boolean }) => {
    const root = projectDir(flags.projectDir)
    checkConfig(root)
    const env = new Environment({ projectDir: root, retention: { keepPerItem: flags.keepVersions, keepDays: flags.keepVersionDays } })
    const r = await env.pruneVersions({ dryRun: flags.dryRun })
    const verb = flags.dryRun ? 'Would remove' : 'Removed'
    process.stdout.write(`${verb} ${r.files.removed} file version(s) and ${r.records.removed} record version(s), ${r.files.bytes + r.records.bytes} bytes (kept: the newest ${r.retention.keepPerItem} of each item, and everything of the last ${r.retention.keepDays} days).\n`)
  })

program
  .command('restore <versionId> <path>')
  .description('put a kept version of a file back (the current content is kept as a version in turn)')
  .option('--project-dir <dir>', 'the environment\'s project folder')
  .action(async (versionId: string, itemPath: string, flags: { projectDir?: string }) => {
    const root = projectDir(flags.projectDir)
    checkConfig(root)
    const env = new Environment({ projectDir: root })
    const o = await env.restore(versionId, itemPath, 'command-line')
    await env.close()
    if (o.status >= 400) throw new SyncDeskError('io', `Could not restore ${itemPath}: ${o.error?.message ?? 'failed'}`)
    process.stdout.write(displayText(`Restored ${itemPath} from version ${versionId}.${o.versionId ? ` The content it replaced is kept as version ${o.versionId}.` : ''}`) + '\n')
  })

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`syncdesk-server: ${displayText(failureLine(err))}\n`)
  process.exit(err instanceof SyncDeskError && err.code === 'usage' ? 2 : 1)
})
