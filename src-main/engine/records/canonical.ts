/**
 * Canonical forms of database records: one text per record, whichever database it came from.
 *
 * A record's content is its canonical JSON and its hash the sha256 of that text, so the same
 * row read from SQLite and from PostgreSQL must produce the same bytes. The rules (close to
 * RFC 8785, JSON Canonicalization Scheme):
 *
 * - Object keys are sorted by UTF-16 code units (JavaScript's default sort), recursively;
 *   no whitespace; properties whose value is `undefined` are left out.
 * - Numbers are IEEE doubles written in ECMAScript's shortest round-trip form (what
 *   `JSON.stringify` prints): `1.0` and `1` are the same number and both print `1`, so a
 *   SQLite REAL 1.0 and a PostgreSQL double 1 hash the same; `-0` prints `0`; `1e20` prints
 *   `100000000000000000000`, `1e21` prints `1e+21`. NaN and ±Infinity have no JSON form and
 *   are refused.
 * - Integers beyond ±(2^53 − 1) cannot be JavaScript numbers without rounding: a `bigint`
 *   in that range is written as its decimal string (the record stores carry such values as
 *   strings too), a safe `bigint` as a number.
 * - A `Date` is written as a canonical timestamp string (see {@link canonicalTimestamp}).
 * - Binary values (`Uint8Array`, `ArrayBuffer`), functions and symbols are refused.
 *
 * Hashes made by these rules are kept between runs (SQLite's row cache, sqlite-row-cache.ts):
 * a change of the rules must bump its CACHE_VERSION.
 */
import { sha256 } from '../atomic.js'

/** A value that has no canonical JSON form (binary, NaN, a function, …). */
export class UnsupportedValueError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsupportedValueError'
  }
}

/**
 * The canonical JSON text of a value.
 *
 * Throws {@link UnsupportedValueError} for values with no JSON form.
 */
export function canonicalJson(value: unknown): string {
  try {
    return fastCanonical(value)
  } catch (err) {
    if (err !== NO_JSON_FORM) throw err
  }
  // The slow writer says where in the value the problem is.
  const out: string[] = []
  writeCanonical(value, out, '')
  return out.join('')
}

/**
 * The sha256 (hex) of a record's canonical JSON: the hash baselines, ETags and If-Match use.
 */
export function recordHash(data: Record<string, unknown>): string {
  return HASHED.get(data) ?? sha256(canonicalJson(data))
}

/** The hashes of the (deeply frozen, so unchangeable) data canonicalEntry handed out. */
const HASHED = new WeakMap<object, string>()

/**
 * A record's canonical data (deeply frozen) and its hash, from one canonical text: the same
 * as `canonicalValue(data)` and `recordHash` of it (canonical JSON read back is its own
 * canonical form), for half the work; `recordHash` of that data is remembered. Stores call it
 * for every row they read.
 */
export function canonicalEntry(data: Record<string, unknown>): { hash: string; data: Record<string, unknown> } {
  const text = canonicalJson(data)
  const hash = sha256(text)
  const out = deepFreeze(JSON.parse(text) as Record<string, unknown>)
  HASHED.set(out, hash)
  return { hash, data: out }
}

/**
 * Freezes a value and everything in it: the data of a listed record is handed out frozen, so
 * its hash can be remembered (recordHash) and a caller can never change what it was read as.
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) if (v !== null && typeof v === 'object') deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** Thrown by the fast writer for a value with no JSON form: the slow one then names it. */
const NO_JSON_FORM = Symbol('no JSON form')

/** writeCanonical's text without the path bookkeeping (which only an error message needs). */
function fastCanonical(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw NO_JSON_FORM
      // A finite number's JSON text is its ECMAScript string form (-0 prints 0).
      return String(value)
    case 'bigint':
      return bigintIsSafe(value) ? String(Number(value)) : JSON.stringify(value.toString())
    case 'undefined':
      return 'null'
    case 'object':
      break
    default:
      throw NO_JSON_FORM
  }
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + fastCanonical(value[i])
    return out + ']'
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) {
    // Dates have a canonical form; binary and other objects do not (the slow writer decides).
    throw NO_JSON_FORM
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
  // Most objects come with their keys in order already (canonical data read back); sorting is
  // then skipped. `>` and sort's default order both compare UTF-16 code units.
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort()
      break
    }
  }
  let out = '{'
  let first = true
  for (const k of keys) {
    const v = obj[k]
    if (v === undefined) continue
    out += (first ? '' : ',') + keyPrefix(k) + fastCanonical(v)
    first = false
  }
  return out + '}'
}

