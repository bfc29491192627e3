/**
 * In-app notifications, bottom right: a run finished, an environment stopped answering, a
 * deploy ended. They go away by themselves after a while (not while hovered or focused), and
 * a screen reader hears each once.
 */
import { useEffect, useState } from 'react'
import { displayText } from '../../src-shared/display-text.js'
import { selectRun, selectToasts, selectUndo } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import type { Toast } from '../store/ui-slice.js'
import { CheckIcon, CloseIcon, ConflictIcon } from './icons.js'

const SHOWN_MS = 8000

function ToastCard({ toast }: { toast: Toast }) {
  const [held, setHeld] = useState(false)
  useEffect(() => {
    if (held) return
    const t = setTimeout(() => actions().dismissToast(toast.id), SHOWN_MS)
    return () => clearTimeout(t)
  }, [held, toast.id])
  return (
    <li
      className={`toast toast-${toast.tone}`}
      data-testid="toast"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <span className="toast-icon">{toast.tone === 'ok' ? <CheckIcon /> : <ConflictIcon />}</span>
      <div className="toast-text">
        <p className="toast-title">{displayText(toast.title)}</p>
        {toast.body ? <p className="toast-body">{displayText(toast.body)}</p> : null}
      </div>
      <button type="button" className="icon-button" aria-label="Dismiss this notification" onClick={() => actions().dismissToast(toast.id)}>
        <CloseIcon />
      </button>
    </li>
  )
}

export function Toasts() {
  const toasts = useSyncStore(selectToasts)
  // Above a sheet's footer, so that a notification never covers its buttons.
  const run = useSyncStore(selectRun)
  const undo = useSyncStore(selectUndo)
  const sheetOpen = run !== null || undo !== null
  return (
    <section className={sheetOpen ? 'toasts toasts-raised' : 'toasts'} aria-label="Notifications" aria-live="polite" aria-relevant="additions">
      <ul>
        {toasts.map((t) => (
          <ToastCard key={t.id} toast={t} />
        ))}
      </ul>
    </section>
  )
}
