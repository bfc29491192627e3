/**
 * One environment at a glance: is everything safe, what is different, what each button does.
 */
import { useState } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { StatusSummary } from '../../src-shared/views.js'
import type { ListState } from '../store/status-slice.js'
import { nextStep } from '../lib/error-words.js'
import { envTitle } from '../lib/words.js'
import { selectList, selectSelectedEnv, selectSelectedProject, selectSelectedSummary, selectSelection } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { CategoryTiles } from './category-tiles.js'
import { EnvHeader } from './env-header.js'
import { ListToolbar } from './list-toolbar.js'
import { PendingList } from './pending-list.js'
import { TokenForm } from './token-form.js'
import type { EnvRef } from '../store/types.js'

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

/** Why the environment can't be looked at, and the button for the next step. */
function EnvProblem({ summary, envRef }: { summary: StatusSummary; envRef: EnvRef }) {
  const [tokenOpen, setTokenOpen] = useState(false)
  const where = envTitle(envRef.env)
  const code = summary.error?.code
  const title =
    code === 'remote-refused'
      ? `${where} refused the token stored for it.`
      : code === 'keychain'
        ? `SyncDesk can't read ${where}'s token: the system keychain did not answer.`
        : `${where} can't be reached right now.`
  const step = summary.error ? nextStep(summary.error) : null
  const stale = summary.counts.remote_to_local + summary.counts.local_to_remote + summary.counts.conflicts > 0
  return (
    <div className="notice notice-error notice-problem" role="alert" data-testid="unreachable" data-code={code ?? ''}>
      <div className="notice-problem-text">
        <p className="notice-title">{title}</p>
        {summary.error?.message ? <p>{displayText(summary.error.message)}</p> : null}
        {step ? <p className="notice-hint">{displayText(step)}</p> : null}
        {stale ? <p className="notice-hint">The counts below are from the last time it answered.</p> : null}
        {tokenOpen ? <TokenForm envRef={envRef} autoFocus onCancel={() => setTokenOpen(false)} onDone={() => setTokenOpen(false)} /> : null}
      </div>
      <div className="notice-actions">
        {code === 'remote-refused' && !tokenOpen ? (
          <button type="button" className="button button-primary" onClick={() => setTokenOpen(true)} data-testid="enter-token">
            Enter a new token
          </button>
        ) : null}
        {code !== 'remote-refused' && code !== 'keychain' ? (
          <button type="button" className="button" onClick={() => actions().showEnvironments()}>
            Check its settings
          </button>
        ) : null}
        <button type="button" className="button" onClick={() => void actions().loadSummary(envRef, true)} data-testid="try-again">
          Try again
        </button>
      </div>
    </div>
  )
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
        <button type="button" className="button button-primary empty-action" onClick={() => actions().showEnvironments()}>
          Add an environment
        </button>
      </section>
    )
  }

  const filtered = !!list && (list.filter.category !== null || list.filter.kind !== null || list.filter.search.trim() !== '')
  return (
    <section className="dashboard" aria-label={`${envTitle(env.name)} dashboard`} data-testid="dashboard">
      <EnvHeader env={env} summary={summary} />
      {summary && !summary.reachable && selection ? <EnvProblem summary={summary} envRef={selection} /> : null}
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
          {summary && !summary.reachable && list.groups.every((g) => g.total === null) ? (
            <div className="list-empty" data-testid="list-unknown">
              <p>The changes show here once SyncDesk can look at {envTitle(env.name)} again.</p>
            </div>
          ) : (
            <PendingList list={list} env={env.name} emptyText={emptyText(list, env.name)} />
          )}
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
