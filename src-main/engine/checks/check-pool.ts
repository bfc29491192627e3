/**
 * Check workers: threads (check-worker.ts, built as dist/check-worker.cjs next to the running
 * bundle) that check contents while the calling thread reads the next files. Used for large
 * batches only: a worker costs some tens of milliseconds to start. Where the bundle is not
 * built (tests run the sources), everything is checked on the calling thread.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { ContentResult } from './check-content.js'
import type { FileCheckKinds } from './check-settings.js'

/** What a worker is started with. */
export interface CheckWorkerInit {
  secretRulesOff: string[]
  fastPaths: boolean
  /** The local folder, when the worker reads the files itself (through a DirStore of its own). */
  readRoot: string | null
}

/** One content of a job: its bytes are `buffer[start, end)`, or (`read`) the file to read from the worker's readRoot. */
export interface CheckJobItem {
  path: string
  kinds: FileCheckKinds
  start: number
  end: number
  knownHash: string | null
  read?: boolean
}

export interface CheckJob {
  id: number
  items: CheckJobItem[]
  buffer: ArrayBuffer
}

export type CheckJobAnswer = { id: number; ok: true; results: ContentResult[] } | { id: number; ok: false; error: string }

/** Where the worker bundle is, next to the running bundle; null when running from sources. */
export function checkWorkerScript(): string | null {
  if (typeof __filename !== 'string' || !__filename.endsWith('.cjs')) return null
  const file = path.join(path.dirname(__filename), 'check-worker.cjs')
  return fs.existsSync(file) ? file : null
}

/**
 * How many workers to start: one per core besides the calling thread's, at most 3, and none
 * under three cores: on two (shared) cores a worker was measured to cost more than it saved,
 * on quick and slow contents alike.
 */
export function checkWorkerCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  return cores < 3 ? 0 : Math.min(3, cores - 1)
}

interface Slot {
  worker: Worker
  /** Contents sent and not answered yet. */
  load: number
  alive: boolean
}

interface Waiting {
  slot: Slot
  count: number
  resolve: (results: ContentResult[]) => void
  reject: (err: Error) => void
}

/** A few check workers, each given the next job when it has the least to do. */
export class CheckPool {
  private readonly slots: Slot[] = []
  private readonly waiting = new Map<number, Waiting>()
  private nextId = 1
  /** Contents sent to the workers and not answered yet. */
  backlog = 0

  constructor(script: string, count: number, init: CheckWorkerInit) {
    for (let i = 0; i < count; i++) {
      // Not unref'd: the caller waits for the answers, and close() ends the workers.
      const slot: Slot = { worker: new Worker(script, { workerData: { checkWorker: init } }), load: 0, alive: true }
      slot.worker.on('message', (msg: CheckJobAnswer) => this.answer(msg))
      const fail = (err: Error) => this.fail(slot, err)
      slot.worker.once('error', fail)
      slot.worker.once('exit', (code) => fail(new Error(`a check worker stopped (exit code ${code})`)))
      this.slots.push(slot)
    }
  }

  /** Whether some worker can still take jobs. */
  get alive(): boolean {
    return this.slots.some((s) => s.alive)
  }

  /** Checks the job's contents on the least busy worker; rejects when that worker fails. */
  run(items: CheckJobItem[], buffer: ArrayBuffer): Promise<ContentResult[]> {
    let slot: Slot | null = null
    for (const s of this.slots) if (s.alive && (!slot || s.load < slot.load)) slot = s
    if (!slot) return Promise.reject(new Error('no check worker is running'))
    const chosen = slot
    const id = this.nextId++
    chosen.load += items.length
    this.backlog += items.length
    return new Promise<ContentResult[]>((resolve, reject) => {
      this.waiting.set(id, { slot: chosen, count: items.length, resolve, reject })
      const job: CheckJob = { id, items, buffer }
      chosen.worker.postMessage(job, [buffer])
    })
  }

  /** Stops the workers (what they were still doing is dropped). */
  close(): void {
    for (const s of this.slots) {
      s.alive = false
      void s.worker.terminate()
    }
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id)
      w.reject(new Error('the checks were stopped'))
    }
  }

  private done(id: number): Waiting | undefined {
    const w = this.waiting.get(id)
    if (!w) return undefined
    this.waiting.delete(id)
    w.slot.load -= w.count
    this.backlog -= w.count
    return w
  }

  private answer(msg: CheckJobAnswer): void {
    const w = this.done(msg.id)
    if (!w) return
    if (msg.ok) w.resolve(msg.results)
    else w.reject(new Error(msg.error))
  }

  private fail(slot: Slot, err: Error): void {
    if (!slot.alive) return
    slot.alive = false
    for (const [id, w] of [...this.waiting]) if (w.slot === slot) this.done(id)?.reject(err)
  }
}
