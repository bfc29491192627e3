/**
 * The main window: made from windowOptions, put back where it was, and hardened.
 *
 * Thin Electron glue (not unit-tested: it needs the Electron binary); the decisions it
 * applies are pure and tested: windowOptions (security settings), restoreBounds (a visible
 * display), rendererLocation and focusFragment (which page, which environment).
 */
import { BrowserWindow, nativeTheme, screen, type WebContents } from 'electron'
import { windowOptions } from './window-options.js'
import { readWindowState, restoreBounds, writeWindowState } from './window-state.js'
import { focusFragment, type EnvTarget, type RendererLocation } from './renderer-location.js'

/** What the window is made from. */
export interface AppWindowConfig {
  preloadPath: string
  iconPath: string
  location: RendererLocation
  /** The window state file under userData. */
  stateFile: string
  /** Closing hides the window instead (the app stays in the tray) when this says so. */
  hideOnClose(): boolean
  log(line: string): void
}

/**
 * Refuses every way a page could leave the dashboard or grow a new window: window.open and
 * target=_blank links, navigation to another page, and <webview>. Applied to every
 * webContents the app creates, not only the main window's.
 */
export function hardenWebContents(contents: WebContents, log: (line: string) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`SyncDesk refused to open a window for ${url}`)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event, url) => {
    event.preventDefault()
    log(`SyncDesk refused to navigate to ${url}`)
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/** Loads the dashboard in the window, at an environment when one is given (only the fragment changes if it is open). */
export function showDashboard(win: BrowserWindow, config: AppWindowConfig, target?: EnvTarget): void {
  const hash = target ? focusFragment(target) : undefined
  const loading = config.location.kind === 'file' ? win.loadFile(config.location.indexPath, hash ? { hash } : {}) : win.loadURL(config.location.url + (hash ? `#${hash}` : ''))
  loading.catch((e: unknown) => config.log(`SyncDesk could not load the dashboard (${config.location.kind === 'file' ? config.location.indexPath : config.location.url}): ${e instanceof Error ? e.message : String(e)}`))
}

/** Creates the main window where it was last, and shows it once its page is ready. */
export function createAppWindow(config: AppWindowConfig, target?: EnvTarget): BrowserWindow {
  const saved = readWindowState(config.stateFile)
  const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()]
  const win = new BrowserWindow(windowOptions({ preloadPath: config.preloadPath, bounds: restoreBounds(saved, displays), dark: nativeTheme.shouldUseDarkColors, iconPath: config.iconPath }))
  if (saved?.maximized) win.maximize()
  win.once('ready-to-show', () => win.show())
  win.on('close', (event) => {
    try {
      const b = win.getNormalBounds()
      writeWindowState(config.stateFile, { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() })
    } catch (e) {
      config.log(`SyncDesk could not save the window's place: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (config.hideOnClose()) {
      event.preventDefault()
      win.hide()
    }
  })
  showDashboard(win, config, target)
  return win
}
