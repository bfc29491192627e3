/**
 * Errors as banners: the host's message and what to do next; never a stack or a code.
 */
import { displayText } from '../../src-shared/display-text.js'
import { selectBanners } from '../store/selectors.js'
import { actions, useSyncStore } from '../store/sync-store.js'
import { CloseIcon, ConflictIcon } from './icons.js'

export function ErrorBanners() {
  const banners = useSyncStore(selectBanners)
  if (!banners.length) return null
  return (
    <div className="banners">
      {banners.map((b) => (
        <div key={b.id} className="banner banner-error" role="alert" data-testid="error-banner">
          <ConflictIcon />
          <div className="banner-text">
            <p className="banner-message">{displayText(b.message)}</p>
            {b.hint ? <p className="banner-hint">{displayText(b.hint)}</p> : null}
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss this message" onClick={() => actions().dismissBanner(b.id)}>
            <CloseIcon />
          </button>
        </div>
      ))}
    </div>
  )
}
