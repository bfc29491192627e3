/**
 * Before any spec: the CLI must be built (projects are made through it), and the renderer is
 * built with Vite's API unless `dist-renderer/` is newer than every source it comes from.
 */
import fs from 'node:fs'
import path from 'node:path'
import { REPO, ensureBuilt } from '../../test/helpers.js'

const RENDERER_INDEX = path.join(REPO, 'dist-renderer', 'index.html')

/** The newest modification time under the renderer's sources. */
function newestSource(): number {
  let newest = 0
  const walk = (p: string) => {
    const st = fs.statSync(p)
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e))
    else if (st.mtimeMs > newest) newest = st.mtimeMs
  }
  for (const p of ['src-renderer', 'src-shared', 'vite.config.ts']) walk(path.join(REPO, p))
  return newest
}

/** Playwright's global setup. */
export default async function globalSetup(): Promise<void> {
  ensureBuilt()
  if (fs.existsSync(RENDERER_INDEX) && fs.statSync(RENDERER_INDEX).mtimeMs >= newestSource()) return
  const { build } = await import('vite')
  await build({ configFile: path.join(REPO, 'vite.config.ts'), root: path.join(REPO, 'src-renderer'), logLevel: 'warn' })
}
