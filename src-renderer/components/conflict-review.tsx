/**
 * The conflict review: each conflict with Keep mine / Keep <Env>'s / Decide later (and
 * Combine both for a record whose sides changed different fields), "N left", and one Sync
 * run that carries every decision through the preview sheet.
 *
 * No side is picked for the operator (Unison's default is to do nothing); a decision can be
 * undone until the run; the finish button waits until every conflict has a decision.
 */
import { useId, useState } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { Resolution } from '../../src-shared/sync-types.js'
import type { StatusRow } from '../../src-shared/views.js'
import { count, envTitle, num } from '../lib/words.js'
import { selectChoiceHistory, selectChoices, selectConflicts, selectPicked, selectRun, selectSelectedEnv } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { ConflictDetail } from './conflict-detail.js'
import { EnvDot } from './env-dot.js'
import { ItemName } from './pending-row.js'
import { RadioGroup } from './radio-group.js'

function choicesFor(row: StatusRow, env: string): { value: Resolution; label: string }[] {
  const out: { value: Resolution; label: string }[] = [
    { value: 'local', label: 'Keep mine' },
    { value: 'remote', label: `Keep ${envTitle(env)}'s` },
  ]
  if (row.mergeable) out.push({ value: 'merge', label: 'Combine both' })
  out.push({ value: 'skip', label: 'Decide later' })
  return out
}

function ConflictRow({ row, env, choice, picked, open, onToggle }: { row: StatusRow; env: string; choice: Resolution | undefined; picked: boolean; open: boolean; onToggle: () => void }) {
  const name = displayName(row.label)
  const detailId = `detail-${useId()}`
  return (
    <li className={`conflict ${choice ? 'conflict-decided' : ''}`} data-testid="conflict-row" data-label={name}>
      <div className="conflict-line">
        <input type="checkbox" className="conflict-pick" checked={picked} aria-label={`Select ${name}`} onChange={(e) => actions().pick([row.label], e.target.checked)} data-testid="conflict-pick" />
        <div className="conflict-main">
          <ItemName row={row} />
          <p className="row-desc">
            {displayText(row.description)}
            {row.fields?.length ? ` · fields: ${row.fields.map(displayText).join(', ')}` : ''}
          </p>
          <button type="button" className="link-button conflict-toggle" aria-expanded={open} aria-controls={detailId} onClick={onToggle} data-testid="conflict-toggle">
            {open ? 'Hide the differences' : row.kind === 'file' ? 'Compare the two versions' : 'Compare the fields'}
          </button>
        </div>
        <RadioGroup
          className="choices"
          choiceClassName="choice"
          label={`What to keep of ${name}`}
          choices={choicesFor(row, env).map((c) => ({ value: c.value, content: c.label }))}
          value={choice}
          toggles
          onChange={(c) => actions().choose(row.label, c)}
        />
        {choice ? (
          <button type="button" className="link-button conflict-undo" aria-label={`Undo the choice for ${name}`} onClick={() => actions().choose(row.label, null)}>
            Undo
          </button>
        ) : (
          <span className="conflict-undo" />
        )}
      </div>
      {open ? <ConflictDetail row={row} env={env} id={detailId} /> : null}
    </li>
  )
}

