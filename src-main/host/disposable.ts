/**
 * Disposables and events, VS Code style: whatever starts something (a watcher, a poller, a
 * listener) returns the one object that stops it.
 *
 * The host keeps, per open project, a watcher, a poller per environment and listeners of the
 * UI; closing the project must stop every one of them even when one fails to stop, and must be
 * safe to do twice. A `DisposableStore` gives that: one `dispose()` for all, in reverse order
 * of creation (what was built last may depend on what was built first), errors collected
 * instead of cutting the teardown short. `Emitter` is the matching event source:
 * `onDidChangeStatus(listener): Disposable`, and a listener that throws never keeps the others
 * from hearing the event.
 */

/**
 * Something that can be stopped.
 *
 * `dispose` may return a promise when stopping takes time (closing file watches, a socket);
 * callers that need to know it is over await it.
 */
export interface Disposable {
  dispose(): void | Promise<void>
}

/**
 * A disposable from a function.
 *
 * The function runs once, on the first `dispose`; later calls do nothing, so a teardown
 * reached along two paths (an error and a close) does its work once.
 */
export function toDisposable(fn: () => void | Promise<void>): Disposable {
  let done = false
  return {
    dispose() {
      if (done) return
      done = true
      return fn()
    },
  }
}

/**
 * Many disposables stopped as one.
 *
 * `dispose` stops them in reverse order of `add` (each one's `dispose` is called before the
 * next one's, last added first) and resolves once those that return a promise have settled.
 * It never throws or rejects: an item that fails is reported to `onError` and the others still
 * stop, so `void store.dispose()` in a close handler can never become an unhandled rejection.
 * It is idempotent, and anything added after it ran is disposed at once: a watcher that
 * finishes starting after its project was closed must not live on.
 */
export class DisposableStore implements Disposable {
  private items: Disposable[] = []
  private disposing: Promise<void> | null = null

  /** @param onError where the failures of items go (default: console.error) */
  constructor(private readonly onError: (err: unknown) => void = (err) => console.error('Stopping failed:', err)) {}

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this.disposing !== null
  }

  /** Adds a disposable and returns it (so `const w = store.add(watchProject(...))` reads well). */
  add<T extends Disposable>(d: T): T {
    if (this.disposing) void settle(d, this.onError)
    else this.items.push(d)
    return d
  }

  /** Stops everything added, last first; resolves when all have stopped. */
  dispose(): Promise<void> {
    if (this.disposing) return this.disposing
    const items = this.items.reverse()
    this.items = []
    this.disposing = Promise.all(items.map((d) => settle(d, this.onError))).then(() => undefined)
    return this.disposing
  }
}

/**
 * A typed event source.
 *
 * `event` is what a class exposes (`readonly onDidChange = this.changed.event`): subscribing
 * returns the disposable that unsubscribes. `fire` calls every listener subscribed at that
 * moment; a listener that throws is reported (to `onListenerError`, else `console.error`)
 * and the others still run.
 */
export class Emitter<T> implements Disposable {
  private listeners = new Set<{ fn: (value: T) => void }>()
  private disposed = false

  /** @param onListenerError where the errors of listeners go (default: console.error) */
  constructor(private readonly onListenerError: (err: unknown) => void = (err) => console.error('A listener failed:', err)) {}

  /** Subscribes a listener; dispose the answer to unsubscribe. */
  readonly event = (listener: (value: T) => void): Disposable => {
    if (this.disposed) return toDisposable(() => undefined)
    // A wrapper per subscription: the same function subscribed twice is called twice.
    const entry = { fn: listener }
    this.listeners.add(entry)
    return toDisposable(() => {
      this.listeners.delete(entry)
    })
  }

  /** Calls every current listener with `value`. */
  fire(value: T): void {
    for (const entry of [...this.listeners]) {
      if (!this.listeners.has(entry)) continue
      try {
        entry.fn(value)
      } catch (err) {
        this.onListenerError(err)
      }
    }
  }

  /** Drops every listener; later subscriptions and fires do nothing. */
  dispose(): void {
    this.disposed = true
    this.listeners.clear()
  }
}

/**
 * Disposes one item: its synchronous part runs now, a promise it returns is awaited, and a
 * failure of either goes to `onError`. Never rejects.
 */
function settle(d: Disposable, onError: (err: unknown) => void): Promise<void> {
  try {
    const res = d.dispose()
    if (res !== undefined) return Promise.resolve(res).then(undefined, onError)
  } catch (err) {
    onError(err)
  }
  return Promise.resolve()
}
