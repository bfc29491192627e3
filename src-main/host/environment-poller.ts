/**
 * Polls one environment: has it changed, and can it be reached?
 *
 * The host keeps a live status per environment, and an environment changes behind our back
 * (a colleague's push, a deploy). Asking it every interval must cost next to nothing when
 * nothing changed (the check asks the server's manifest version, answered by a 304) and must
 * not hammer a server that is down: while checks fail, the wait doubles up to a cap. The UI
 * shows reachability as a state, so it hears of it once when the environment goes away and
 * once when it comes back, never at every failed poll. Time comes from a `Clock`, so tests run
 * a fake clock forward instead of sleeping.
 */
import { systemClock, type Clock } from './clock.js'
import type { Disposable } from './disposable.js'

/**
 * What `pollEnvironment` is told.
 *
 * The poller knows no remote: `check` says changed or same, so the host decides what a
 * change is (a server's manifest version, a folder's scan) and the poller only keeps time.
 */
export interface EnvironmentPollOptions {
  /** The time between two checks while the environment answers. */
  intervalMs: number
  /**
   * Asks the environment whether it changed since the last check. Throwing (or rejecting)
   * means it could not tell: the environment counts as unreachable until a check succeeds.
   * The signal aborts when the poller is disposed or the check takes longer than `timeoutMs`.
   */
  check(signal: AbortSignal): Promise<'changed' | 'same'>
  /** Called when a check answered `changed`. */
  onChanged(): void
  /**
   * Called when reachability changes: `(false, error)` when a check first fails (with that
   * check's error), `(true, null)` when one succeeds again. The environment is presumed
   * reachable at the start, so a healthy environment never calls it.
   */
  onReachability(reachable: boolean, error: unknown | null): void
  /** Default: the system clock. */
  clock?: Clock
  /** The longest wait between checks while they fail (default 5 minutes). */
  maxBackoffMs?: number
  /** A check still running after this long is aborted and counts as failed (default 60 s). */
  timeoutMs?: number
  /** Where errors thrown by `onChanged` and `onReachability` go (default: console.error). */
  onListenerError?(err: unknown): void
}

/**
 * A running poller.
 *
 * `pollNow` checks at once (after the check in flight, if any: that one may have started
 * before what prompted the call) and restarts the interval from there; it resolves when that
 * check is done and never rejects. After `dispose`, nothing is called any more.
 */
export interface EnvironmentPoller extends Disposable {
  pollNow(): Promise<void>
  dispose(): void
}

/**
 * Thrown into a check's signal when it ran past `timeoutMs`.
 *
 * A check that never answers (a server that accepted the connection and hangs) must not stall
 * the poller: it counts as a failure, and the environment as unreachable.
 */
export class CheckTimeoutError extends Error {
  constructor(ms: number) {
    super(`The environment did not answer within ${Math.round(ms / 1000)} s.`)
    this.name = 'CheckTimeoutError'
  }
}

const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000
const DEFAULT_TIMEOUT_MS = 60_000
/** 2^30 intervals is past any cap; stopping the count there keeps the arithmetic finite. */
const MAX_DOUBLINGS = 30

/**
 * Starts polling an environment: a first check at once, then one every interval.
 *
 * While checks fail, the n-th wait in a row is `intervalMs × 2^n`, capped at `maxBackoffMs`;
 * the first success goes back to the plain interval. One check runs at a time.
 */
export function pollEnvironment(opts: EnvironmentPollOptions): EnvironmentPoller {
  const clock = opts.clock ?? systemClock
  const intervalMs = Math.max(1, opts.intervalMs)
  const maxBackoffMs = Math.max(intervalMs, opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const listenerError = opts.onListenerError ?? ((err: unknown) => console.error('An environment poll listener failed:', err))

  let disposed = false
  let timer: unknown = null
  let inFlight: Promise<void> | null = null
  let queued: Promise<void> | null = null
  let current: AbortController | null = null
  let failures = 0
  let reachable = true

  const call = (fn: () => void): void => {
    if (disposed) return
    try {
      fn()
    } catch (err) {
      listenerError(err)
    }
  }

  const cancelTimer = (): void => {
    if (timer !== null) clock.clearTimeout(timer)
    timer = null
  }

  const schedule = (): void => {
    cancelTimer()
    if (disposed) return
    const delay = failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** Math.min(failures, MAX_DOUBLINGS), maxBackoffMs)
    timer = clock.setTimeout(() => {
      timer = null
      void run()
    }, delay)
  }

  const checkOnce = async (): Promise<void> => {
    const ac = new AbortController()
    current = ac
    const deadline = clock.setTimeout(() => ac.abort(new CheckTimeoutError(timeoutMs)), timeoutMs)
    let outcome: 'changed' | 'same' | undefined
    let error: unknown = null
    let failed = false
    try {
      outcome = await Promise.race([opts.check(ac.signal), whenAborted(ac.signal)])
    } catch (err) {
      failed = true
      error = err
    } finally {
      clock.clearTimeout(deadline)
      if (current === ac) current = null
    }
    if (disposed) return
    if (failed) {
      failures++
      if (reachable) {
        reachable = false
        call(() => opts.onReachability(false, error ?? new Error('The check failed.')))
      }
      return
    }
    failures = 0
    if (!reachable) {
      reachable = true
      call(() => opts.onReachability(true, null))
    }
    if (outcome === 'changed') call(() => opts.onChanged())
  }

  const run = (): Promise<void> => {
    if (disposed) return Promise.resolve()
    if (inFlight) {
      queued ??= inFlight.then(() => {
        queued = null
        return run()
      })
      return queued
    }
    cancelTimer()
    inFlight = checkOnce().finally(() => {
      inFlight = null
      schedule()
    })
    return inFlight
  }

  queueMicrotask(() => void run())

  return {
    pollNow: run,
    dispose() {
      if (disposed) return
      disposed = true
      cancelTimer()
      current?.abort(new Error('The poller was stopped.'))
      current = null
    },
  }
}

/** A promise that rejects with the signal's reason once it aborts (and never resolves). */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}
