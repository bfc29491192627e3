/**
 * Questions on a terminal: conflict choices, confirmations, hidden input.
 */
import readline from 'node:readline'
import type { Resolution, StatusEntry } from '../../src-shared/sync-types.js'
import { formatTime } from './format.js'

/** Whether we may ask the user anything (both stdin and stderr are terminals). */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/** Asks one question on the terminal and returns the trimmed answer. */
export function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr })
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close()
      resolve(answer.trim())
    })
    rl.on('close', () => resolve(''))
  })
}

/** Asks for a secret without echoing it. */
export function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin
    process.stderr.write(question)
    let value = ''
    const wasRaw = stdin.isRaw
    stdin.setRawMode?.(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode?.(wasRaw)
          stdin.pause()
          stdin.off('data', onData)
          process.stderr.write('\n')
          resolve(value)
          return
        }
        if (ch === '\u0003') {
          stdin.setRawMode?.(wasRaw)
          process.stderr.write('\n')
          process.exit(130)
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}

function sideTime(change: string, mtime: number | null): string {
  return change === 'deleted' ? 'deleted' : formatTime(mtime)
}

/** The `mage-agent` conflict prompt: Keep [r]emote / [l]ocal / [s]kip? */
export async function askConflict(e: StatusEntry, env: string): Promise<Resolution> {
  process.stderr.write(`\n${e.path} — CONFLICT\n`)
  process.stderr.write(`  Remote modified: ${sideTime(e.remote, e.remoteMtimeMs)}   (${env})\n`)
  process.stderr.write(`  Local modified:  ${sideTime(e.local, e.localMtimeMs)}\n`)
  for (;;) {
    const answer = (await ask('  Keep [r]emote / [l]ocal / [s]kip? ')).toLowerCase()
    if (answer === 'r' || answer === 'remote') return 'remote'
    if (answer === 'l' || answer === 'local') return 'local'
    if (answer === 's' || answer === 'skip' || answer === '') return 'skip'
    process.stderr.write('  Please answer r, l or s.\n')
  }
}