export function ConflictReview() {
  const env = useSyncStore(selectSelectedEnv)
  const conflicts = useSyncStore(selectConflicts)
  const choices = useSyncStore(selectChoices)
  const busy = useSyncStore(selectRun) !== null
  const picked = useSyncStore(selectPicked)
  const canUndo = useSyncStore(selectChoiceHistory).length > 0
  // The first conflict opens by itself; after that the operator opens and closes them.
  const [opened, setOpened] = useState<string[] | null>(null)
  if (!env) return null
  const where = envTitle(env.name)
  const rows = conflicts?.rows ?? []
  const decided = rows.filter((r) => choices[r.label]).length
  const left = rows.length - decided
  const resolutions: Record<string, Resolution> = {}
  for (const r of rows) if (choices[r.label]) resolutions[r.label] = choices[r.label] as Resolution

  return (
    <section className="review" aria-labelledby="review-title" data-testid="conflict-review">
      <header className="review-header">
        <button type="button" className="link-button" onClick={() => actions().showDashboard()}>
          ← Back to {where}
        </button>
        <h1 id="review-title">
          <EnvDot color={env.color} /> Conflicts with {where}
        </h1>
        <p className="review-lead">Both you and {where} changed these since you last synced. Pick the version to keep for each; nothing changes until you sync.</p>
      </header>

      {conflicts?.loading && !rows.length ? (
        <div className="review-list">
          <span className="skeleton skeleton-line" />
          <span className="skeleton skeleton-line skeleton-short" />
        </div>
      ) : !rows.length ? (
        <div className="list-empty" data-testid="no-conflicts">
          <p>No conflicts with {where}. Everything both sides changed has been settled.</p>
          <button type="button" className="button" onClick={() => actions().showDashboard()}>
            Back to {where}
          </button>
        </div>
      ) : (
        <>
          <div className="review-bar">
            <p className="review-count" aria-live="polite" data-testid="conflicts-left">
              {num(decided)} of {num(rows.length)} decided · {left ? `${num(left)} left` : 'all decided'}
            </p>
            <button type="button" className="button button-quiet" disabled={!canUndo} onClick={() => actions().undoChoice()} data-testid="undo-choice">
              Undo last choice
            </button>
          </div>
          <div className="review-bulk" role="group" aria-label={picked.length ? `Decide the ${count(picked.length, 'selected conflict')}` : 'Decide all at once'} data-testid="review-bulk">
            <label className="check review-pick-all">
              <input type="checkbox" checked={picked.length === rows.length} ref={(el) => void (el && (el.indeterminate = picked.length > 0 && picked.length < rows.length))} onChange={(e) => actions().pick(e.target.checked ? rows.map((r) => r.label) : null)} />
              {picked.length ? `${num(picked.length)} selected` : 'Select all'}
            </label>
            <span className="review-bulk-buttons">
              <button type="button" className="button" onClick={() => actions().chooseAll('local')}>
                Keep mine for {picked.length ? `${num(picked.length)} selected` : 'all'}
              </button>
              <button type="button" className="button" onClick={() => actions().chooseAll('remote')}>
                Keep {where}'s for {picked.length ? `${num(picked.length)} selected` : 'all'}
              </button>
              <button type="button" className="button" onClick={() => actions().chooseAll('skip')}>
                Decide later for {picked.length ? `${num(picked.length)} selected` : 'all'}
              </button>
            </span>
          </div>
          <ul className="review-list">
            {rows.map((r, i) => {
              const open = (opened ?? (i === 0 ? [r.label] : [])).includes(r.label)
              const toggle = () => {
                const now = opened ?? (rows[0] ? [rows[0].label] : [])
                setOpened(open ? now.filter((l) => l !== r.label) : [...now, r.label])
              }
              return <ConflictRow key={r.label} row={r} env={env.name} choice={choices[r.label]} picked={picked.includes(r.label)} open={open} onToggle={toggle} />
            })}
          </ul>
          {conflicts && conflicts.total > rows.length ? <p className="plan-aside">Showing the first {num(rows.length)} of {num(conflicts.total)}; the rest come after this sync.</p> : null}
          <div className="review-footer">
            <p className="review-why">{left ? `Decide ${left === 1 ? 'the last conflict' : `the ${count(left, 'conflict')} left`} (or choose Decide later) to go on.` : `Sync carries out your decisions, and brings and sends everything else that changed.`}</p>
            <button type="button" className="button button-primary" disabled={left > 0 || busy} onClick={() => void actions().planRun('sync', { resolutions })} data-testid="review-sync">
              Sync with these decisions
            </button>
          </div>
        </>
      )}
    </section>
  )
}
