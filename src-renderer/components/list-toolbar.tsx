/**
 * Above the list: which category, files or records, a search, and how many match.
 *
 * Every filter is applied by the host (`status:page`); the search is sent a moment after
 * typing stops.
 */
import { useEffect, useId, useState } from 'react'
import type { Category } from '../../src-shared/sync-types.js'
import { categoryText, count } from '../lib/words.js'
import type { ListState } from '../store/status-slice.js'
import { actions } from '../store/sync-store.js'
import { SearchIcon } from './icons.js'
import { RadioGroup } from './radio-group.js'

const KINDS: { value: 'file' | 'record' | null; label: string }[] = [
  { value: null, label: 'All' },
  { value: 'file', label: 'Files' },
  { value: 'record', label: 'Records' },
]

const CATEGORY_CHOICES: (Category | null)[] = [null, 'conflicts', 'remote_to_local', 'local_to_remote', 'in_sync']

export function ListToolbar({ list, env }: { list: ListState; env: string }) {
  const [search, setSearch] = useState(list.filter.search)
  const searchId = useId()
  const categoryId = useId()

  useEffect(() => {
    if (search === list.filter.search) return
    const t = setTimeout(() => actions().setFilter({ search }), 250)
    return () => clearTimeout(t)
  }, [search, list.filter.search])

  const totals = list.groups.map((g) => g.total)
  const known = totals.every((t) => t !== null)
  const total = totals.reduce<number>((a, t) => a + (t ?? 0), 0)
  const noun = list.filter.category === 'in_sync' ? 'item' : 'change'

  return (
    <div className="list-toolbar">
      <div className="search">
        <label htmlFor={searchId} className="visually-hidden">
          Search by name
        </label>
        <SearchIcon />
        <input id={searchId} className="text-input search-input" type="search" placeholder="Search by name" value={search} autoComplete="off" spellCheck={false} onChange={(e) => setSearch(e.target.value)} data-testid="list-search" />
      </div>
      <label htmlFor={categoryId} className="visually-hidden">
        Category
      </label>
      <select id={categoryId} className="select" value={list.filter.category ?? ''} onChange={(e) => actions().setFilter({ category: (e.target.value || null) as Category | null })} data-testid="list-category">
        {CATEGORY_CHOICES.map((c) => (
          <option key={c ?? 'all'} value={c ?? ''}>
            {c ? categoryText(c, 0, env).title : 'Everything pending'}
          </option>
        ))}
      </select>
      <RadioGroup
        className="segmented"
        choiceClassName="segment"
        label="Files or records"
        choices={KINDS.map((k) => ({ value: k.value, content: k.label }))}
        value={list.filter.kind}
        onChange={(kind) => actions().setFilter({ kind })}
      />
      <span className="list-total" aria-live="polite" data-testid="list-total" data-total={known ? total : ''}>
        {known ? count(total, noun) : 'Counting…'}
      </span>
    </div>
  )
}
