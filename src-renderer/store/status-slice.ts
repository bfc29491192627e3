/**
 * Each environment's status summary, and the pending list of the selected one in pages.
 *
 * The list is grouped by category: one group per category, each its own paged query to the
 * host (`status:page` with that category and the filter), so a group's size and rows are the
 * host's, and the list only lays them out. Pages are asked for as they scroll into view;
 * an answer for a filter or a status the list has moved on from is dropped. When the host
 * announces a new status for the environment, the pages are marked stale and asked for again
 * as they are seen, while the old rows stay on screen (no jump, no flash).
 */
import type { Category } from '../../src-shared/sync-types.js'
import type { StatusRow, StatusSummary } from '../../src-shared/views.js'
import { syncDesk } from '../bridge/sync-desk.js'
import { envKey, type EnvRef, type Slice } from './types.js'

/** Rows per page asked of the host. */
export const PAGE_SIZE = 100

/** The filter above the list; all of it is applied by the host. */
export interface ListFilter {
  category: Category | null
  kind: 'file' | 'record' | null
  search: string
}

/** One category's rows: its total (null until the host answered) and the pages it has. */
export interface ListGroup {
  category: Category
  total: number | null
  pages: Record<number, { rows: StatusRow[]; gen: number }>
}

/** The pending list of one environment under one filter. */
export interface ListState {
  /** A new id for each new list or filter: answers for another id are dropped. */
  id: number
  ref: EnvRef
  filter: ListFilter
  /** Bumped for each new status of the environment: pages of older generations are stale. */
  gen: number
  groups: ListGroup[]
}

export interface StatusSlice {
  summaries: Record<string, StatusSummary>
  /** Environments being looked at again on the operator's request. */
  checking: Record<string, boolean>
  list: ListState | null
  /** Loads an environment's summary (`refresh`: look at both sides again now). */
  loadSummary(ref: EnvRef, refresh?: boolean): Promise<void>
  /** Loads the summary of every environment of every project (the sidebar's badges). */
  loadAllSummaries(): void
  /** A summary from the host (`status:changed`, or an answer). */
  patchSummary(summary: StatusSummary): void
  /** Starts the list of an environment with no filter. */
  openList(ref: EnvRef): void
  /** Changes the filter; the host does the filtering. */
  setFilter(change: Partial<ListFilter>): void
  /** Makes sure the rows `from`..`to` (inclusive) of a group are loaded or on their way. */
  loadRows(category: Category, from: number, to: number): void
}

/** The groups a filter shows, in the list's order (conflicts first: they need a decision). */
export function groupsFor(filter: ListFilter): Category[] {
  return filter.category ? [filter.category] : ['conflicts', 'remote_to_local', 'local_to_remote']
}

const EMPTY_FILTER: ListFilter = { category: null, kind: null, search: '' }

/** Requests on their way, by list, generation, group and page. */
const inflight = new Set<string>()
let listSerial = 0

export const createStatusSlice: Slice<StatusSlice> = (set, get) => {
  const fetchPage = (category: Category, page: number) => {
    const list = get().list
    if (!list) return
    const flight = `${list.id}|${list.gen}|${category}|${page}`
    if (inflight.has(flight)) return
    inflight.add(flight)
    const { filter, gen, ref, id } = list
    syncDesk()
      .invoke('status:page', {
        projectId: ref.projectId,
        env: ref.env,
        category,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.search.trim() ? { search: filter.search.trim() } : {}),
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      })
      .then(
        (answer) => {
          const now = get().list
          if (!now || now.id !== id || now.gen !== gen) return
          set({
            list: {
              ...now,
              groups: now.groups.map((g) => (g.category === category ? { ...g, total: answer.total, pages: { ...g.pages, [page]: { rows: answer.rows, gen } } } : g)),
            },
          })
        },
        (err) => {
          const now = get().list
          if (now && now.id === id && now.gen === gen) get().reportError(err)
        },
      )
      .finally(() => inflight.delete(flight))
  }

  /** Asks for the first page of every group (the totals come with it). */
  const fetchHeads = () => {
    const list = get().list
    if (!list) return
    for (const g of list.groups) fetchPage(g.category, 0)
  }

  return {
    summaries: {},
    checking: {},
    list: null,
    async loadSummary(ref, refresh = false) {
      if (!ref.env) return
      const key = envKey(ref)
      if (refresh) set({ checking: { ...get().checking, [key]: true } })
      try {
        const summary = await syncDesk().invoke('status:summary', { projectId: ref.projectId, env: ref.env, ...(refresh ? { refresh: true } : {}) })
        get().patchSummary(summary)
      } catch (err) {
        get().reportError(err)
      } finally {
        if (refresh) {
          const { [key]: _done, ...rest } = get().checking
          set({ checking: rest })
        }
      }
    },
    loadAllSummaries() {
      for (const p of get().projects) for (const e of p.environments) if (!get().summaries[envKey({ projectId: p.id, env: e.name })]) void get().loadSummary({ projectId: p.id, env: e.name })
    },
    patchSummary(summary) {
      const key = envKey(summary)
      const before = get().summaries[key]
      set({ summaries: { ...get().summaries, [key]: summary } })
      const list = get().list
      if (list && envKey(list.ref) === key && before && before.checkedAt !== summary.checkedAt) {
        set({ list: { ...list, gen: list.gen + 1 } })
        fetchHeads()
      }
    },
    openList(ref) {
      if (!ref.env) {
        set({ list: null })
        return
      }
      const filter = { ...EMPTY_FILTER }
      set({ list: { id: ++listSerial, ref, filter, gen: 0, groups: groupsFor(filter).map((category) => ({ category, total: null, pages: {} })) } })
      fetchHeads()
    },
    setFilter(change) {
      const list = get().list
      if (!list) return
      const filter = { ...list.filter, ...change }
      set({ list: { id: ++listSerial, ref: list.ref, filter, gen: list.gen, groups: groupsFor(filter).map((category) => ({ category, total: null, pages: {} })) } })
      fetchHeads()
    },
    loadRows(category, from, to) {
      const list = get().list
      const group = list?.groups.find((g) => g.category === category)
      if (!list || !group) return
      const last = group.total === null ? 0 : Math.max(0, Math.ceil(group.total / PAGE_SIZE) - 1)
      for (let page = Math.floor(from / PAGE_SIZE); page <= Math.min(last, Math.floor(to / PAGE_SIZE)); page++) {
        const have = group.pages[page]
        if (!have || have.gen < list.gen) fetchPage(category, page)
      }
    },
  }
}
