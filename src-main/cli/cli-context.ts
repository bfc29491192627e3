/**
 * What every command of the CLI shares: the host it talks to, how it finds the project, how it
 * prints, and its exit codes.
 *
 * The exit codes are a contract scripts rely on (README): 0 done, 1 error, 2 usage, 3 stopped
 * by a guard, by unresolved conflicts or by items that changed meanwhile.
 */
import path from 'node:path'
import type { Command } from 'commander'
import type { ErrorCode } from '../../src-shared/errors.js'
import type { Project } from '../host/engine-types.js'
import type { SyncHost } from '../host/sync-host.js'
import { printPieces } from './print.js'

/** Exit codes of the CLI, documented in the README. */
export const EXIT = { ok: 0, error: 1, usage: 2, stopped: 3 } as const

/** The exit code for an error's code. */
export function exitCodeFor(code: ErrorCode): number {
  if (code === 'usage') return EXIT.usage
  if (code === 'guard' || code === 'conflicts' || code === 'confirmation-needed' || code === 'plan-stale') return EXIT.stopped
  return EXIT.error
}

interface GlobalOptions {
  projectDir?: string
  localProjectDir?: string
}

/** What a command gets: the host and the few things every command does the same way. */
export class CliContext {
  private code: number = EXIT.ok

  constructor(readonly host: SyncHost) {}

  /** The folder named by --project-dir, or the current one. */
  projectDirOf(cmd: Command): string {
    const g = cmd.optsWithGlobals<GlobalOptions>()
    return path.resolve(g.projectDir ?? g.localProjectDir ?? process.cwd())
  }

  /**
   * The project a command works on. With no --project-dir, the nearest folder at or above the
   * current one that holds a project (as git finds its repository).
   */
  projectOf(cmd: Command): Project {
    const g = cmd.optsWithGlobals<GlobalOptions>()
    const named = g.projectDir ?? g.localProjectDir
    return this.host.openProject(named ?? process.cwd(), { findUp: !named })
  }

  /** Prints a line (or lines) on standard output. */
  out(text: string): void {
    printPieces([text])
  }

  /** Raises the exit code (the worst outcome of the command wins). */
  setExit(code: number): void {
    this.code = Math.max(this.code, code)
  }

  get exitCode(): number {
    return this.code
  }
}

/** Ctrl-C stops a run between chunks; what was done is recorded. A second Ctrl-C exits. */
export function cancellation(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write('\nStopping after the current batch… (Ctrl-C again to quit at once)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) }
}