/** Keys' JSON texts with their colon (column and field names recur in every record), at most KEY_TEXTS kept. */
const keyTexts = new Map<string, string>()
const KEY_TEXTS = 10_000

function keyPrefix(k: string): string {
  let text = keyTexts.get(k)
  if (text === undefined) {
    text = `${JSON.stringify(k)}:`
    if (keyTexts.size < KEY_TEXTS) keyTexts.set(k, text)
  }
  return text
}

/**
 * A value rebuilt from its canonical JSON: keys sorted, -0 as 0, bigints and Dates in their
 * canonical forms.
 *
 * Stores use it so `data` handed out carries exactly what the hash covers.
 */
export function canonicalValue(value: unknown): unknown {
  return JSON.parse(canonicalJson(value)) as unknown
}

function writeCanonical(value: unknown, out: string[], where: string): void {
  if (value === null) {
    out.push('null')
    return
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value))
      return
    case 'boolean':
      out.push(value ? 'true' : 'false')
      return
    case 'number':
      if (!Number.isFinite(value)) throw new UnsupportedValueError(`${at(where)}${String(value)} has no JSON form`)
      out.push(JSON.stringify(value === 0 ? 0 : value))
      return
    case 'bigint':
      out.push(bigintIsSafe(value) ? String(Number(value)) : JSON.stringify(value.toString()))
      return
    case 'undefined':
      // Only reachable inside arrays (object properties that are undefined are skipped): JSON's own rule.
      out.push('null')
      return
    case 'object':
      break
    default:
      throw new UnsupportedValueError(`${at(where)}a ${typeof value} has no JSON form`)
  }
  if (value instanceof Date) {
    const ts = canonicalTimestampFromDate(value)
    if (ts === null) throw new UnsupportedValueError(`${at(where)}an invalid date has no JSON form`)
    out.push(JSON.stringify(ts))
    return
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new UnsupportedValueError(`${at(where)}binary data is not supported`)
  }
  if (Array.isArray(value)) {
    out.push('[')
    value.forEach((item, i) => {
      if (i > 0) out.push(',')
      writeCanonical(item, out, `${where}[${i}]`)
    })
    out.push(']')
    return
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) {
    throw new UnsupportedValueError(`${at(where)}a ${(value as object).constructor?.name ?? 'non-plain'} object has no JSON form`)
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
  out.push('{')
  keys.forEach((k, i) => {
    if (i > 0) out.push(',')
    out.push(JSON.stringify(k), ':')
    writeCanonical(obj[k], out, where ? `${where}.${k}` : k)
  })
  out.push('}')
}

function at(where: string): string {
  return where ? `${where}: ` : ''
}

/** True when a bigint is exactly representable as a JavaScript number (|n| ≤ 2^53 − 1). */
export function bigintIsSafe(n: bigint): boolean {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER)
}

/**
 * An integer in its canonical form: a number when |n| ≤ 2^53 − 1, else its decimal string.
 *
 * Both stores read 64-bit integers this way, so a large id stays exact across databases.
 */
export function canonicalInteger(n: bigint): number | string {
  return bigintIsSafe(n) ? Number(n) : n.toString()
}

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/** A decimal as (sign, significant digits, exponent), for exact comparisons; null if not a decimal. */
function decimalParts(s: string): { neg: boolean; digits: string; exp: number } | null {
  const m = DECIMAL.exec(s.trim())
  if (!m) return null
  const intPart = m[2] ?? ''
  const frac = m[3] ?? ''
  if (intPart === '' && frac === '') return null
  let digits = intPart + frac
  let exp = Number(m[4] ?? '0') - frac.length
  const lead = digits.search(/[1-9]/)
  if (lead < 0) return { neg: false, digits: '0', exp: 0 }
  digits = digits.slice(lead)
  const trail = /0+$/.exec(digits)
  if (trail) {
    exp += trail[0].length
    digits = digits.slice(0, -trail[0].length)
  }
  return { neg: m[1] === '-', digits, exp }
}

/**
 * A decimal text (PostgreSQL `numeric`) as a number, when the number is exactly that decimal.
 *
 * `1.50` → 1.5, `0.1` → 0.1, `1e20` → 1e20; `0.1000000000000000000001` or a 30-digit integer
 * → null (a double would round it; the stores then keep the text so nothing is lost).
 */
