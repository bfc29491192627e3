/**
 * A project's history: every run, undo and deploy, newest first, in words; and for a run
 * that replaced or deleted things on this computer, "Undo this pull" with a preview of what
 * it puts back, removes and leaves (and why) before anything changes.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { ActivityEntry } from '../../src-shared/views.js'
import { nextStep } from '../lib/error-words.js'
import { clock, count, envTitle } from '../lib/words.js'
import { findEnv, selectActivity, selectProjects, selectSelectedProject, selectUndo } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { EnvDot } from './env-dot.js'
import { ArrowDownIcon, ArrowUpIcon, CheckIcon, CloseIcon, ConflictIcon, SyncIcon } from './icons.js'

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'

/** What an entry was, in a line. */
function entryTitle(e: ActivityEntry): string {
  const where = e.env ? envTitle(e.env) : ''
  if (e.kind === 'restore') return 'Undid an earlier run'
  if (e.kind === 'deploy') return e.result === 'done' ? `Deployed ${where}` : `Deploy of ${where} failed`
  if (e.direction === 'push') return `Pushed to ${where}`
  if (e.direction === 'pull') return `Pulled from ${where}`
  if (e.direction === 'clone') return `Copied ${where} here`
  return `Synced with ${where}`
}

function entryLine(e: ActivityEntry): string {
  const c = e.counts
  const parts: string[] = []
  if (e.kind === 'restore') parts.push(`${count(c.changed, 'item')} put back or removed`)
  else if (e.kind === 'run') parts.push(c.changed ? `${count(c.changed, 'change')}` : 'nothing needed to change')
  if (c.problems) parts.push(`${count(c.problems, 'item')} left alone`)
  if (c.conflictsLeft) parts.push(`${count(c.conflictsLeft, 'conflict')} left`)
  return parts.join(' · ')
}

function resultText(e: ActivityEntry): { text: string; tone: 'ok' | 'warn' | 'error' } {
  if (e.result === 'done') return { text: 'Done', tone: 'ok' }
  if (e.result === 'partial') return { text: 'Partly done', tone: 'warn' }
  if (e.result === 'cancelled') return { text: 'Stopped', tone: 'warn' }
  return { text: 'Did not finish', tone: 'error' }
}

function undoLabel(e: ActivityEntry): string {
  if (e.kind === 'restore') return 'Undo this undo'
  return e.direction === 'push' ? 'Undo this push' : e.direction === 'pull' ? 'Undo this pull' : 'Undo this sync'
}

function EntryIcon({ e }: { e: ActivityEntry }) {
  if (e.result === 'failed') return <ConflictIcon />
  if (e.kind === 'deploy') return <CheckIcon />
  if (e.direction === 'push') return <ArrowUpIcon />
  if (e.direction === 'pull' || e.direction === 'clone') return <ArrowDownIcon />
  return <SyncIcon />
}

function PathList({ title, paths, tone, testId, note }: { title: string; paths: { path: string; reason?: string }[]; tone: 'normal' | 'replace' | 'left'; testId: string; note?: string }) {
  if (!paths.length) return null
  return (
    <details className={`plan-section plan-${tone}`} open={paths.length <= 20} data-testid={testId}>
      <summary>
        <span className="plan-title">{title}</span>
        <span className="plan-count" data-testid="plan-count">
          {paths.length.toLocaleString('en-US')}
        </span>
      </summary>
      {note ? <p className="plan-note">{note}</p> : null}
      <ul className="plan-list" tabIndex={0} aria-label={title}>
        {paths.slice(0, 500).map((p) => (
          <li key={p.path}>
            <span className="item-name">{displayName(p.path)}</span>
            {p.reason ? <span className="plan-reason"> — {displayText(p.reason)}</span> : null}
          </li>
        ))}
        {paths.length > 500 ? <li className="plan-more">and {(paths.length - 500).toLocaleString('en-US')} more</li> : null}
      </ul>
    </details>
  )
}

