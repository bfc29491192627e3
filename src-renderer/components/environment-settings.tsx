/**
 * The environments of a project: add one (a folder, or a server with its token), change its
 * colour and protection, store a new token, test the connection, remove it.
 *
 * Every change goes to the host at once and the card shows what the host now holds; a
 * removal asks first, naming the environment and saying that no file is touched.
 */
import { useId, useState, type FormEvent } from 'react'
import { displayName, displayText } from '../../src-shared/display-text.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { EnvironmentView } from '../../src-shared/views.js'
import { nextStep } from '../lib/error-words.js'
import { count, envTitle } from '../lib/words.js'
import { selectEnvTests, selectSelectedProject } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { envKey } from '../store/types.js'
import { EnvDot } from './env-dot.js'
import { FolderIcon, LockIcon, PlusIcon, ServerIcon } from './icons.js'
import { TokenForm } from './token-form.js'
import { RadioGroup } from './radio-group.js'

/** The colours an environment can have (small accents: UI.md). */
const COLOURS: { value: string | null; name: string }[] = [
  { value: null, name: 'No colour' },
  { value: '#2563eb', name: 'Blue' },
  { value: '#7c3aed', name: 'Purple' },
  { value: '#0d9488', name: 'Teal' },
  { value: '#16a34a', name: 'Green' },
  { value: '#d97706', name: 'Amber' },
  { value: '#dc2626', name: 'Red' },
]

function ErrorLine({ error }: { error: ErrorPayload | null }) {
  if (!error) return null
  return (
    <p className="field-error" role="alert" data-testid="form-error">
      {displayText(error.message)} {nextStep(error) ? displayText(nextStep(error) ?? '') : ''}
    </p>
  )
}

function ColourPicker({ value, onChange, label }: { value: string | null; onChange: (c: string | null) => void; label: string }) {
  return (
    <RadioGroup
      className="swatches"
      label={label}
      choices={COLOURS.map((c) => ({ value: c.value, ariaLabel: c.name, title: c.name, className: c.value ? 'swatch' : 'swatch swatch-none', style: c.value ? { background: c.value } : undefined }))}
      value={value?.toLowerCase() ?? null}
      onChange={(c) => onChange(c)}
    />
  )
}

