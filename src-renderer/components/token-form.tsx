/**
 * A field for an environment's token: checked against the server by the host, then kept in
 * the system keychain. The token is never shown again, only that one is stored.
 */
import { useId, useState, type FormEvent } from 'react'
import { displayText } from '../../src-shared/display-text.js'
import type { ErrorPayload } from '../../src-shared/errors.js'
import { nextStep } from '../lib/error-words.js'
import { envTitle } from '../lib/words.js'
import { actions } from '../store/sync-store.js'
import type { EnvRef } from '../store/types.js'

export function TokenForm({ envRef, onDone, onCancel, autoFocus = false }: { envRef: EnvRef; onDone?: () => void; onCancel?: () => void; autoFocus?: boolean }) {
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ErrorPayload | null>(null)
  const fieldId = useId()
  const helpId = useId()
  const where = envTitle(envRef.env)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!token.trim() || busy) return
    setBusy(true)
    setError(null)
    const outcome = await actions().storeToken(envRef, token.trim())
    setBusy(false)
    if (outcome.ok) {
      setToken('')
      onDone?.()
    } else setError(outcome.error)
  }

  return (
    <form className="token-form" onSubmit={(e) => void submit(e)} data-testid="token-form">
      <label htmlFor={fieldId} className="field-label">
        New token for {where}
      </label>
      <div className="inline-field">
        <input id={fieldId} className="text-input" type="password" value={token} autoComplete="off" spellCheck={false} aria-describedby={helpId} autoFocus={autoFocus} onChange={(e) => setToken(e.target.value)} data-testid="token-input" />
        <button type="submit" className="button button-primary" disabled={!token.trim() || busy}>
          {busy ? 'Checking…' : 'Store token'}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <p id={helpId} className="field-help">
        Ask whoever runs {where} for a token. SyncDesk checks it with {where}, then keeps it in this computer's keychain.
      </p>
      {error ? (
        <p className="field-error" role="alert" data-testid="token-error">
          {displayText(error.message)} {nextStep(error) ? displayText(nextStep(error) ?? '') : ''}
        </p>
      ) : null}
    </form>
  )
}
