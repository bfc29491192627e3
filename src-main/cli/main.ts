/**
 * `syncdesk`: the command-line face of SyncDesk.
 *
 * Every use case lives in the host (src-main/host/); a command only translates its arguments
 * into a host call and the answer into words. The command names are a contract scripts rely
 * on. Every failure ends in one plain line (no stack trace) and a documented exit code.
 *
 * Names and messages may come from a hostile environment: every one printed for a person goes
 * through displayName (item paths, keys, environment and table names) or displayText (errors,
 * reasons, filesystem paths), so no control or bidirectional character reaches the terminal.
 * JSON output (--format json) is JSON.stringify's, for programs.
 */
import { Command, CommanderError } from 'commander'
import { displayText } from '../../src-shared/display-text.js'
import { SyncDeskError, describeError } from '../../src-shared/errors.js'
import { createCliHost } from '../host/create-host.js'
import { CliContext, EXIT, exitCodeFor } from './cli-context.js'
import { cliHint } from './error-words.js'
import { registerSetupCommands } from './setup-commands.js'
import { registerSyncCommands } from './sync-commands.js'

declare const __SYNCDESK_VERSION__: string | undefined
/** The version, set by the build. */
export const VERSION = typeof __SYNCDESK_VERSION__ === 'string' ? __SYNCDESK_VERSION__ : '0.0.0-dev'

/** Builds the program over a host. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command()
  program
    .name('syncdesk')
    .description('Keep a local project and its cloud environments in step.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--project-dir <dir>', 'the local project directory (default: the current directory)')
    .option('--local-project-dir <dir>', 'alias of --project-dir, as mage-agent users know it')
    .configureOutput({
      // Usage errors are one line too, in the same voice as every other error.
      outputError: (text, write) => write(`syncdesk: ${displayText(text.replace(/^error: /, '').trim())} (see "syncdesk --help")\n`),
    })
    .exitOverride()

  registerSetupCommands(program, ctx)
  registerSyncCommands(program, ctx)

  program
    .command('mcp')
    .description('serve the sync tools to an AI assistant over stdio (Model Context Protocol)')
    .action(async (_o, cmd: Command) => {
      // Loaded only here: the MCP SDK is large and no other command needs it.
      const { serveMcp } = await import('./mcp.js')
      await serveMcp({ projectDir: ctx.projectDirOf(cmd), host: ctx.host })
      // The transport keeps the process alive until the client closes stdin.
      await new Promise<void>((resolve) => process.stdin.on('close', resolve))
    })

  program
    .command('serve')
    .description('serve the dashboard on 127.0.0.1 (a URL with a private token is printed)')
    .option('--port <port>', 'the port (default: a free one)', (v) => Number(v))
    .option('--open', 'open the dashboard in the system browser')
    .option('--data-dir <dir>', 'where the dashboard keeps its projects list and settings')
    .option('--demo', 'with no project to open, open the demo (made on first use)')
    .action(async (o: { port?: number; open?: boolean; dataDir?: string; demo?: boolean }, cmd: Command) => {
      const { serve } = await import('../web/serve.js')
      const g = cmd.optsWithGlobals<{ projectDir?: string; localProjectDir?: string }>()
      await serve({ projectDir: g.projectDir ?? g.localProjectDir, port: o.port, open: o.open, dataDir: o.dataDir, demo: o.demo, version: VERSION })
    })

  return program
}

/** With SYNCDESK_DEBUG, the stack of an error: its lines kept, each escaped. */
function printStack(err: unknown): void {
  if (process.env.SYNCDESK_DEBUG && err instanceof Error) process.stderr.write(`${(err.stack ?? '').split('\n').map(displayText).join('\n')}\n`)
}

/** Runs the CLI with `argv` and returns the exit code; prints errors as one line. */
export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext(createCliHost())
  const program = buildProgram(ctx)
  try {
    await program.parseAsync(argv)
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok
      return EXIT.usage
    }
    // Messages name paths, keys and servers' answers: each is one line, escaped as a whole.
    if (err instanceof SyncDeskError) {
      // One line: what went wrong, then what to do about it, in the CLI's words.
      const hint = cliHint(err)
      process.stderr.write(`syncdesk: ${displayText(`${err.message}${hint ? ` ${hint}` : ''}`)}\n`)
      return exitCodeFor(err.code)
    }
    const errno = err as NodeJS.ErrnoException
    if (typeof errno?.code === 'string' && /^E[A-Z]+$/.test(errno.code)) {
      // A system error (disk full, permission denied, …): say what and where, not "unexpected".
      process.stderr.write(`syncdesk: ${displayText(`${describeError(err)}${errno.path ? ` (${errno.path})` : ''}`)}\n`)
      printStack(err)
      return EXIT.error
    }
    process.stderr.write(`syncdesk: unexpected error: ${displayText(describeError(err))}\n`)
    printStack(err)
    return EXIT.error
  } finally {
    await ctx.host.dispose()
  }
}
