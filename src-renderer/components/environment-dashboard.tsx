/**
 * One environment at a glance: is everything safe, what is different, what each button does.
 */
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { ListState } from '../store/status-slice.js'
import { nextStep } from '../lib/error-words.js'
import { envTitle } from '../lib/words.js'
import { selectList, selectSelectedEnv, selectSelectedProject, selectSelectedSummary, selectSelection } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { CategoryTiles } from './category-tiles.js'
import { EnvHeader } from './env-header.js'
import { ListToolbar } from './list-toolbar.js'
import { PendingList } from './pending-list.js'

function emptyText(list: ListState, env: string): string {
  const where = envTitle(env)
  const f = list.filter
  if (f.search.trim()) return `Nothing matches “${displayText(f.search.trim())}”.`
  if (f.kind === 'record') return 'No records are waiting. Only files differ, or this project syncs no database.'
  if (f.category === 'local_to_remote') return 'Nothing to push. Edit a file in your project and it appears here within a second.'
  if (f.category === 'remote_to_local') return `Nothing to pull: you have everything ${where} has.`
  if (f.category === 'conflicts') return `No conflicts. Nothing was changed both here and in ${where}.`
  if (f.category === 'in_sync') return 'Nothing is in sync yet. After the first push or pull, the items that match show here.'
  return `Everything is up to date with ${where}. Edit a file in your project and it appears here within a second.`
}

export function EnvironmentDashboard() {
  const project = useSyncStore(selectSelectedProject)
  const env = useSyncStore(selectSelectedEnv)
  const summary = useSyncStore(selectSelectedSummary)
  const list = useSyncStore(selectList)
  const selection = useSyncStore(selectSelection)

  if (!project) return null
  if (!env) {
    return (
      <section className="empty-state" data-testid="no-environments">
        <h1>{displayName(project.name)} has no environments yet</h1>
        <p>An environment is a server or a folder this project is kept in step with, such as Staging or Production. Once one is added, its changes show here.</p>
      </section>
    )
  }

  const filtered = !!list && (list.filter.category !== null || list.filter.kind !== null || list.filter.search.trim() !== '')
  return (
    <section className="dashboard" aria-label={`${envTitle(env.name)} dashboard`} data-testid="dashboard">
      <EnvHeader env={env} summary={summary} />
      {summary && !summary.reachable ? (
        <div className="notice notice-error" role="alert" data-testid="unreachable">
          <div>
            <p className="notice-title">{summary.error?.code === 'remote-refused' ? `${envTitle(env.name)} refused the token.` : `${envTitle(env.name)} can't be reached right now.`}</p>
            <p>{displayText(summary.error?.message ?? '')}</p>
            {summary.error && nextStep(summary.error) ? <p className="notice-hint">{displayText(nextStep(summary.error) ?? '')}</p> : null}
            {summary.counts.remote_to_local + summary.counts.local_to_remote + summary.counts.conflicts ? <p className="notice-hint">The counts below are from the last time it answered.</p> : null}
          </div>
          <button type="button" className="button" onClick={() => selection && void actions().loadSummary(selection, true)}>
            Try again
          </button>
        </div>
      ) : null}
      {summary?.warnings.length ? (
        <div className="notice notice-warning" role="status">
          {summary.warnings.slice(0, 3).map((w, i) => (
            <p key={i}>{displayText(w)}</p>
          ))}
        </div>
      ) : null}
      <CategoryTiles env={env.name} summary={summary} />
      {list ? (
        <div className="list-panel">
          <ListToolbar key={list.ref.projectId + list.ref.env} list={list} env={env.name} />
          <PendingList list={list} env={env.name} emptyText={emptyText(list, env.name)} />
          {filtered ? (
            <div className="list-footer">
              <button type="button" className="link-button" onClick={() => actions().setFilter({ category: null, kind: null, search: '' })}>
                Show everything pending
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}
