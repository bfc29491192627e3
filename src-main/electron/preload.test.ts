/**
 * Runs the BUILT preload (dist/electron/preload.cjs, as Electron would load it) in a fresh vm
 * context whose require('electron') gives stand-ins for contextBridge and ipcRenderer, and
 * checks what the page would get. `npm test` builds before it runs the tests.
 */
import fs from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { EVENT_NAMES, REQUEST_NAMES } from '../../src-shared/ipc.js'
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels.js'

const BUNDLE = path.resolve('dist/electron/preload.cjs')

type Listener = (...args: unknown[]) => void

/** Loads the bundle once with fresh stand-ins; returns what it exposed and what it sent. */
function loadPreload(answer: unknown = { ok: true, value: { version: '1.2.3' } }) {
  const exposed: [string, unknown][] = []
  const invoked: unknown[][] = []
  const listeners = new Map<string, Set<Listener>>()
  const required: string[] = []
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push([key, api]) },
    ipcRenderer: {
      invoke: (...args: unknown[]) => (invoked.push(args), Promise.resolve(answer)),
      on: (channel: string, l: Listener) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l),
      removeListener: (channel: string, l: Listener) => void listeners.get(channel)?.delete(l),
      send: () => {
        throw new Error('the preload must not use ipcRenderer.send')
      },
    },
  }
  const module = { exports: {} }
  const sandboxRequire = (name: string) => {
    required.push(name)
    if (name === 'electron') return electron
    // A sandboxed preload cannot require anything else: the bundle must not try.
    throw new Error(`a sandboxed preload cannot require ${name}`)
  }
  const context = vm.createContext({ require: sandboxRequire, module, exports: module.exports })
  vm.runInContext(fs.readFileSync(BUNDLE, 'utf8'), context, { filename: BUNDLE })
  const emit = (message: unknown) => listeners.get(EVENT_CHANNEL)?.forEach((l) => l({ sender: 'the IPC event object' }, message))
  const count = () => listeners.get(EVENT_CHANNEL)?.size ?? 0
  return { exposed, invoked, emit, count, required }
}

type Api = { invoke(channel: unknown, args?: unknown): Promise<unknown>; on(event: unknown, listener: unknown): () => void }

describe('the built preload', () => {
  it('is built and not older than its sources (run "npm run build")', () => {
    expect(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run "npm run build"`).toBe(true)
    const built = fs.statSync(BUNDLE).mtimeMs
    for (const src of ['src-main/electron/preload.ts', 'src-main/electron/channels.ts', 'src-shared/ipc.ts']) {
      expect(fs.statSync(src).mtimeMs, `${src} changed after the preload was built: run "npm run build"`).toBeLessThanOrEqual(built)
    }
  })

  it('exposes exactly window.syncDesk with invoke and on, and requires only electron', () => {
    const p = loadPreload()
    expect(p.exposed.map(([key]) => key)).toEqual(['syncDesk'])
    const api = p.exposed[0]![1] as Record<string, unknown>
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on'])
    expect(typeof api.invoke).toBe('function')
    expect(typeof api.on).toBe('function')
    expect(p.required).toEqual(['electron'])
  })

  it('sends a contract request on the one invoke channel and resolves with its value', async () => {
    const p = loadPreload({ ok: true, value: { version: '1.2.3', host: 'electron', lastProjectId: null } })
    const api = p.exposed[0]![1] as Api
    await expect(api.invoke('app:info', {})).resolves.toEqual({ version: '1.2.3', host: 'electron', lastProjectId: null })
    expect(p.invoked).toEqual([[INVOKE_CHANNEL, 'app:info', {}]])
  })

  it('knows every request of the contract', async () => {
    const p = loadPreload()
    const api = p.exposed[0]![1] as Api
    for (const name of REQUEST_NAMES) await api.invoke(name, {})
    expect(p.invoked.map((a) => a[1])).toEqual(REQUEST_NAMES)
  })

  it('rejects with the error payload, in an object that crosses contextBridge whole', async () => {
    const payload = { code: 'env-unknown', message: 'There is no environment called qa.', details: { env: 'qa' } }
    const p = loadPreload({ ok: false, error: payload })
    const api = p.exposed[0]![1] as Api
    const err = await api.invoke('status:summary', { projectId: 'p1', env: 'qa' }).catch((e: unknown) => e)
    expect(err).toEqual({ name: 'SyncDeskError', message: 'There is no environment called qa.', payload })
    // A plain object: contextBridge would strip `payload` from an Error.
    expect(Object.getPrototypeOf(Object.getPrototypeOf(err))).toBeNull()
  })

  it('refuses a request outside the contract without sending anything', async () => {
    const p = loadPreload()
    const api = p.exposed[0]![1] as Api
    for (const channel of ['shell:openExternal', 'syncdesk:invoke', '__proto__', 'constructor', 'hasOwnProperty', '', 7, undefined]) {
      const err = await api.invoke(channel, {}).then(() => 'resolved', (e: { payload?: { code: string } }) => e)
      expect(err, String(channel)).toMatchObject({ name: 'SyncDeskError', payload: { code: 'invalid-request' } })
    }
    expect(p.invoked).toEqual([])
  })

  it('gives a listener its event payload only, never the IPC event object, and stops on unsubscribe', () => {
    const p = loadPreload()
    const api = p.exposed[0]![1] as Api
    const got: unknown[][] = []
    const off = api.on('status:changed', (...args: unknown[]) => void got.push(args))
    p.emit({ event: 'status:changed', payload: { env: 'staging' } })
    p.emit({ event: 'run:progress', payload: { env: 'staging' } })
    p.emit(null)
    expect(got).toEqual([[{ env: 'staging' }]])
    off()
    expect(p.count()).toBe(0)
    p.emit({ event: 'status:changed', payload: { env: 'staging' } })
    expect(got).toHaveLength(1)
  })

  it('accepts every event of the contract and refuses others without listening', () => {
    const p = loadPreload()
    const api = p.exposed[0]![1] as Api
    for (const name of EVENT_NAMES) api.on(name, () => {})
    expect(p.count()).toBe(EVENT_NAMES.length)
    for (const name of ['syncdesk:event', 'toString', 'sync:secret', 42]) expect(() => api.on(name, () => {}), String(name)).toThrow(/no event/)
    expect(() => api.on('status:changed', 'not a function')).toThrow(/function/)
    expect(p.count()).toBe(EVENT_NAMES.length)
  })
})
