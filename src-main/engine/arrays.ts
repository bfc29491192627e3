/**
 * Array helpers for lists of any length.
 *
 * `target.push(...items)` passes every item as a function argument, and V8 overflows its stack
 * ("Maximum call stack size exceeded") somewhere past 100,000 of them: a whole category of a
 * large project is more than that. Lint refuses spread arguments to `push`; use this instead.
 */

/** Appends `items` to `target` one by one (no spread), and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item)
  return target
}
