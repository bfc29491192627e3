/**
 * The one factory of the main window's options, so every security setting lives in one
 * place that a unit test reads (STYLE.md, "Security defaults").
 *
 * Pure: it returns plain options for `new BrowserWindow(...)` and imports only Electron's
 * types, so it runs in vitest without the Electron binary.
 */
import path from 'node:path'
import type { BrowserWindowConstructorOptions } from 'electron'

/** The size and place of a window; x and y absent means "let the system centre it". */
export interface WindowBounds {
  width: number
  height: number
  x?: number
  y?: number
}

/** What the main window is built from. */
export interface WindowOptionsInput {
  /** Absolute path of the built preload (dist/electron/preload.cjs). */
  preloadPath: string
  /** Where the window was last (see restoreBounds); the default size otherwise. */
  bounds?: WindowBounds
  /** The system uses a dark theme: paint a dark background before the page draws. */
  dark?: boolean
  /** The window icon (Linux and Windows use it; macOS takes the app bundle's). */
  iconPath?: string
}

/** The window's size when nothing was saved. */
export const DEFAULT_BOUNDS: WindowBounds = { width: 1200, height: 800 }

/** The smallest size at which the dashboard's sidebar, header and list still fit. */
export const MIN_SIZE = { width: 760, height: 520 }

/**
 * The main window's options, sandboxed and isolated.
 *
 * The window starts hidden (`show: false`) so that main shows it on `ready-to-show`, without
 * a white flash; its background matches the theme for the same reason.
 */
export function windowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  if (!path.isAbsolute(input.preloadPath)) throw new Error(`the preload path must be absolute: ${input.preloadPath}`)
  const bounds = input.bounds ?? DEFAULT_BOUNDS
  return {
    ...bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'SyncDesk',
    show: false,
    backgroundColor: input.dark ? '#1b1d21' : '#ffffff',
    ...(input.iconPath ? { icon: input.iconPath } : {}),
    webPreferences: {
      preload: input.preloadPath,
      // The page and the preload get separate JavaScript worlds: the page cannot reach Electron or Node objects.
      contextIsolation: true,
      // The renderer runs in Chromium's OS sandbox: a compromised page cannot touch files or processes.
      sandbox: true,
      // No require() or process in the page: it talks to main only through window.syncDesk.
      nodeIntegration: false,
      // Workers get no Node either.
      nodeIntegrationInWorker: false,
      // No <webview>: it would embed content with its own, weaker preferences.
      webviewTag: false,
      // Same-origin policy and CORS stay on.
      webSecurity: true,
      // An https page may not load http scripts or styles.
      allowRunningInsecureContent: false,
      // No spellchecker: it would download dictionaries and see what the operator types.
      spellcheck: false,
      // A file dropped on the window must not navigate it away from the dashboard.
      navigateOnDragDrop: false,
      // A page that opens alert after alert can be stopped by the operator.
      safeDialogs: true,
    },
  }
}
