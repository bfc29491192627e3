/**
 * The baseline: for each item, the hash both sides had when they were last in sync.
 *
 * One file per project × environment, replaced atomically. A missing baseline is a first
 * sync; an unreadable one is moved aside for diagnosis and treated as missing, which can only
 * produce additions and conflicts, never deletions.
 */
import fs from 'node:fs'
import { writeFileAtomic } from './atomic.js'

export interface Baseline {
  /** path → sha256 */
  files: Map<string, string>
  /** False when there was no usable baseline (first sync, or a lost one). */
  existed: boolean
}

export interface BaselineLoad {
  baseline: Baseline
  /** Set when a broken baseline was moved aside; say so to the user. */
  warning?: string
}

/** Loads a baseline file; never throws for a missing or broken one. */
export function loadBaseline(file: string, now = new Date()): BaselineLoad {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { baseline: emptyBaseline() }
    return { baseline: emptyBaseline(), warning: `The sync baseline ${file} could not be read (${(err as Error).message}); this run treats every difference as new, so nothing is deleted.` }
  }
  const files = parseBaseline(text)
  if (files) return { baseline: { files, existed: true } }
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`
  try {
    fs.renameSync(file, aside)
  } catch {
    // Leave it where it is; the message still says what happened.
  }
  return {
    baseline: emptyBaseline(),
    warning: `The sync baseline was damaged and was kept aside as ${aside}. This run compares both sides as on a first sync: nothing is deleted, and differing items show as conflicts.`,
  }
}

function parseBaseline(text: string): Map<string, string> | null {
  try {
    const raw = JSON.parse(text) as unknown
    if (typeof raw !== 'object' || raw === null) return null
    const { version, files } = raw as { version?: unknown; files?: unknown }
    if (version !== 1 || typeof files !== 'object' || files === null || Array.isArray(files)) return null
    const map = new Map<string, string>()
    for (const [p, h] of Object.entries(files)) {
      // Paths are checked again before any filesystem call; here the shape is enough.
      if (typeof h !== 'string' || h.length !== 64 || p.length === 0) return null
      map.set(p, h)
    }
    return map
  } catch {
    return null
  }
}

export function emptyBaseline(): Baseline {
  return { files: new Map(), existed: false }
}

/** Writes a baseline atomically and durably. */
export async function saveBaseline(file: string, env: string, baseline: Baseline): Promise<void> {
  const files: Record<string, string> = {}
  for (const p of [...baseline.files.keys()].sort()) files[p] = baseline.files.get(p) as string
  await writeFileAtomic(file, JSON.stringify({ version: 1, env, updatedAt: new Date().toISOString(), files }))
}
