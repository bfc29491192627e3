// Bundles the Node entry points (CLI, environment server) with esbuild so that they start fast.
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
}

await Promise.all([
  build({ ...common, entryPoints: ['src-main/cli/main.ts'], outfile: 'dist/cli.cjs' }),
  build({ ...common, entryPoints: ['src-server/main.ts'], outfile: 'dist/server.cjs' }),
])