/** The undo dialog: its preview, then what it did. */
function UndoDialog() {
  const undo = useSyncStore(selectUndo)
  const ref = useRef<HTMLDivElement>(null)
  const open = undo !== null
  useEffect(() => {
    if (!open) return
    const before = document.activeElement as HTMLElement | null
    ref.current?.focus()
    return () => before?.focus?.()
  }, [open])
  if (!undo) return null
  const label = undoLabel(undo.entry)
  const close = () => actions().closeUndo()
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && undo.stage !== 'restoring') {
      e.preventDefault()
      close()
    }
    if (e.key !== 'Tab' || !ref.current) return
    const all = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)]
    const first = all[0]
    const last = all[all.length - 1]
    if (!first || !last) return
    if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
      e.preventDefault()
      last.focus()
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault()
      first.focus()
    }
  }
  const p = undo.preview
  const r = undo.result
  const nothing = p !== null && p.restored.length + p.removed.length === 0
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && undo.stage !== 'restoring' && close()}>
      <div ref={ref} className="sheet" role="dialog" aria-modal="true" aria-labelledby="undo-title" tabIndex={-1} onKeyDown={onKeyDown} data-testid="undo-sheet">
        <div className="sheet-header">
          <h2 id="undo-title">{label}</h2>
          <p className="sheet-stage">
            {entryTitle(undo.entry)} · {clock(undo.entry.at)}
          </p>
          {undo.stage !== 'restoring' ? (
            <button type="button" className="icon-button sheet-close" aria-label="Close" onClick={close}>
              <CloseIcon />
            </button>
          ) : null}
        </div>
        <div className="sheet-body" data-testid={r ? 'undo-done' : 'undo-preview'} aria-busy={undo.stage === 'previewing' || undo.stage === 'restoring'}>
          {undo.stage === 'previewing' ? (
            <>
              <p className="sheet-lead">Looking at what this would put back…</p>
              <span className="skeleton skeleton-line" />
              <span className="skeleton skeleton-line skeleton-short" />
            </>
          ) : null}
          {undo.error ? (
            <div className="notice notice-error" role="alert">
              <div>
                <p className="notice-title">{displayText(undo.error.message)}</p>
                {nextStep(undo.error) ? <p className="notice-hint">{displayText(nextStep(undo.error) ?? '')}</p> : null}
              </div>
            </div>
          ) : null}
          {p && !r && !undo.error ? (
            <>
              <p className="sheet-lead">
                {nothing ? 'Nothing to put back: this computer already has what it had before that run.' : 'This puts this computer back as it was before that run. Only this computer changes; run Push afterwards to send the result to the environment. Nothing changes until you confirm.'}
              </p>
              <PathList title="Will put back" paths={p.restored.map((path) => ({ path }))} tone="replace" testId="undo-restore" note="Each gets the content it had before the run; the current content is kept as a backup, so this undo can be undone too." />
              <PathList title="Will remove" paths={p.removed.map((path) => ({ path }))} tone="replace" testId="undo-remove" note="These were new in that run." />
              <PathList title="Left alone" paths={p.left} tone="left" testId="undo-left" note="Changed again since the run, so putting them back would lose that change." />
            </>
          ) : null}
          {undo.stage === 'restoring' ? <p className="sheet-lead">Putting things back…</p> : null}
          {r ? (
            <>
              <p className="summary-headline summary-ok">
                <CheckIcon /> Done. {count(r.restored.length, 'item')} put back{r.removed.length ? `, ${count(r.removed.length, 'item')} removed` : ''}.
              </p>
              <PathList title="Put back" paths={r.restored.map((path) => ({ path }))} tone="normal" testId="undo-restored" />
              <PathList title="Removed" paths={r.removed.map((path) => ({ path }))} tone="normal" testId="undo-removed" />
              <PathList title="Left alone" paths={r.left} tone="left" testId="undo-left" />
            </>
          ) : null}
        </div>
        <div className="sheet-footer">
          <button type="button" className={r || undo.error ? 'button button-primary' : 'button'} disabled={undo.stage === 'restoring'} onClick={close} data-testid="undo-close">
            {r || undo.error || nothing ? 'Done' : 'Cancel'}
          </button>
          {p && !r && !undo.error && !nothing ? (
            <button type="button" className="button button-danger" disabled={undo.stage !== 'preview'} onClick={() => void actions().confirmUndo()} data-testid="undo-confirm">
              {undo.stage === 'restoring' ? 'Putting back…' : `Put back ${count(p.restored.length + p.removed.length, 'item')}`}
            </button>
          ) : null}
        </div>
      </div>
    </div>
  )
}

export function ActivityScreen() {
  const project = useSyncStore(selectSelectedProject)
  const projects = useSyncStore(selectProjects)
  const activity = useSyncStore(selectActivity)
  if (!project) return null
  const entries = activity?.projectId === project.id ? activity.entries : []
  const loading = !activity || activity.loading
  return (
    <section className="screen" aria-labelledby="activity-title" data-testid="activity">
      <header className="screen-header">
        <h1 id="activity-title">Activity in {displayName(project.name)}</h1>
        <p className="screen-lead">Every push, pull, sync, undo and deploy, newest first. A run that replaced or deleted things on this computer can be undone.</p>
      </header>
      {loading && !entries.length ? (
        <div className="activity-list">
          <span className="skeleton skeleton-line" />
          <span className="skeleton skeleton-line skeleton-short" />
        </div>
      ) : !entries.length ? (
        <div className="list-empty" data-testid="activity-empty">
          <p>Nothing has happened yet. Each push, pull and sync shows here, with a way to undo it.</p>
        </div>
      ) : (
        <ol className="activity-list" aria-label="History">
          {entries.map((e, i) => {
            const res = resultText(e)
            const env = findEnv(projects, { projectId: project.id, env: e.env })
            return (
              <li key={`${e.at}-${i}`} className="activity-entry" data-testid="activity-entry" data-kind={e.kind} data-direction={e.direction ?? ''}>
                <span className={`activity-icon activity-${res.tone}`}>
                  <EntryIcon e={e} />
                </span>
                <div className="activity-main">
                  <p className="activity-title">
                    {e.env ? <EnvDot color={env?.color ?? null} /> : null}
                    {entryTitle(e)}
                  </p>
                  <p className="activity-line">{entryLine(e)}</p>
                </div>
                <span className={`activity-result result-${res.tone}`}>{res.text}</span>
                <time className="activity-time" dateTime={e.at}>
                  {clock(e.at)}
                </time>
                {e.backupRunId && (e.kind === 'restore' || e.counts.changed > 0) ? (
                  <button type="button" className="button" onClick={() => void actions().previewUndo(e)} data-testid="undo-button">
                    {undoLabel(e)}…
                  </button>
                ) : (
                  <span />
                )}
              </li>
            )
          })}
        </ol>
      )}
      <UndoDialog />
    </section>
  )
}
