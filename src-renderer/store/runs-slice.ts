/**
 * Runs: the host's plan as a preview, the apply with the operator's choices, its progress
 * from `run:progress`, and its summary; and the conflict decisions a Sync run carries.
 *
 * A run is in one of four stages: `planning` (the host is looking at both sides), `preview`
 * (the sheet shows the plan; nothing has changed), `running` (progress events arrive), and
 * `done` (a summary, or the error that stopped it). A preview closed without applying is
 * dropped at the host (`run:cancel`), which releases what the plan holds.
 */
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { Direction, Resolution } from '../../src-shared/sync-types.js'
import type { ItemDetail, PlanPreview, RunProgress, RunSummary, StatusRow } from '../../src-shared/views.js'
import { errorPayloadOf, syncDesk } from '../bridge/sync-desk.js'
import { envKey, type EnvRef, type Slice } from './types.js'

/** Where a run is. */
export type RunStage = 'planning' | 'preview' | 'running' | 'done'

/** The run the sheet shows. */
export interface RunState {
  ref: EnvRef
  direction: Direction
  stage: RunStage
  preview: PlanPreview | null
  /** Sync: the conflict decisions this run carries (label → resolution). */
  resolutions: Record<string, Resolution> | null
  /** Sync: the combined files the operator edited, for conflicts resolved `merge` (path → text). */
  mergeEdits: Record<string, string> | null
  progress: RunProgress | null
  summary: RunSummary | null
  /** What stopped the plan or the run (shown in the sheet, with a way on). */
  error: ErrorPayload | null
  cancelling: boolean
}

/** What the operator chose when applying. */
export interface ApplyOptions {
  confirmName?: string
  allowMassDelete?: boolean
  deploy?: boolean
  /** Files to send to a protected environment although the checks found problems in them. */
  allowProblems?: string[]
  /** Create the tables the preview lists as missing (the operator ticked the box). */
  createTables?: boolean
}

/** The selected environment's conflicts, for the review. */
export interface ConflictsState {
  ref: EnvRef
  rows: StatusRow[]
  total: number
  loading: boolean
}

/** One conflict's two versions (and the base), asked for when its details are opened. */
export interface DetailState {
  loading: boolean
  detail: ItemDetail | null
  error: ErrorPayload | null
}

export interface RunsSlice {
  run: RunState | null
  conflicts: ConflictsState | null
  /** The decision per conflict label, for the selected environment. */
  choices: Record<string, Resolution>
  /** The decisions before each change, newest last: "Undo" steps back through them. */
  choiceHistory: Record<string, Resolution>[]
  /** Conflicts ticked for a bulk decision (labels). */
  picked: string[]
  /** Each opened conflict's details, by label. */
  details: Record<string, DetailState>
  /** The combined text of a file conflict as the operator edited it, by label (path). */
  mergeEdits: Record<string, string>
  /** Asks the host for a plan and opens the sheet on its preview. */
  planRun(direction: Direction, opts?: { resolutions?: Record<string, Resolution> }): Promise<void>
  /** Applies the previewed plan. */
  applyRun(opts: ApplyOptions): Promise<void>
  /** Stops the run going on (between batches), or drops the preview. */
  cancelRun(): Promise<void>
  /** Closes the sheet (a preview not applied is dropped at the host). */
  closeRun(): void
  /** A progress event. */
  patchProgress(p: RunProgress): void
  /** A run's summary (the answer to apply, or `run:finished`). */
  finishRun(s: RunSummary): void
  /** Loads the conflicts of the selected environment. */
  loadConflicts(): Promise<void>
  /** Decides one conflict (null: undo the decision). */
  choose(label: string, resolution: Resolution | null): void
  /** Decides every ticked conflict alike, or every listed one when none is ticked. */
  chooseAll(resolution: Resolution): void
  /** Takes back the last change of decisions (one choice or one bulk choice). */
  undoChoice(): void
  /** Ticks or unticks conflicts for a bulk decision (null: untick all). */
  pick(labels: string[] | null, on?: boolean): void
  /** Loads a conflict's two versions for the review. */
  loadDetail(row: StatusRow): Promise<void>
  /**
   * Keeps the operator's edit of a file conflict's combined text (null: back to the proposed
   * merge). Editing it decides the conflict for Combine both.
   */
  editMerge(label: string, text: string | null): void
  resetChoices(): void
}

