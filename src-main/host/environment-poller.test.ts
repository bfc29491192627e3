import { describe, expect, it } from 'vitest'
import type { Clock } from './clock.js'
import { CheckTimeoutError, pollEnvironment, type EnvironmentPoller } from './environment-poller.js'

/** A clock that moves only when the test says so; timers run in due order. */
class FakeClock implements Clock {
  private t = 1_000_000
  private seq = 0
  private timers = new Map<number, { at: number; fn: () => void }>()

  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.size
  }
  /** Moves time forward by `ms`, running every timer that falls due (and what their promises start). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle()
      let next: [number, { at: number; fn: () => void }] | null = null
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
    await settle()
  }
}

/** Lets pending promise callbacks run (a few turns: checks resolve through several awaits). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

interface Harness {
  clock: FakeClock
  poller: EnvironmentPoller
  /** When each check started (fake time). */
  checks: number[]
  changed: number
  reachability: { reachable: boolean; error: unknown }[]
  /** What the next checks answer: a value, or an Error to throw. */
  answers: ('changed' | 'same' | Error)[]
  fallback: 'changed' | 'same' | Error
}

function start(opts: { intervalMs?: number; maxBackoffMs?: number; timeoutMs?: number; check?: (signal: AbortSignal) => Promise<'changed' | 'same'> } = {}): Harness {
  const clock = new FakeClock()
  const h: Harness = { clock, poller: null as unknown as EnvironmentPoller, checks: [], changed: 0, reachability: [], answers: [], fallback: 'same' }
  h.poller = pollEnvironment({
    intervalMs: opts.intervalMs ?? 1000,
    maxBackoffMs: opts.maxBackoffMs,
    timeoutMs: opts.timeoutMs,
    clock,
    check:
      opts.check ??
      (async () => {
        h.checks.push(clock.now())
        const a = h.answers.length ? (h.answers.shift() as 'changed' | 'same' | Error) : h.fallback
        if (a instanceof Error) throw a
        return a
      }),
    onChanged: () => void h.changed++,
    onReachability: (reachable, error) => void h.reachability.push({ reachable, error }),
  })
  return h
}

const T0 = 1_000_000

