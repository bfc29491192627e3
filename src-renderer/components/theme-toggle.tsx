/**
 * Light, dark, or the system's theme.
 */
import { selectTheme } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import type { ThemeChoice } from '../store/ui-slice.js'
import { RadioGroup } from './radio-group.js'

const CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
]

export function ThemeToggle() {
  const theme = useSyncStore(selectTheme)
  return (
    <RadioGroup
      className="segmented segmented-small"
      choiceClassName="segment"
      label="Theme"
      choices={CHOICES.map((c) => ({ value: c.value, content: c.label }))}
      value={theme}
      onChange={(c) => actions().setTheme(c ?? 'system')}
    />
  )
}
