import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Answer, EventName, Events, RequestName } from '../../src-shared/ipc.js'
import type { HostEventListener, HostPort } from '../host/host-api.js'
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.js'
import { forwardEvents, handleInvokes, isTrustedSender, routeInvoke, senderProblem, type EventMessage, type InvokeDeps, type TrustedWindow } from './ipc-main.js'
import { rendererLocation } from './renderer-location.js'

const appPath = path.resolve('/opt/SyncDesk/resources/app.asar')
const indexUrl = pathToFileURL(path.join(appPath, 'dist-renderer', 'index.html')).href

/** A window as main sees it: a webContents with its main frame, at a URL. */
function fakeWindow(url = indexUrl) {
  const mainFrame = { url }
  const webContents = { mainFrame }
  const trusted: TrustedWindow = { webContents, location: rendererLocation({ appPath, devUrl: null }) }
  return { mainFrame, webContents, trusted }
}

describe('isTrustedSender', () => {
  const w = fakeWindow()
  const cases: { name: string; event: { sender: unknown; senderFrame: { url: string } | null }; expected: TrustedWindow | null; trusted: boolean; why?: RegExp }[] = [
    { name: 'our main frame on our index.html', event: { sender: w.webContents, senderFrame: w.mainFrame }, expected: w.trusted, trusted: true },
    { name: 'no window open', event: { sender: w.webContents, senderFrame: w.mainFrame }, expected: null, trusted: false, why: /no SyncDesk window/ },
    { name: 'another webContents', event: { sender: { mainFrame: w.mainFrame }, senderFrame: w.mainFrame }, expected: w.trusted, trusted: false, why: /not the SyncDesk window/ },
    { name: 'a frame that is gone', event: { sender: w.webContents, senderFrame: null }, expected: w.trusted, trusted: false, why: /frame is gone/ },
    { name: 'an iframe of our window, even on our URL', event: { sender: w.webContents, senderFrame: { url: indexUrl } }, expected: w.trusted, trusted: false, why: /not the main frame/ },
  ]
  for (const c of cases) {
    it(`${c.trusted ? 'trusts' : 'refuses'} ${c.name}`, () => {
      expect(isTrustedSender(c.event, c.expected)).toBe(c.trusted)
      if (c.why) expect(senderProblem(c.event, c.expected)).toMatch(c.why)
    })
  }

  const pages: [string, boolean][] = [
    [indexUrl, true],
    [indexUrl + '#project=p1&env=staging', true],
    [indexUrl + '?x=1', true],
    [pathToFileURL(path.join(appPath, 'dist-renderer', 'other.html')).href, false],
    [pathToFileURL(path.join(appPath, 'index.html')).href, false],
    [pathToFileURL('/tmp/evil/dist-renderer/index.html').href, false],
    ['file://evil-host' + new URL(indexUrl).pathname, false],
    ['https://example.com/index.html', false],
    ['http://localhost:5173/', false],
    ['about:blank', false],
    ['not a url', false],
  ]
  for (const [url, trusted] of pages) {
    it(`${trusted ? 'trusts' : 'refuses'} the main frame at ${url}`, () => {
      const x = fakeWindow(url)
      expect(isTrustedSender({ sender: x.webContents, senderFrame: x.mainFrame }, x.trusted)).toBe(trusted)
    })
  }

  it('in development, trusts the dev server on loopback and nothing else', () => {
    const location = rendererLocation({ appPath, devUrl: 'http://localhost:5173/' })
    for (const [url, trusted] of [['http://localhost:5173/', true], ['http://localhost:5173/#env=staging', true], ['http://localhost:5174/', false], [indexUrl, false], ['http://127.0.0.1:5173/', false]] as const) {
      const mainFrame = { url }
      const webContents = { mainFrame }
      expect(isTrustedSender({ sender: webContents, senderFrame: mainFrame }, { webContents, location }), url).toBe(trusted)
    }
  })
})

/** A host port that answers every request with what it was asked (the real host is built elsewhere). */
function echoHost() {
  const calls: [string, unknown][] = []
  const host: Pick<HostPort, 'dispatch'> = {
    async dispatch(channel, args) {
      calls.push([channel, args])
      return { ok: true, value: { echoed: channel } } as unknown as Answer<RequestName>
    },
  }
  return { host, calls }
}