function EnvCard({ projectId, env }: { projectId: string; env: EnvironmentView }) {
  const ref = { projectId, env: env.name }
  const test = useSyncStore(selectEnvTests)[envKey(ref)]
  const [error, setError] = useState<ErrorPayload | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const [tokenOpen, setTokenOpen] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [removing, setRemoving] = useState(false)
  const where = envTitle(env.name)
  const protectId = useId()

  // Shown at once, while the host saves it (and put back if it refuses).
  const [pending, setPending] = useState<{ color?: string | null; protected?: boolean }>({})
  const color = pending.color !== undefined ? pending.color : env.color
  const isProtected = pending.protected ?? env.protected
  const edit = async (patch: { color?: string | null; protected?: boolean }, what: string) => {
    setError(null)
    setSaved(null)
    setPending((p) => ({ ...p, ...patch }))
    const outcome = await actions().editEnvironment({ ...ref, ...patch })
    setPending({})
    if (outcome.ok) setSaved(what)
    else setError(outcome.error)
  }
  const remove = async () => {
    setRemoving(true)
    const outcome = await actions().removeEnvironment(ref)
    setRemoving(false)
    if (!outcome.ok) {
      setError(outcome.error)
      setConfirming(false)
    }
  }

  return (
    <li className="env-card" data-testid="env-card" data-env={env.name} style={env.color ? { ['--env-color' as string]: env.color } : undefined}>
      <div className="env-card-head">
        <EnvDot color={env.color} />
        <h2>{where}</h2>
        {env.protected ? (
          <span className="tag tag-protected">
            <LockIcon /> Protected
          </span>
        ) : null}
        <span className="env-kind">
          {env.kind === 'server' ? <ServerIcon /> : <FolderIcon />}
          {env.kind === 'server' ? 'Server' : 'Folder'}
        </span>
      </div>
      <p className="env-location" title={displayText(env.location)}>
        {displayText(env.location)}
      </p>

      <dl className="env-settings">
        <dt>Colour</dt>
        <dd>
          <ColourPicker value={color} label={`Colour of ${where}`} onChange={(c) => void edit({ color: c }, 'Colour saved')} />
        </dd>
        <dt>
          <label htmlFor={protectId}>Protected</label>
        </dt>
        <dd>
          <label className="check check-inline">
            <input id={protectId} type="checkbox" checked={isProtected} onChange={(e) => void edit({ protected: e.target.checked }, e.target.checked ? `${where} is now protected` : `${where} is no longer protected`)} data-testid="protected-check" />
            Ask for the name “{displayName(env.name)}” before any run changes it
          </label>
        </dd>
        {env.kind === 'server' ? (
          <>
            <dt>Token</dt>
            <dd>
              <span className={env.hasToken ? 'token-state token-stored' : 'token-state token-missing'} data-testid="token-state">
                {env.hasToken ? 'Token stored' : 'No token stored'}
              </span>
              {!tokenOpen ? (
                <button type="button" className="link-button" onClick={() => setTokenOpen(true)}>
                  {env.hasToken ? 'Enter a new token' : 'Enter a token'}
                </button>
              ) : null}
              {tokenOpen ? (
                <TokenForm
                  envRef={ref}
                  autoFocus
                  onCancel={() => setTokenOpen(false)}
                  onDone={() => {
                    setTokenOpen(false)
                    setSaved('Token stored')
                  }}
                />
              ) : null}
            </dd>
          </>
        ) : null}
      </dl>

      <div className="env-card-actions">
        <button type="button" className="button" disabled={test?.state === 'testing'} onClick={() => void actions().testEnvironment(ref)} data-testid="test-connection">
          {test?.state === 'testing' ? 'Testing…' : 'Test connection'}
        </button>
        <p className="env-test" aria-live="polite" data-testid="test-result">
          {test?.state === 'ok' ? <span className="test-ok">{where} answers: it has {count(test.files ?? 0, 'file')}.</span> : null}
          {test?.state === 'failed' && test.error ? (
            <span className="test-failed">
              {test.error.code === 'remote-refused' ? `${where} refused the token.` : test.error.code === 'keychain' ? 'The keychain did not answer.' : `${where} did not answer.`} {displayText(nextStep(test.error) ?? test.error.message)}
            </span>
          ) : null}
        </p>
        <span className="spacer" />
        <span className="saved" aria-live="polite" data-testid="saved">
          {saved}
        </span>
        <button type="button" className="button button-quiet button-danger-text" onClick={() => setConfirming(true)} data-testid="remove-env">
          Remove…
        </button>
      </div>
      <ErrorLine error={error} />
      {confirming ? (
        <div className="confirm-remove" role="alertdialog" aria-labelledby={`${protectId}-rt`} aria-describedby={`${protectId}-rd`} data-testid="confirm-remove">
          <p id={`${protectId}-rt`} className="notice-title">
            Remove {where} from this project?
          </p>
          <p id={`${protectId}-rd`}>
            SyncDesk forgets {where}, when you last synced with it{env.kind === 'server' ? ' and its stored token' : ''}. No file is touched: not on this computer, not in {where}. You can add it again later.
          </p>
          <div className="confirm-actions">
            <button type="button" className="button" autoFocus onClick={() => setConfirming(false)}>
              Keep {where}
            </button>
            <button type="button" className="button button-danger" disabled={removing} onClick={() => void remove()} data-testid="confirm-remove-button">
              {removing ? 'Removing…' : `Remove ${where}`}
            </button>
          </div>
        </div>
      ) : null}
    </li>
  )
}

