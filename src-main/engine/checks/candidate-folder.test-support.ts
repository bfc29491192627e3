/**
 * A temp folder of files and the check candidates for them, for the checks' tests
 * (run-checks.test.ts, fast-paths.test.ts). Each test file adds the reader it needs.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sha256 } from '../atomic.js'
import type { CheckCandidate } from './run-checks.js'

const made: string[] = []

/** Writes `contents` (path → content) into a new temp folder; returns it and a candidate per file. */
export function candidateFolder(contents: Record<string, string | Buffer>, prefix: string): { dir: string; candidates: CheckCandidate[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  const candidates: CheckCandidate[] = []
  for (const [rel, content] of Object.entries(contents)) {
    const abs = path.join(dir, ...rel.split('/'))
    fs.mkdirSync(path.dirname(abs), { recursive: true })
    fs.writeFileSync(abs, content)
    candidates.push({ path: rel, hash: sha256(content), size: Buffer.byteLength(content) })
  }
  return { dir, candidates }
}

/** Removes every folder `candidateFolder` made (call it in afterAll). */
export function removeCandidateFolders(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true })
}
