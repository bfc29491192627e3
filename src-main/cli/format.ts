/**
 * Plain-words output of the CLI: status tables, run summaries, progress.
 *
 * Every name and message printed here may come from a hostile environment, so each goes
 * through displayName or displayText: no control or bidirectional character reaches the
 * terminal raw.
 */
import type { SideChange, StatusEntry, SyncProgress, SyncStatus } from '../../src-shared/sync-types.js'
import { CATEGORIES, itemLabel } from '../../src-shared/sync-types.js'
import { displayName, displayText } from '../../src-shared/display-text.js'
import { planTotals, type Action, type DeploymentInfo, type EnvironmentInfo, type RunReport, type StatusReport, type TableToCreate } from '../host/engine-types.js'

/** A local date-time like `2024-11-01 14:32`. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '—'
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`
}

function sideWord(change: SideChange, where: string): string {
  if (change === 'added') return `new ${where}`
  if (change === 'modified') return `changed ${where}`
  if (change === 'deleted') return `deleted ${where}`
  return `unchanged ${where}`
}

/** What happened to an entry, in words; `env` is printed as given (escape it first). */
export function describeEntry(e: StatusEntry, env: string): string {
  const local = e.local
  const remote = e.remote
  if (local !== 'unchanged' && remote === 'unchanged') return sideWord(local, 'locally')
  if (local === 'unchanged' && remote !== 'unchanged') return sideWord(remote, `in ${env}`)
  if (local === 'added' && remote === 'added') return e.localHash === e.remoteHash ? 'same on both sides' : 'added on both sides, different'
  if (local === remote) return e.localHash === e.remoteHash ? `${local} on both sides, the same way` : `${local} on both sides`
  return `${sideWord(local, 'locally')}, ${sideWord(remote, `in ${env}`)}`
}

const HEADINGS: Record<keyof SyncStatus, (env: string) => string> = {
  remote_to_local: (env) => `To pull from ${env} (remote_to_local)`,
  local_to_remote: (env) => `To push to ${env} (local_to_remote)`,
  conflicts: () => 'Conflicts: changed on both sides (conflicts)',
  in_sync: () => 'In sync (in_sync)',
}

/** The human status table, grouped by category. */
export function formatStatus(r: StatusReport, opts: { all?: boolean } = {}): string {
  const lines: string[] = []
  const env = displayName(r.env)
  lines.push(`Environment ${env} (${displayText(r.remote)})`)
  if (!r.baselineExisted) lines.push('No earlier sync with this environment: items on both sides are compared as on a first sync.')
  for (const key of ['remote_to_local', 'local_to_remote', 'conflicts', 'in_sync'] as const) {
    const entries = r.status[key]
    lines.push('')
    lines.push(`${HEADINGS[key](env)}: ${entries.length}`)
    if (key === 'in_sync' && !opts.all) continue
    const shown = opts.all ? entries : entries.slice(0, 200)
    let width = 0
    for (const e of shown) width = Math.max(width, describeEntry(e, env).length)
    width = Math.min(40, width)
    for (const e of shown) {
      let line = `  ${describeEntry(e, env).padEnd(width)}  ${displayName(itemLabel(e))}`
      if (key === 'conflicts' && e.kind === 'file') line += `   (local ${formatTime(e.localMtimeMs)}, ${env} ${formatTime(e.remoteMtimeMs)})`
      if (e.kind === 'record' && e.fields.length) line += `   fields: ${fieldList(e.fields)}${e.mergeable ? ' (different fields: can be merged)' : ''}`
      lines.push(line)
    }
    if (shown.length < entries.length) lines.push(`  … and ${entries.length - shown.length} more (use --all, or --format json)`)
  }
  if (r.skipped.length) {
    lines.push('')
    lines.push(`Not synced: ${r.skipped.length}`)
    for (const s of r.skipped.slice(0, 50)) lines.push(`  ${s.side.padEnd(6)}  ${displayName(s.path)}: ${displayText(s.reason)}`)
  }
  return lines.join('\n')
}

