#!/usr/bin/env node
// Draws SyncDesk's icons into assets/: the app icon (icon.png, 512x512) and one tray icon
// per state (tray-<state>.png at 16x16 and tray-<state>@2x.png at 32x32; Electron picks the
// @2x file on high-density screens by itself).
//
// Why a script and not a drawing: the icons are simple shapes, and a script makes them
// reproducible and reviewable in a diff, with no image tool needed. Each shape is a signed
// distance function, so edges are anti-aliased at any size; PNG is encoded here with
// node:zlib (RGBA, no filtering). Run: node scripts/make-icons.mjs
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'

const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets')

// ---- PNG ----------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** Encodes 8-bit RGBA pixels (row by row) as a PNG file. */
function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6, 0, 0, 0], 8) // 8 bits per channel, RGBA, deflate, no filter method, no interlace
  const stride = width * 4
  const raw = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride) // filter byte 0: none
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

// ---- drawing ------------------------------------------------------------------------------

/** A canvas of straight (not premultiplied) RGBA floats in 0..1. */
function canvas(size) {
  return { size, px: new Float64Array(size * size * 4) }
}

function hex(color) {
  const n = parseInt(color.slice(1), 16)
  return [(n >> 16) / 255, ((n >> 8) & 0xff) / 255, (n & 0xff) / 255]
}

/**
 * Paints a shape given by its signed distance (in pixels, negative inside) with a colour,
 * or with a function of the pixel's position for gradients; edges are one pixel soft.
 */
function paint(c, sdf, color, opacity = 1) {
  const fill = typeof color === 'function' ? color : () => hex(color)
  for (let y = 0; y < c.size; y++) {
    for (let x = 0; x < c.size; x++) {
      const cover = Math.min(1, Math.max(0, 0.5 - sdf(x + 0.5, y + 0.5))) * opacity
      if (cover <= 0) continue
      const i = (y * c.size + x) * 4
      const [r, g, b] = fill(x + 0.5, y + 0.5)
      const below = c.px[i + 3] * (1 - cover)
      const a = cover + below
      c.px[i] = (r * cover + c.px[i] * below) / a
      c.px[i + 1] = (g * cover + c.px[i + 1] * below) / a
      c.px[i + 2] = (b * cover + c.px[i + 2] * below) / a
      c.px[i + 3] = a
    }
  }
}

function toPng(c) {
  const out = Buffer.alloc(c.size * c.size * 4)
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, c.px[i])) * 255)
  return encodePng(c.size, c.size, out)
}

const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r

function roundedSquare(cx, cy, half, radius) {
  return (x, y) => {
    const qx = Math.abs(x - cx) - half + radius
    const qy = Math.abs(y - cy) - half + radius
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius
  }
}

/** A stroke from (ax, ay) to (bx, by) with round ends. */
function segment(ax, ay, bx, by, width) {
  return (x, y) => {
    const px = x - ax
    const py = y - ay
    const dx = bx - ax
    const dy = by - ay
    const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)))
    return Math.hypot(px - dx * t, py - dy * t) - width / 2
  }
}

/** A stroke along a circle from angle a0 to a1 (radians, clockwise on screen), round ends. */
function arc(cx, cy, radius, a0, a1, width) {
  const end = (a) => [cx + radius * Math.cos(a), cy + radius * Math.sin(a)]
  const [sx, sy] = end(a0)
  const [ex, ey] = end(a1)
  return (x, y) => {
    let a = Math.atan2(y - cy, x - cx)
    while (a < a0) a += 2 * Math.PI
    if (a <= a1) return Math.abs(Math.hypot(x - cx, y - cy) - radius) - width / 2
    return Math.min(Math.hypot(x - sx, y - sy), Math.hypot(x - ex, y - ey)) - width / 2
  }
}

/** A filled triangle. */
function triangle(p0, p1, p2) {
  const edges = [[p0, p1], [p1, p2], [p2, p0]]
  const cross = (a, b, x, y) => (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])
  const orientation = Math.sign(cross(p0, p1, p2[0], p2[1]))
  return (x, y) => {
    const inside = edges.every(([a, b]) => Math.sign(cross(a, b, x, y)) !== -orientation)
    const d = edges.reduce((m, [a, b]) => Math.min(m, segment(a[0], a[1], b[0], b[1], 0)(x, y)), Infinity)
    return inside ? -d : d
  }
}

