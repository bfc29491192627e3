import { describe, expect, it } from 'vitest'
import { DisposableStore, Emitter, toDisposable } from './disposable.js'

describe('toDisposable', () => {
  it('runs its function once, however often it is disposed', () => {
    let runs = 0
    const d = toDisposable(() => {
      runs++
    })
    d.dispose()
    d.dispose()
    expect(runs).toBe(1)
  })
})

describe('DisposableStore', () => {
  it('disposes in reverse order of add, and returns what it was given', async () => {
    const order: string[] = []
    const store = new DisposableStore()
    const a = toDisposable(() => void order.push('a'))
    expect(store.add(a)).toBe(a)
    store.add(toDisposable(() => void order.push('b')))
    store.add(toDisposable(() => void order.push('c')))
    await store.dispose()
    expect(order).toEqual(['c', 'b', 'a'])
  })

  it('goes on past an item that throws or rejects, reports each failure, and never rejects', async () => {
    const order: string[] = []
    const errors: unknown[] = []
    const store = new DisposableStore((err) => errors.push(err))
    store.add(toDisposable(() => void order.push('first')))
    store.add({ dispose: () => Promise.reject(new Error('rejects')) })
    store.add(toDisposable(() => void order.push('middle')))
    store.add({
      dispose() {
        throw new Error('throws')
      },
    })
    store.add(toDisposable(() => void order.push('last')))
    await expect(store.dispose()).resolves.toBeUndefined()
    expect(order).toEqual(['last', 'middle', 'first'])
    expect(errors.map((e) => (e as Error).message)).toEqual(['throws', 'rejects'])
  })

  it('waits for items that stop asynchronously', async () => {
    let stopped = false
    const store = new DisposableStore()
    store.add({ dispose: () => new Promise<void>((resolve) => setTimeout(() => ((stopped = true), resolve()), 20)) })
    await store.dispose()
    expect(stopped).toBe(true)
  })

  it('is idempotent, and disposes at once what is added after it ran', async () => {
    let runs = 0
    const store = new DisposableStore()
    store.add({ dispose: () => void runs++ })
    const first = store.dispose()
    expect(store.dispose()).toBe(first)
    await first
    expect(store.isDisposed).toBe(true)
    expect(runs).toBe(1)
    let late = false
    store.add(toDisposable(() => void (late = true)))
    expect(late).toBe(true)
    await store.dispose()
    expect(runs).toBe(1)
  })
})

describe('Emitter', () => {
  it('calls every listener with the value, until it unsubscribes', () => {
    const emitter = new Emitter<number>()
    const seen: string[] = []
    const a = emitter.event((v) => seen.push(`a${v}`))
    emitter.event((v) => seen.push(`b${v}`))
    emitter.fire(1)
    a.dispose()
    emitter.fire(2)
    expect(seen).toEqual(['a1', 'b1', 'b2'])
  })

  it('a listener that throws does not stop the others', () => {
    const errors: unknown[] = []
    const emitter = new Emitter<string>((err) => errors.push(err))
    const seen: string[] = []
    emitter.event(() => {
      throw new Error('boom')
    })
    emitter.event((v) => seen.push(v))
    emitter.fire('x')
    expect(seen).toEqual(['x'])
    expect((errors[0] as Error).message).toBe('boom')
  })

  it('the same function subscribed twice is called twice and unsubscribed one at a time', () => {
    const emitter = new Emitter<void>()
    let calls = 0
    const fn = (): void => void calls++
    const first = emitter.event(fn)
    emitter.event(fn)
    emitter.fire()
    first.dispose()
    emitter.fire()
    expect(calls).toBe(3)
  })

  it('a listener removed by another during a fire is not called', () => {
    const emitter = new Emitter<void>()
    const seen: string[] = []
    let second = toDisposable(() => undefined)
    emitter.event(() => {
      seen.push('first')
      void second.dispose()
    })
    second = emitter.event(() => seen.push('second'))
    emitter.fire()
    expect(seen).toEqual(['first'])
  })

  it('after dispose, nothing is called and new subscriptions are inert', () => {
    const emitter = new Emitter<number>()
    let calls = 0
    emitter.event(() => void calls++)
    emitter.dispose()
    emitter.event(() => void calls++)
    emitter.fire(1)
    expect(calls).toBe(0)
  })
})
