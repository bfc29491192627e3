/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (signal?.aborted) return
      const i = next++
      results[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Splits `items` into chunks of at most `size` items and `maxBytes` bytes (by `bytesOf`). */
export function chunk<T>(items: readonly T[], size: number, maxBytes = Infinity, bytesOf: (t: T) => number = () => 0): T[][] {
  const out: T[][] = []
  let cur: T[] = []
  let bytes = 0
  for (const item of items) {
    const b = bytesOf(item)
    if (cur.length > 0 && (cur.length >= size || bytes + b > maxBytes)) {
      out.push(cur)
      cur = []
      bytes = 0
    }
    cur.push(item)
    bytes += b
  }
  if (cur.length > 0) out.push(cur)
  return out
}
