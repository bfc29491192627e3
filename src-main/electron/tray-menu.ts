/**
 * What the tray shows: one state for all environments, a tooltip in words, and the menu.
 *
 * Pure: the state comes from the host's latest StatusSummary of each environment, and the
 * menu is plain objects of Electron's MenuItemConstructorOptions shape, so main hands them to
 * Menu.buildFromTemplate and tests read them as data. The words follow UI.md: numbers
 * first, the environment named, no engine words.
 */
import type { MenuItemConstructorOptions } from 'electron'
import type { StatusSummary } from '../../src-shared/views.js'
import { envLabel } from '../host/notification-policy.js'

/** The tray's state; each has its icon, assets/tray-<state>.png. */
export type TrayState = 'in-sync' | 'pending' | 'conflicts' | 'syncing' | 'error'

/** Every tray state, in the order the icons are made. */
export const TRAY_STATES: readonly TrayState[] = ['in-sync', 'pending', 'conflicts', 'syncing', 'error']

function pending(s: StatusSummary): number {
  return s.counts.remote_to_local + s.counts.local_to_remote
}

/**
 * The one state the tray shows for all environments. A run going on shows first (the
 * operator just started it), then what needs the operator: an environment that cannot be
 * reached or refused its token, then conflicts, then changes waiting; otherwise in sync.
 */
export function trayState(summaries: readonly StatusSummary[]): TrayState {
  if (summaries.some((s) => s.syncing)) return 'syncing'
  if (summaries.some((s) => !s.reachable || s.error)) return 'error'
  if (summaries.some((s) => s.counts.conflicts > 0)) return 'conflicts'
  if (summaries.some((s) => pending(s) > 0)) return 'pending'
  return 'in-sync'
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** What one environment's state is, in a few words: "Staging: 2 conflicts, 3 changes waiting". */
export function environmentLine(s: StatusSummary): string {
  const name = envLabel(s.env)
  if (s.syncing) return `${name}: syncing`
  if (s.error?.code === 'remote-refused') return `${name}: token refused`
  if (!s.reachable || s.error) return `${name}: can't reach`
  const parts: string[] = []
  if (s.counts.conflicts > 0) parts.push(plural(s.counts.conflicts, 'conflict', 'conflicts'))
  if (pending(s) > 0) parts.push(plural(pending(s), 'change waiting', 'changes waiting'))
  return `${name}: ${parts.length ? parts.join(', ') : 'up to date'}`
}

/** Windows cuts a tray tooltip at 127 characters. */
const TOOLTIP_MAX = 127

/**
 * The tray's tooltip: "SyncDesk — everything is up to date", or one short line per
 * environment that needs the operator ("Staging: 3 changes waiting"), cut to what the
 * system shows.
 */
export function trayTooltip(summaries: readonly StatusSummary[]): string {
  if (summaries.length === 0) return 'SyncDesk — no environments yet'
  const needing = summaries.filter((s) => trayState([s]) !== 'in-sync')
  if (needing.length === 0) return summaries.length === 1 ? `SyncDesk — ${envLabel(summaries[0]!.env)} is up to date` : 'SyncDesk — everything is up to date'
  const text = `SyncDesk — ${needing.map(environmentLine).join('; ')}`
  return text.length <= TOOLTIP_MAX ? text : text.slice(0, TOOLTIP_MAX - 1) + '…'
}

/** What the menu's items do; main wires them to the window, the host and the app. */
export interface TrayActions {
  open(): void
  sync(): void
  pull(): void
  push(): void
  setPauseWatching(paused: boolean): void
  quit(): void
}

/** What the menu shows besides the actions. */
export interface TrayMenuInput {
  state: TrayState
  /** The environment Sync now, Pull and Push act on; null when none is chosen yet. */
  target: StatusSummary | null
  pauseWatching: boolean
}

/**
 * The tray menu: Open SyncDesk, the environment acted on, Sync now, Pull, Push, Pause
 * watching, Quit. The three runs are disabled while that environment syncs or cannot be
 * reached; with no environment chosen they open the window, where the operator picks one.
 */
export function trayMenuTemplate(input: TrayMenuInput, actions: TrayActions): MenuItemConstructorOptions[] {
  const t = input.target
  const canRun = !t || (!t.syncing && t.reachable && !t.error)
  const items: MenuItemConstructorOptions[] = [{ id: 'open', label: 'Open SyncDesk', click: () => actions.open() }, { type: 'separator' }]
  items.push({ id: 'target', label: t ? environmentLine(t) : 'No environment chosen', enabled: false })
  items.push(
    { id: 'sync', label: 'Sync now', enabled: canRun, click: () => (t ? actions.sync() : actions.open()) },
    { id: 'pull', label: 'Pull', enabled: canRun, click: () => (t ? actions.pull() : actions.open()) },
    { id: 'push', label: 'Push', enabled: canRun, click: () => (t ? actions.push() : actions.open()) },
    { type: 'separator' },
    { id: 'pause', label: 'Pause watching', type: 'checkbox', checked: input.pauseWatching, click: (item) => actions.setPauseWatching(item.checked) },
    { type: 'separator' },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  )
  return items
}
