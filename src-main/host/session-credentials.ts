/**
 * The host's credential store: the OS keychain, plus secrets that live only as long as this
 * process (the demo's embedded server gets a fresh token at every start, so it never needs the
 * keychain, and a machine without one still gets the whole demo).
 *
 * A session secret is kept in memory only: never written to a file, a log or a message.
 */
import type { CredentialStore } from '../secrets/credential-store.js'

/** A credential store with an in-memory layer over the keychain. */
export class SessionCredentials implements CredentialStore {
  private readonly session = new Map<string, string>()

  constructor(private readonly keychain: CredentialStore) {}

  /** Keeps a secret for this process only (it wins over the keychain's). */
  keepForSession(account: string, secret: string): void {
    this.session.set(account, secret)
  }

  async get(account: string): Promise<string | null> {
    return this.session.get(account) ?? this.keychain.get(account)
  }

  async set(account: string, secret: string): Promise<void> {
    this.session.delete(account)
    await this.keychain.set(account, secret)
  }

  async delete(account: string): Promise<boolean> {
    const had = this.session.delete(account)
    return (await this.keychain.delete(account).catch(() => false)) || had
  }
}
