/**
 * Where the main window was: remembered in a tiny JSON file under userData, and put back
 * only where the operator can see it.
 *
 * A saved place can point at a monitor that is gone (a laptop undocked), so restoreBounds
 * keeps the position only when the window's title bar lands on a display that exists now.
 * The file is written like every other file SyncDesk writes (DESIGN.md, safety rule 1):
 * a temp file, fsync, rename, fsync of the directory; a torn or hand-edited file is ignored.
 * Plain Node, no Electron: displays arrive as plain rectangles.
 */
import fs from 'node:fs'
import path from 'node:path'
import { DEFAULT_BOUNDS, MIN_SIZE, type WindowBounds } from './window-options.js'

/** A rectangle in screen coordinates (Electron's `Rectangle`). */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** What is saved of the window. */
export interface SavedWindowState {
  x: number
  y: number
  width: number
  height: number
  maximized: boolean
}

/** The part of a display a window may use (Electron's `Display`, reduced to what is read). */
export interface DisplayLike {
  workArea: Rect
}

/** The window state file's name under userData. */
export const WINDOW_STATE_FILE = 'window-state.json'

/** How much of the title bar must be on a display for the saved position to be kept. */
const TITLE_BAR = { height: 32, minVisibleWidth: 100 }

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return { width: Math.max(0, width), height: Math.max(0, height) }
}

/**
 * The bounds to open the window with: the saved ones when they are on a visible display, the
 * saved size alone (centred by the system) when they are not, the default size when nothing
 * was saved. The size never exceeds the display it opens on, nor falls below the minimum.
 */
export function restoreBounds(saved: SavedWindowState | null, displays: readonly DisplayLike[]): WindowBounds {
  if (!saved) return { ...DEFAULT_BOUNDS }
  const titleBar: Rect = { x: saved.x, y: saved.y, width: saved.width, height: TITLE_BAR.height }
  const home = displays.find((d) => {
    const o = overlap(titleBar, d.workArea)
    return o.width >= TITLE_BAR.minVisibleWidth && o.height > 0
  })
  const area = home?.workArea ?? displays[0]?.workArea
  const fit = (size: number, min: number, max: number | undefined) => Math.max(min, max === undefined ? size : Math.min(size, max))
  const width = fit(saved.width, MIN_SIZE.width, area?.width)
  const height = fit(saved.height, MIN_SIZE.height, area?.height)
  return home ? { x: saved.x, y: saved.y, width, height } : { width, height }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}

/** The saved state, or null when there is none or it does not read as one. */
export function readWindowState(file: string): SavedWindowState | null {
  let data: unknown
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null) return null
  const s = data as Record<string, unknown>
  if (!isInt(s.x) || !isInt(s.y) || !isInt(s.width) || !isInt(s.height) || typeof s.maximized !== 'boolean') return null
  if (s.width <= 0 || s.height <= 0) return null
  return { x: s.x, y: s.y, width: s.width, height: s.height, maximized: s.maximized }
}

/** Saves the state atomically: a reader sees the old file or the new one, never a part. */
export function writeWindowState(file: string, state: SavedWindowState): void {
  const dir = path.dirname(file)
  fs.mkdirSync(dir, { recursive: true })
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
  const fd = fs.openSync(temp, 'w', 0o600)
  try {
    fs.writeFileSync(fd, JSON.stringify(state) + '\n')
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    fs.renameSync(temp, file)
  } catch (e) {
    fs.rmSync(temp, { force: true })
    throw e
  }
  // Windows cannot open a directory to fsync it; the rename is what matters there.
  if (process.platform !== 'win32') {
    const dirFd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(dirFd)
    } finally {
      fs.closeSync(dirFd)
    }
  }
}
