/**
 * The dashboard's one store, built from its slices (zustand's slices pattern).
 */
import { create } from 'zustand'
import { createActivitySlice } from './activity-slice.js'
import { createEnvironmentsSlice } from './environments-slice.js'
import { createProjectsSlice } from './projects-slice.js'
import { createRunsSlice } from './runs-slice.js'
import { createStatusSlice } from './status-slice.js'
import type { SyncStore } from './types.js'
import { createUiSlice } from './ui-slice.js'

/** The store; components read it through the named selectors in selectors.ts. */
export const useSyncStore = create<SyncStore>()((...a) => ({
  ...createProjectsSlice(...a),
  ...createStatusSlice(...a),
  ...createRunsSlice(...a),
  ...createUiSlice(...a),
  ...createEnvironmentsSlice(...a),
  ...createActivitySlice(...a),
}))

/** The store's actions, for event handlers (reading them subscribes to nothing). */
export function actions(): SyncStore {
  return useSyncStore.getState()
}
