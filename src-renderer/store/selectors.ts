/**
 * Named selectors: what each component reads of the store, and nothing more.
 */
import type { EnvironmentView, ProjectView, StatusSummary } from '../../src-shared/views.js'
import { envKey, type EnvRef, type SyncStore } from './types.js'

export const selectProjects = (s: SyncStore) => s.projects
export const selectAppInfo = (s: SyncStore) => s.appInfo
export const selectOpening = (s: SyncStore) => s.opening
export const selectSelection = (s: SyncStore) => s.selection
export const selectScreen = (s: SyncStore) => s.screen
export const selectTheme = (s: SyncStore) => s.theme
export const selectBanners = (s: SyncStore) => s.banners
export const selectSummaries = (s: SyncStore) => s.summaries
export const selectList = (s: SyncStore) => s.list
export const selectRun = (s: SyncStore) => s.run
export const selectConflicts = (s: SyncStore) => s.conflicts
export const selectChoices = (s: SyncStore) => s.choices
export const selectChoiceHistory = (s: SyncStore) => s.choiceHistory
export const selectPicked = (s: SyncStore) => s.picked
export const selectDetails = (s: SyncStore) => s.details
export const selectMergeEdits = (s: SyncStore) => s.mergeEdits
export const selectToasts = (s: SyncStore) => s.toasts
export const selectEnvTests = (s: SyncStore) => s.envTests
export const selectActivity = (s: SyncStore) => s.activity
export const selectUndo = (s: SyncStore) => s.undo

/** The selected project. */
export const selectSelectedProject = (s: SyncStore): ProjectView | null => s.projects.find((p) => p.id === s.selection?.projectId) ?? null

/** The selected environment's view. */
export const selectSelectedEnv = (s: SyncStore): EnvironmentView | null => selectSelectedProject(s)?.environments.find((e) => e.name === s.selection?.env) ?? null

/** The selected environment's summary. */
export const selectSelectedSummary = (s: SyncStore): StatusSummary | null => (s.selection ? (s.summaries[envKey(s.selection)] ?? null) : null)

/** Whether the selected environment is being looked at again. */
export const selectChecking = (s: SyncStore): boolean => (s.selection ? !!s.checking[envKey(s.selection)] : false)

/** An environment's view, for a reference. */
export function findEnv(projects: ProjectView[], ref: EnvRef | null): EnvironmentView | null {
  if (!ref) return null
  return projects.find((p) => p.id === ref.projectId)?.environments.find((e) => e.name === ref.env) ?? null
}
