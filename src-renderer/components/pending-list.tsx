/**
 * The pending list: grouped by category with sticky headers, virtualized, paged from the host.
 *
 * Only a window of rows is in the page (@tanstack/react-virtual); a group's size is the
 * host's total for it, and its rows are asked for page by page as they scroll into view.
 * Keyboard: the list takes focus; arrows, Page Up/Down, Home and End move the active row;
 * Enter on a conflict opens the review.
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import type { Category } from '../../src-shared/sync-types.js'
import { groupTitle, num } from '../lib/words.js'
import { PAGE_SIZE, type ListState } from '../store/status-slice.js'
import { actions } from '../store/sync-store.js'
import { LoadingRow, PendingRow } from './pending-row.js'

const HEADER_HEIGHT = 36
const ROW_HEIGHT = 56

/** A group as laid out: its header's index and its row count. */
interface Segment {
  category: Category
  start: number
  total: number
}

type Item = { kind: 'header'; seg: Segment } | { kind: 'row'; seg: Segment; offset: number }

function layout(list: ListState): { segments: Segment[]; count: number } {
  const segments: Segment[] = []
  let at = 0
  for (const g of list.groups) {
    if (!g.total) continue
    segments.push({ category: g.category, start: at, total: g.total })
    at += 1 + g.total
  }
  return { segments, count: at }
}

function itemAt(segments: Segment[], i: number): Item | null {
  for (const seg of segments) {
    if (i === seg.start) return { kind: 'header', seg }
    if (i > seg.start && i <= seg.start + seg.total) return { kind: 'row', seg, offset: i - seg.start - 1 }
  }
  return null
}

export function PendingList({ list, env, emptyText }: { list: ListState; env: string; emptyText: string }) {
  const scrollRef = useRef<HTMLDivElement>(null)
  // The layout changes only with the groups' totals, not with each page that arrives.
  const segKey = list.groups.map((g) => `${g.category}:${g.total ?? '-'}`).join('|')
  // segKey is exactly what layout() reads of the list.
  const { segments, count } = useMemo(() => layout(list), [segKey])
  const stickyIndexes = useMemo(() => segments.map((s) => s.start), [segments])
  const activeStickyRef = useRef(0)
  const [active, setActive] = useState<number | null>(null)

  const rangeExtractor = useCallback(
    (range: Range) => {
      activeStickyRef.current = [...stickyIndexes].reverse().find((i) => range.startIndex >= i) ?? 0
      return [...new Set([activeStickyRef.current, ...defaultRangeExtractor(range)])].sort((a, b) => a - b)
    },
    [stickyIndexes],
  )
  const getItemKey = useCallback(
    (i: number) => {
      const item = itemAt(segments, i)
      if (!item) return `x${i}`
      return item.kind === 'header' ? `${item.seg.category}:h` : `${item.seg.category}:${item.offset}`
    },
    [segments],
  )
  const estimateSize = useCallback((i: number) => (stickyIndexes.includes(i) ? HEADER_HEIGHT : ROW_HEIGHT), [stickyIndexes])

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    rangeExtractor,
    overscan: 8,
  })

  useEffect(() => {
    virtualizer.measure()
  }, [segKey, virtualizer])

  // A new filter starts at the top with no active row.
  useEffect(() => {
    setActive(null)
    scrollRef.current?.scrollTo({ top: 0 })
  }, [list.id])

  const items = virtualizer.getVirtualItems()
  const first = items[0]?.index ?? 0
  const last = items[items.length - 1]?.index ?? 0

  // Ask for the pages of the rows in view (the store skips those it has or is fetching).
  useEffect(() => {
    for (const seg of segments) {
      const from = Math.max(0, first - seg.start - 1)
      const to = Math.min(seg.total - 1, last - seg.start - 1)
      if (to >= 0 && from <= seg.total - 1) actions().loadRows(seg.category, from, Math.max(from, to))
    }
  }, [first, last, segments, list.id, list.gen])

  const rowOf = (item: Item & { kind: 'row' }) => {
    const group = list.groups.find((g) => g.category === item.seg.category)
    return group?.pages[Math.floor(item.offset / PAGE_SIZE)]?.rows[item.offset % PAGE_SIZE] ?? null
  }

  const move = (to: number) => {
    let i = Math.max(0, Math.min(count - 1, to))
    if (stickyIndexes.includes(i)) i = to > (active ?? -1) ? i + 1 : i - 1
    if (i < 0) i = 1
    if (i >= count) i = count - 1
    setActive(i)
    virtualizer.scrollToIndex(i, { align: 'auto' })
  }

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!count) return
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1)
    const at = active ?? 0
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active === null ? 1 : at + 1),
      ArrowUp: () => move(at - 1),
      PageDown: () => move(at + page),
      PageUp: () => move(at - page),
      Home: () => move(1),
      End: () => move(count - 1),
      Enter: () => {
        const item = active === null ? null : itemAt(segments, active)
        if (item?.kind === 'row' && item.seg.category === 'conflicts') actions().showConflicts()
      },
    }
    const handler = keys[e.key]
    if (handler) {
      e.preventDefault()
      handler()
    }
  }

  const loading = list.groups.some((g) => g.total === null)
  if (!count && !loading) {
    return (
      <div className="list-empty" data-testid="list-empty">
        <p>{emptyText}</p>
      </div>
    )
  }

  return (
    <div
      ref={scrollRef}
      className="list-scroll"
      role="listbox"
      tabIndex={0}
      aria-label="Pending changes"
      aria-busy={loading}
      aria-activedescendant={active !== null ? `row-${list.id}-${active}` : undefined}
      onKeyDown={onKeyDown}
      data-testid="pending-list"
    >
      {!count ? (
        <div>
          {[0, 1, 2, 3, 4].map((i) => (
            <LoadingRow key={i} />
          ))}
        </div>
      ) : (
        <div className="list-inner" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((v) => {
            const item = itemAt(segments, v.index)
            if (!item) return null
            if (item.kind === 'header') {
              const sticky = activeStickyRef.current === v.index
              return (
                <div
                  key={v.key}
                  role="presentation"
                  className={`group-header group-${item.seg.category}`}
                  style={sticky ? { position: 'sticky', top: 0, height: v.size, zIndex: 2 } : { position: 'absolute', top: 0, transform: `translateY(${v.start}px)`, height: v.size }}
                  data-testid="group-header"
                >
                  <span>{groupTitle(item.seg.category, env)}</span>
                  <span className="group-count">{num(item.seg.total)}</span>
                </div>
              )
            }
            const row = rowOf(item)
            return (
              <div key={v.key} className="row-slot" style={{ transform: `translateY(${v.start}px)`, height: v.size }}>
                {row ? <PendingRow row={row} id={`row-${list.id}-${v.index}`} active={active === v.index} /> : <LoadingRow />}
              </div>
            )
          })}
        </div>
      )}
    </div>
  )
}
