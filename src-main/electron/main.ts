/**
 * The Electron main process: the desktop face of SyncDesk, a thin adapter over the host.
 *
 * It holds one instance (a second launch focuses the first), builds the host, opens the
 * hardened window, carries the contract over IPC (ipc-main.ts), keeps the tray and the
 * native notifications in step with the host's events, and disposes the host on quit.
 * Every decision it applies lives in a pure, tested module; what is left here needs the
 * Electron binary and is kept short enough to read at a glance.
 */
import path from 'node:path'
import { app, dialog, ipcMain, Notification, session, type BrowserWindow } from 'electron'
import type { ProjectView, StatusSummary } from '../../src-shared/views.js'
import { displayText } from '../../src-shared/display-text.js'
import { createHost } from '../host/create-host.js'
import { createNotificationPolicy, envLabel, type Notice } from '../host/notification-policy.js'
import { createAppWindow, hardenWebContents, showDashboard, type AppWindowConfig } from './app-window.js'
import { withCsp } from './csp.js'
import { forwardEvents, handleInvokes } from './ipc-main.js'
import { devUrlFrom, rendererLocation, type EnvTarget } from './renderer-location.js'
import { createAppTray, type AppTray } from './tray.js'
import { trayState, trayTooltip } from './tray-menu.js'
import { runFromTray, selectionFrom, trayTarget, type TrayDirection } from './tray-run.js'
import { WINDOW_STATE_FILE } from './window-state.js'

const log = (line: string) => console.warn(line)
const e2e = process.env.SYNCDESK_E2E === '1'

// Tests get a fresh data directory (and so their own instance lock): set before the lock and before ready.
if (e2e && process.env.SYNCDESK_USER_DATA_DIR) app.setPath('userData', process.env.SYNCDESK_USER_DATA_DIR)

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log))
  app.whenReady().then(start, fail)
}

function fail(e: unknown): void {
  dialog.showErrorBox('SyncDesk could not start', e instanceof Error ? e.message : String(e))
  app.exit(1)
}

