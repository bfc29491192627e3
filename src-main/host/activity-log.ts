/**
 * A project's activity history: one line per run, restore or deploy, in `.syncdesk/activity.jsonl`.
 *
 * Appending a line is cheap and a crash can only cut the last one, which reading skips; the
 * file is trimmed to its newest entries now and then, so it never grows without bound.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { ActivityEntry } from '../../src-shared/views.js'
import { writeFileAtomic } from '../engine/atomic.js'

const FILE = 'activity.jsonl'
const KEEP = 2000

/** Appends an entry to a project's history. A failure here never fails the run it records. */
export async function recordActivity(stateDir: string, entry: ActivityEntry): Promise<void> {
  const file = path.join(stateDir, FILE)
  try {
    await fs.promises.appendFile(file, JSON.stringify(entry) + '\n', { mode: 0o600 })
    const { size } = await fs.promises.stat(file)
    if (size > KEEP * 600) await writeFileAtomic(file, readLines(file).slice(-KEEP).map((e) => JSON.stringify(e) + '\n').join(''))
  } catch {
    // The history is a convenience: the run itself is recorded in the sync state and backups.
  }
}

/** The newest entries of a project's history, newest first. */
export function listActivity(stateDir: string, limit = 100): ActivityEntry[] {
  return readLines(path.join(stateDir, FILE)).slice(-limit).reverse()
}

function readLines(file: string): ActivityEntry[] {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const out: ActivityEntry[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      const e = JSON.parse(line) as ActivityEntry
      if (e && typeof e.at === 'string' && typeof e.env === 'string') out.push(e)
    } catch {
      // A line cut by a crash.
    }
  }
  return out
}