function AddForm({ projectId }: { projectId: string }) {
  const [kind, setKind] = useState<'folder' | 'server'>('server')
  const [name, setName] = useState('')
  const [location, setLocation] = useState('')
  const [token, setToken] = useState('')
  const [color, setColor] = useState<string | null>(null)
  const [isProtected, setProtected] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ErrorPayload | null>(null)
  const [added, setAdded] = useState<string | null>(null)
  const ids = { name: useId(), location: useId(), token: useId(), protect: useId(), help: useId() }
  const nameOk = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)
  const ready = nameOk && location.trim() !== '' && (kind === 'folder' || token.trim() !== '')

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!ready || busy) return
    setBusy(true)
    setError(null)
    setAdded(null)
    // The secret leaves the page at once: it goes to the host, and the field is emptied now
    // (after a refusal it is typed again), so it is never left in the page while it is checked.
    const secret = token.trim()
    setToken('')
    const outcome = await actions().addEnvironment({ projectId, name, kind, location: location.trim(), color, protected: isProtected, ...(kind === 'server' ? { token: secret } : {}) })
    setBusy(false)
    if (outcome.ok) {
      setAdded(`${envTitle(name)} was added${kind === 'server' ? '; its token is stored in the keychain' : ''}.`)
      setName('')
      setLocation('')
      setColor(null)
      setProtected(false)
    } else setError(outcome.error)
  }

  return (
    <form className="add-env" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids.name}-title`} data-testid="add-env">
      <h2 id={`${ids.name}-title`}>
        <PlusIcon /> Add an environment
      </h2>
      <RadioGroup
        className="segmented"
        choiceClassName="segment"
        label="Kind of environment"
        choices={(['server', 'folder'] as const).map((k) => ({ value: k, content: k === 'server' ? 'A server' : 'A folder' }))}
        value={kind}
        onChange={(k) => setKind(k ?? 'server')}
      />
      <div className="form-grid">
        <div>
          <label htmlFor={ids.name} className="field-label">
            Name
          </label>
          <input id={ids.name} className="text-input" type="text" value={name} placeholder="for example production" autoComplete="off" spellCheck={false} aria-describedby={ids.help} aria-invalid={name !== '' && !nameOk} onChange={(e) => setName(e.target.value)} data-testid="add-name" />
          <p id={ids.help} className="field-help">
            {name !== '' && !nameOk ? 'Use letters, digits, “-” and “_” only, starting with a letter or digit.' : 'A short name, such as staging or production.'}
          </p>
        </div>
        <div>
          <label htmlFor={ids.location} className="field-label">
            {kind === 'server' ? 'Server address' : 'Folder'}
          </label>
          <input id={ids.location} className="text-input" type="text" value={location} placeholder={kind === 'server' ? 'https://sync.example.com' : '/mnt/share/project'} autoComplete="off" spellCheck={false} onChange={(e) => setLocation(e.target.value)} data-testid="add-location" />
          <p className="field-help">{kind === 'server' ? 'The address of its SyncDesk server.' : 'A folder on this computer or a mounted share, outside the project.'}</p>
        </div>
        {kind === 'server' ? (
          <div>
            <label htmlFor={ids.token} className="field-label">
              Token
            </label>
            <input id={ids.token} className="text-input" type="password" value={token} autoComplete="off" spellCheck={false} onChange={(e) => setToken(e.target.value)} data-testid="add-token" />
            <p className="field-help">Checked with the server, then kept in this computer's keychain; never shown again.</p>
          </div>
        ) : null}
      </div>
      <div className="form-row">
        <span className="field-label">Colour</span>
        <ColourPicker value={color} onChange={setColor} label="Colour of the new environment" />
      </div>
      <label className="check">
        <input id={ids.protect} type="checkbox" checked={isProtected} onChange={(e) => setProtected(e.target.checked)} />
        Protected: ask for its name before any run changes it (for production)
      </label>
      <ErrorLine error={error} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={!ready || busy} data-testid="add-submit">
          {busy ? (kind === 'server' ? 'Checking the token…' : 'Adding…') : 'Add environment'}
        </button>
        <span className="saved" aria-live="polite" data-testid="add-done">
          {added}
        </span>
      </div>
    </form>
  )
}

export function EnvironmentSettings() {
  const project = useSyncStore(selectSelectedProject)
  if (!project) return null
  return (
    <section className="screen" aria-labelledby="envs-title" data-testid="environment-settings">
      <header className="screen-header">
        <h1 id="envs-title">Environments of {displayName(project.name)}</h1>
        <p className="screen-lead">The servers and folders this project is kept in step with. Changing them here never changes a file.</p>
      </header>
      {project.environments.length ? (
        <ul className="env-cards">
          {project.environments.map((e) => (
            <EnvCard key={e.name} projectId={project.id} env={e} />
          ))}
        </ul>
      ) : (
        <p className="list-empty-inline">No environments yet. Add the first one below.</p>
      )}
      <AddForm projectId={project.id} />
    </section>
  )
}
