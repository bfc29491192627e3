/**
 * Light, dark, or the system's theme.
 */
import { selectTheme } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import type { ThemeChoice } from '../store/ui-slice.js'

const CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
]

export function ThemeToggle() {
  const theme = useSyncStore(selectTheme)
  return (
    <div className="segmented segmented-small" role="radiogroup" aria-label="Theme">
      {CHOICES.map((c) => (
        <button key={c.value} type="button" role="radio" aria-checked={theme === c.value} className="segment" onClick={() => actions().setTheme(c.value)}>
          {c.label}
        </button>
      ))}
    </div>
  )
}
