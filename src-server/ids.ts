/**
 * Sortable unique ids for versions and deployments.
 *
 * `20261121-235341-123-1a2b`: local time to the millisecond plus randomness, so a listing
 * sorted by id is in time order even for several ids within one second.
 */
import crypto from 'node:crypto'

let lastStamp = ''
let seq = 0

/** A new id; ids made by one process are strictly increasing. */
export function sortableId(now = new Date()): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}-${pad(now.getMilliseconds(), 3)}`
  seq = stamp === lastStamp ? seq + 1 : 0
  lastStamp = stamp
  return `${stamp}-${pad(seq, 3)}${crypto.randomBytes(2).toString('hex')}`
}
