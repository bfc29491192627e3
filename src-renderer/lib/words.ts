/**
 * The dashboard's words (UI.md): the engine's terms put as an operator says them.
 *
 * Only wording and formatting live here; every count and every sentence about what happened
 * to an item comes computed from the host. Every name passes through `displayName` first.
 */
import { displayName } from '../../src-shared/display-text.js'
import type { Category, Direction } from '../../src-shared/sync-types.js'
import type { StatusSummary } from '../../src-shared/views.js'

/** An environment's name as the host words it ("staging" → "Staging"), escaped. */
export function envTitle(env: string): string {
  const shown = displayName(env)
  return shown.charAt(0).toUpperCase() + shown.slice(1)
}

/** A count with its noun: "1 change", "3,200 changes". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

/** A number as the dashboard prints it ("5,000"). */
export function num(n: number): string {
  return n.toLocaleString('en-US')
}

/** Bytes as a person reads them: "812 B", "3.2 MB". */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n / 1000
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' })
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' })

/** A moment as a clock time today ("10:42"), else with its day ("3 Dec, 10:42"). */
export function clock(at: string | number | null, now: number = Date.now()): string {
  if (at === null) return ''
  const d = new Date(at)
  if (Number.isNaN(d.getTime())) return ''
  const sameDay = new Date(now).toDateString() === d.toDateString()
  return sameDay ? TIME.format(d) : `${DAY.format(d)}, ${TIME.format(d)}`
}

/** How long ago, short: "just now", "20 s ago", "3 min ago", "2 h ago". */
export function ago(at: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000))
  if (s < 5) return 'just now'
  if (s < 60) return `${s} s ago`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ago`
  return `${Math.floor(h / 24)} days ago`
}

/** A tile's title, and the one line under it, naming the environment. */
export function categoryText(category: Category, n: number, env: string): { title: string; line: string } {
  const where = envTitle(env)
  switch (category) {
    case 'remote_to_local':
      return { title: 'Cloud has newer', line: n ? `${count(n, 'change')} in ${where} you don't have yet` : `Nothing new in ${where}` }
    case 'local_to_remote':
      return { title: 'Your changes', line: n ? `${count(n, 'change')} on this computer that ${where} doesn't have` : `Nothing here that ${where} doesn't have` }
    case 'conflicts':
      return { title: 'Conflicts', line: n ? `Both you and ${where} changed ${n === 1 ? 'this' : 'these'} since you last synced` : 'Nothing that both sides changed' }
    case 'in_sync':
      return { title: 'In sync', line: n ? `${count(n, 'item')} up to date` : 'Nothing synced yet' }
  }
}

/** A list group's heading. */
export function groupTitle(category: Category, env: string): string {
  const where = envTitle(env)
  switch (category) {
    case 'remote_to_local':
      return `Cloud has newer · in ${where}`
    case 'local_to_remote':
      return 'Your changes · on this computer'
    case 'conflicts':
      return `Conflicts · changed here and in ${where}`
    case 'in_sync':
      return 'In sync'
  }
}

/** A badge for an environment in the sidebar. */
export interface Badge {
  text: string
  tone: 'ok' | 'pending' | 'conflict' | 'error' | 'busy' | 'unknown'
}

/** The sidebar's badge from a summary (the host's counts, worded). */
export function badgeOf(summary: StatusSummary | undefined): Badge {
  if (!summary) return { text: 'Checking…', tone: 'unknown' }
  if (summary.syncing) return { text: 'Syncing', tone: 'busy' }
  if (!summary.reachable) return { text: summary.error?.code === 'remote-refused' ? 'Token refused' : summary.error?.code === 'keychain' ? 'No keychain' : "Can't reach", tone: 'error' }
  const c = summary.counts
  if (c.conflicts) return { text: count(c.conflicts, 'conflict'), tone: 'conflict' }
  const pending = c.remote_to_local + c.local_to_remote
  if (pending) return { text: `${num(pending)} pending`, tone: 'pending' }
  return { text: 'Up to date', tone: 'ok' }
}

/** The verb of a direction, for buttons. */
export function directionVerb(direction: Direction): string {
  return direction === 'pull' ? 'Pull' : direction === 'push' ? 'Push' : direction === 'sync' ? 'Sync' : 'Clone'
}

/** A path cut into its folder and its name, for "folder dimmed, name bold". */
export function splitPath(label: string): { folder: string; name: string } {
  const i = label.lastIndexOf('/')
  return i < 0 ? { folder: '', name: label } : { folder: label.slice(0, i + 1), name: label.slice(i + 1) }
}
