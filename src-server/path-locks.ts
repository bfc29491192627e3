/**
 * In-process locks on item paths, so a compare-and-swap is atomic on the server.
 *
 * DirStore checks an item's hash and then renames over it; two requests for the same item
 * could both pass the check between those steps. Holding every path of a batch for the
 * duration of its write makes "exactly one wins" hold for concurrent clients, while batches
 * on disjoint paths still run in parallel. A batch takes all of its paths at once or waits,
 * so two batches can never deadlock on each other.
 */

/** A set of path locks. */
export class PathLocks {
  private readonly held = new Map<string, Promise<void>>()

  /** Runs `fn` while holding every path in `paths`. */
  async run<T>(paths: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const wanted = [...new Set(paths)]
    for (;;) {
      const busy = wanted.map((p) => this.held.get(p)).filter((p): p is Promise<void> => p !== undefined)
      if (busy.length === 0) break
      await Promise.all(busy)
    }
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    for (const p of wanted) this.held.set(p, released)
    try {
      return await fn()
    } finally {
      for (const p of wanted) this.held.delete(p)
      release()
    }
  }
}