export function numberFromDecimal(text: string): number | null {
  const a = decimalParts(text)
  if (!a) return null
  const n = Number(text.trim())
  if (!Number.isFinite(n)) return null
  const b = decimalParts(String(n))
  if (!b) return null
  if (a.digits === '0' && b.digits === '0') return 0
  return a.neg === b.neg && a.digits === b.digits && a.exp === b.exp ? (n === 0 ? 0 : n) : null
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/

/**
 * A timestamp text in canonical form: ISO 8601 in UTC with milliseconds,
 * `2024-01-02T03:04:05.000Z`; or null when the text is not a timestamp this form can hold.
 *
 * Accepts `YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z|±HH[:MM[:SS]]]` (what SQLite's date
 * functions, PostgreSQL with DateStyle ISO and JavaScript print). No zone means UTC.
 * PostgreSQL keeps microseconds: when the sub-millisecond digits are not zero the canonical
 * form has six fraction digits (`…05.123456Z`) so nothing is rounded away. Years outside
 * 0001–9999, BC dates, `infinity`, and fractions finer than a microsecond give null.
 */
export function canonicalTimestamp(text: string): string | null {
  const m = TIMESTAMP.exec(text.trim())
  if (!m) return null
  const [, ys, mos, ds, hs = '00', mis = '00', ss = '00', frac = '', zone = 'Z'] = m
  const y = Number(ys)
  const mo = Number(mos)
  const d = Number(ds)
  const h = Number(hs)
  const mi = Number(mis)
  const s = Number(ss)
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) return null
  const micros = Number((frac + '000000').slice(0, 6))
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  date.setUTCHours(h, mi, s, Math.floor(micros / 1000))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null
  let offsetSeconds = 0
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(/:/g, '')
    offsetSeconds = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0')
    if (zone.startsWith('-')) offsetSeconds = -offsetSeconds
  }
  const utc = new Date(date.getTime() - offsetSeconds * 1000)
  const out = canonicalTimestampFromDate(utc)
  if (out === null) return null
  const subMillis = micros % 1000
  return subMillis === 0 ? out : `${out.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`
}

/** A Date in canonical timestamp form (milliseconds, UTC); null for invalid dates or years outside 0001–9999. */
export function canonicalTimestampFromDate(date: Date): string | null {
  const t = date.getTime()
  if (!Number.isFinite(t)) return null
  const y = date.getUTCFullYear()
  if (y < 1 || y > 9999) return null
  return date.toISOString()
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * A calendar date in canonical form, `YYYY-MM-DD`; null when the text is not a valid date.
 *
 * A date has no time and no zone, so it is not turned into a timestamp (midnight UTC would
 * invent both).
 */
export function canonicalDate(text: string): string | null {
  const m = DATE.exec(text.trim())
  if (!m) return null
  const ts = canonicalTimestamp(`${m[0]}T00:00:00Z`)
  return ts === null ? null : ts.slice(0, 10)
}

/**
 * The top-level fields whose values differ between two records (absent ≠ null), sorted.
 *
 * Values are compared by canonical JSON, so key order inside JSON values and 1 vs 1.0 do
 * not count as differences.
 */
export function diffFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...names].filter((k) => fieldText(a, k) !== fieldText(b, k)).sort()
}

/** The outcome of a field-level three-way merge. */
export type FieldMerge = { merged: Record<string, unknown> } | { conflictingFields: string[] }

/**
 * Three-way merge of one record, field by field.
 *
 * A field changed on one side only takes that side's value; changed on both sides to the
 * same value takes it; changed on both sides differently is a conflict. Without a base
 * (both sides added the record) every field that differs is a conflict. A field removed on
 * one side and untouched on the other is removed.
 */
export function mergeFields(
  base: Record<string, unknown> | null,
  local: Record<string, unknown>,
  remote: Record<string, unknown>,
): FieldMerge {
  const names = [...new Set([...Object.keys(base ?? {}), ...Object.keys(local), ...Object.keys(remote)])].sort()
  const merged: Record<string, unknown> = {}
  const conflictingFields: string[] = []
  for (const k of names) {
    const l = fieldText(local, k)
    const r = fieldText(remote, k)
    let from: Record<string, unknown>
    if (l === r) from = local
    else if (base !== null && l === fieldText(base, k)) from = remote
    else if (base !== null && r === fieldText(base, k)) from = local
    else {
      conflictingFields.push(k)
      continue
    }
    if (Object.hasOwn(from, k) && from[k] !== undefined) merged[k] = from[k]
  }
  return conflictingFields.length > 0 ? { conflictingFields } : { merged }
}

/** A field's canonical text, or undefined when absent. */
function fieldText(rec: Record<string, unknown>, k: string): string | undefined {
  return Object.hasOwn(rec, k) && rec[k] !== undefined ? canonicalJson(rec[k]) : undefined
}
