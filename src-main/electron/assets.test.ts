import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { TRAY_STATES } from './tray-menu.js'

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number; rgba: boolean } {
  const b = fs.readFileSync(file)
  expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is a PNG`).toBe(true)
  expect(b.toString('ascii', 12, 16)).toBe('IHDR')
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), rgba: b[25] === 6 }
}

describe('the icons (scripts/make-icons.mjs)', () => {
  it('has a 16 px and a 32 px (@2x) tray icon for every tray state', () => {
    for (const state of TRAY_STATES) {
      expect(pngSize(path.join('assets', `tray-${state}.png`))).toEqual({ width: 16, height: 16, rgba: true })
      expect(pngSize(path.join('assets', `tray-${state}@2x.png`))).toEqual({ width: 32, height: 32, rgba: true })
    }
  })

  it('has a 512 px app icon', () => {
    expect(pngSize(path.join('assets', 'icon.png'))).toEqual({ width: 512, height: 512, rgba: true })
  })
})
