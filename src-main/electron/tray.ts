/**
 * The tray icon: its image, tooltip and menu follow what trayState, trayTooltip and
 * trayMenuTemplate (tray-menu.ts, pure and tested) say. Thin Electron glue.
 */
import path from 'node:path'
import { Menu, Tray, nativeImage } from 'electron'
import { trayMenuTemplate, type TrayActions, type TrayMenuInput } from './tray-menu.js'

/** The tray as main uses it. */
export interface AppTray {
  update(input: TrayMenuInput & { tooltip: string }): void
  destroy(): void
}

/** Creates the tray with the in-sync icon; `assetsDir` holds tray-<state>.png and its @2x twin. */
export function createAppTray(assetsDir: string, actions: TrayActions): AppTray {
  const icon = (state: string) => nativeImage.createFromPath(path.join(assetsDir, `tray-${state}.png`))
  const tray = new Tray(icon('in-sync'))
  // Windows and most Linux trays: a click opens the window; macOS shows the menu.
  if (process.platform !== 'darwin') tray.on('click', () => actions.open())
  let shownState = ''
  return {
    update(input) {
      if (input.state !== shownState) {
        tray.setImage(icon(input.state))
        shownState = input.state
      }
      tray.setToolTip(input.tooltip)
      tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(input, actions)))
    },
    destroy: () => tray.destroy(),
  }
}
