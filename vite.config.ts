import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

/** The renderer (React) build: one bundle served to Electron and to `syncdesk serve`. */
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [react()],
  build: { outDir: '../dist-renderer', emptyOutDir: true },
})
