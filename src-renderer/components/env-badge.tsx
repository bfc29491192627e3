/**
 * The live badge of an environment: up to date, N pending, N conflicts, syncing, can't reach.
 */
import type { StatusSummary } from '../../src-shared/views.js'
import { badgeOf } from '../lib/words.js'
import { CheckIcon } from './icons.js'

export function EnvBadge({ summary }: { summary: StatusSummary | undefined }) {
  const badge = badgeOf(summary)
  return (
    <span className={`badge badge-${badge.tone}`} data-testid="env-badge">
      {badge.tone === 'ok' ? <CheckIcon /> : null}
      {badge.text}
    </span>
  )
}
