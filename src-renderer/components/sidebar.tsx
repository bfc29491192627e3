/**
 * The sidebar: every project and, under it, its environments with colour, kind and a live badge.
 */
import { displayName, displayText } from '../../src-shared/display-text.js'
import { envTitle } from '../lib/words.js'
import { selectProjects, selectScreen, selectSelection, selectSummaries } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { envKey } from '../store/types.js'
import { EnvBadge } from './env-badge.js'
import { EnvDot } from './env-dot.js'
import { ClockIcon, GearIcon, PlusIcon, SyncIcon } from './icons.js'
import { ThemeToggle } from './theme-toggle.js'

export function Sidebar() {
  const projects = useSyncStore(selectProjects)
  const selection = useSyncStore(selectSelection)
  const summaries = useSyncStore(selectSummaries)
  const screen = useSyncStore(selectScreen)

  return (
    <nav className="sidebar" aria-label="Projects and environments">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          <SyncIcon />
        </span>
        SyncDesk
      </div>
      <div className="sidebar-scroll">
        {projects.map((p) => (
          <section key={p.id} className="sidebar-project" aria-label={`Project ${displayName(p.name)}`}>
            <h2 className="sidebar-project-name" title={displayText(p.dir)}>
              {displayName(p.name)}
              {p.demo ? <span className="tag">Demo</span> : null}
            </h2>
            {p.environments.length === 0 ? <p className="sidebar-empty">No environments yet</p> : null}
            <ul className="sidebar-envs">
              {p.environments.map((e) => {
                const ref = { projectId: p.id, env: e.name }
                const current = (screen === 'dashboard' || screen === 'conflicts') && selection?.projectId === p.id && selection.env === e.name
                const kind = e.kind === 'server' ? 'Server' : 'Folder'
                return (
                  <li key={e.name}>
                    <button
                      type="button"
                      className="sidebar-env"
                      aria-current={current ? 'page' : undefined}
                      title={`${kind}: ${displayText(e.location)}`}
                      data-testid="sidebar-env"
                      data-env={e.name}
                      onClick={() => actions().select(ref)}
                    >
                      <EnvDot color={e.color} />
                      <span className="sidebar-env-name">{envTitle(e.name)}</span>
                      <span className="visually-hidden">, {kind.toLowerCase()},</span>
                      <EnvBadge summary={summaries[envKey(ref)]} />
                    </button>
                  </li>
                )
              })}
            </ul>
            <ul className="sidebar-links">
              <li>
                <button type="button" className="sidebar-link" aria-current={screen === 'activity' && selection?.projectId === p.id ? 'page' : undefined} onClick={() => actions().showActivity(p.id)} data-testid="nav-activity">
                  <ClockIcon /> Activity
                </button>
              </li>
              <li>
                <button type="button" className="sidebar-link" aria-current={screen === 'environments' && selection?.projectId === p.id ? 'page' : undefined} onClick={() => actions().showEnvironments(p.id)} data-testid="nav-environments">
                  <GearIcon /> Environments
                </button>
              </li>
            </ul>
          </section>
        ))}
      </div>
      <div className="sidebar-footer">
        <button type="button" className="button button-quiet button-block" onClick={() => actions().showWelcome()}>
          <PlusIcon /> Open a project
        </button>
        <ThemeToggle />
      </div>
    </nav>
  )
}
