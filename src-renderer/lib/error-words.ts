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
  'remote-refused': 'The environment did not accept the token. Ask for a new one and store it for this environment.',
  keychain: 'SyncDesk keeps tokens in the system keychain, and it did not answer. Unlock the keychain, then try again.',
  locked: 'Another run is going on for this project. Wait for it to finish, then try again.',
  'plan-stale': 'Something changed since the preview. Look at the changes again.',
  'plan-unknown': 'Look at the changes again: open Push, Pull or Sync once more.',
  'path-refused': 'SyncDesk left that item alone; rename it so that it is a plain file name.',
}

/** The line under an error's message: the host's hint, else the dashboard's next step for its code. */
export function nextStep(error: ErrorPayload): string | null {
  return error.hint ?? NEXT_STEP[error.code] ?? null
}
