/**
 * The dashboard's frame: the sidebar, the screen the operator is on, the run sheet, banners.
 */
import { useEffect } from 'react'
import { ActivityScreen } from './components/activity-screen.js'
import { ConflictReview } from './components/conflict-review.js'
import { EnvironmentSettings } from './components/environment-settings.js'
import { EnvironmentDashboard } from './components/environment-dashboard.js'
import { ErrorBanners } from './components/error-banners.js'
import { RunSheet } from './components/run-sheet.js'
import { Sidebar } from './components/sidebar.js'
import { Toasts } from './components/toasts.js'
import { WelcomeScreen } from './components/welcome-screen.js'
import { selectProjects, selectScreen, selectTheme } from './store/selectors.js'
import { useSyncStore } from './store/sync-store.js'

function useTheme() {
  const theme = useSyncStore(selectTheme)
  useEffect(() => {
    const root = document.documentElement
    if (theme === 'system') delete root.dataset.theme
    else root.dataset.theme = theme
  }, [theme])
}

export function App() {
  useTheme()
  const screen = useSyncStore(selectScreen)
  const hasProjects = useSyncStore(selectProjects).length > 0

  return (
    <div className={hasProjects ? 'app' : 'app app-bare'}>
      {hasProjects ? <Sidebar /> : null}
      <main className="main" aria-busy={screen === 'loading'}>
        <ErrorBanners />
        {screen === 'loading' ? (
          <div className="loading" aria-label="Loading">
            <span className="skeleton skeleton-title" />
            <span className="skeleton skeleton-line" />
            <span className="skeleton skeleton-line skeleton-short" />
          </div>
        ) : null}
        {screen === 'welcome' ? <WelcomeScreen /> : null}
        {screen === 'dashboard' ? <EnvironmentDashboard /> : null}
        {screen === 'conflicts' ? <ConflictReview /> : null}
        {screen === 'environments' ? <EnvironmentSettings /> : null}
        {screen === 'activity' ? <ActivityScreen /> : null}
      </main>
      <RunSheet />
      <Toasts />
    </div>
  )
}
