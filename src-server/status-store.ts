/**
 * The environment's record of its last push and last pull: when, by which token, how many items.
 *
 * Kept in `.syncdesk-server/status.json`. Writes are coalesced (at most one file write per
 * `delayMs`) so a push of many batches does not cost a durable write per batch; `flush`
 * writes what is pending (the app calls it on close).
 */
import fs from 'node:fs'
import { writeFileAtomic } from '../src-main/engine/atomic.js'

/** One push or pull. */
export interface TransferRecord {
  at: string
  by: string
  items: number
}

/** What status.json holds. */
export interface StatusRecord {
  lastPush: TransferRecord | null
  lastPull: TransferRecord | null
}

/** Merges events closer than this into one record (one push = many batch requests). */
const SAME_RUN_MS = 60_000

export class StatusStore {
  private state: StatusRecord
  private timer: NodeJS.Timeout | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(
    readonly file: string,
    private readonly delayMs = 500,
  ) {
    this.state = readStatus(file)
  }

  /** The current record. */
  get(): StatusRecord {
    return this.state
  }

  /** Records that `by` pushed (wrote or deleted) `items` items. */
  recordPush(by: string, items: number, now = new Date()): void {
    this.state = { ...this.state, lastPush: merge(this.state.lastPush, by, items, now) }
    this.schedule()
  }

  /** Records that `by` pulled (batch-read) `items` items. */
  recordPull(by: string, items: number, now = new Date()): void {
    this.state = { ...this.state, lastPull: merge(this.state.lastPull, by, items, now) }
    this.schedule()
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, this.delayMs)
    this.timer.unref()
  }

  /** Writes the record now if a write is pending. A failure costs only this record. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    const snapshot = JSON.stringify(this.state, null, 2) + '\n'
    this.writing = this.writing.then(() => writeFileAtomic(this.file, snapshot)).catch(() => undefined)
    await this.writing
  }
}

function merge(prev: TransferRecord | null, by: string, items: number, now: Date): TransferRecord {
  if (prev && prev.by === by && now.getTime() - Date.parse(prev.at) < SAME_RUN_MS) {
    return { at: now.toISOString(), by, items: prev.items + items }
  }
  return { at: now.toISOString(), by, items }
}

function readStatus(file: string): StatusRecord {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StatusRecord>
    return { lastPush: parsed.lastPush ?? null, lastPull: parsed.lastPull ?? null }
  } catch {
    return { lastPush: null, lastPull: null }
  }
}