/** The display name of an action's item (raw: escape it before printing). */
export function actionLabel(a: Action): string {
  return a.kind === 'file' ? a.path : `${a.table}/${a.key}`
}

/** Record field names, escaped, comma-separated. */
function fieldList(fields: readonly string[]): string {
  return fields.map(displayName).join(', ')
}

function opWords(op: Action['op'], env: string): string {
  if (op === 'write-local') return 'write locally'
  if (op === 'delete-local') return 'delete locally'
  if (op === 'write-remote') return `write to ${env}`
  return `delete in ${env}`
}

/** The summary of a run (or of what a dry run would do). */
export function formatRun(r: RunReport): string {
  const lines: string[] = []
  const t = planTotals(r.plan)
  const env = displayName(r.env)
  if (r.dryRun) {
    lines.push(`Dry run of ${r.direction} with ${env}: nothing was changed.`)
    if (r.plan.actions.length === 0 && r.plan.tables.create.length === 0) lines.push('Nothing to transfer.')
    if (r.plan.tables.create.length) {
      lines.push(`Tables to create first (with --create-tables, or a yes when asked):`)
      for (const t of r.plan.tables.create) for (const l of tableCreationLines(t, r.env)) lines.push(`  ${l}`)
    }
    const width = 10 + env.length
    const heldBack = new Set(r.refused)
    for (const a of r.plan.actions) {
      const held = a.op === 'write-remote' && heldBack.has(actionLabel(a))
      lines.push(`  ${held ? 'would NOT' : 'would'} ${opWords(a.op, env).padEnd(width)}  ${displayName(actionLabel(a))}${a.why === 'merge' ? ' (field-level merge)' : ''}${held ? ' (problems found, see below)' : ''}`)
    }
    if (r.plan.baselineUpdates.length) lines.push(`  would record ${r.plan.baselineUpdates.length} items as in sync (already equal on both sides)`)
    for (const l of formatChecks(r)) lines.push(l)
  } else {
    const res = r.result
    const done = res?.done ?? []
    const count = (op: Action['op']) => done.filter((a) => a.op === op).length
    const parts: string[] = []
    if (count('write-local')) parts.push(`${count('write-local')} written locally`)
    if (count('delete-local')) parts.push(`${count('delete-local')} deleted locally`)
    if (count('write-remote')) parts.push(`${count('write-remote')} written to ${env}`)
    if (count('delete-remote')) parts.push(`${count('delete-remote')} deleted in ${env}`)
    const verb = { pull: 'Pulled from', push: 'Pushed to', sync: 'Synced with', clone: 'Cloned from' }[r.direction]
    const bytes = done.reduce((sum, a) => sum + a.size, 0)
    // The tables came first: so does their line.
    for (const c of r.createdTables?.created ?? []) lines.push(`Created table ${displayName(c.table)} ${c.side === 'remote' ? `in ${env}` : 'here'}: ${displayText(c.statement)}`)
    lines.push(parts.length ? `${verb} ${env}: ${parts.join(', ')}${bytes ? ` (${formatBytes(bytes)})` : ''}.` : `Nothing to transfer with ${env}: everything is up to date.`)
    if (r.backupRunId && r.backedUp > 0) lines.push(`The ${r.backedUp} local item(s) this run replaced or deleted are backed up; to undo its local changes: syncdesk backups restore ${r.backupRunId}`)
    else if (r.backupRunId && r.direction !== 'pull' && r.direction !== 'clone') lines.push(`To undo this run: syncdesk undo ${r.backupRunId}`)
    else if (r.backupRunId) lines.push(`To undo this run's local changes: syncdesk backups restore ${r.backupRunId}`)
    const made = new Set([...(r.createdTables?.created ?? []), ...(r.createdTables?.existed ?? []), ...(r.createdTables?.failed ?? [])].map((c) => c.table))
    const notMade = r.plan.tables.create.filter((c) => !made.has(c.table))
    if (notMade.length) {
      const names = notMade.map((c) => `${displayName(c.table)} ${c.side === 'remote' ? `in ${env}` : 'here'}`).join(', ')
      lines.push(`Not created: table ${names}, so ${notMade.length === 1 ? 'its' : 'their'} records were not carried. To create ${notMade.length === 1 ? 'it' : 'them'}: syncdesk ${r.direction} --env ${env} --create-tables (--dry-run shows the statement).`)
    }
    if (res?.cancelled) lines.push(`Cancelled: ${t.items - done.length - res.problems.length} items were not started; what was done is recorded.`)
    if (r.replanned.length) lines.push(`${r.replanned.length} item(s) changed while the run went and were planned again from a fresh look: ${r.replanned.slice(0, 10).map(displayName).join(', ')}${r.replanned.length > 10 ? ', …' : ''}`)
    for (const l of formatChecks(r)) lines.push(l)
    const heldBack = new Set(r.refused)
    const problems = (res?.problems ?? []).filter((p) => !(p.reason === 'refused' && heldBack.has(p.path)))
    for (const p of problems.slice(0, 20)) lines.push(`  ${p.reason === 'stale' ? 'left alone (changed meanwhile)' : 'failed'}: ${displayText(p.message)}`)
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more (--format json lists them all)`)
  }
  if (r.plan.notCarried.length) {
    const other = r.direction === 'pull' || r.direction === 'clone' ? `local change(s) kept; push them with "syncdesk push --env ${env}"` : `change(s) in ${env} not pulled; pull them with "syncdesk pull --env ${env}"`
    lines.push(`${r.plan.notCarried.length} ${other}.`)
  }
  if (r.plan.conflictsLeft.length) {
    lines.push(`${r.plan.conflictsLeft.length} conflict(s) left as they are (both sides changed):`)
    for (const e of r.plan.conflictsLeft.slice(0, 50)) lines.push(`  ${displayName(itemLabel(e))}  (${describeEntry(e, env)}${e.kind === 'record' && e.fields.length ? `; fields ${fieldList(e.fields)}` : ''})`)
    if (r.direction === 'pull') lines.push(`Resolve them with "syncdesk sync --env ${env}", or take ${env}'s version with --overwrite-local (your versions are backed up).`)
    else if (r.direction === 'push') lines.push(`Resolve them with "syncdesk sync --env ${env}", or replace ${env}'s version with --overwrite-remote.`)
    else lines.push(`Resolve them with "syncdesk sync --env ${env} --resolve local|remote", or answer the prompt on a terminal.`)
  }
  for (const w of r.warnings) lines.push(`Warning: ${displayText(w)}`)
  for (const e of r.errors) lines.push(`Error: ${displayText(e)}`)
  if (r.errors.length) lines.push('Every file already transferred is whole and the next run recognises it; fix the problem (free some space?) and run again.')
  return lines.join('\n')
}

