import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const hook = require('../../scripts/after-pack.cjs') as {
  afterPack: unknown
  fuseSettings(o: { e2e: boolean }): Record<string, boolean>
  electronBinaryPath(context: object): string
}

describe('the afterPack hook (scripts/after-pack.cjs)', () => {
  it('turns off running as Node, NODE_OPTIONS and the inspector, and loads only the checked asar', () => {
    expect(hook.fuseSettings({ e2e: false })).toEqual({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
    })
  })

  it('keeps the inspector for an e2e build only (Playwright passes --inspect=0)', () => {
    const e2e = hook.fuseSettings({ e2e: true })
    expect(e2e.EnableNodeCliInspectArguments).toBe(true)
    expect({ ...e2e, EnableNodeCliInspectArguments: false }).toEqual(hook.fuseSettings({ e2e: false }))
  })

  it('names only fuses that @electron/fuses knows', () => {
    const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, number> }
    for (const name of Object.keys(hook.fuseSettings({ e2e: false }))) expect(typeof FuseV1Options[name], name).toBe('number')
  })

  it('finds the packed executable where electron-builder puts it', () => {
    const packager = { appInfo: { productFilename: 'SyncDesk' }, executableName: 'syncdesk' }
    expect(hook.electronBinaryPath({ appOutDir: '/out/linux-unpacked', electronPlatformName: 'linux', packager })).toBe(path.join('/out/linux-unpacked', 'syncdesk'))
    expect(hook.electronBinaryPath({ appOutDir: '/out/mac', electronPlatformName: 'darwin', packager })).toBe(path.join('/out/mac', 'SyncDesk.app'))
    expect(hook.electronBinaryPath({ appOutDir: '/out/win-unpacked', electronPlatformName: 'win32', packager })).toBe(path.join('/out/win-unpacked', 'SyncDesk.exe'))
    expect(typeof hook.afterPack).toBe('function')
  })
})
