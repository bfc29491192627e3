/**
 * Questions on a terminal: conflict choices, confirmations, hidden input.
 *
 * A conflict shows names and values that may come from a hostile environment: each is
 * escaped (displayName, displayText) before it reaches the terminal.
 */
import readline from 'node:readline'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { Resolution, StatusEntry } from '../../src-shared/sync-types.js'
import type { TableToCreate } from '../host/engine-types.js'
import { formatTime, tableCreationLines } from './format.js'

/** Whether we may ask the user anything (both stdin and stderr are terminals). */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/** Asks one question on the terminal and returns the trimmed answer. */
export function ask(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr })
  return new Promise((resolve) => {
    let answered = false
    rl.question(question, (answer) => {
      answered = true
      resolve(answer.trim())
      rl.close()
    })
    // Ctrl-D (end of input) counts as an empty answer.
    rl.on('close', () => {
      if (!answered) resolve('')
    })
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

/** The `mage-agent` conflict prompt: Keep [r]emote / [l]ocal / [s]kip? (and [m]erge where a clean merge exists). */
export async function askConflict(e: StatusEntry, envName: string): Promise<Resolution> {
  const env = displayName(envName)
  if (e.kind === 'file') {
    process.stderr.write(`\n${displayName(e.path)} — CONFLICT\n`)
    process.stderr.write(`  Remote modified: ${sideTime(e.remote, e.remoteMtimeMs)}   (${env})\n`)
    process.stderr.write(`  Local modified:  ${sideTime(e.local, e.localMtimeMs)}\n`)
  } else {
    process.stderr.write(`\n${displayName(`${e.table}/${e.key}`)} — CONFLICT (record)\n`)
    process.stderr.write(`  Remote: ${e.remote}   (${env})\n  Local:  ${e.local}\n`)
    for (const f of e.fields) {
      process.stderr.write(`  field ${displayName(f)}:\n    remote: ${fieldText(e.remoteData, f)}\n    local:  ${fieldText(e.localData, f)}\n`)
    }
  }
  const canMerge = !!e.mergeable
  if (e.kind === 'file' && canMerge) {
    // Show the merged text before it is chosen (the engine made it; long ones are cut).
    process.stderr.write('  The two sides changed different lines: [m]erge keeps both changes. The merged file:\n')
    const lines = (e.mergedText ?? '').split('\n')
    for (const line of lines.slice(0, 40)) process.stderr.write(`    | ${displayText(line)}\n`)
    if (lines.length > 40) process.stderr.write(`    … and ${lines.length - 40} more lines\n`)
  }
  if (e.kind === 'record' && canMerge && e.mergedData && e.localData) {
    // Show the merge before it is chosen (the engine made it): where each differing field comes from.
    const merged = e.mergedData
    process.stderr.write('  The two sides changed different fields: [m]erge keeps both changes:\n')
    for (const f of e.fields) {
      const from = fieldText(e.localData, f) === fieldText(merged, f) ? 'local' : env
      process.stderr.write(`    ${displayName(f)}: ${fieldText(merged, f)}   (from ${from})\n`)
    }
  }
  for (;;) {
    const answer = (await ask(canMerge ? '  Keep [r]emote / [l]ocal / [m]erge / [s]kip? ' : '  Keep [r]emote / [l]ocal / [s]kip? ')).toLowerCase()
    if (answer === 'r' || answer === 'remote') return 'remote'
    if (answer === 'l' || answer === 'local') return 'local'
    if (canMerge && (answer === 'm' || answer === 'merge')) return 'merge'
    if (answer === 's' || answer === 'skip' || answer === '') return 'skip'
    process.stderr.write(`  Please answer r, l${canMerge ? ', m' : ''} or s.\n`)
  }
}

/**
 * Asks whether to create a table one side lacks, its statement shown first: `staging has no
 * table "agents". Create it from the local definition? [y/N]`. Only y or yes says yes.
 */
export async function askCreateTable(t: TableToCreate, envName: string): Promise<boolean> {
  const env = displayName(envName)
  const table = displayName(t.table)
  process.stderr.write('\n')
  for (const line of tableCreationLines(t, envName)) process.stderr.write(`${line}\n`)
  const question = t.side === 'remote' ? `${env} has no table "${table}". Create it from the local definition?` : `The local database has no table "${table}". Create it from ${env}'s definition?`
  const answer = (await ask(`${question} [y/N] `)).toLowerCase()
  return answer === 'y' || answer === 'yes'
}

/** A field's value as JSON, cut at 200 characters; escaped for the terminal (JSON leaves bidi and C1 raw). */
function fieldText(data: Record<string, unknown> | null | undefined, field: string): string {
  if (!data) return '(record deleted)'
  if (!Object.hasOwn(data, field)) return '(absent)'
  const text = JSON.stringify(data[field])
  return displayText(text.length > 200 ? `${text.slice(0, 200)}…` : text)
}