/**
 * A table a run can create, in lines: where, from which side, what it then carries, its
 * statement, and what the copy leaves out (defaults, other constraints).
 */
export function tableCreationLines(t: TableToCreate, envName: string): string[] {
  const env = displayName(envName)
  const table = displayName(t.table)
  const records = `${t.records} record${t.records === 1 ? '' : 's'}`
  const lines = [
    t.side === 'remote'
      ? `Create table ${table} in ${env} from the local definition, then push its ${records}:`
      : `Create table ${table} here from ${env}'s definition, then pull its ${records}:`,
    `  ${displayText(t.statement)}`,
  ]
  for (const n of t.definition.notes) lines.push(`  note: ${displayText(n)}`)
  return lines
}

/** The tables of a run as --format json and the MCP tools show them: those it creates (or would), those it created, and what could not be. */
export function tablesJson(r: RunReport): Record<string, unknown> {
  const t = r.plan.tables
  const view = (c: TableToCreate) => ({ table: c.table, side: c.side, statement: c.statement, records: c.records, notes: c.definition.notes })
  return {
    create: t.create.map(view),
    other_direction: t.otherDirection.map(view),
    created: r.createdTables?.created ?? [],
    existed: r.createdTables?.existed ?? [],
    failed: r.createdTables?.failed ?? [],
    refused: t.refused,
    mismatches: t.mismatches,
  }
}

