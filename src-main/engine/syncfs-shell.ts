/**
 * syncfs(2) for Node, which has no binding: coreutils' `sync -f`, run by one small long-lived
 * shell per filesystem rather than started from Node each time.
 *
 * Starting a process from Node forks all of it on the main thread: about 6 ms for a process of
 * 150 MB, and a first sync of 10,000 files flushes 40 times (a quarter of a second). The shell
 * is started once, while it is cheap, and forks `sync` itself. It answers each request in
 * order, one line each; it ends when this process does (its input closes). Where it cannot
 * run, each flush starts `sync -f` as before.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'

/** Reads a path per line, flushes its filesystem, answers `0` (done) or `1` (failed). `$0` is `sync`; it gets no input (the paths are the shell's alone). */
const LOOP = 'while IFS= read -r p; do if "$0" -f -- "$p" </dev/null >/dev/null 2>&1; then echo 0; else echo 1; fi; done'

/** How long one flush may take before it counts as failed (the caller then fsyncs each file). */
const FLUSH_TIMEOUT_MS = 600_000

/** Set once /bin/sh is found missing: every flush then starts its own `sync`. */
let shellsUnavailable = false

/** One shell and the answers it owes, oldest first. */
class SyncfsShell {
  private readonly child: ChildProcess
  private readonly waiting: { resolve: (ok: boolean) => void; timer: NodeJS.Timeout }[] = []
  private pendingOut = ''
  ended = false

  constructor(readonly bin: string) {
    this.child = spawn('/bin/sh', ['-c', LOOP, bin], { stdio: ['pipe', 'pipe', 'ignore'] })
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') shellsUnavailable = true
      this.end()
    })
    this.child.on('exit', () => this.end())
    this.child.stdin?.on('error', () => this.end())
    this.child.stdout?.setEncoding('utf8')
    this.child.stdout?.on('data', (text: string) => this.answer(text))
    this.hold(false)
  }

  /** Flushes the filesystem of `file`; false when that did not work. */
  flush(file: string): Promise<boolean> {
    if (this.ended) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.end(), FLUSH_TIMEOUT_MS)
      timer.unref()
      this.waiting.push({ resolve, timer })
      if (this.waiting.length === 1) this.hold(true)
      this.child.stdin?.write(`${file}\n`)
    })
  }

  private answer(text: string): void {
    const lines = (this.pendingOut + text).split('\n')
    this.pendingOut = lines.pop() ?? ''
    for (const line of lines) this.settle(line === '0')
  }

  private settle(ok: boolean): void {
    const w = this.waiting.shift()
    if (!w) return
    clearTimeout(w.timer)
    w.resolve(ok)
    if (this.waiting.length === 0) this.hold(false)
  }

  /** Every answer still owed is a failure; the shell is gone (or made to go). */
  end(): void {
    if (this.ended) return
    this.ended = true
    while (this.waiting.length) this.settle(false)
    this.child.kill()
  }

  /** The shell keeps this process alive only while it owes an answer. */
  private hold(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout] as ({ ref(): void; unref(): void } | null)[]
    for (const h of handles) {
      if (on) h?.ref()
      else h?.unref()
    }
  }
}

/** The shell of each filesystem, by device number. */
const shells = new Map<number, SyncfsShell>()

/**
 * Runs `bin -f file` (coreutils `sync -f`: syncfs of the filesystem holding `file`) and says
 * whether it succeeded. `dev` names the filesystem: each has its own shell, so flushes of
 * different filesystems run at the same time.
 */
export function runSyncfs(bin: string, file: string, dev: number): Promise<boolean> {
  // A path that cannot be one line, or a machine without /bin/sh: one process per flush.
  if (shellsUnavailable || /[\n\0]/.test(file)) return runOnce(bin, file)
  let shell = shells.get(dev)
  if (!shell || shell.ended || shell.bin !== bin) {
    shell?.end()
    try {
      shell = new SyncfsShell(bin)
    } catch {
      shellsUnavailable = true
      return runOnce(bin, file)
    }
    shells.set(dev, shell)
  }
  return shell.flush(file)
}

function runOnce(bin: string, file: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(bin, ['-f', file], { timeout: FLUSH_TIMEOUT_MS }, (err) => resolve(!err))
  })
}
