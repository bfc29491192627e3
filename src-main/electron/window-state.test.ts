import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_BOUNDS, MIN_SIZE } from './window-options.js'
import { readWindowState, restoreBounds, writeWindowState, type DisplayLike, type SavedWindowState } from './window-state.js'

const laptop: DisplayLike = { workArea: { x: 0, y: 0, width: 1440, height: 875 } }
const rightMonitor: DisplayLike = { workArea: { x: 1440, y: 0, width: 2560, height: 1400 } }
const saved = (s: Partial<SavedWindowState>): SavedWindowState => ({ x: 100, y: 80, width: 1000, height: 700, maximized: false, ...s })

describe('restoreBounds', () => {
  const cases: { name: string; saved: SavedWindowState | null; displays: DisplayLike[]; want: object }[] = [
    { name: 'nothing saved: the default size, centred', saved: null, displays: [laptop], want: { ...DEFAULT_BOUNDS } },
    { name: 'on the laptop: kept as it was', saved: saved({}), displays: [laptop], want: { x: 100, y: 80, width: 1000, height: 700 } },
    { name: 'on a second monitor that is still there: kept', saved: saved({ x: 2000, y: 100 }), displays: [laptop, rightMonitor], want: { x: 2000, y: 100, width: 1000, height: 700 } },
    { name: 'on a monitor that was unplugged: the size is kept, the system centres it', saved: saved({ x: 2000, y: 100 }), displays: [laptop], want: { width: 1000, height: 700 } },
    { name: 'title bar above the top of every display: moved', saved: saved({ y: -500 }), displays: [laptop], want: { width: 1000, height: 700 } },
    { name: 'only a sliver of the title bar visible: moved', saved: saved({ x: 1400 }), displays: [laptop], want: { width: 1000, height: 700 } },
    { name: 'larger than the display it opens on: shrunk to fit', saved: saved({ x: 0, y: 0, width: 3000, height: 2000 }), displays: [laptop], want: { x: 0, y: 0, width: 1440, height: 875 } },
    { name: 'smaller than the dashboard needs: grown to the minimum', saved: saved({ width: 200, height: 100 }), displays: [laptop], want: { x: 100, y: 80, width: MIN_SIZE.width, height: MIN_SIZE.height } },
    { name: 'no displays reported: the saved size, centred', saved: saved({}), displays: [], want: { width: 1000, height: 700 } },
  ]
  for (const c of cases) {
    it(c.name, () => {
      expect(restoreBounds(c.saved, c.displays)).toEqual(c.want)
    })
  }
})

describe('the window state file', () => {
  let dir = ''
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })
  const fresh = () => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncdesk-window-')))

  it('reads back what was written, and leaves no temp file behind', () => {
    const file = path.join(fresh(), 'nested', 'window-state.json')
    writeWindowState(file, saved({ maximized: true }))
    writeWindowState(file, saved({ x: 5 }))
    expect(readWindowState(file)).toEqual(saved({ x: 5 }))
    expect(fs.readdirSync(path.dirname(file))).toEqual(['window-state.json'])
  })

  it('reads as nothing saved when the file is missing, torn or not a window state', () => {
    const file = path.join(fresh(), 'window-state.json')
    expect(readWindowState(file)).toBeNull()
    for (const text of ['{"x": 1, "y"', '[]', 'null', '{"x":1.5,"y":0,"width":900,"height":700,"maximized":false}', '{"x":1,"y":0,"width":0,"height":700,"maximized":false}', '{"x":1,"y":0,"width":900,"height":700}']) {
      fs.writeFileSync(file, text)
      expect(readWindowState(file), text).toBeNull()
    }
  })
})
