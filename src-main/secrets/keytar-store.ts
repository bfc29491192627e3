/**
 * The OS keychain through keytar: macOS Keychain, Windows Credential Vault, libsecret on Linux.
 *
 * keytar is a native module and on Linux needs a D-Bus session with a Secret Service
 * (gnome-keyring, KWallet, KeePassXC). It is loaded on first use so that commands that never
 * touch secrets neither pay for it nor fail when it cannot load. Every failure becomes one
 * `keychain` SyncDeskError in plain words with a fix; there is no plaintext fallback.
 */
import { SyncDeskError } from '../engine/errors.js'
import { GENERIC_VARIABLE, type CredentialStore } from './credential-store.js'

/** The keytar functions this store uses (the type only: no load happens here). */
export type Keytar = Pick<typeof import('keytar'), 'getPassword' | 'setPassword' | 'deletePassword'>

/** The keychain service name under which SyncDesk keeps its tokens. */
export const KEYCHAIN_SERVICE = 'SyncDesk'

/**
 * A CredentialStore over the OS keychain.
 *
 * `loadKeytar` exists for fault injection in tests (a keytar that fails to load); the default
 * imports the real module on first use and keeps it.
 */
export class KeytarCredentialStore implements CredentialStore {
  private loaded: Promise<Keytar> | undefined

  constructor(
    private readonly service: string = KEYCHAIN_SERVICE,
    private readonly loadKeytar: () => Promise<Keytar> = importKeytar,
  ) {}

  async get(account: string): Promise<string | null> {
    const keytar = await this.keytar()
    try {
      return await keytar.getPassword(this.service, account)
    } catch (err) {
      throw keychainError('read', err)
    }
  }

  async set(account: string, secret: string): Promise<void> {
    if (secret.length === 0) throw new SyncDeskError('usage', 'The token is empty, so there is nothing to save.')
    const keytar = await this.keytar()
    try {
      await keytar.setPassword(this.service, account, secret)
    } catch (err) {
      throw keychainError('save', err, secret)
    }
  }

  async delete(account: string): Promise<boolean> {
    const keytar = await this.keytar()
    try {
      return await keytar.deletePassword(this.service, account)
    } catch (err) {
      throw keychainError('delete', err)
    }
  }

  private keytar(): Promise<Keytar> {
    this.loaded ??= this.loadKeytar().catch((err: unknown) => {
      throw new SyncDeskError(
        'keychain',
        `Cannot load the OS keychain library (keytar): ${firstLine(err)}.`,
        `Reinstall SyncDesk's dependencies (npm ci) on a system with libsecret (Debian: libsecret-1-0), or for headless use set ${GENERIC_VARIABLE}.`,
      )
    })
    return this.loaded
  }
}

/** Loads keytar, whichever way the runtime wraps a CommonJS module. */
async function importKeytar(): Promise<Keytar> {
  const mod = (await import('keytar')) as Keytar & { default?: Keytar }
  return mod.default && typeof mod.default.getPassword === 'function' ? mod.default : mod
}

/**
 * A plain-words keychain error for what libsecret (through keytar) reported.
 *
 * keytar rejects with a bare Error whose message is libsecret's or GLib's. The patterns are
 * the messages seen on Linux: no session bus (`Cannot autolaunch D-Bus without X11 $DISPLAY`
 * when DBUS_SESSION_BUS_ADDRESS is unset, `Could not connect: ...` when it points nowhere),
 * no Secret Service on the bus (`The name org.freedesktop.secrets was not provided by any
 * .service files`), and a locked or missing keyring whose unlock prompt could not be shown
 * (`Cannot create an item in a locked collection`, `Object does not exist at path
 * .../collection/login`). Note that a locked keyring reads as empty: keytar then answers null
 * (atom/node-keytar#422), so only saving can tell.
 */
function keychainError(action: 'read' | 'save' | 'delete', err: unknown, secret?: string): SyncDeskError {
  let detail = firstLine(err)
  if (secret) detail = detail.split(secret).join('***')
  const what = `Cannot ${action} the token in the OS keychain`
  const headless = `or for headless use set ${GENERIC_VARIABLE}`
  if (/autolaunch|DBUS_SESSION_BUS_ADDRESS|Could not connect|Connection refused|No such file or directory|session bus/i.test(detail)) {
    return new SyncDeskError(
      'keychain',
      `${what}: there is no D-Bus session bus (${detail}).`,
      `Run SyncDesk inside a desktop session (or under dbus-run-session with gnome-keyring running), ${headless}.`,
    )
  }
  if (/org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service/i.test(detail)) {
    return new SyncDeskError(
      'keychain',
      `${what}: no Secret Service (such as gnome-keyring) is running on the D-Bus session bus.`,
      `Install and start gnome-keyring or another Secret Service (KeePassXC, KWallet), ${headless}.`,
    )
  }
  if (/locked|unlock|prompt|dismissed|cancel|collection\/login|Object does not exist/i.test(detail)) {
    return new SyncDeskError(
      'keychain',
      `${what}: the keyring is locked or has no default keyring, and no unlock prompt could be shown (${detail}).`,
      `Unlock your keyring (log in to the desktop session, or open Passwords and Keys) and try again, ${headless}.`,
    )
  }
  return new SyncDeskError(
    'keychain',
    `${what}: ${detail}.`,
    `Check that the OS keychain works in this session, ${headless}.`,
  )
}

/** The first line of an error's message, without a trailing period. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return (message.split('\n')[0] ?? '').trim().replace(/\.$/, '') || 'unknown error'
}
