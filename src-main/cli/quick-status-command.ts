/**
 * `syncdesk status` through the resident host, in a bundle of its own (dist/quick-status.cjs)
 * that bin/syncdesk.cjs tries before it loads the whole CLI: with the desktop app or
 * `syncdesk serve` running for the project, the answer needs neither the engine's sync code nor
 * the CLI's other commands, and loading them was most of the time such a status took.
 *
 * It is the same command, not a second one: the status command's arguments as commander takes
 * them, the same host question (host/quick-status.ts) and the same words (format.ts
 * renderStatus). Anything it is not sure of (other arguments, `--help`, several environments
 * with none named, no host answering) answers null, and the whole CLI runs as always.
 *
 * When no host's socket is there, which is the usual case, it answers null before it loads the
 * protocol and the words (measured: 30 ms of every status without a host).
 */
import { parseArgs } from 'node:util'
import type { SyncScope } from '../../src-shared/sync-types.js'
import { mayHaveResidentHost } from '../host/socket-location.js'

const FORMATS = ['json', 'human']
const SCOPES = ['files', 'records', 'all']

/** The status command's arguments, or null when they are not a plain status with one environment. */
export function quickStatusArgs(args: readonly string[]): { dir?: string; env?: string; json: boolean; all: boolean; scope: SyncScope } | null {
  let parsed
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        'project-dir': { type: 'string' },
        'local-project-dir': { type: 'string' },
        env: { type: 'string' },
        format: { type: 'string' },
        'format-output': { type: 'string' },
        all: { type: 'boolean' },
        scope: { type: 'string' },
      },
    })
  } catch {
    return null
  }
  const { values: v, positionals } = parsed
  if (positionals.length !== 1 || (positionals[0] !== 'status' && positionals[0] !== 'sync-status')) return null
  const format = v['format-output'] ?? v.format ?? 'human'
  const scope = v.scope ?? 'all'
  if (!FORMATS.includes(format) || !SCOPES.includes(scope)) return null
  if (v.env === '' || v['project-dir'] === '' || v['local-project-dir'] === '') return null
  return { dir: v['project-dir'] ?? v['local-project-dir'], env: v.env, json: format === 'json', all: !!v.all, scope: scope as SyncScope }
}

/**
 * Answers `syncdesk status` from the resident host and returns the exit code, or null (nothing
 * printed) when the whole CLI must answer.
 */
export async function runQuickStatus(args: readonly string[]): Promise<number | null> {
  const q = quickStatusArgs(args)
  if (!q) return null
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
  })
  const dir = q.dir ?? process.cwd()
  if (!mayHaveResidentHost(dir, q.dir === undefined)) return null
  const [{ quickStatus }, { renderStatus }, { printPieces }] = await Promise.all([import('../host/quick-status.js'), import('./format.js'), import('./print.js')])
  const answer = await quickStatus({ dir, findUp: q.dir === undefined, env: q.env, scope: q.scope, withInfo: !q.json })
  if (!answer) return null
  const shown = renderStatus(answer.report, answer.info, { json: q.json, all: q.all })
  process.stderr.write(shown.err)
  printPieces(shown.out)
  return 0
}
