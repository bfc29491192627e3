/**
 * A run going on: a determinate bar with items and bytes, the current item, and Cancel.
 */
import { displayName } from '../../src-shared/display-text.js'
import type { Direction } from '../../src-shared/sync-types.js'
import type { RunProgress } from '../../src-shared/views.js'
import { bytes, envTitle, num } from '../lib/words.js'

function verb(direction: Direction, env: string): string {
  if (direction === 'push') return `Sending to ${envTitle(env)}`
  if (direction === 'pull') return `Bringing from ${envTitle(env)}`
  return `Syncing with ${envTitle(env)}`
}

export function ProgressBody({ direction, env, progress, cancelling, onCancel }: { direction: Direction; env: string; progress: RunProgress | null; cancelling: boolean; onCancel: () => void }) {
  const total = progress?.itemsTotal ?? 0
  const done = progress?.itemsDone ?? 0
  const share = progress && progress.phase === 'transferring' && total ? Math.min(1, (progress.bytesTotal ? progress.bytesDone / progress.bytesTotal : done / total)) : null
  const line = !progress
    ? 'Starting…'
    : progress.phase === 'scanning'
      ? 'Looking at both sides again…'
      : progress.phase === 'finishing'
        ? 'Finishing: recording what is now in sync…'
        : `${verb(direction, env)}: ${num(done)} of ${num(total)} ${total === 1 ? 'item' : 'items'}${progress.bytesTotal ? ` · ${bytes(progress.bytesDone)} of ${bytes(progress.bytesTotal)}` : ''}`
  return (
    <>
      <div className="sheet-body" data-testid="progress">
        <p className="sheet-lead" aria-live="polite">
          {line}
        </p>
        <div className="progress" role="progressbar" aria-label={verb(direction, env)} aria-valuemin={0} aria-valuemax={100} aria-valuenow={share === null ? undefined : Math.round(share * 100)}>
          <div className={share === null ? 'progress-bar progress-indeterminate' : 'progress-bar'} style={share === null ? undefined : { width: `${Math.round(share * 100)}%` }} />
        </div>
        <p className="progress-item">{progress?.currentPath ? displayName(progress.currentPath) : '\u00a0'}</p>
      </div>
      <div className="sheet-footer">
        <button type="button" className="button" disabled={cancelling} onClick={onCancel}>
          {cancelling ? 'Stopping after this batch…' : 'Cancel'}
        </button>
      </div>
    </>
  )
}
