#!/usr/bin/env node
// `npm start`: the desktop app when Electron can run here, else the web dashboard.
//
// The decision is scripts/ui-mode.mjs (pure, tested); this file gathers the facts, tries
// Electron's own download once when the binary is missing, and starts one of:
//   electron .                          (package.json "main" is dist/electron/main.cjs)
//   node bin/syncdesk.cjs serve --open  (after ONE line saying why it is not the desktop app)
// Set SYNCDESK_UI=web or SYNCDESK_UI=electron to choose. The exit code is the child's.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decideUiMode, findElectronBinary } from './ui-mode.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// Offline, the download fails in under a second; this only bounds a network that hangs.
const INSTALL_TIMEOUT_MS = 60_000

const facts = (installTried) => ({
  platform: process.platform,
  env: process.env,
  electronBinary: findElectronBinary(root),
  installTried,
  desktopBuilt: existsSync(path.join(root, 'dist', 'electron', 'main.cjs')),
})

let decision = decideUiMode(facts(false))
if (decision.mode === 'install') {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js')
  // Its failure says only "fetch failed" with a stack: the line printed below says it better.
  if (existsSync(installer)) spawnSync(process.execPath, [installer], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], timeout: INSTALL_TIMEOUT_MS })
  decision = decideUiMode(facts(true))
}

/** Runs the command with this terminal, passes signals on, and exits with its code. */
function run(command, args, env = process.env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('error', (e) => {
    console.error(`SyncDesk: could not start ${command}: ${e.message}`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

if (decision.mode === 'electron') {
  // With this set, Electron would run as plain Node instead of opening the app.
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  run(decision.binary, ['.'], env)
} else if (decision.mode === 'web') {
  console.log(decision.reason)
  run(process.execPath, [path.join(root, 'bin', 'syncdesk.cjs'), 'serve', '--demo', ...(decision.open ? ['--open'] : [])])
} else {
  console.error(decision.reason)
  process.exit(1)
}
