/**
 * The environment settings: add, edit, remove an environment, store its token, test it.
 *
 * The host does every check (a token is tried against the server before it is kept); a
 * failure comes back to the form that asked, in the host's words with the dashboard's next
 * step, rather than as a banner far from the field. A token goes in and never comes back:
 * the host only says whether one is stored.
 */
import type { ErrorPayload } from '../../src-shared/errors.js'
import type { RequestArgs } from '../../src-shared/ipc.js'
import { errorPayloadOf, syncDesk } from '../bridge/sync-desk.js'
import { envKey, type EnvRef, type Slice } from './types.js'

/** What the last "Test connection" of an environment found. */
export interface EnvTest {
  state: 'testing' | 'ok' | 'failed'
  files: number | null
  error: ErrorPayload | null
}

/** An action's outcome for the form that asked: done, or the error to show beside it. */
export type Outcome = { ok: true } | { ok: false; error: ErrorPayload }

export interface EnvironmentsSlice {
  envTests: Record<string, EnvTest>
  addEnvironment(args: RequestArgs<'environments:add'>): Promise<Outcome>
  editEnvironment(args: RequestArgs<'environments:edit'>): Promise<Outcome>
  removeEnvironment(ref: EnvRef): Promise<Outcome>
  /** Checks a new token against the server and keeps it in the keychain. */
  storeToken(ref: EnvRef, token: string): Promise<Outcome>
  testEnvironment(ref: EnvRef): Promise<void>
}

export const createEnvironmentsSlice: Slice<EnvironmentsSlice> = (set, get) => {
  /** The host's list of projects again (the views carry `hasToken`, colour, protection). */
  const reloadProjects = async () => {
    try {
      get().setProjects(await syncDesk().invoke('projects:list', {}))
    } catch (err) {
      get().reportError(err)
    }
  }
  const attempt = async (fn: () => Promise<unknown>): Promise<Outcome> => {
    try {
      await fn()
      await reloadProjects()
      return { ok: true }
    } catch (err) {
      return { ok: false, error: errorPayloadOf(err) }
    }
  }

  return {
    envTests: {},
    addEnvironment(args) {
      return attempt(async () => {
        await syncDesk().invoke('environments:add', args)
        await reloadProjects()
        void get().loadSummary({ projectId: args.projectId, env: args.name })
      })
    },
    editEnvironment(args) {
      return attempt(() => syncDesk().invoke('environments:edit', args))
    },
    removeEnvironment(ref) {
      return attempt(async () => {
        await syncDesk().invoke('environments:remove', ref)
        const { [envKey(ref)]: _gone, ...rest } = get().summaries
        set({ summaries: rest })
      })
    },
    storeToken(ref, token) {
      return attempt(async () => {
        await syncDesk().invoke('credentials:set', { ...ref, token })
        // The environment answers again with the new token: look at it now.
        void get().loadSummary(ref, true)
      })
    },
    async testEnvironment(ref) {
      const key = envKey(ref)
      set({ envTests: { ...get().envTests, [key]: { state: 'testing', files: null, error: null } } })
      try {
        const r = await syncDesk().invoke('environments:test', ref)
        set({ envTests: { ...get().envTests, [key]: { state: 'ok', files: r.files, error: null } } })
      } catch (err) {
        set({ envTests: { ...get().envTests, [key]: { state: 'failed', files: null, error: errorPayloadOf(err) } } })
      }
    },
  }
}