describe('pollEnvironment', () => {
  it('checks at once, then once every interval', async () => {
    const h = start({ intervalMs: 1000 })
    await h.clock.advance(0)
    expect(h.checks).toEqual([T0])
    await h.clock.advance(999)
    expect(h.checks).toHaveLength(1)
    await h.clock.advance(1)
    await h.clock.advance(3000)
    expect(h.checks).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000])
    expect(h.reachability).toEqual([])
    h.poller.dispose()
  })

  it('calls onChanged for each check that answers changed, and only those', async () => {
    const h = start({ intervalMs: 1000 })
    h.answers.push('same', 'changed', 'same', 'changed')
    await h.clock.advance(3000)
    expect(h.checks).toHaveLength(4)
    expect(h.changed).toBe(2)
    h.poller.dispose()
  })

  it('backs off by doubling while checks fail, up to the cap, and says unreachable once', async () => {
    const h = start({ intervalMs: 1000, maxBackoffMs: 10_000 })
    const down = new Error('connection refused')
    h.fallback = down
    await h.clock.advance(60_000)
    const gaps = h.checks.slice(1).map((t, i) => t - (h.checks[i] as number))
    expect(gaps.slice(0, 5)).toEqual([2000, 4000, 8000, 10_000, 10_000])
    expect(gaps.every((g) => g <= 10_000)).toBe(true)
    expect(h.reachability).toEqual([{ reachable: false, error: down }])
    h.poller.dispose()
  })

  it('announces the recovery once and goes back to the plain interval', async () => {
    const h = start({ intervalMs: 1000, maxBackoffMs: 60_000 })
    h.answers.push(new Error('down'), new Error('still down'), new Error('still down'))
    await h.clock.advance(0 + 2000 + 4000 + 8000)
    expect(h.checks).toEqual([T0, T0 + 2000, T0 + 6000, T0 + 14_000])
    expect(h.reachability.map((r) => r.reachable)).toEqual([false, true])
    expect(h.reachability[0]?.error).toEqual(new Error('down'))
    expect(h.reachability[1]?.error).toBeNull()
    await h.clock.advance(3000)
    expect(h.checks.slice(4)).toEqual([T0 + 15_000, T0 + 16_000, T0 + 17_000])
    expect(h.reachability).toHaveLength(2)
    h.poller.dispose()
  })

  it('a healthy start never calls onReachability; a second outage is announced again', async () => {
    const h = start({ intervalMs: 1000 })
    h.answers.push('same', new Error('a'), 'same', new Error('b'), new Error('c'), 'same')
    await h.clock.advance(1000 + 2000 + 1000 + 2000 + 4000)
    expect(h.checks).toHaveLength(6)
    expect(h.reachability.map((r) => [r.reachable, (r.error as Error | null)?.message ?? null])).toEqual([
      [false, 'a'],
      [true, null],
      [false, 'b'],
      [true, null],
    ])
    h.poller.dispose()
  })

  it('dispose stops every timer, aborts the check in flight, and nothing is called afterwards', async () => {
    let signal: AbortSignal | null = null
    let release: (v: 'changed') => void = () => undefined
    const h = start({
      intervalMs: 1000,
      check: (s) => {
        signal = s
        h.checks.push(h.clock.now())
        return new Promise((resolve) => (release = resolve))
      },
    })
    await h.clock.advance(0)
    expect(h.checks).toHaveLength(1)
    h.poller.dispose()
    expect((signal as AbortSignal | null)?.aborted).toBe(true)
    release('changed')
    await h.clock.advance(60_000)
    expect(h.checks).toHaveLength(1)
    expect(h.changed).toBe(0)
    expect(h.reachability).toEqual([])
    expect(h.clock.pending).toBe(0)
    await h.poller.pollNow()
    expect(h.checks).toHaveLength(1)
  })

  it('a dispose before the first check means no check at all', async () => {
    const h = start({ intervalMs: 1000 })
    h.poller.dispose()
    await h.clock.advance(5000)
    expect(h.checks).toEqual([])
  })

  it('pollNow checks at once and restarts the interval from there', async () => {
    const h = start({ intervalMs: 1000 })
    await h.clock.advance(400)
    h.answers.push('changed')
    await h.poller.pollNow()
    expect(h.checks).toEqual([T0, T0 + 400])
    expect(h.changed).toBe(1)
    await h.clock.advance(999)
    expect(h.checks).toHaveLength(2)
    await h.clock.advance(1)
    expect(h.checks).toEqual([T0, T0 + 400, T0 + 1400])
    h.poller.dispose()
  })

  it('pollNow during a check runs one more check right after it (calls coalesce)', async () => {
    let release: () => void = () => undefined
    let slow = true
    const h = start({
      intervalMs: 1000,
      check: async () => {
        h.checks.push(h.clock.now())
        if (slow) {
          slow = false
          await new Promise<void>((resolve) => (release = resolve))
        }
        return 'same'
      },
    })
    await h.clock.advance(0)
    expect(h.checks).toHaveLength(1)
    const a = h.poller.pollNow()
    const b = h.poller.pollNow()
    await h.clock.advance(0)
    expect(h.checks).toHaveLength(1)
    release()
    await Promise.all([a, b])
    expect(h.checks).toHaveLength(2)
    h.poller.dispose()
  })

  it('pollNow during backoff checks at once, and a success ends the backoff', async () => {
    const h = start({ intervalMs: 1000, maxBackoffMs: 60_000 })
    h.answers.push(new Error('down'), new Error('down'))
    await h.clock.advance(2000)
    expect(h.checks).toEqual([T0, T0 + 2000])
    await h.clock.advance(100)
    await h.poller.pollNow()
    expect(h.checks).toEqual([T0, T0 + 2000, T0 + 2100])
    expect(h.reachability.map((r) => r.reachable)).toEqual([false, true])
    await h.clock.advance(1000)
    expect(h.checks.at(-1)).toBe(T0 + 3100)
    h.poller.dispose()
  })

  it('a check that hangs past the timeout is aborted and counts as failed', async () => {
    let seen: AbortSignal | null = null
    const h = start({
      intervalMs: 1000,
      timeoutMs: 5000,
      check: (signal) => {
        seen = signal
        h.checks.push(h.clock.now())
        return new Promise(() => undefined)
      },
    })
    await h.clock.advance(5000)
    expect((seen as AbortSignal | null)?.aborted).toBe(true)
    expect(h.reachability).toHaveLength(1)
    expect(h.reachability[0]?.reachable).toBe(false)
    expect(h.reachability[0]?.error).toBeInstanceOf(CheckTimeoutError)
    await h.clock.advance(2000)
    expect(h.checks).toEqual([T0, T0 + 7000])
    h.poller.dispose()
  })

  it('a listener that throws does not stop the polling', async () => {
    const clock = new FakeClock()
    const errors: unknown[] = []
    let checks = 0
    const poller = pollEnvironment({
      intervalMs: 1000,
      clock,
      check: async () => (checks++, 'changed'),
      onChanged: () => {
        throw new Error('listener broke')
      },
      onReachability: () => undefined,
      onListenerError: (err) => errors.push(err),
    })
    await clock.advance(2000)
    expect(checks).toBe(3)
    expect(errors).toHaveLength(3)
    poller.dispose()
  })
})
