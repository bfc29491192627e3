/**
 * The dashboard store's shape: one zustand store built from slices (STYLE.md).
 *
 * Main is the source of truth; the store is its projection, filled by requests and patched
 * by events. Only the actions here call the host.
 */
import type { StateCreator } from 'zustand'
import type { ActivitySlice } from './activity-slice.js'
import type { EnvironmentsSlice } from './environments-slice.js'
import type { ProjectsSlice } from './projects-slice.js'
import type { RunsSlice } from './runs-slice.js'
import type { StatusSlice } from './status-slice.js'
import type { UiSlice } from './ui-slice.js'

/** The whole store. */
export type SyncStore = ProjectsSlice & StatusSlice & RunsSlice & UiSlice & EnvironmentsSlice & ActivitySlice

/** One slice's creator, seeing the whole store. */
export type Slice<T> = StateCreator<SyncStore, [], [], T>

/** The environment a screen shows. */
export interface EnvRef {
  projectId: string
  env: string
}

/** The key of an environment in maps. */
export function envKey(ref: EnvRef): string {
  return `${ref.projectId}\u0000${ref.env}`
}
