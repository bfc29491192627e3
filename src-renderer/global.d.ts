import type { SyncDeskApi } from '../src-shared/ipc.js'

declare global {
  interface Window {
    /** Electron's preload gives it; in a browser it is absent and the WebSocket bridge stands in. */
    syncDesk?: SyncDeskApi
  }
}

export {}
