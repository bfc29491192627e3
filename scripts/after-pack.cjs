// electron-builder afterPack hook: flips the Electron fuses of the packed app, before it is
// signed (electron-builder signs after this hook).
//
// Fuses are switches compiled into the Electron binary; flipping them removes ways to run
// arbitrary code with the app's identity (STYLE.md, "Security defaults"):
//   RunAsNode off                         ELECTRON_RUN_AS_NODE cannot turn the app into plain Node
//   EnableNodeOptionsEnvironmentVariable  NODE_OPTIONS cannot preload code into it
//   EnableNodeCliInspectArguments off     --inspect cannot attach a debugger; kept ON when
//                                         SYNCDESK_E2E=1 at pack time, because Playwright's
//                                         _electron.launch always passes --inspect=0
//   EnableEmbeddedAsarIntegrityValidation the app.asar is checked against its hash (macOS, Windows)
//   OnlyLoadAppFromAsar on                only app.asar is loaded, not a loose app/ folder beside it
// GrantFileProtocolExtraPrivileges stays as it is: the dashboard is loaded from file://.
// Needs @electron/fuses (a devDependency).
'use strict'
const path = require('node:path')

/** The fuse settings; `e2e` keeps the inspector switches Playwright needs. */
function fuseSettings({ e2e }) {
  return {
    RunAsNode: false,
    EnableNodeOptionsEnvironmentVariable: false,
    EnableNodeCliInspectArguments: e2e,
    EnableEmbeddedAsarIntegrityValidation: true,
    OnlyLoadAppFromAsar: true,
  }
}

/** The packed Electron executable, as electron-builder names it per platform. */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return path.join(appOutDir, `${packager.appInfo.productFilename}.app`)
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`)
  return path.join(appOutDir, packager.executableName)
}

/** The hook electron-builder calls after packing each platform and architecture. */
async function afterPack(context) {
  const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses')
  const settings = fuseSettings({ e2e: process.env.SYNCDESK_E2E === '1' })
  const config = { version: FuseVersion.V1 }
  for (const [name, value] of Object.entries(settings)) config[FuseV1Options[name]] = value
  // Flipping fuses invalidates the ad-hoc signature of an arm64 macOS binary; this redoes it.
  if (context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas') config.resetAdHocDarwinSignature = true
  await flipFuses(electronBinaryPath(context), config)
}

module.exports = { afterPack, default: afterPack, fuseSettings, electronBinaryPath }
