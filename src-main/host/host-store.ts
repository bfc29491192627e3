/**
 * What the host remembers between launches: the projects it knows, the last one opened, and
 * the operator's settings, as JSON in the host's data folder (Electron's userData, or
 * `~/.config/syncdesk` for `syncdesk serve`). Written atomically; a damaged file is set aside
 * and the host starts from defaults rather than refusing to open.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../../src-shared/views.js'
import { writeFileAtomic } from '../engine/atomic.js'

/** A project the host has opened. */
export interface KnownProject {
  id: string
  dir: string
  demo: boolean
}

interface StoreFile {
  version: 1
  projects: KnownProject[]
  lastProjectId: string | null
  settings: Settings
}

/** The settings a new installation starts with. */
export const DEFAULT_SETTINGS: Settings = { pollIntervalSec: 30, notifications: true, launchAtLogin: false, pauseWatching: false, closeToTray: true }

/** The host's remembered state, kept in one file. */
export class HostStore {
  private data: StoreFile

  constructor(private readonly dir: string) {
    this.data = load(path.join(dir, 'host.json'))
  }

  get projects(): readonly KnownProject[] {
    return this.data.projects
  }

  get lastProjectId(): string | null {
    return this.data.lastProjectId
  }

  get settings(): Settings {
    return { ...this.data.settings }
  }

  /** Remembers a project (and that it was the last one opened). */
  async remember(p: KnownProject): Promise<void> {
    this.data.projects = [...this.data.projects.filter((k) => k.id !== p.id && k.dir !== p.dir), p]
    this.data.lastProjectId = p.id
    await this.save()
  }

  /** Forgets a project (its folder is not touched). */
  async forget(id: string): Promise<boolean> {
    const before = this.data.projects.length
    this.data.projects = this.data.projects.filter((k) => k.id !== id)
    if (this.data.lastProjectId === id) this.data.lastProjectId = this.data.projects.at(-1)?.id ?? null
    await this.save()
    return this.data.projects.length < before
  }

  /** Changes some settings. */
  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    this.data.settings = { ...this.data.settings, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    await this.save()
    return this.settings
  }

  private async save(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(path.join(this.dir, 'host.json'), JSON.stringify(this.data, null, 2) + '\n')
  }
}

function load(file: string): StoreFile {
  const fresh: StoreFile = { version: 1, projects: [], lastProjectId: null, settings: { ...DEFAULT_SETTINGS } }
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return fresh
  }
  try {
    const raw = JSON.parse(text) as Partial<StoreFile>
    const projects = Array.isArray(raw.projects) ? raw.projects.filter((p): p is KnownProject => !!p && typeof p.id === 'string' && typeof p.dir === 'string') : []
    return { version: 1, projects, lastProjectId: typeof raw.lastProjectId === 'string' ? raw.lastProjectId : null, settings: { ...DEFAULT_SETTINGS, ...(typeof raw.settings === 'object' ? raw.settings : {}) } }
  } catch {
    try {
      fs.renameSync(file, `${file}.broken-${Date.now()}`)
    } catch {}
    return fresh
  }
}
