/**
 * The sheet of a run: the preview before it, the progress during it, the summary after it.
 *
 * A modal dialog: focus moves into it and stays there (Tab wraps), Escape closes it except
 * while the run goes on, and focus returns where it was when it closes.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react'
import { displayText } from '../../src-shared/display-text.js'
import { nextStep } from '../lib/error-words.js'
import { directionVerb, envTitle } from '../lib/words.js'
import { findEnv, selectProjects, selectRun } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { CloseIcon } from './icons.js'
import { PreviewBody } from './preview-body.js'
import { ProgressBody } from './progress-body.js'
import { SummaryBody } from './summary-body.js'

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'

export function RunSheet() {
  const run = useSyncStore(selectRun)
  const projects = useSyncStore(selectProjects)
  const sheetRef = useRef<HTMLDivElement>(null)
  const open = run !== null

  useEffect(() => {
    if (!open) return
    const before = document.activeElement as HTMLElement | null
    sheetRef.current?.focus()
    return () => before?.focus?.()
  }, [open])

  if (!run) return null
  const env = findEnv(projects, run.ref)
  const where = envTitle(run.ref.env)
  const title = run.direction === 'push' ? `Push to ${where}` : run.direction === 'pull' ? `Pull from ${where}` : `Sync with ${where}`
  const close = () => actions().closeRun()

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && run.stage !== 'running') {
      e.preventDefault()
      close()
    }
    if (e.key !== 'Tab' || !sheetRef.current) return
    const all = [...sheetRef.current.querySelectorAll<HTMLElement>(FOCUSABLE)]
    const first = all[0]
    const last = all[all.length - 1]
    if (!first || !last) return
    if (e.shiftKey && (document.activeElement === first || document.activeElement === sheetRef.current)) {
      e.preventDefault()
      last.focus()
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault()
      first.focus()
    }
  }

  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && run.stage !== 'running' && close()}>
      <div ref={sheetRef} className="sheet" role="dialog" aria-modal="true" aria-labelledby="sheet-title" tabIndex={-1} onKeyDown={onKeyDown} data-testid="run-sheet">
        <div className="sheet-header" style={env?.color ? { ['--env-color' as string]: env.color } : undefined}>
          <h2 id="sheet-title">{title}</h2>
          <p className="sheet-stage">{run.stage === 'planning' ? 'Looking at both sides…' : run.stage === 'preview' ? 'Preview' : run.stage === 'running' ? 'Working' : run.error ? 'Stopped' : 'Finished'}</p>
          {run.stage !== 'running' ? (
            <button type="button" className="icon-button sheet-close" aria-label="Close" onClick={close}>
              <CloseIcon />
            </button>
          ) : null}
        </div>
        {run.stage === 'planning' ? (
          <div className="sheet-body" aria-busy="true">
            <p className="sheet-lead">Looking at this computer and {where} to see what a {directionVerb(run.direction).toLowerCase()} would do…</p>
            <span className="skeleton skeleton-line" />
            <span className="skeleton skeleton-line skeleton-short" />
            <span className="skeleton skeleton-line" />
          </div>
        ) : null}
        {run.stage === 'preview' && run.preview ? <PreviewBody preview={run.preview} env={env} resolutions={run.resolutions} onApply={(o) => void actions().applyRun(o)} onClose={close} /> : null}
        {run.stage === 'running' ? <ProgressBody direction={run.direction} env={run.ref.env} progress={run.progress} cancelling={run.cancelling} onCancel={() => void actions().cancelRun()} /> : null}
        {run.stage === 'done' && run.summary ? (
          <SummaryBody
            summary={run.summary}
            onClose={close}
            onReview={() => {
              close()
              actions().showConflicts()
            }}
          />
        ) : null}
        {run.stage === 'done' && !run.summary && run.error ? (
          <>
            <div className="sheet-body" data-testid="run-error">
              <div className="notice notice-error" role="alert">
                <p className="notice-title">{displayText(run.error.message)}</p>
                {nextStep(run.error) ? <p>{displayText(nextStep(run.error) ?? '')}</p> : null}
              </div>
            </div>
            <div className="sheet-footer">
              <button type="button" className="button" onClick={close}>
                Close
              </button>
              <button
                type="button"
                className="button button-primary"
                onClick={() => {
                  const { direction, resolutions } = run
                  close()
                  void actions().planRun(direction, resolutions ? { resolutions } : {})
                }}
              >
                Look again
              </button>
            </div>
          </>
        ) : null}
      </div>
    </div>
  )
}
