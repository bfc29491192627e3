import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

/** The renderer (React) build: one bundle served to Electron and to `syncdesk serve`. */
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [react()],
  // One bundle for a local app: its size is read from disk, not a network, so no split is needed.
  build: { outDir: '../dist-renderer', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
})
