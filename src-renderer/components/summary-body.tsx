/**
 * After a run: what changed, what was skipped and why, the conflicts left, and the next step.
 */
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { RunSummary } from '../../src-shared/views.js'
import { count, envTitle } from '../lib/words.js'
import { CheckIcon, ConflictIcon } from './icons.js'

function problemText(p: RunSummary['problems'][number], env: string): string {
  if (p.reason === 'stale') return `Someone changed ${displayName(p.label)} ${p.message.includes('locally') ? 'on this computer' : `in ${envTitle(env)}`} a moment ago; it was left alone. Check it and try again.`
  return `${displayName(p.label)}: ${displayText(p.message)}`
}

export function SummaryBody({ summary, onClose, onReview }: { summary: RunSummary; onClose: () => void; onReview: () => void }) {
  const where = envTitle(summary.env)
  const d = summary.done
  const changed = d.upload + d.download + d.deleteLocal + d.deleteRemote + (summary.tablesCreated?.length ?? 0)
  const lines = [
    d.upload ? `Sent ${count(d.upload, 'change')} to ${where}` : null,
    d.download ? `Brought ${count(d.download, 'change')} here from ${where}` : null,
    d.deleteRemote ? `Deleted ${count(d.deleteRemote, 'item')} in ${where}` : null,
    d.deleteLocal ? `Deleted ${count(d.deleteLocal, 'item')} here` : null,
    ...(summary.tablesCreated ?? []).map((t) => `Created table ${displayName(t.table)} ${t.side === 'remote' ? `in ${where}` : 'here'}`),
  ].filter((l): l is string => l !== null)
  const trouble = summary.problems.length + summary.errors.length
  const headline = summary.cancelled
    ? `Stopped. ${changed ? `${count(changed, 'change')} ${changed === 1 ? 'was' : 'were'} made before you cancelled.` : 'Nothing was changed.'}`
    : summary.errors.length
      ? 'The run did not finish.'
      : changed
        ? trouble
          ? `Done, with ${count(trouble, 'problem')}.`
          : 'Done.'
        : 'Nothing needed to change.'
  const left = summary.conflictsLeft.length
  return (
    <>
      <div className="sheet-body" data-testid="summary">
        <p className={`summary-headline ${trouble || summary.cancelled ? 'summary-warn' : 'summary-ok'}`}>
          {trouble || summary.cancelled ? <ConflictIcon /> : <CheckIcon />}
          {headline}
        </p>
        {lines.length ? (
          <ul className="summary-lines" data-testid="summary-lines">
            {lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        ) : null}
        {summary.backupRunId ? <p className="plan-aside">A backup of everything replaced or deleted on this computer was kept.</p> : null}
        {summary.deployment ? <p className="plan-aside">Deploy of {where}: {summary.deployment.state === 'succeeded' ? 'done' : summary.deployment.state === 'failed' ? 'failed' : 'under way'}.</p> : null}
        {summary.errors.map((e, i) => (
          <p key={`e${i}`} className="notice notice-error">
            {displayText(e)}
          </p>
        ))}
        {summary.problems.length ? (
          <section className="summary-group">
            <h3>Left alone ({summary.problems.length})</h3>
            <ul>
              {summary.problems.slice(0, 50).map((p) => (
                <li key={p.label}>{problemText(p, summary.env)}</li>
              ))}
            </ul>
          </section>
        ) : null}
        {summary.skipped.length ? (
          <section className="summary-group">
            <h3>Skipped ({summary.skipped.length})</h3>
            <ul>
              {summary.skipped.slice(0, 50).map((s) => (
                <li key={`${s.side}:${s.path}`}>
                  {displayName(s.path)} {s.side === 'remote' ? `in ${where}` : 'here'}: {displayText(s.reason)}
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        {summary.warnings.map((w, i) => (
          <p key={`w${i}`} className="plan-aside">
            {displayText(w)}
          </p>
        ))}
        {left ? (
          <p className="summary-next" data-testid="summary-next">
            {left === 1 ? '1 conflict is left' : `${left} conflicts are left`}: both you and {where} changed {left === 1 ? 'it' : 'them'}. Decide which version to keep.
          </p>
        ) : null}
      </div>
      <div className="sheet-footer">
        <button type="button" className={`button ${left ? '' : 'button-primary'}`} onClick={onClose} data-testid="summary-close">
          Done
        </button>
        {left ? (
          <button type="button" className="button button-primary" onClick={onReview}>
            Review {count(left, 'conflict')}
          </button>
        ) : null}
      </div>
    </>
  )
}
