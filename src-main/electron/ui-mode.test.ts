import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decideUiMode, findElectronBinary, type UiFacts } from '../../scripts/ui-mode.mjs'

const linuxDesktop: UiFacts = { platform: 'linux', env: { DISPLAY: ':0' }, electronBinary: '/x/electron', installTried: false, desktopBuilt: true }
const facts = (o: Partial<UiFacts>): UiFacts => ({ ...linuxDesktop, ...o })

describe('decideUiMode', () => {
  const cases: [string, UiFacts, object][] = [
    ['a desktop with the binary: the desktop app', linuxDesktop, { mode: 'electron', binary: '/x/electron' }],
    ['Wayland only is a display too', facts({ env: { WAYLAND_DISPLAY: 'wayland-0' } }), { mode: 'electron' }],
    ['macOS and Windows need no DISPLAY', facts({ platform: 'darwin', env: {} }), { mode: 'electron' }],
    ['the binary missing: try electron\'s own download first', facts({ electronBinary: null }), { mode: 'install' }],
    ['the binary still missing after the download: the web dashboard, opened in a browser', facts({ electronBinary: null, installTried: true }), { mode: 'web', open: true, reason: 'SyncDesk: the Electron binary is not installed and could not be downloaded, so the dashboard opens in your browser instead.' }],
    ['the binary there after the download: the desktop app', facts({ installTried: true }), { mode: 'electron' }],
    ['Linux without a display: the web dashboard at once, no browser to open, no download', facts({ env: {}, electronBinary: null }), { mode: 'web', open: false, reason: 'SyncDesk: there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the dashboard is served for a browser instead.' }],
    ['SYNCDESK_UI=web wins over everything', facts({ env: { DISPLAY: ':0', SYNCDESK_UI: 'web' } }), { mode: 'web', open: true, reason: 'SyncDesk: SYNCDESK_UI=web is set, so the dashboard opens in your browser instead.' }],
    ['SYNCDESK_UI=electron on a headless machine still tries (say, under xvfb-run)', facts({ env: { SYNCDESK_UI: 'electron' } }), { mode: 'electron' }],
    ['SYNCDESK_UI=electron without a binary: download first', facts({ env: { SYNCDESK_UI: 'electron' }, electronBinary: null }), { mode: 'install' }],
    ['SYNCDESK_UI=electron and no binary after the download: fail, never fall back', facts({ env: { SYNCDESK_UI: 'electron' }, electronBinary: null, installTried: true }), { mode: 'fail', reason: expect.stringMatching(/SYNCDESK_UI=electron is set, but the Electron binary is not installed.*npx install-electron/) }],
    ['the desktop app not built: the web dashboard, saying so', facts({ desktopBuilt: false }), { mode: 'web', reason: expect.stringMatching(/not built \(dist\/electron\/main\.cjs is missing/) }],
    ['the desktop app not built and SYNCDESK_UI=electron: fail', facts({ desktopBuilt: false, env: { DISPLAY: ':0', SYNCDESK_UI: 'electron' } }), { mode: 'fail' }],
    ['an unknown SYNCDESK_UI: fail and say which values work', facts({ env: { DISPLAY: ':0', SYNCDESK_UI: 'desktop' } }), { mode: 'fail', reason: 'SyncDesk: SYNCDESK_UI must be "web" or "electron", not "desktop".' }],
  ]
  for (const [name, input, want] of cases) it(name, () => expect(decideUiMode(input)).toMatchObject(want))

  it('says why in one line, every time it does not open the desktop app', () => {
    for (const [, input] of cases) {
      const d = decideUiMode(input)
      if (d.mode === 'web' || d.mode === 'fail') expect(d.reason).toMatch(/^SyncDesk: [^\n]+$/)
    }
  })
})

describe('findElectronBinary', () => {
  let dir = ''
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })
  function project(pathTxt: string | null, binary: string | null): string {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-electron-'))
    const pkg = path.join(dir, 'node_modules', 'electron')
    fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true })
    if (pathTxt !== null) fs.writeFileSync(path.join(pkg, 'path.txt'), pathTxt)
    if (binary) fs.writeFileSync(path.join(pkg, 'dist', binary), '')
    return dir
  }

  it('finds the binary that path.txt names under dist/', () => {
    const root = project('electron', 'electron')
    expect(findElectronBinary(root, {})).toBe(path.join(root, 'node_modules', 'electron', 'dist', 'electron'))
  })

  it('is null when the package was installed without its binary, or path.txt points at nothing', () => {
    expect(findElectronBinary(project(null, null), {})).toBeNull()
    expect(findElectronBinary(project('electron', null), {})).toBeNull()
    expect(findElectronBinary(project('', 'electron'), {})).toBeNull()
  })

  it('honours ELECTRON_OVERRIDE_DIST_PATH', () => {
    const root = project(null, null)
    const override = path.join(root, 'custom')
    fs.mkdirSync(override)
    fs.writeFileSync(path.join(override, 'electron'), '')
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: override })).toBe(path.join(override, 'electron'))
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'nowhere') })).toBeNull()
  })
})