/** The most conflicts the review loads at once (the host answers at most 1,000 a page). */
const CONFLICTS_LIMIT = 1000

export const createRunsSlice: Slice<RunsSlice> = (set, get) => {
  const patchRun = (planId: string | null, change: Partial<RunState>) => {
    const run = get().run
    if (!run || (planId !== null && run.preview?.planId !== planId)) return
    set({ run: { ...run, ...change } })
  }

  return {
    run: null,
    conflicts: null,
    choices: {},
    choiceHistory: [],
    picked: [],
    details: {},
    mergeEdits: {},
    async planRun(direction, opts = {}) {
      const ref = get().selection
      if (!ref?.env || (get().run && get().run?.stage !== 'done')) return
      const resolutions = opts.resolutions ?? null
      const edits = Object.entries(get().mergeEdits).filter(([label]) => resolutions?.[label] === 'merge')
      const mergeEdits = edits.length ? Object.fromEntries(edits) : null
      set({ run: { ref, direction, stage: 'planning', preview: null, resolutions, mergeEdits, progress: null, summary: null, error: null, cancelling: false } })
      try {
        const preview = await syncDesk().invoke('run:plan', { projectId: ref.projectId, env: ref.env, direction, itemLimit: 2000 })
        const run = get().run
        if (!run || run.stage !== 'planning' || envKey(run.ref) !== envKey(ref)) {
          void syncDesk().invoke('run:cancel', { planId: preview.planId }).catch(() => undefined)
          return
        }
        set({ run: { ...run, stage: 'preview', preview } })
      } catch (err) {
        const run = get().run
        if (run && run.stage === 'planning') set({ run: { ...run, stage: 'done', error: errorPayloadOf(err) } })
      }
    },
    async applyRun(opts) {
      const run = get().run
      if (!run || run.stage !== 'preview' || !run.preview) return
      const planId = run.preview.planId
      set({ run: { ...run, stage: 'running' } })
      try {
        const summary = await syncDesk().invoke('run:apply', {
          planId,
          ...(run.resolutions ? { resolutions: run.resolutions } : {}),
          ...(run.mergeEdits ? { mergeEdits: run.mergeEdits } : {}),
          ...(opts.confirmName !== undefined ? { confirmName: opts.confirmName } : {}),
          ...(opts.allowMassDelete ? { allowMassDelete: true } : {}),
          ...(opts.allowProblems?.length ? { allowProblems: opts.allowProblems } : {}),
          ...(opts.createTables ? { createTables: true } : {}),
          ...(opts.deploy ? { deploy: true } : {}),
        })
        get().finishRun(summary)
      } catch (err) {
        patchRun(planId, { stage: 'done', error: errorPayloadOf(err) })
      }
    },
    async cancelRun() {
      const run = get().run
      const planId = run?.preview?.planId
      if (!run || !planId) return
      if (run.stage === 'running') {
        patchRun(planId, { cancelling: true })
        await syncDesk().invoke('run:cancel', { planId }).catch((err) => get().reportError(err))
      } else get().closeRun()
    },
    closeRun() {
      const run = get().run
      if (!run || run.stage === 'running') return
      if (run.stage === 'preview' && run.preview) void syncDesk().invoke('run:cancel', { planId: run.preview.planId }).catch(() => undefined)
      set({ run: null })
    },
    patchProgress(p) {
      const run = get().run
      if (run?.stage === 'running' && run.preview?.planId === p.planId) set({ run: { ...run, progress: p } })
    },
    finishRun(summary) {
      const run = get().run
      if (!run || run.preview?.planId !== summary.planId || run.summary) return
      set({ run: { ...run, stage: 'done', summary } })
      if (run.resolutions) {
        // The decisions were carried out (or left, and are asked again): start the review afresh.
        set({ choices: {}, choiceHistory: [], picked: [], details: {}, mergeEdits: {} })
        if (get().screen === 'conflicts') void get().loadConflicts()
      }
    },
    async loadConflicts() {
      const ref = get().selection
      if (!ref?.env) return
      const same = get().conflicts && envKey(get().conflicts!.ref) === envKey(ref)
      set({ conflicts: { ref, rows: same ? get().conflicts!.rows : [], total: same ? get().conflicts!.total : 0, loading: true } })
      try {
        const page = await syncDesk().invoke('status:page', { projectId: ref.projectId, env: ref.env, category: 'conflicts', offset: 0, limit: CONFLICTS_LIMIT })
        if (envKey(get().selection ?? { projectId: '', env: '' }) !== envKey(ref)) return
        const labels = new Set(page.rows.map((r) => r.label))
        const choices: Record<string, Resolution> = {}
        for (const [label, r] of Object.entries(get().choices)) if (labels.has(label)) choices[label] = r
        const picked = get().picked.filter((l) => labels.has(l))
        set({ conflicts: { ref, rows: page.rows, total: page.total, loading: false }, choices, picked })
      } catch (err) {
        set({ conflicts: { ref, rows: [], total: 0, loading: false } })
        get().reportError(err)
      }
    },
    editMerge(label, text) {
      const { [label]: _old, ...rest } = get().mergeEdits
      set({ mergeEdits: text === null ? rest : { ...rest, [label]: text } })
      if (text !== null && get().choices[label] !== 'merge') get().choose(label, 'merge')
    },
    choose(label, resolution) {
      const before = get().choices
      const { [label]: _old, ...rest } = before
      set({ choices: resolution ? { ...rest, [label]: resolution } : rest, choiceHistory: [...get().choiceHistory, before].slice(-100) })
    },
    chooseAll(resolution) {
      const before = get().choices
      const picked = new Set(get().picked)
      const choices: Record<string, Resolution> = { ...before }
      for (const r of get().conflicts?.rows ?? []) {
        if (picked.size && !picked.has(r.label)) continue
        choices[r.label] = resolution === 'merge' && !r.mergeable ? (before[r.label] ?? 'skip') : resolution
      }
      set({ choices, choiceHistory: [...get().choiceHistory, before].slice(-100), picked: [] })
    },
    undoChoice() {
      const history = get().choiceHistory
      const last = history[history.length - 1]
      if (last) set({ choices: last, choiceHistory: history.slice(0, -1) })
    },
    pick(labels, on = true) {
      if (labels === null) {
        set({ picked: [] })
        return
      }
      const now = new Set(get().picked)
      for (const l of labels) {
        if (on) now.add(l)
        else now.delete(l)
      }
      set({ picked: [...now] })
    },
    async loadDetail(row) {
      const ref = get().selection
      if (!ref?.env) return
      const have = get().details[row.label]
      if (have && (have.loading || have.detail)) return
      set({ details: { ...get().details, [row.label]: { loading: true, detail: null, error: null } } })
      const item = row.kind === 'file' ? { kind: 'file' as const, path: row.path ?? row.label } : { kind: 'record' as const, table: row.table ?? '', key: row.key ?? '' }
      try {
        const detail = await syncDesk().invoke('item:detail', { projectId: ref.projectId, env: ref.env, item })
        set({ details: { ...get().details, [row.label]: { loading: false, detail, error: null } } })
      } catch (err) {
        set({ details: { ...get().details, [row.label]: { loading: false, detail: null, error: errorPayloadOf(err) } } })
      }
    },
    resetChoices() {
      set({ choices: {}, conflicts: null, choiceHistory: [], picked: [], details: {}, mergeEdits: {} })
    },
  }
}
