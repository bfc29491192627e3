/**
 * What to do next after an error, in the dashboard's words (its buttons, not the CLI's flags).
 *
 * The host sends a code, a message and sometimes a face-neutral hint; where it sends no hint,
 * the dashboard says the next step for the code itself (src-shared/errors.ts: each face words
 * the codes its own way).
 */
import type { ErrorPayload } from '../../src-shared/errors.js'

const NEXT_STEP: Partial<Record<ErrorPayload['code'], string>> = {
  'not-initialized': 'Choose the folder of a project SyncDesk already keeps in step, or try the demo to see how it works.',
  'project-unknown': 'Open its folder again from the welcome screen.',
  'env-unknown': 'It may have been removed. Pick another environment in the sidebar.',
  'remote-unreachable': 'Check the network and that the environment is running, then press Check now.',
  'remote-refused': 'Ask whoever runs the environment for a new token, then choose Enter a new token and paste it.',
  guard: 'Check that nothing is missing by mistake. If you meant to delete them, tick Delete them anyway.',
  keychain: 'SyncDesk keeps tokens in the system keychain, and it did not answer. Unlock the keychain, then try again.',
  locked: 'Another run is going on for this project. Wait for it to finish, then try again.',
  'plan-stale': 'Something changed since the preview. Look at the changes again.',
  'plan-unknown': 'Look at the changes again: open Push, Pull or Sync once more.',
  'path-refused': 'SyncDesk left that item alone; rename it so that it is a plain file name.',
}

/** Codes whose next step is a button of the dashboard: its own words win over the host's hint (which names CLI commands). */
const DASHBOARD_FIRST: ReadonlySet<ErrorPayload['code']> = new Set(['remote-refused', 'keychain', 'guard'])

/** The line under an error's message: the host's hint, else the dashboard's next step for its code. */
export function nextStep(error: ErrorPayload): string | null {
  if (DASHBOARD_FIRST.has(error.code)) return NEXT_STEP[error.code] ?? error.hint ?? null
  return error.hint ?? NEXT_STEP[error.code] ?? null
}
