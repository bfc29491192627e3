/**
 * Wiring, done once per entry point: the app host with the real keychain (keytar), for the
 * desktop app and `syncdesk serve`, and the CLI's host.
 */
import os from 'node:os'
import path from 'node:path'
import { KeytarCredentialStore } from '../secrets/keytar-store.js'
import type { AppHost } from './app-host.js'
import { ResidentSyncHost } from './resident-host.js'
import type { SyncHost } from './sync-host.js'

/** Where the host keeps what it remembers when the face does not say (`~/.config/syncdesk`). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYNCDESK_DATA_DIR) return path.resolve(env.SYNCDESK_DATA_DIR)
  const base = env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config')
  return path.join(base, 'syncdesk')
}

/**
 * The operations layer for one CLI or MCP process, with the OS keychain. Its status asks the
 * host that keeps the project live first, when one runs (resident-host.ts).
 */
export function createCliHost(): SyncHost {
  return new ResidentSyncHost({ credentials: new KeytarCredentialStore() })
}

/**
 * Builds the app host with the OS keychain. Loaded when asked for: a CLI command that is not
 * `serve` never pays for the app host's modules (a tenth of a second of every start).
 */
export async function createHost(opts: { dataDir?: string; hostKind: 'electron' | 'web'; version: string; demoDir?: string }): Promise<AppHost> {
  const { AppHost } = await import('./app-host.js')
  return new AppHost({ dataDir: opts.dataDir ?? defaultDataDir(), credentials: new KeytarCredentialStore(), hostKind: opts.hostKind, version: opts.version, demoDir: opts.demoDir, live: true })
}
