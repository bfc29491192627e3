/**
 * Projects and their environments, as the host lists them; opening a folder and the demo.
 */
import type { Responses } from '../../src-shared/ipc.js'
import type { ProjectView } from '../../src-shared/views.js'
import { syncDesk } from '../bridge/sync-desk.js'
import { listenToHost } from './events.js'
import type { EnvRef, Slice } from './types.js'

export interface ProjectsSlice {
  appInfo: Responses['app:info'] | null
  projects: ProjectView[]
  /** A project folder is being opened, or the demo made. */
  opening: 'folder' | 'demo' | null
  /** Starts the dashboard: hears the host's events, lists projects, picks what to show. */
  boot(): Promise<void>
  /** Opens the project at a folder; true when it opened. */
  openProject(dir: string): Promise<boolean>
  /** Makes (or reopens) the demo project and shows it. */
  createDemo(): Promise<void>
  /** The host's list of projects (from `projects:changed`). */
  setProjects(projects: ProjectView[]): void
}

/** The environment a `#project=…&env=…` fragment names (Electron focuses a window with it). */
export function fragmentTarget(hash: string = window.location.hash): EnvRef | null {
  const q = new URLSearchParams(hash.replace(/^#/, ''))
  const projectId = q.get('project')
  const env = q.get('env')
  return projectId && env ? { projectId, env } : null
}

/** The first environment of a project, as a selection. */
function firstEnv(p: ProjectView | undefined): EnvRef | null {
  if (!p) return null
  return { projectId: p.id, env: p.environments[0]?.name ?? '' }
}

export const createProjectsSlice: Slice<ProjectsSlice> = (set, get) => ({
  appInfo: null,
  projects: [],
  opening: null,
  async boot() {
    listenToHost(get)
    try {
      const [info, projects] = await Promise.all([syncDesk().invoke('app:info', {}), syncDesk().invoke('projects:list', {})])
      set({ appInfo: info, projects })
      get().loadAllSummaries()
      const wanted = fragmentTarget()
      const target =
        (wanted && projects.some((p) => p.id === wanted.projectId && p.environments.some((e) => e.name === wanted.env)) ? wanted : null) ??
        firstEnv(projects.find((p) => p.id === info.lastProjectId)) ??
        firstEnv(projects[0])
      if (target) get().select(target)
      else set({ screen: 'welcome' })
    } catch (err) {
      set({ screen: 'welcome' })
      get().reportError(err)
    }
  },
  async openProject(dir) {
    set({ opening: 'folder' })
    try {
      const project = await syncDesk().invoke('projects:open', { dir })
      get().setProjects([...get().projects.filter((p) => p.id !== project.id), project])
      get().loadAllSummaries()
      get().select({ projectId: project.id, env: project.environments[0]?.name ?? '' })
      return true
    } catch (err) {
      get().reportError(err)
      return false
    } finally {
      set({ opening: null })
    }
  },
  async createDemo() {
    set({ opening: 'demo' })
    try {
      const project = await syncDesk().invoke('projects:create-demo', {})
      get().setProjects([...get().projects.filter((p) => p.id !== project.id), project])
      get().loadAllSummaries()
      get().select({ projectId: project.id, env: project.environments[0]?.name ?? '' })
    } catch (err) {
      get().reportError(err)
    } finally {
      set({ opening: null })
    }
  },
  setProjects(projects) {
    set({ projects })
    const sel = get().selection
    if (!sel) return
    const project = projects.find((p) => p.id === sel.projectId)
    if (!project) {
      const next = firstEnv(projects[0])
      if (next) get().select(next)
      else set({ selection: null, screen: 'welcome' })
    } else if ((sel.env && !project.environments.some((e) => e.name === sel.env)) || (!sel.env && project.environments.length)) {
      // The environment shown was removed (or the first one added): show another, on the same screen.
      const screen = get().screen
      get().select(firstEnv(project) as EnvRef)
      if (screen === 'environments' || screen === 'activity') set({ screen })
    }
  },
})