describe('routeInvoke', () => {
  const w = fakeWindow()
  const ours = { sender: w.webContents, senderFrame: w.mainFrame }

  function deps(host: Pick<HostPort, 'dispatch'>, logs: string[], answered: [string, unknown][] = []): InvokeDeps {
    return { trusted: () => w.trusted, host, log: (l) => logs.push(l), onAnswered: (c, a) => answered.push([c, a]) }
  }

  it('hands a contract request from our window to the host and returns its answer', async () => {
    const { host, calls } = echoHost()
    const logs: string[] = []
    const answered: [string, unknown][] = []
    const answer = await routeInvoke(ours, 'status:summary', { projectId: 'p1', env: 'staging' }, deps(host, logs, answered))
    expect(answer).toEqual({ ok: true, value: { echoed: 'status:summary' } })
    expect(calls).toEqual([['status:summary', { projectId: 'p1', env: 'staging' }]])
    expect(answered).toEqual([['status:summary', { projectId: 'p1', env: 'staging' }]])
    expect(logs).toEqual([])
  })

  it('refuses an untrusted sender without dispatching, and logs the page but not the arguments', async () => {
    const { host, calls } = echoHost()
    const logs: string[] = []
    // Our own window, but navigated away to another site.
    const away = fakeWindow('https://evil.example/index.html')
    const answer = await routeInvoke(
      { sender: away.webContents, senderFrame: away.mainFrame },
      'credentials:set',
      { projectId: 'p', env: 'prod', token: 'sekret-token' },
      { ...deps(host, logs), trusted: () => away.trusted },
    )
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-request' } })
    expect(calls).toEqual([])
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/refused the request credentials:set: .*another page \(https:\/\/evil\.example/)
    expect(logs.join('\n')).not.toContain('sekret-token')
  })

  it('refuses a channel that is not in the contract, including prototype names', async () => {
    for (const channel of ['shell:exec', '__proto__', 'constructor', 'toString', '', 42, null, { toString: () => 'app:info' }]) {
      const { host, calls } = echoHost()
      const logs: string[] = []
      const answer = await routeInvoke(ours, channel, {}, deps(host, logs))
      expect(answer, String(channel)).toMatchObject({ ok: false, error: { code: 'invalid-request' } })
      expect(calls).toEqual([])
      expect(logs[0]).toMatch(/unknown request/)
    }
  })

  it('writes control characters in a refused channel name as visible escapes in the log', async () => {
    const logs: string[] = []
    await routeInvoke(ours, 'x\u001b[2J\nfake line', {}, deps(echoHost().host, logs))
    expect(logs).toHaveLength(1)
    expect(logs[0]).not.toContain('\u001b')
    expect(logs[0]).not.toContain('\n')
    expect(logs[0]).toContain('\\x1b')
  })

  it('answers with an error when the host breaks its promise not to throw', async () => {
    const logs: string[] = []
    const host: Pick<HostPort, 'dispatch'> = { dispatch: () => Promise.reject(new Error('boom')) }
    const answer = await routeInvoke(ours, 'app:info', {}, deps(host, logs))
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } })
    expect(logs[0]).toMatch(/app:info failed: boom/)
  })

  it('does not report an error answer as answered (the tray follows only what the dashboard really shows)', async () => {
    const answered: [string, unknown][] = []
    const host: Pick<HostPort, 'dispatch'> = { dispatch: async () => ({ ok: false, error: { code: 'env-unknown', message: 'no such environment' } }) }
    const answer = await routeInvoke(ours, 'status:page', { projectId: 'p', env: 'gone', offset: 0, limit: 10 }, deps(host, [], answered))
    expect(answer.ok).toBe(false)
    expect(answered).toEqual([])
  })
})

describe('handleInvokes', () => {
  it('registers exactly one handler, on the invoke channel, that routes through the checks', async () => {
    const handlers = new Map<string, (...a: unknown[]) => unknown>()
    const ipc = {
      handle: (channel: string, fn: (...a: unknown[]) => unknown) => void handlers.set(channel, fn),
      removeHandler: (channel: string) => void handlers.delete(channel),
    }
    const w = fakeWindow()
    const { host, calls } = echoHost()
    const remove = handleInvokes(ipc as never, { trusted: () => w.trusted, host, log: () => {} })
    expect([...handlers.keys()]).toEqual([INVOKE_CHANNEL])
    const answer = await handlers.get(INVOKE_CHANNEL)!({ sender: w.webContents, senderFrame: w.mainFrame }, 'projects:list', {})
    expect(answer).toMatchObject({ ok: true })
    expect(await handlers.get(INVOKE_CHANNEL)!({ sender: {}, senderFrame: w.mainFrame }, 'projects:list', {})).toMatchObject({ ok: false })
    expect(calls).toHaveLength(1)
    remove()
    expect(handlers.size).toBe(0)
  })
})

describe('forwardEvents', () => {
  /** A host that only emits events, like the real one's onEvent. */
  function eventHost() {
    const listeners = new Set<HostEventListener>()
    return {
      host: { onEvent: (l: HostEventListener) => (listeners.add(l), () => void listeners.delete(l)) },
      emit: <E extends EventName>(event: E, payload: Events[E]) => listeners.forEach((l) => l(event, payload)),
      count: () => listeners.size,
    }
  }

  it('sends each host event to the window as { event, payload } on the event channel', () => {
    const h = eventHost()
    const sent: [string, EventMessage][] = []
    const stop = forwardEvents(h.host, () => ({ isDestroyed: () => false, send: (c, m) => void sent.push([c, m]) }))
    h.emit('watcher:error', { projectId: 'p1', message: 'too many files' })
    expect(sent).toEqual([[EVENT_CHANNEL, { event: 'watcher:error', payload: { projectId: 'p1', message: 'too many files' } }]])
    stop()
    h.emit('watcher:error', { projectId: 'p1', message: 'again' })
    expect(sent).toHaveLength(1)
    expect(h.count()).toBe(0)
  })

  it('drops events while no window is open or the window is gone', () => {
    const h = eventHost()
    let target: { isDestroyed(): boolean; send(c: string, m: EventMessage): void } | null = null
    const sent: EventMessage[] = []
    forwardEvents(h.host, () => target)
    h.emit('projects:changed', [])
    target = { isDestroyed: () => true, send: (_c, m) => void sent.push(m) }
    h.emit('projects:changed', [])
    expect(sent).toEqual([])
  })
})
