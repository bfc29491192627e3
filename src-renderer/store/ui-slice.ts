/**
 * What the operator is looking at: the selected environment, the screen, the theme, and the
 * error banners.
 */
import { errorPayloadOf } from '../bridge/sync-desk.js'
import { nextStep } from '../lib/error-words.js'
import type { EnvRef, Slice } from './types.js'

/** The main area's screens. */
export type Screen = 'loading' | 'welcome' | 'dashboard' | 'conflicts' | 'environments' | 'activity'

/** The theme: the system's, or one the operator picked. */
export type ThemeChoice = 'system' | 'light' | 'dark'

/** An error shown as a banner: its message and what to do, never a stack. */
export interface Banner {
  id: number
  message: string
  hint: string | null
}

/** An in-app notification (the web dashboard has no system notifications). */
export interface Toast {
  id: number
  tone: 'ok' | 'warning' | 'error'
  title: string
  body: string | null
}

export interface UiSlice {
  selection: EnvRef | null
  screen: Screen
  theme: ThemeChoice
  banners: Banner[]
  toasts: Toast[]
  /** Shows an environment's dashboard (and loads what it shows). */
  select(ref: EnvRef): void
  /** Shows the welcome screen (to open another project). */
  showWelcome(): void
  showDashboard(): void
  /** Shows the conflict review of the selected environment. */
  showConflicts(): void
  /** Shows the environment settings of a project (default: the selected one). */
  showEnvironments(projectId?: string): void
  /** Shows the activity history of a project (default: the selected one). */
  showActivity(projectId?: string): void
  setTheme(theme: ThemeChoice): void
  /** Shows an in-app notification (it goes away by itself). */
  notify(toast: Omit<Toast, 'id'>): void
  dismissToast(id: number): void
  /** Shows what a failed request said. */
  reportError(err: unknown): void
  dismissBanner(id: number): void
}

const THEME_KEY = 'syncdesk.theme'
let bannerId = 1
let toastId = 1

function savedTheme(): ThemeChoice {
  try {
    const t = window.localStorage.getItem(THEME_KEY)
    return t === 'light' || t === 'dark' ? t : 'system'
  } catch {
    return 'system'
  }
}

export const createUiSlice: Slice<UiSlice> = (set, get) => {
  /** Makes a project the selected one (its first environment), unless it already is. */
  const selectProject = (projectId: string) => {
    if (get().selection?.projectId === projectId) return
    const p = get().projects.find((x) => x.id === projectId)
    if (p) get().select({ projectId, env: p.environments[0]?.name ?? '' })
  }
  return {
  selection: null,
  screen: 'loading',
  theme: savedTheme(),
  banners: [],
  toasts: [],
  select(ref) {
    const same = get().selection?.projectId === ref.projectId && get().selection?.env === ref.env
    set({ selection: ref, screen: 'dashboard' })
    if (!same) get().resetChoices()
    void get().loadSummary(ref)
    get().openList(ref)
  },
  showWelcome() {
    set({ screen: 'welcome' })
  },
  showDashboard() {
    set({ screen: get().selection ? 'dashboard' : 'welcome' })
  },
  showConflicts() {
    if (!get().selection) return
    set({ screen: 'conflicts' })
    void get().loadConflicts()
  },
  showEnvironments(projectId) {
    if (projectId) selectProject(projectId)
    if (!get().selection) return
    set({ screen: 'environments' })
  },
  showActivity(projectId) {
    if (projectId) selectProject(projectId)
    if (!get().selection) return
    set({ screen: 'activity' })
    void get().loadActivity()
  },
  notify(toast) {
    set({ toasts: [...get().toasts.filter((t) => t.title !== toast.title), { ...toast, id: toastId++ }].slice(-4) })
  },
  dismissToast(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) })
  },
  setTheme(theme) {
    try {
      if (theme === 'system') window.localStorage.removeItem(THEME_KEY)
      else window.localStorage.setItem(THEME_KEY, theme)
    } catch {
      // Not kept across reloads; it still applies now.
    }
    set({ theme })
  },
  reportError(err) {
    const p = errorPayloadOf(err)
    const banners = get().banners.filter((b) => b.message !== p.message)
    set({ banners: [...banners, { id: bannerId++, message: p.message, hint: nextStep(p) }].slice(-3) })
  },
  dismissBanner(id) {
    set({ banners: get().banners.filter((b) => b.id !== id) })
  },
}
}