const union = (...shapes) => (x, y) => shapes.reduce((m, s) => Math.min(m, s(x, y)), Infinity)

// ---- the tray icons -----------------------------------------------------------------------

/** Each state: its dot's colour, a darker rim that keeps it visible on light trays, and a glyph. */
const STATES = {
  'in-sync': { fill: '#22a55b', rim: '#137a3f', ink: '#ffffff', glyph: (s, w) => union(segment(0.3 * s, 0.52 * s, 0.44 * s, 0.66 * s, w), segment(0.44 * s, 0.66 * s, 0.7 * s, 0.38 * s, w)) },
  pending: { fill: '#2f7de1', rim: '#1b56a8', ink: '#ffffff', glyph: (s) => circle(0.5 * s, 0.5 * s, 0.12 * s) },
  conflicts: { fill: '#f2a516', rim: '#b57405', ink: '#3a2600', glyph: (s, w) => union(segment(0.5 * s, 0.26 * s, 0.5 * s, 0.5 * s, w), circle(0.5 * s, 0.73 * s, w * 0.6)) },
  syncing: { fill: '#8b5cf6', rim: '#6234c9', ink: '#ffffff', glyph: (s, w) => arc(0.5 * s, 0.5 * s, 0.19 * s, -Math.PI / 2, Math.PI, w) },
  error: { fill: '#e03e3e', rim: '#a51f1f', ink: '#ffffff', glyph: (s, w) => union(segment(0.36 * s, 0.36 * s, 0.64 * s, 0.64 * s, w), segment(0.64 * s, 0.36 * s, 0.36 * s, 0.64 * s, w)) },
}

function trayIcon(state, size) {
  const { fill, rim, ink, glyph } = STATES[state]
  const c = canvas(size)
  const r = size * 0.44
  paint(c, circle(size / 2, size / 2, r), rim)
  paint(c, circle(size / 2, size / 2, r - Math.max(1, size / 16)), fill)
  paint(c, glyph(size, Math.max(1.6, size * 0.11)), ink)
  return toPng(c)
}

// ---- the app icon -------------------------------------------------------------------------

/** A blue rounded square with two white arrows chasing each other round a circle. */
function appIcon(size) {
  const c = canvas(size)
  const s = size
  const top = hex('#4f8ff7')
  const bottom = hex('#1e4fd0')
  paint(c, roundedSquare(s / 2, s / 2, s * 0.45, s * 0.2), (_x, y) => top.map((t, i) => t + (bottom[i] - t) * (y / s)))
  const cx = s / 2
  const cy = s / 2
  const R = s * 0.22
  const w = s * 0.07
  const head = s * 0.085
  const arrow = (from, to) => {
    // The arrowhead sits at the arc's end, pointing along it (clockwise).
    const ex = cx + R * Math.cos(to)
    const ey = cy + R * Math.sin(to)
    const tx = -Math.sin(to)
    const ty = Math.cos(to)
    const nx = Math.cos(to)
    const ny = Math.sin(to)
    const tip = [ex + tx * head * 1.1, ey + ty * head * 1.1]
    const left = [ex + nx * head, ey + ny * head]
    const right = [ex - nx * head, ey - ny * head]
    return union(arc(cx, cy, R, from, to, w), triangle(tip, left, right))
  }
  paint(c, arrow(Math.PI * 1.05, Math.PI * 1.8), '#ffffff')
  paint(c, arrow(Math.PI * 0.05, Math.PI * 0.8), '#ffffff')
  return toPng(c)
}

fs.mkdirSync(ASSETS, { recursive: true })
for (const state of Object.keys(STATES)) {
  fs.writeFileSync(path.join(ASSETS, `tray-${state}.png`), trayIcon(state, 16))
  fs.writeFileSync(path.join(ASSETS, `tray-${state}@2x.png`), trayIcon(state, 32))
}
fs.writeFileSync(path.join(ASSETS, 'icon.png'), appIcon(512))
console.log(`icons written to ${ASSETS}`)
