/**
 * The CLI's words for errors: the engine says what went wrong (a code, a line, details); the
 * CLI adds what to type about it. The MCP server and the dashboard word the same codes their
 * own way (an argument, a button), so no flag or command name is written below the faces.
 */
import type { SyncDeskError } from '../../src-shared/errors.js'

/** What to do about an error, in the CLI's words (its commands and flags), or undefined. */
export function cliHint(err: SyncDeskError): string | undefined {
  const d = err.details ?? {}
  const own = (() => {
    switch (err.code) {
      case 'not-initialized':
        return 'Run "syncdesk init" there (or pass --project-dir).'
      case 'env-unknown':
        return Array.isArray(d.known) && d.known.length ? undefined : 'Add one with "syncdesk env add NAME --folder PATH" or "--url URL".'
      case 'guard':
        return 'problem' in d ? 'If this is what you want, run again with --allow-mass-delete.' : undefined
      case 'not-empty':
        return 'Use "syncdesk pull" to bring an existing project up to date, or clone into a new directory.'
      case 'not-found':
        if ('backupRun' in d) return 'See "syncdesk backups list".'
        if ('database' in d) return 'Check the path with "syncdesk db add --sqlite PATH".'
        return undefined
      case 'usage':
        return d.database === null ? 'Add one with "syncdesk db add --sqlite PATH" or "--postgres URL".' : undefined
      case 'plan-stale':
        return 'Run the command again.'
      default:
        return undefined
    }
  })()
  return [err.hint, own].filter(Boolean).join(' ') || undefined
}

/** What to do about an error, in the MCP server's words (its tools and arguments), or undefined. */
export function mcpHint(err: SyncDeskError): string | undefined {
  const d = err.details ?? {}
  const own = (() => {
    switch (err.code) {
      case 'guard':
        return 'problem' in d ? 'If this is what the user wants, call the tool again with allow_mass_delete: true.' : undefined
      case 'not-initialized':
        return 'The project folder has no SyncDesk project; ask the user to set one up in the SyncDesk app or with "syncdesk init".'
      case 'not-empty':
        return 'Use sync_files with direction pull to bring an existing project up to date.'
      case 'confirmation-needed':
        return 'The environment is protected: ask the user to confirm, then call again with confirm_env set to its name.'
      default:
        return undefined
    }
  })()
  return [err.hint, own].filter(Boolean).join(' ') || undefined
}