/** The most problems listed in a run's summary (--format json lists them all). */
const MAX_PROBLEM_LINES = 50

/** A rule as `checks.off` names it: `yaml`, `json`, or a secret rule's short name (`aws`). */
function ruleName(rule: string): string {
  return rule.replace(/^@secretlint\/secretlint-rule-/, '')
}

/**
 * What the checks found in the files a run writes to the environment (`file:line:column  what
 * is wrong  [rule]`), what a protected environment holds back, and the files not checked.
 */
export function formatChecks(r: RunReport): string[] {
  const { problems, unchecked, refuses } = r.plan.checks
  const lines: string[] = []
  const env = displayName(r.env)
  if (problems.length) {
    const files = new Set(problems.map((p) => p.path)).size
    lines.push('')
    lines.push(`Checks found ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'} to be written to ${env}:`)
    for (const p of problems.slice(0, MAX_PROBLEM_LINES)) {
      const where = p.line !== null ? `${displayName(p.path)}:${p.line}:${p.column ?? 1}` : displayName(p.path)
      lines.push(`  ${where}  ${displayText(p.message)}  [${displayName(ruleName(p.rule))}]`)
    }
    if (problems.length > MAX_PROBLEM_LINES) lines.push(`  … and ${problems.length - MAX_PROBLEM_LINES} more (--format json lists them all)`)
    const held = r.refused
    const verb = r.dryRun ? 'would not be' : 'was not'
    if (refuses && held.length) {
      lines.push(`${env} is protected, so ${held.length === 1 ? `this file ${verb}` : `these ${held.length} files ${r.dryRun ? 'would not be' : 'were not'}`} pushed: ${held.slice(0, 10).map(displayName).join(', ')}${held.length > 10 ? ', …' : ''}`)
      lines.push(`Fix ${held.length === 1 ? 'it' : 'them'}, or push ${held.length === 1 ? 'it' : 'them'} anyway with --allow-problems ${held.length === 1 ? displayName(held[0] as string) : 'FILE…'}.`)
    } else if (refuses) lines.push(`${env} is protected; the files with problems ${r.dryRun ? 'would be' : 'were'} pushed because --allow-problems names them.`)
    else lines.push(`${env} is not protected, so ${r.dryRun ? 'they would be pushed all the same' : 'they were pushed all the same'}; mark it protected (syncdesk env edit ${env} --protected) to hold such files back.`)
  }
  if (unchecked.length) {
    lines.push(`Not checked: ${unchecked.slice(0, 10).map((u) => `${displayName(u.path)} (${displayText(u.reason)})`).join('; ')}${unchecked.length > 10 ? `; and ${unchecked.length - 10} more` : ''}`)
  }
  return lines
}

/** A one-line progress bar for a terminal, redrawn at most ten times a second. */
export function progressPrinter(stream: NodeJS.WriteStream, label: string): { update(p: SyncProgress): void; done(): void } {
  let last = 0
  let drawn = false
  return {
    update(p) {
      const now = Date.now()
      if (now - last < 100 && p.itemsDone < p.itemsTotal) return
      last = now
      if (p.phase === 'scanning') {
        stream.write(`\r${label}: scanning…\x1b[K`)
      } else {
        const width = 24
        const frac = p.itemsTotal ? p.itemsDone / p.itemsTotal : 1
        const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-')
        stream.write(`\r${label} [${bar}] ${p.itemsDone}/${p.itemsTotal} items  ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}\x1b[K`)
      }
      drawn = true
    },
    done() {
      if (drawn) stream.write('\r\x1b[K')
    },
  }
}

