// Which face `npm start` opens: the desktop app when Electron can run here, else the web
// dashboard (`syncdesk serve`), with one line saying why.
//
// Since Electron 42 the binary is downloaded on first use, not at install, and on machines
// without internet it never arrives (research/ui-and-desktop-2026-12.md, section 4). So the
// launcher looks for the binary itself, reading node_modules/electron/path.txt as
// electron's own index.js does, and never calls require('electron') (that would start the
// download and throw). The decision is a pure function over plain facts so that it is
// unit-tested (src-main/electron/ui-mode.test.ts); scripts/start.mjs gathers the facts and
// acts. Types: ui-mode.d.mts.
import fs from 'node:fs'
import path from 'node:path'

const UNIX_DESKTOPS = new Set(['linux', 'freebsd', 'openbsd', 'netbsd', 'sunos'])

function isFile(p) {
  try {
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

/**
 * The Electron binary the electron package has downloaded, or null. Honours
 * ELECTRON_OVERRIDE_DIST_PATH like electron's own index.js.
 */
export function findElectronBinary(root, env = process.env) {
  const pkg = path.join(root, 'node_modules', 'electron')
  let relative = null
  try {
    relative = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim() || null
  } catch {
    relative = null
  }
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH ? path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative ?? 'electron') : relative ? path.join(pkg, 'dist', relative) : null
  return binary && isFile(binary) ? binary : null
}

const WEB_INSTEAD = 'so the dashboard opens in your browser instead'

/**
 * What to start, from the facts: `electron` (with the binary), `install` (try electron's own
 * download once, then decide again), `web` (with the one line to print and whether to open
 * a browser), or `fail` (the operator asked for something that cannot run).
 */
export function decideUiMode({ platform, env, electronBinary, installTried, desktopBuilt }) {
  const asked = env.SYNCDESK_UI ?? ''
  if (asked !== '' && asked !== 'web' && asked !== 'electron') {
    return { mode: 'fail', reason: `SyncDesk: SYNCDESK_UI must be "web" or "electron", not "${asked}".` }
  }
  const headless = UNIX_DESKTOPS.has(platform) && !env.DISPLAY && !env.WAYLAND_DISPLAY
  const web = (why) => ({ mode: 'web', open: !headless, reason: `SyncDesk: ${why}, ${headless ? 'so the dashboard is served for a browser instead' : WEB_INSTEAD}.` })
  if (asked === 'web') return web('SYNCDESK_UI=web is set')
  const forced = asked === 'electron'
  if (headless && !forced) return web('there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)')
  if (!desktopBuilt) {
    const why = 'the desktop app is not built (dist/electron/main.cjs is missing; run "npm run build")'
    return forced ? { mode: 'fail', reason: `SyncDesk: SYNCDESK_UI=electron is set, but ${why}.` } : web(why)
  }
  if (electronBinary) return { mode: 'electron', binary: electronBinary }
  if (!installTried) return { mode: 'install' }
  const why = 'the Electron binary is not installed and could not be downloaded'
  return forced ? { mode: 'fail', reason: `SyncDesk: SYNCDESK_UI=electron is set, but ${why} (try "npx install-electron").` } : web(why)
}
