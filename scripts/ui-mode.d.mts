/** Types of scripts/ui-mode.mjs (see there for why it is plain JavaScript). */

/** The facts the decision is made from. */
export interface UiFacts {
  platform: string
  env: Record<string, string | undefined>
  /** The Electron binary, when it is there. */
  electronBinary: string | null
  /** Electron's own install.js was already tried. */
  installTried: boolean
  /** dist/electron/main.cjs exists. */
  desktopBuilt: boolean
}

/** What `npm start` does. */
export type UiDecision =
  | { mode: 'electron'; binary: string }
  | { mode: 'install' }
  | { mode: 'web'; open: boolean; reason: string }
  | { mode: 'fail'; reason: string }

/** The Electron binary the electron package has downloaded, or null. */
export function findElectronBinary(root: string, env?: Record<string, string | undefined>): string | null

/** What to start, from the facts. */
export function decideUiMode(facts: UiFacts): UiDecision
