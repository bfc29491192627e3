/**
 * Where the dashboard is loaded from, and how main recognises it afterwards.
 *
 * The packaged app loads `dist-renderer/index.html` from disk; a developer may point an
 * unpackaged app at the Vite dev server on loopback. The same answer decides which pages
 * main trusts to send requests (ipc-main.ts), so the two can never drift apart. A page is
 * matched by file path (or dev-server origin) only: the fragment carries which environment
 * to show (focusFragment) and must not make the page a stranger. Pure: no Electron.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import path from 'node:path'

/** Where the dashboard comes from. */
export type RendererLocation = { kind: 'file'; indexPath: string } | { kind: 'dev'; url: string }

/** The environment a window should show. */
export interface EnvTarget {
  projectId: string
  env: string
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The dev server's URL from `SYNCDESK_DEV_URL`, or null: only for an unpackaged app, only
 * http on a loopback host, so that a stray variable cannot make a packaged app trust a web site.
 */
export function devUrlFrom(value: string | undefined, isPackaged: boolean): string | null {
  if (isPackaged || !value) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname) || url.username || url.password) return null
  return url.origin + '/'
}

/** The dashboard's location: the dev server when one is allowed, else the built index.html under the app's folder. */
export function rendererLocation(opts: { appPath: string; devUrl: string | null }): RendererLocation {
  if (opts.devUrl) return { kind: 'dev', url: opts.devUrl }
  return { kind: 'file', indexPath: path.join(opts.appPath, 'dist-renderer', 'index.html') }
}

/** Whether a page's URL is the dashboard at that location (its query and fragment aside). */
export function isRendererUrl(url: string, location: RendererLocation): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (location.kind === 'dev') return u.origin === new URL(location.url).origin
  if (u.protocol !== 'file:' || u.host !== '') return false
  const expected = pathToFileURL(location.indexPath)
  if (u.pathname === expected.pathname) return true
  // Percent-encoding may differ (an "é" in the install path); compare the decoded paths.
  try {
    return fileURLToPath(u) === fileURLToPath(expected)
  } catch {
    return false
  }
}

/**
 * The URL fragment that opens the dashboard at an environment: `project=<id>&env=<name>`.
 * The renderer reads it with `new URLSearchParams(location.hash.slice(1))` on load and on
 * `hashchange`; main changes only the fragment, so an open dashboard is not reloaded.
 */
export function focusFragment(target: EnvTarget): string {
  return new URLSearchParams({ project: target.projectId, env: target.env }).toString()
}
