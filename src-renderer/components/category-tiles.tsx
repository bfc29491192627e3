/**
 * The four categories with the host's counts and one line each; a tile filters the list.
 */
import type { ComponentType } from 'react'
import { CATEGORIES, type Category } from '../../src-shared/sync-types.js'
import type { StatusSummary } from '../../src-shared/views.js'
import { categoryText, num } from '../lib/words.js'
import { selectList } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { ArrowDownIcon, ArrowUpIcon, CheckIcon, ConflictIcon } from './icons.js'

const ICONS: Record<Category, ComponentType> = {
  remote_to_local: ArrowDownIcon,
  local_to_remote: ArrowUpIcon,
  conflicts: ConflictIcon,
  in_sync: CheckIcon,
}

export function CategoryTiles({ env, summary }: { env: string; summary: StatusSummary | null }) {
  const active = useSyncStore(selectList)?.filter.category ?? null
  return (
    <div className="tiles" role="group" aria-label="Show one category">
      {CATEGORIES.map((c) => {
        const n = summary ? summary.counts[c] : null
        const text = categoryText(c, n ?? 0, env)
        const Icon = ICONS[c]
        return (
          <button
            key={c}
            type="button"
            className={`tile tile-${c}`}
            aria-pressed={active === c}
            data-testid={`tile-${c}`}
            onClick={() => actions().setFilter({ category: active === c ? null : c })}
          >
            <span className="tile-head">
              <span className="tile-icon">
                <Icon />
              </span>
              <span className="tile-title">{text.title}</span>
            </span>
            <span className="tile-count" data-testid="tile-count">
              {n === null ? <span className="skeleton skeleton-count" /> : num(n)}
            </span>
            <span className="tile-line">{n === null ? '\u00a0' : text.line}</span>
          </button>
        )
      })}
    </div>
  )
}
