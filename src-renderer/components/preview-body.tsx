/**
 * The preview sheet's body: what the host's plan will send, bring, replace and delete, what
 * it leaves alone, what the checks found in the files it sends (syntax errors, secrets), and
 * what must be confirmed before it runs. Nothing has changed yet.
 */
import { useId, useState } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { Resolution } from '../../src-shared/sync-types.js'
import type { EnvironmentView, PlanChecks, PlanItem, PlanPreview, PlanTablesView, StatusRow } from '../../src-shared/views.js'
import { bytes, count, envTitle, num } from '../lib/words.js'
import type { ApplyOptions } from '../store/runs-slice.js'
import { ItemName } from './pending-row.js'

interface Section {
  key: string
  title: string
  n: number
  labels: { label: string; kind: 'file' | 'record' }[]
  tone: 'normal' | 'replace' | 'delete' | 'left'
  note?: string
}

function asRow(label: string, kind: 'file' | 'record'): Pick<StatusRow, 'kind' | 'label' | 'table' | 'key'> {
  if (kind === 'file') return { kind, label }
  const i = label.indexOf('/')
  return { kind, label, table: label.slice(0, i), key: label.slice(i + 1) }
}

function pick(items: PlanItem[], test: (i: PlanItem) => boolean) {
  return items.filter(test).map((i) => ({ label: i.label, kind: i.kind }))
}

/** The sections of a plan, in the order UI.md names them. */
function sections(p: PlanPreview, resolutions: Record<string, Resolution> | null): Section[] {
  const where = envTitle(p.env)
  const c = p.counts
  const out: Section[] = [
    { key: 'send', title: `Will send to ${where}`, n: c.upload - c.replaceRemote, labels: pick(p.items, (i) => i.op === 'upload' && !i.replaces), tone: 'normal' },
    { key: 'bring', title: 'Will bring here', n: c.download - c.replaceLocal, labels: pick(p.items, (i) => i.op === 'download' && !i.replaces), tone: 'normal' },
    { key: 'replace-remote', title: `Will replace in ${where}`, n: c.replaceRemote, labels: pick(p.items, (i) => i.op === 'upload' && i.replaces), tone: 'replace', note: `${where}'s version is replaced by yours.` },
    { key: 'replace-local', title: 'Will replace here', n: c.replaceLocal, labels: pick(p.items, (i) => i.op === 'download' && i.replaces), tone: 'replace', note: `Your version is replaced by ${where}'s; a backup is kept.` },
    { key: 'delete-remote', title: `Will delete in ${where}`, n: c.deleteRemote, labels: pick(p.items, (i) => i.op === 'delete-remote'), tone: 'delete' },
    { key: 'delete-local', title: 'Will delete here', n: c.deleteLocal, labels: pick(p.items, (i) => i.op === 'delete-local'), tone: 'delete', note: 'A backup of each is kept.' },
  ]
  if (resolutions) {
    const decided = (r: Resolution) => p.conflicts.filter((row) => resolutions[row.label] === r).map((row) => ({ label: row.label, kind: row.kind }))
    const mine = decided('local')
    const theirs = decided('remote')
    const merged = decided('merge')
    out.push({ key: 'keep-mine', title: `Will replace in ${where} · you chose Keep mine`, n: mine.length, labels: mine, tone: 'replace' })
    out.push({ key: 'keep-theirs', title: `Will replace here · you chose Keep ${where}'s`, n: theirs.length, labels: theirs, tone: 'replace', note: 'A backup of your version is kept.' })
    out.push({ key: 'combine', title: "Will combine both sides' changes", n: merged.length, labels: merged, tone: 'normal' })
  }
  const left = p.conflicts.filter((row) => !resolutions || !resolutions[row.label] || resolutions[row.label] === 'skip')
  out.push({
    key: 'left',
    title: 'Left alone',
    n: resolutions ? left.length : c.conflictsLeft,
    labels: left.map((row) => ({ label: row.label, kind: row.kind })),
    tone: 'left',
    note: resolutions ? 'You chose to decide these later; they stay as they are on both sides.' : `Changed both here and in ${where}: a ${p.direction} does not pick a side. Review them to decide.`,
  })
  return out.filter((s) => s.n > 0)
}

