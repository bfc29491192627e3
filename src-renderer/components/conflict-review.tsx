/**
 * The conflict review: each conflict with Keep mine / Keep <Env>'s / Decide later (and
 * Combine both for a record whose sides changed different fields), "N left", and one Sync
 * run that carries every decision through the preview sheet.
 *
 * No side is picked for the operator (Unison's default is to do nothing); a decision can be
 * undone until the run; the finish button waits until every conflict has a decision.
 */
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { Resolution } from '../../src-shared/sync-types.js'
import type { StatusRow } from '../../src-shared/views.js'
import { count, envTitle, num } from '../lib/words.js'
import { selectChoices, selectConflicts, selectRun, selectSelectedEnv } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { EnvDot } from './env-dot.js'
import { ItemName } from './pending-row.js'

function choicesFor(row: StatusRow, env: string): { value: Resolution; label: string }[] {
  const out: { value: Resolution; label: string }[] = [
    { value: 'local', label: 'Keep mine' },
    { value: 'remote', label: `Keep ${envTitle(env)}'s` },
  ]
  if (row.kind === 'record' && row.mergeable) out.push({ value: 'merge', label: 'Combine both' })
  out.push({ value: 'skip', label: 'Decide later' })
  return out
}

function ConflictRow({ row, env, choice }: { row: StatusRow; env: string; choice: Resolution | undefined }) {
  return (
    <li className={`conflict ${choice ? 'conflict-decided' : ''}`} data-testid="conflict-row" data-label={displayName(row.label)}>
      <div className="conflict-main">
        <ItemName row={row} />
        <p className="row-desc">
          {displayText(row.description)}
          {row.fields?.length ? ` · fields: ${row.fields.map(displayText).join(', ')}` : ''}
        </p>
      </div>
      <div className="choices" role="radiogroup" aria-label={`What to keep of ${displayName(row.label)}`}>
        {choicesFor(row, env).map((c) => (
          <button key={c.value} type="button" role="radio" aria-checked={choice === c.value} className="choice" onClick={() => actions().choose(row.label, choice === c.value ? null : c.value)}>
            {c.label}
          </button>
        ))}
      </div>
      {choice ? (
        <button type="button" className="link-button conflict-undo" onClick={() => actions().choose(row.label, null)}>
          Undo
        </button>
      ) : (
        <span className="conflict-undo" />
      )}
    </li>
  )
}

export function ConflictReview() {
  const env = useSyncStore(selectSelectedEnv)
  const conflicts = useSyncStore(selectConflicts)
  const choices = useSyncStore(selectChoices)
  const busy = useSyncStore(selectRun) !== null
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
            <div className="review-bulk" role="group" aria-label="Decide all at once">
              <button type="button" className="button" onClick={() => actions().chooseAll('local')}>
                Keep mine for all
              </button>
              <button type="button" className="button" onClick={() => actions().chooseAll('remote')}>
                Keep {where}'s for all
              </button>
            </div>
          </div>
          <ul className="review-list">
            {rows.map((r) => (
              <ConflictRow key={r.label} row={r} env={env.name} choice={choices[r.label]} />
            ))}
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