async function start(): Promise<void> {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withCsp(details.responseHeaders) }))
  // The dashboard needs no camera, microphone, geolocation or notification permission.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)

  const host = await createHost({ dataDir: app.getPath('userData'), hostKind: 'electron', version: app.getVersion() })
  // The last project opened goes live at once; on the very first launch, the demo.
  await host.openStartProject({ demo: true }).catch((err: unknown) => log(`could not open the start project: ${String(err)}`))
  // "Launch at login" follows the setting, now and whenever it changes.
  const applyLoginItem = (openAtLogin: boolean) => app.setLoginItemSettings({ openAtLogin })
  applyLoginItem(host.settings().launchAtLogin)
  host.onEvent((event, payload) => {
    if (event === 'settings:changed') applyLoginItem((payload as { launchAtLogin: boolean }).launchAtLogin)
  })
  const assets = path.join(app.getAppPath(), 'assets')
  const summaries = new Map<string, StatusSummary>()
  const keyOf = (t: EnvTarget) => JSON.stringify([t.projectId, t.env])
  let win: BrowserWindow | null = null
  let tray: AppTray | null = null
  let selected: EnvTarget | null = null
  let quitting = false

  const config: AppWindowConfig = {
    preloadPath: path.join(__dirname, 'preload.cjs'),
    iconPath: path.join(assets, 'icon.png'),
    location: rendererLocation({ appPath: app.getAppPath(), devUrl: devUrlFrom(process.env.SYNCDESK_DEV_URL, app.isPackaged) }),
    stateFile: path.join(app.getPath('userData'), WINDOW_STATE_FILE),
    hideOnClose: () => !quitting && tray !== null && host.settings().closeToTray,
    log,
  }
  const liveWindow = () => (win && !win.isDestroyed() ? win : null)

  function showWindow(target?: EnvTarget): void {
    const w = liveWindow()
    if (!w) {
      win = createAppWindow(config, target)
      win.on('closed', () => (win = null))
      return
    }
    if (target) showDashboard(w, config, target)
    if (w.isMinimized()) w.restore()
    w.show()
    w.focus()
  }

  const activeNotices = new Set<Notification>()
  function notify(notice: Notice): void {
    // The dashboard in front already shows it live.
    if (liveWindow()?.isFocused() || !Notification.isSupported()) return
    const n = new Notification({ title: notice.title, body: notice.body, icon: config.iconPath })
    activeNotices.add(n)
    n.on('click', () => showWindow({ projectId: notice.projectId, env: notice.env }))
    n.on('close', () => activeNotices.delete(n))
    n.show()
  }

  const policy = createNotificationPolicy({ now: Date.now, enabled: () => host.settings().notifications })
  let dueTimer: NodeJS.Timeout | undefined
  function scheduleDue(): void {
    clearTimeout(dueTimer)
    const at = policy.nextDueAt()
    if (at === null) return
    dueTimer = setTimeout(() => {
      policy.takeDue().forEach(notify)
      scheduleDue()
    }, Math.max(0, at - Date.now()))
  }

  function refreshTray(): void {
    const all = [...summaries.values()]
    tray?.update({ state: trayState(all), tooltip: trayTooltip(all), target: trayTarget(selected, all), pauseWatching: host.settings().pauseWatching })
  }

  async function runFromMenu(direction: TrayDirection): Promise<void> {
    const target = trayTarget(selected, [...summaries.values()])
    if (!target) return showWindow()
    const outcome = await runFromTray(host, target, direction)
    if (outcome.kind === 'needs-window') return showWindow(target)
    // An applied run is announced by its run:finished event, like any other run.
    if (outcome.kind === 'applied' || !host.settings().notifications) return
    const name = envLabel(target.env)
    const [title, body] = outcome.kind === 'nothing-to-do' ? [`${name} is up to date`, `There was nothing to ${direction}.`] : [`Could not ${direction} ${name}`, displayText(outcome.error.message)]
    notify({ kind: 'run-finished', title, body, projectId: target.projectId, env: target.env })
  }

  const stopEvents = host.onEvent((event, payload) => {
    if (event === 'status:changed') {
      const s = payload as StatusSummary
      summaries.set(keyOf(s), s)
    } else if (event === 'projects:changed') {
      const known = new Set((payload as ProjectView[]).flatMap((p) => p.environments.map((e) => keyOf({ projectId: p.id, env: e.name }))))
      for (const key of summaries.keys()) if (!known.has(key)) summaries.delete(key)
    }
    if (event === 'status:changed' || event === 'projects:changed') refreshTray()
    policy.observe(event, payload).forEach(notify)
    scheduleDue()
  })
  const stopForwarding = forwardEvents(host, () => liveWindow()?.webContents ?? null)
  const stopInvokes = handleInvokes(ipcMain, {
    trusted: () => {
      const w = liveWindow()
      return w ? { webContents: w.webContents, location: config.location } : null
    },
    host,
    log,
    onAnswered: (channel, args) => {
      const shown = selectionFrom(channel, args)
      if (shown && keyOf(shown) !== (selected && keyOf(selected))) {
        selected = shown
        refreshTray()
      }
    },
  })

  try {
    tray = createAppTray(assets, {
      open: () => showWindow(),
      sync: () => void runFromMenu('sync'),
      pull: () => void runFromMenu('pull'),
      push: () => void runFromMenu('push'),
      setPauseWatching: (paused) => void host.dispatch('settings:set', { pauseWatching: paused }).then(refreshTray),
      quit: () => app.quit(),
    })
    refreshTray()
  } catch (e) {
    // Some Linux desktops have no tray; the app then quits when its window closes.
    log(`SyncDesk could not create its tray icon: ${e instanceof Error ? e.message : String(e)}`)
  }

  if (e2e) Object.assign(globalThis, { syncDeskE2E: { trays: () => (tray ? 1 : 0), windows: () => (liveWindow() ? 1 : 0) } })

  app.on('second-instance', () => showWindow())
  app.on('activate', () => showWindow())
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('before-quit', () => (quitting = true))
  let disposed = false
  app.on('will-quit', (event) => {
    if (disposed) return
    event.preventDefault()
    disposed = true
    clearTimeout(dueTimer)
    stopInvokes()
    stopForwarding()
    stopEvents()
    tray?.destroy()
    host
      .dispose()
      .catch((e: unknown) => log(`SyncDesk: closing the host failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => app.quit())
  })

  showWindow()
}