/** How many changes the confirm button names. */
function changeCount(p: PlanPreview, resolutions: Record<string, Resolution> | null): number {
  const decided = resolutions ? p.conflicts.filter((row) => resolutions[row.label] && resolutions[row.label] !== 'skip').length : 0
  return p.itemsTotal + decided
}

function confirmLabel(p: PlanPreview, n: number): string {
  const where = envTitle(p.env)
  const what = count(n, 'change')
  if (p.direction === 'push') return `Push ${what} to ${where}`
  if (p.direction === 'pull') return `Pull ${what} from ${where}`
  return `Sync ${what} with ${where}`
}

function emptyLine(p: PlanPreview): string {
  const where = envTitle(p.env)
  if (p.direction === 'push') return `Nothing to push: ${where} already has everything on this computer.`
  if (p.direction === 'pull') return `Nothing to pull: you already have everything ${where} has.`
  return `Nothing to sync: this computer and ${where} already match.`
}

/**
 * What the host's checks found in the files this run sends: each file with its problems (line,
 * column, what is wrong; a secret is never shown), and, for a protected environment, a box per
 * file to send it anyway. A file not ticked stays here; the others go.
 */
function ChecksNotice({ checks, where, allowed, onAllow }: { checks: PlanChecks; where: string; allowed: ReadonlySet<string>; onAllow: (label: string, on: boolean) => void }) {
  if (checks.itemsTotal === 0 && checks.uncheckedTotal === 0) return null
  return (
    <div className={`notice checks-notice ${checks.refuses ? 'notice-error' : 'notice-warning'}`} data-testid="checks">
      {checks.itemsTotal > 0 ? (
        <>
          <p className="notice-title">
            {count(checks.problemsTotal, 'problem')} found in {count(checks.itemsTotal, 'file')} to send to {where}.
          </p>
          <p>
            {checks.refuses
              ? `${where} is protected, so a file with problems is not sent unless you tick it. The other changes go.`
              : `${where} is not protected, so these files will be sent all the same. Fix them first if they should not go.`}
          </p>
          <ul className="checks-list" aria-label={`Problems in files to send to ${where}`}>
            {checks.items.map((item) => (
              <li key={item.label} className="checks-item" data-testid="check-item">
                <div className="checks-file">
                  <ItemName row={asRow(item.label, 'file')} />
                  {checks.refuses ? (
                    <label className="check checks-allow">
                      <input type="checkbox" checked={allowed.has(item.label)} onChange={(e) => onAllow(item.label, e.target.checked)} data-testid="allow-problem" />
                      Send anyway
                    </label>
                  ) : null}
                </div>
                <ul className="checks-problems">
                  {item.problems.map((p, i) => (
                    <li key={i}>
                      {p.line !== null ? <span className="checks-where">Line {num(p.line)}, column {num(p.column ?? 1)}: </span> : null}
                      {displayText(p.message)}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
            {checks.items.length < checks.itemsTotal ? <li className="plan-more">and {count(checks.itemsTotal - checks.items.length, 'more file')}</li> : null}
          </ul>
        </>
      ) : null}
      {checks.uncheckedTotal > 0 ? (
        <p className="checks-unchecked">
          Not checked: {checks.unchecked.map((u) => `${displayName(u.path)} (${displayText(u.reason)})`).join('; ')}
          {checks.unchecked.length < checks.uncheckedTotal ? `; and ${num(checks.uncheckedTotal - checks.unchecked.length)} more` : ''}.
        </p>
      ) : null}
    </div>
  )
}

/**
 * The synced tables one side lacks: each to be created (where, from which side, the records it
 * then carries, its statement under a disclosure), and one box to say yes (unticked: the operator
 * decides). Tables that cannot be created and columns that differ are named.
 */
function TablesNotice({ tables, where, create, onCreate }: { tables: PlanTablesView; where: string; create: boolean; onCreate: (on: boolean) => void }) {
  if (tables.create.length === 0 && tables.refused.length === 0 && tables.mismatches.length === 0) return null
  return (
    <div className="notice notice-warning tables-notice" data-testid="tables">
      {tables.create.length > 0 ? (
        <>
          <p className="notice-title">
            {tables.create.length === 1
              ? `Table ${displayName(tables.create[0]?.table ?? '')} is missing ${tables.create[0]?.side === 'remote' ? `in ${where}` : 'here'}: its records are left out until it is created.`
              : `${num(tables.create.length)} synced tables are missing: their records are left out until they are created.`}
          </p>
          <ul className="tables-list" aria-label="Tables to create">
            {tables.create.map((t) => (
              <li key={`${t.side}:${t.table}`} className="tables-item" data-testid="table-create">
                <p>
                  <strong>
                    Create table {displayName(t.table)} {t.side === 'remote' ? `in ${where}` : 'here'}
                  </strong>
                  {` from ${t.side === 'remote' ? 'the local' : `${where}'s`} definition, then ${t.side === 'remote' ? 'send' : 'bring'} its ${count(t.records, 'record')}.`}
                </p>
                <details className="tables-statement">
                  <summary>The statement</summary>
                  <pre data-testid="table-statement">{displayText(t.statement)}</pre>
                  {t.notes.length ? (
                    <ul className="tables-notes">
                      {t.notes.map((n, i) => (
                        <li key={i}>{displayText(n)}</li>
                      ))}
                    </ul>
                  ) : null}
                </details>
              </li>
            ))}
          </ul>
          <label className="check">
            <input type="checkbox" checked={create} onChange={(e) => onCreate(e.target.checked)} data-testid="create-tables" />
            Create the missing tables
          </label>
        </>
      ) : null}
      {tables.refused.map((r) => (
        <p key={`refused:${r.table}`} data-testid="table-refused">
          Table {displayName(r.table)} is not synced: {displayText(r.reason)}.
        </p>
      ))}
      {tables.mismatches.map((m) => (
        <p key={`mismatch:${m.table}`} data-testid="table-mismatch">
          Table {displayName(m.table)} differs between here and {where}: {m.columns.map((c) => `column ${displayName(c.name)}: ${displayText(c.problem)}`).join('; ')}.
        </p>
      ))}
    </div>
  )
}

export function PreviewBody({ preview, env, resolutions, onApply, onClose }: { preview: PlanPreview; env: EnvironmentView | null; resolutions: Record<string, Resolution> | null; onApply: (o: ApplyOptions) => void; onClose: () => void }) {
  const [typed, setTyped] = useState('')
  const [massDelete, setMassDelete] = useState(false)
  const [deploy, setDeploy] = useState(false)
  const [allowed, setAllowed] = useState<ReadonlySet<string>>(new Set())
  const [createTables, setCreateTables] = useState(false)
  const confirmId = useId()
  const list = sections(preview, resolutions)
  const checks = preview.checks
  // A protected environment holds back the files with problems not ticked: the button counts what goes.
  const held = checks?.refuses ? checks.itemsTotal - checks.items.filter((i) => allowed.has(i.label)).length : 0
  const heldBack = new Set(checks?.refuses ? checks.items.filter((i) => !allowed.has(i.label)).map((i) => i.label) : [])
  const tables = preview.tables
  const creating = createTables && tables ? tables.create : []
  // The records of a table created first go too: the button counts them.
  const n = changeCount(preview, resolutions) - held + creating.reduce((sum, t) => sum + t.records, 0)
  const nothing = n + held === 0 && !tables?.create.length
  const where = envTitle(preview.env)
  // Creating a table in a protected environment asks for its name, as a write there does.
  const confirmName = preview.confirmName ?? (creating.length ? (tables?.confirmName ?? null) : null)
  const nameOk = confirmName === null || typed === confirmName
  const guardOk = preview.guard === null || massDelete
  const canDeploy = preview.direction === 'push' && env?.kind === 'server'

  return (
    <>
      <div className="sheet-body" data-testid="preview">
        {nothing ? (
          <p className="sheet-lead" data-testid="preview-empty">
            {emptyLine(preview)}
          </p>
        ) : (
          <p className="sheet-lead">
            {count(n, 'change')}
            {preview.counts.bytes ? ` · ${bytes(preview.counts.bytes)}` : ''}. Nothing changes until you confirm.
          </p>
        )}
        {list.map((s) => (
          <details key={s.key} className={`plan-section plan-${s.tone}`} open={s.labels.length > 0 && s.labels.length <= 20} data-testid={`plan-${s.key}`}>
            <summary>
              <span className="plan-title">{s.title}</span>
              <span className="plan-count" data-testid="plan-count">
                {num(s.n)}
              </span>
            </summary>
            {s.note ? <p className="plan-note">{s.note}</p> : null}
            <ul className="plan-list" tabIndex={0} aria-label={s.title}>
              {s.labels.map((l) => (
                <li key={l.label}>
                  <ItemName row={asRow(l.label, l.kind)} />
                  {s.key === 'send' && heldBack.has(l.label) ? <span className="plan-held"> · held back: problems found</span> : null}
                </li>
              ))}
              {s.labels.length < s.n ? <li className="plan-more">and {num(s.n - s.labels.length)} more</li> : null}
            </ul>
          </details>
        ))}
        {preview.counts.notCarried ? (
          <p className="plan-aside">
            {preview.direction === 'pull'
              ? `${count(preview.counts.notCarried, 'change')} on this computer stay${preview.counts.notCarried === 1 ? 's' : ''} here: a pull only brings. Push to send ${preview.counts.notCarried === 1 ? 'it' : 'them'}.`
              : `${count(preview.counts.notCarried, 'change')} in ${where} ${preview.counts.notCarried === 1 ? 'is' : 'are'} not brought here: a push only sends. Pull to bring ${preview.counts.notCarried === 1 ? 'it' : 'them'}.`}
          </p>
        ) : null}

        {tables ? <TablesNotice tables={tables} where={where} create={createTables} onCreate={setCreateTables} /> : null}
        {!nothing && checks ? (
          <ChecksNotice
            checks={checks}
            where={where}
            allowed={allowed}
            onAllow={(label, on) => {
              const next = new Set(allowed)
              if (on) next.add(label)
              else next.delete(label)
              setAllowed(next)
            }}
          />
        ) : null}
        {!nothing && preview.guard ? (
          <div className="notice notice-error" data-testid="guard">
            <p className="notice-title">{displayText(preview.guard)} That is more than usual, so SyncDesk stopped.</p>
            <p>Check that nothing is missing by mistake (a folder not mounted, files moved away). If you meant to delete them, tick the box; otherwise cancel.</p>
            <label className="check">
              <input type="checkbox" checked={massDelete} onChange={(e) => setMassDelete(e.target.checked)} />
              Delete them anyway
            </label>
          </div>
        ) : null}
        {!nothing && canDeploy ? (
          <label className="check">
            <input type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.target.checked)} />
            Also deploy {where} after the push
          </label>
        ) : null}
        {!nothing && confirmName !== null ? (
          <div className="confirm-name">
            <label htmlFor={confirmId} className="field-label">
              {env?.protected ? `${where} is protected.` : `This replaces changes made in ${where}.`} Type <strong>{displayName(confirmName)}</strong> to confirm.
            </label>
            <input id={confirmId} className="text-input" type="text" value={typed} autoComplete="off" spellCheck={false} onChange={(e) => setTyped(e.target.value)} data-testid="confirm-name" />
          </div>
        ) : null}
      </div>
      <div className="sheet-footer">
        <button type="button" className="button" onClick={onClose}>
          {nothing ? 'Close' : 'Cancel'}
        </button>
        {nothing ? null : (
          <button
            type="button"
            className={`button ${preview.counts.deleteLocal + preview.counts.deleteRemote ? 'button-danger' : 'button-primary'}`}
            disabled={!nameOk || !guardOk || (n === 0 && creating.length === 0)}
            onClick={() => onApply({ ...(confirmName !== null ? { confirmName: typed } : {}), allowMassDelete: massDelete, deploy, ...(allowed.size ? { allowProblems: [...allowed] } : {}), ...(creating.length ? { createTables: true } : {}) })}
            data-testid="apply-button"
          >
            {n === 0 && creating.length ? `Create ${count(creating.length, 'table')}` : confirmLabel(preview, n)}
          </button>
        )}
      </div>
    </>
  )
}
