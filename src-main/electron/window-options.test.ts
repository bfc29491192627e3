import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BOUNDS, MIN_SIZE, windowOptions } from './window-options.js'

const preloadPath = path.resolve('dist/electron/preload.cjs')

describe('windowOptions', () => {
  it('keeps the renderer sandboxed, isolated and without Node', () => {
    const prefs = windowOptions({ preloadPath }).webPreferences
    expect(prefs).toMatchObject({
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    })
  })

  it('never turns a security setting off whatever else is asked', () => {
    const variants = [windowOptions({ preloadPath }), windowOptions({ preloadPath, dark: true, bounds: { x: 5, y: 6, width: 900, height: 700 }, iconPath: '/i.png' })]
    for (const o of variants) {
      expect(o.webPreferences?.sandbox).toBe(true)
      expect(o.webPreferences?.contextIsolation).toBe(true)
      expect(o.webPreferences?.nodeIntegration).toBe(false)
    }
  })

  it('refuses a relative preload path (Electron would resolve it against the working directory)', () => {
    expect(() => windowOptions({ preloadPath: 'dist/electron/preload.cjs' })).toThrow(/absolute/)
  })

  it('opens hidden at the default size, or where it was', () => {
    const plain = windowOptions({ preloadPath })
    expect(plain).toMatchObject({ show: false, width: DEFAULT_BOUNDS.width, height: DEFAULT_BOUNDS.height, minWidth: MIN_SIZE.width, minHeight: MIN_SIZE.height })
    expect(plain.x).toBeUndefined()
    expect(windowOptions({ preloadPath, bounds: { x: 10, y: 20, width: 900, height: 700 } })).toMatchObject({ x: 10, y: 20, width: 900, height: 700 })
  })

  it('paints the background of the theme before the page draws', () => {
    expect(windowOptions({ preloadPath }).backgroundColor).toBe('#ffffff')
    expect(windowOptions({ preloadPath, dark: true }).backgroundColor).toBe('#1b1d21')
  })
})
