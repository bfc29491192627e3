/**
 * The clock as a port: the time and timers, behind an interface.
 *
 * Polling, backoff and notification policy are all about time; with the clock passed in,
 * their tests run a fake clock forward instead of sleeping (fakes are for clocks), and the
 * real one is wired once at each entry point.
 */

/**
 * The time and one-shot timers.
 *
 * `setTimeout` returns an opaque handle that only `clearTimeout` of the same clock takes.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * The real clock: `Date.now` and Node's timers.
 *
 * Timers are unref'ed: a poll waiting for its next turn must not keep a CLI process alive
 * after its work is done.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout)
  },
}
