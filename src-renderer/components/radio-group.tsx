/**
 * A group of choices shown as buttons, with the keyboard of a radio group (WAI-ARIA APG): one
 * Tab stop for the whole group (the chosen button, or the first), the arrow keys move to the
 * next or previous choice and take it, Home and End go to the first and last. Space or Enter
 * on a choice takes it; for a group that `toggles`, on the chosen one it takes it back.
 */
import { useRef, type CSSProperties, type KeyboardEvent, type ReactNode } from 'react'

/** One choice of a group. */
export interface RadioChoice<T> {
  value: T
  /** What the button shows. */
  content?: ReactNode
  /** The name read out, where the content alone does not say it (a colour swatch). */
  ariaLabel?: string
  title?: string
  className?: string
  style?: CSSProperties
}

/** What a group is told: its name, its choices, the one chosen, and what to do on a choice. */
export interface RadioGroupProps<T> {
  label: string
  choices: RadioChoice<T>[]
  value: T | null | undefined
  onChange: (value: T | null) => void
  /** Choosing the chosen one again takes it back (`onChange(null)`). */
  toggles?: boolean
  className?: string
  choiceClassName?: string
}

const NEXT: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }

/** The group; see the file's comment for its keyboard. */
export function RadioGroup<T>({ label, choices, value, onChange, toggles = false, className, choiceClassName }: RadioGroupProps<T>) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([])
  const chosen = choices.findIndex((c) => c.value === value)
  const tabStop = chosen >= 0 ? chosen : 0

  const take = (i: number) => {
    buttons.current[i]?.focus()
    onChange(choices[i]!.value)
  }
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = buttons.current.findIndex((b) => b === e.target)
    if (at < 0 || choices.length === 0) return
    const step = NEXT[e.key]
    const to = step !== undefined ? (at + step + choices.length) % choices.length : e.key === 'Home' ? 0 : e.key === 'End' ? choices.length - 1 : -1
    if (to < 0) return
    e.preventDefault()
    take(to)
  }

  return (
    <div className={className} role="radiogroup" aria-label={label} onKeyDown={onKeyDown}>
      {choices.map((c, i) => (
        <button
          key={String(c.value)}
          ref={(el) => {
            buttons.current[i] = el
          }}
          type="button"
          role="radio"
          aria-checked={i === chosen}
          aria-label={c.ariaLabel}
          title={c.title}
          tabIndex={i === tabStop ? 0 : -1}
          className={[choiceClassName, c.className].filter(Boolean).join(' ') || undefined}
          style={c.style}
          onClick={() => onChange(toggles && i === chosen ? null : c.value)}
        >
          {c.content}
        </button>
      ))}
    </div>
  )
}
