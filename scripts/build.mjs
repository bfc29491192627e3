// Bundles the Node entry points (CLI, environment server) with esbuild so that they start fast.
import { existsSync, readFileSync } from 'node:fs'
import { build } from 'esbuild'

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Native modules and optional drivers stay outside the bundle.
  external: ['electron', 'keytar', 'better-sqlite3', 'pg-native'],
  // No import() left in a bundle: bin/cached-require.cjs runs them through vm.Script (V8's code
  // cache), where Node 20 has no stable loader for a dynamic import. The externals are CommonJS.
  supported: { 'dynamic-import': false },
  // Without whitespace and comments a bundle is ASCII (esbuild escapes the rest), which
  // bin/cached-require.cjs reads as Latin-1, and a third smaller; the source maps keep lines.
  minifyWhitespace: true,
  define: { __SYNCDESK_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
}

const entries = [
  ['src-main/cli/bin.ts', 'dist/cli.cjs'],
  // `syncdesk status` answered by a resident host, tried before the whole CLI is loaded.
  ['src-main/cli/quick-status-command.ts', 'dist/quick-status.cjs'],
  ['src-server/main.ts', 'dist/server.cjs'],
  ['src-main/engine/scan-worker.ts', 'dist/scan-worker.cjs'],
  // The check worker (src-main/engine/checks/check-pool.ts looks for it next to the running bundle).
  ['src-main/engine/checks/check-worker.ts', 'dist/check-worker.cjs'],
]
await Promise.all(entries.filter(([src]) => existsSync(src)).map(([src, out]) => build({ ...common, entryPoints: [src], outfile: out })))

// ---- The renderer (src-renderer/): one bundle for Electron and `syncdesk serve` ----
if (existsSync('src-renderer/index.html')) {
  const { build: viteBuild } = await import('vite')
  await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' })
}

// ---- Electron: the main process and the preload (src-main/electron/) ----
// main.cjs and preload.cjs sit side by side in dist/electron/ (main finds the preload
// there), with a copy of the scan and check workers, which the engine looks for next to the
// running bundle. The preload runs sandboxed, where require() knows only 'electron' and a few
// built-ins, so it must be one self-contained file.
const electronEntries = [
  ['src-main/electron/main.ts', 'dist/electron/main.cjs'],
  ['src-main/electron/preload.ts', 'dist/electron/preload.cjs'],
  ['src-main/engine/scan-worker.ts', 'dist/electron/scan-worker.cjs'],
  ['src-main/engine/checks/check-worker.ts', 'dist/electron/check-worker.cjs'],
]
await Promise.all(electronEntries.map(([src, out]) => build({ ...common, entryPoints: [src], outfile: out })))