/** One line per environment: last sync, pending counts, deployment. */
export function formatSummaryLine(r: StatusReport, info: EnvironmentInfo | null): string {
  const s = r.status
  const last = r.lastSyncAt ? formatTime(Date.parse(r.lastSyncAt)) : 'never'
  const deployment = info?.deployment ? `; deployment ${displayText(String(info.deployment.state))}${info.deployment.finishedAt ? ` ${formatTime(Date.parse(info.deployment.finishedAt))}` : ''}` : ''
  return `${displayName(r.env)}: last sync ${last}; ${s.remote_to_local.length} to pull, ${s.local_to_remote.length} to push, ${s.conflicts.length} conflicts, ${s.in_sync.length} in sync${deployment}`
}

/**
 * A deployment's outcome; the log tail when it failed.
 *
 * The environment server wrote all of it (its log may well hold colour codes), so every
 * field and line is escaped; String() because a server's JSON is not checked field by field.
 */
export function formatDeployment(env: string, d: DeploymentInfo): string {
  const when = d.finishedAt ?? d.startedAt ?? d.queuedAt
  const lines = [`Deployment ${displayText(String(d.id))} of ${displayName(env)}: ${displayText(String(d.state))}${when ? ` (${formatTime(Date.parse(when))})` : ''}${d.exitCode != null ? `, exit code ${displayText(String(d.exitCode))}` : ''}`]
  if (d.state === 'failed' && d.logTail) {
    lines.push('Last lines of its log:')
    for (const l of d.logTail.trimEnd().split(/\r?\n/).slice(-30)) lines.push(`  ${displayText(l)}`)
  }
  return lines.join('\n')
}

/** `{path}` for a file, `{table, key}` for a record. */
export function itemRef(x: { kind: 'file'; path: string } | { kind: 'record'; table: string; key: string }): Record<string, string> {
  return x.kind === 'file' ? { path: x.path } : { table: x.table, key: x.key }
}

/** In-sync items per piece of a JSON status: 100,000 files are some 25 pieces of half a megabyte. */
const IN_SYNC_PER_PIECE = 4096

/**
 * What `syncdesk status --env NAME` prints: the report's warnings for standard error, and for
 * standard output the JSON object or the summary line and the lists.
 *
 * Standard output comes in pieces, made as they are written (printPieces): a status of 100,000
 * files is never one 12 MB text, at the moment the process holds the most. (Where Node writes
 * standard output asynchronously, pipes on macOS and Windows, the pieces wait in memory.)
 */
export function renderStatus(report: StatusReport, info: EnvironmentInfo | null, opts: { json: boolean; all?: boolean }): { out: Iterable<string>; err: string } {
  const err = report.warnings.map((w) => `Warning: ${displayText(w)}\n`).join('')
  if (!opts.json) return { out: [`${formatSummaryLine(report, info)}\n\n${formatStatus(report, { all: opts.all })}`], err }
  return { out: statusJson(report), err }
}

/** The JSON status in pieces; joined, they are one JSON object. */
function* statusJson(report: StatusReport): Generator<string> {
  let open = '{'
  for (const c of CATEGORIES) {
    if (c !== 'in_sync') {
      yield `${open}${JSON.stringify(c)}:${JSON.stringify(report.status[c])}`
    } else {
      // In-sync items are listed by name only: thousands of hashes nobody reads cost seconds.
      const items = report.status.in_sync
      yield `${open}"in_sync":[`
      for (let start = 0; start < items.length; start += IN_SYNC_PER_PIECE) {
        const piece = items.slice(start, start + IN_SYNC_PER_PIECE).map((e) => ({ kind: e.kind, ...itemRef(e), local: e.local, remote: e.remote }))
        yield `${start > 0 ? ',' : ''}${JSON.stringify(piece).slice(1, -1)}`
      }
      yield ']'
    }
    open = ','
  }
  yield '}'
}
