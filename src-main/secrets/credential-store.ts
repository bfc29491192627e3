/**
 * Where environment tokens come from: the OS keychain, or an environment variable.
 *
 * DESIGN.md safety rule 8: secrets live only in the OS keychain or, for headless CLI use, in
 * an environment variable. Never in config files, logs or IPC payloads, and no keychain means
 * a clear error, never a plaintext fallback. This module holds the interface every face is
 * given and the lookup order; `keytar-store.ts` holds the one real keychain implementation.
 */
import path from 'node:path'
import { SyncDeskError } from '../engine/errors.js'

/**
 * How keychain errors name the token variable when they do not know the environment.
 *
 * A store sees only account names; resolveToken swaps this for the exact variable name.
 */
export const GENERIC_VARIABLE = 'SYNCDESK_TOKEN_<ENV>'

/**
 * A place that keeps secrets by account name.
 *
 * The engine and faces take this interface, not keytar, so that wiring happens once at each
 * entry point (STYLE.md, ports and adapters). Implementations throw a SyncDeskError with
 * code `keychain` when the store cannot be reached, and never put a secret in a message.
 */
export interface CredentialStore {
  /** The secret stored for `account`, or null when there is none. */
  get(account: string): Promise<string | null>
  /** Stores `secret` for `account`, replacing any previous one. */
  set(account: string, secret: string): Promise<void>
  /** Removes the secret for `account`; false when there was none. */
  delete(account: string): Promise<boolean>
}

/**
 * The keychain account name for one project's environment: `<absolute project dir>:<env>`.
 *
 * One token per project × environment, so two projects with a `staging` environment pointing
 * at different servers never share a token. The path is resolved so that `.` and `/abs/dir`
 * name the same account.
 */
export function accountFor(projectDir: string, envName: string): string {
  return `${path.resolve(projectDir)}:${envName}`
}

/**
 * The environment variable that carries the token for `envName`: `SYNCDESK_TOKEN_<NAME>`.
 *
 * The name is upper-cased and every character other than A–Z and 0–9 becomes `_`, so that
 * `staging-eu` reads `SYNCDESK_TOKEN_STAGING_EU`, a name every shell and CI system accepts.
 */
export function tokenVariableName(envName: string): string {
  return `SYNCDESK_TOKEN_${envName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/**
 * The token for `envName` from the environment variable, or null when it is unset or empty.
 *
 * This is the headless path (CI, servers without a desktop session): no keychain is loaded.
 * Surrounding whitespace is dropped, since a token never contains any and a pasted newline
 * would otherwise be sent as part of it.
 */
export function tokenFromEnvironment(envName: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[tokenVariableName(envName)]?.trim()
  return value ? value : null
}

/**
 * The token for a project's environment: the environment variable first, then the keychain.
 *
 * The variable wins so that a headless run never touches the keychain (which may not exist
 * there) and so that CI can override a desktop's stored token. When neither has a token, or
 * the keychain cannot be reached, the error names both ways to provide one.
 */
export async function resolveToken(
  store: CredentialStore,
  projectDir: string,
  envName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const fromEnv = tokenFromEnvironment(envName, env)
  if (fromEnv !== null) return fromEnv
  const variable = tokenVariableName(envName)
  let stored: string | null
  try {
    stored = await store.get(accountFor(projectDir, envName))
  } catch (err) {
    if (err instanceof SyncDeskError && err.code === 'keychain') {
      throw new SyncDeskError('keychain', err.message, withVariable(err.hint, variable))
    }
    throw err
  }
  if (stored !== null) return stored
  throw new SyncDeskError(
    'keychain',
    `No token for environment "${envName}": ${variable} is not set and the OS keychain has none for this project.`,
    `Save the environment's token again (it is kept in the OS keychain; if your keyring is locked, unlock it first: a locked keyring reads as empty), or for headless use set ${variable}.`,
  )
}

/** The keychain hint with the generic variable name replaced by the exact one. */
function withVariable(hint: string | undefined, variable: string): string {
  if (!hint) return `For headless use set ${variable}.`
  return hint.includes(GENERIC_VARIABLE) ? hint.split(GENERIC_VARIABLE).join(variable) : `${hint} Or set ${variable}.`
}
