/**
 * A project's activity history, and the undo of a run through its backup.
 *
 * Undo is a preview first (`backups:preview`: what it puts back, removes and leaves, and
 * why), and a restore only once the operator confirms it; the history is looked at again
 * afterwards, since the restore is itself an entry that can be undone.
 */
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { ActivityEntry, RestoreSummary } from '../../src-shared/views.js'
import { errorPayloadOf, syncDesk } from '../bridge/sync-desk.js'
import type { Slice } from './types.js'

/** The history of one project. */
export interface ActivityState {
  projectId: string
  entries: ActivityEntry[]
  loading: boolean
}

/** An undo in the making: its preview, then its result. */
export interface UndoState {
  projectId: string
  entry: ActivityEntry
  stage: 'previewing' | 'preview' | 'restoring' | 'done'
  preview: RestoreSummary | null
  result: RestoreSummary | null
  error: ErrorPayload | null
}

export interface ActivitySlice {
  activity: ActivityState | null
  undo: UndoState | null
  /** Loads the selected project's history. */
  loadActivity(): Promise<void>
  /** Opens the undo of an entry on its preview (changes nothing). */
  previewUndo(entry: ActivityEntry): Promise<void>
  /** Carries out the previewed undo. */
  confirmUndo(): Promise<void>
  closeUndo(): void
}

export const createActivitySlice: Slice<ActivitySlice> = (set, get) => ({
  activity: null,
  undo: null,
  async loadActivity() {
    const projectId = get().selection?.projectId
    if (!projectId) return
    const same = get().activity?.projectId === projectId
    set({ activity: { projectId, entries: same ? (get().activity?.entries ?? []) : [], loading: true } })
    try {
      const entries = await syncDesk().invoke('activity:list', { projectId, limit: 200 })
      if (get().selection?.projectId === projectId) set({ activity: { projectId, entries, loading: false } })
    } catch (err) {
      set({ activity: { projectId, entries: [], loading: false } })
      get().reportError(err)
    }
  },
  async previewUndo(entry) {
    const projectId = get().selection?.projectId
    if (!projectId || !entry.backupRunId) return
    const runId = entry.backupRunId
    set({ undo: { projectId, entry, stage: 'previewing', preview: null, result: null, error: null } })
    try {
      const preview = await syncDesk().invoke('backups:preview', { projectId, runId })
      const undo = get().undo
      if (undo?.entry === entry && undo.stage === 'previewing') set({ undo: { ...undo, stage: 'preview', preview } })
    } catch (err) {
      const undo = get().undo
      if (undo?.entry === entry) set({ undo: { ...undo, stage: 'done', error: errorPayloadOf(err) } })
    }
  },
  async confirmUndo() {
    const undo = get().undo
    if (!undo || undo.stage !== 'preview' || !undo.entry.backupRunId) return
    set({ undo: { ...undo, stage: 'restoring' } })
    try {
      const result = await syncDesk().invoke('backups:restore', { projectId: undo.projectId, runId: undo.entry.backupRunId })
      set({ undo: { ...undo, stage: 'done', result } })
    } catch (err) {
      set({ undo: { ...undo, stage: 'done', error: errorPayloadOf(err) } })
    }
    void get().loadActivity()
  },
  closeUndo() {
    if (get().undo?.stage === 'restoring') return
    set({ undo: null })
  },
})
