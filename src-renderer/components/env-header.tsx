/**
 * An environment's header: its name on a band of its colour, when it last synced and was
 * checked, its last deployment, and the Pull / Push / Sync buttons with the host's counts.
 *
 * The button the operator most likely needs is the primary one: Pull when the environment has
 * something new (pull first, as GitHub Desktop does), else Push, else the conflict review.
 */
import type { DeploymentView, EnvironmentView, StatusSummary } from '../../src-shared/views.js'
import { ago, clock, count, envTitle, num } from '../lib/words.js'
import { useNow } from '../lib/use-now.js'
import { selectChecking, selectRun, selectSelection } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { EnvDot } from './env-dot.js'
import { ArrowDownIcon, ArrowUpIcon, ConflictIcon, LockIcon, SyncIcon } from './icons.js'

function deploymentText(d: DeploymentView | null, kind: EnvironmentView['kind'], now: number): string | null {
  if (!d) return kind === 'server' ? 'Not deployed yet' : null
  const when = clock(d.finishedAt ?? d.startedAt, now)
  if (d.state === 'queued') return 'Deploy waiting to start'
  if (d.state === 'running') return 'Deploying now…'
  if (d.state === 'succeeded') return `Deployed${when ? ` ${when}` : ''}`
  return `Last deploy failed${when ? ` ${when}` : ''}`
}

export function EnvHeader({ env, summary }: { env: EnvironmentView; summary: StatusSummary | null }) {
  const now = useNow(1000)
  const selection = useSyncStore(selectSelection)
  const checking = useSyncStore(selectChecking)
  const running = useSyncStore(selectRun) !== null
  const c = summary?.counts
  const pull = c?.remote_to_local ?? 0
  const push = c?.local_to_remote ?? 0
  const conflicts = c?.conflicts ?? 0
  const primary = pull ? 'pull' : push ? 'push' : conflicts ? 'review' : null
  const blocked = !summary || !summary.reachable || summary.syncing || running
  const name = envTitle(env.name)
  const deployment = summary ? deploymentText(summary.deployment, env.kind, now) : null

  return (
    <header className="env-header" style={env.color ? { ['--env-color' as string]: env.color } : undefined}>
      <div className="env-band" aria-hidden="true" />
      <div className="env-header-main">
        <div className="env-title">
          <EnvDot color={env.color} />
          <h1 data-testid="env-title">{name}</h1>
          {env.protected ? (
            <span className="tag tag-protected" title="Runs that change it ask for its name first">
              <LockIcon /> Protected
            </span>
          ) : null}
          <span className="env-kind">{env.kind === 'server' ? 'Server' : 'Folder'}</span>
        </div>
        <p className="env-meta" data-testid="env-meta">
          <span>{summary ? (summary.lastSyncAt ? `Last synced ${clock(summary.lastSyncAt, now)}` : 'Never synced') : 'Looking at both sides…'}</span>
          {summary ? <span aria-live="off">checked {ago(summary.checkedAt, now)}</span> : null}
          {deployment ? <span>{deployment}</span> : null}
          <button type="button" className="link-button" disabled={checking || !selection} onClick={() => selection && void actions().loadSummary(selection, true)}>
            {checking ? 'Checking…' : 'Check now'}
          </button>
        </p>
      </div>
      <div className="env-actions" role="group" aria-label={`Runs with ${name}`}>
        {conflicts ? (
          <button type="button" className={`button ${primary === 'review' ? 'button-primary' : ''}`} disabled={!summary?.reachable} onClick={() => actions().showConflicts()}>
            <ConflictIcon /> Review {count(conflicts, 'conflict')}
          </button>
        ) : null}
        <button type="button" className={`button ${primary === 'pull' ? 'button-primary' : ''}`} disabled={blocked} onClick={() => void actions().planRun('pull')} data-testid="pull-button">
          <ArrowDownIcon /> Pull{' '}
          {pull ? <span className="button-count">{num(pull)}</span> : null}
          <span className="visually-hidden">{pull ? ` ${pull === 1 ? 'change' : 'changes'} from ${name}` : ` from ${name}`}</span>
        </button>
        <button type="button" className={`button ${primary === 'push' ? 'button-primary' : ''}`} disabled={blocked} onClick={() => void actions().planRun('push')} data-testid="push-button">
          <ArrowUpIcon /> Push{' '}
          {push ? <span className="button-count">{num(push)}</span> : null}
          <span className="visually-hidden">{push ? ` ${push === 1 ? 'change' : 'changes'} to ${name}` : ` to ${name}`}</span>
        </button>
        <button type="button" className="button" disabled={blocked} onClick={() => void actions().planRun('sync')} data-testid="sync-button">
          <SyncIcon /> Sync<span className="visually-hidden"> with {name}</span>
        </button>
      </div>
    </header>
  )
}
