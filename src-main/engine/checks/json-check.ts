/**
 * JSON syntax, with the line and column of the first error in plain words.
 *
 * JSON.parse says only "at position 123" (and newer engines quote the text around it, which
 * may hold a secret), so this is a small validator of the JSON grammar (RFC 8259) that says
 * where and what: a trailing comma, a missing comma, a key without quotes, a string not
 * closed. It walks with an explicit stack, so deep nesting cannot overflow. Keys that appear
 * twice in one object are reported too: JSON readers keep only one of them, silently.
 *
 * With `comments`, it checks JSONC as VS Code reads it (tsconfig.json, settings.json):
 * `//` and `/* *\/` comments and trailing commas are allowed.
 */
import { byPosition, type FoundProblem } from './check-types.js'
import { LineIndex } from './text-position.js'

/** The most duplicate keys reported for one file. */
const MAX_DUPLICATES = 10

class JsonSyntaxError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message)
  }
}

interface Frame {
  kind: 'object' | 'array'
  at: number
  /** An object's keys as written (between the quotes), with the offset of their first use. */
  keys?: Map<string, number>
}

const isWhite = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const isWordChar = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24

/** Checks a text as JSON (or JSONC with `comments`); the problems found, in order (none when valid). */
export function checkJson(text: string, opts: { comments?: boolean } = {}): FoundProblem[] {
  const lines = new LineIndex(text)
  const duplicates: { at: number; first: number }[] = []
  const problems: FoundProblem[] = []
  try {
    validate(text, !!opts.comments, duplicates, lines)
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err
    const { line, column } = lines.position(err.at)
    problems.push({ line, column, rule: 'json', kind: 'syntax', message: `Not valid ${opts.comments ? 'JSONC' : 'JSON'}: ${err.message}.` })
  }
  for (const d of duplicates.slice(0, MAX_DUPLICATES)) {
    const { line, column } = lines.position(d.at)
    problems.push({ line, column, rule: 'json', kind: 'syntax', message: `The same key appears twice in one object (first on line ${lines.position(d.first).line}): JSON readers keep only one of them.` })
  }
  return problems.sort(byPosition)
}

function validate(s: string, jsonc: boolean, duplicates: { at: number; first: number }[], lines: LineIndex): void {
  const n = s.length
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0
  const stack: Frame[] = []
  const fail = (at: number, message: string): never => {
    throw new JsonSyntaxError(at, message)
  }
  const where = (f: Frame) => `the ${f.kind === 'object' ? 'object' : 'list'} that starts on line ${lines.position(f.at).line}`

  const skip = () => {
    while (i < n) {
      const c = s.charCodeAt(i)
      if (isWhite(c)) i++
      else if (c === 0x2f && (s.charCodeAt(i + 1) === 0x2f || s.charCodeAt(i + 1) === 0x2a)) {
        if (!jsonc) fail(i, 'JSON allows no comments, and a comment starts here')
        if (s.charCodeAt(i + 1) === 0x2f) {
          while (i < n && s.charCodeAt(i) !== 0x0a && s.charCodeAt(i) !== 0x0d) i++
        } else {
          const end = s.indexOf('*/', i + 2)
          if (end < 0) fail(i, 'a /* comment is not closed (the */ is missing)')
          i = end + 2
        }
      } else return
    }
  }

  /** Reads a string from its opening quote; returns its text as written. */
  const string = (): string => {
    const start = i
    i++
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c === 0x22) {
        i++
        return s.slice(start + 1, i - 1)
      }
      if (c === 0x5c) {
        const e = s.charCodeAt(i + 1)
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(s.charCodeAt(i + k))) fail(i, 'a \\u escape in a string needs four hex digits (\\u00e9)')
          i += 6
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2
        else fail(i, 'a \\ in a string must start an escape JSON knows (\\n, \\t, \\", \\\\, \\uXXXX)')
      } else if (c === 0x0a || c === 0x0d) fail(start, 'a string is not closed before the end of its line (the closing " is missing)')
      else if (c < 0x20) fail(i, 'a string holds a control character such as a tab; write it as an escape (\\t)')
      else i++
    }
    return fail(start, 'a string is not closed (the closing " is missing)')
  }

  const number = () => {
    const start = i
    if (s.charCodeAt(i) === 0x2d) i++
    if (s.charCodeAt(i) === 0x30) {
      i++
      if (isDigit(s.charCodeAt(i))) fail(start, 'a number cannot start with 0 (write 7, not 07)')
    } else if (isDigit(s.charCodeAt(i))) while (isDigit(s.charCodeAt(i))) i++
    else fail(start, 'a - must be followed by digits')
    if (s.charCodeAt(i) === 0x2e) {
      i++
      if (!isDigit(s.charCodeAt(i))) fail(start, 'a number needs digits after its decimal point (1.0, not 1.)')
      while (isDigit(s.charCodeAt(i))) i++
    }
    if (s.charCodeAt(i) === 0x65 || s.charCodeAt(i) === 0x45) {
      i++
      if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++
      if (!isDigit(s.charCodeAt(i))) fail(start, 'a number needs digits after its exponent (1e5)')
      while (isDigit(s.charCodeAt(i))) i++
    }
  }

  const scalar = () => {
    const c = s.charCodeAt(i)
    if (c === 0x22) return void string()
    if (c === 0x2d || isDigit(c)) return number()
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i) && !isWordChar(s.charCodeAt(i + word.length))) {
        i += word.length
        return
      }
    }
    if (c === 0x27) fail(i, 'strings need double quotes ("…"), not single quotes')
    if (c === 0x7d || c === 0x5d || c === 0x2c || c === 0x3a) fail(i, `a value is missing before this ${s[i]}`)
    if (c === 0x2b || c === 0x2e) fail(i, 'a number cannot start with + or . (write 0.5, not .5)')
    fail(i, 'a value is expected here: text in double quotes, a number, true, false, null, an object {…} or a list […]')
  }

  /** Reads an object's key (at `i`, after blanks) and its colon. */
  const key = (frame: Frame) => {
    if (i >= n) fail(i, `the file ends inside ${where(frame)} (a } is missing)`)
    const c = s.charCodeAt(i)
    if (c !== 0x22) {
      if (c === 0x27) fail(i, 'keys need double quotes ("name"), not single quotes')
      if (isWordChar(c)) fail(i, 'a key must be in double quotes ("name": …)')
      fail(i, 'a key in double quotes is expected here')
    }
    const at = i
    const k = string()
    const first = frame.keys?.get(k)
    if (first !== undefined) duplicates.push({ at, first })
    else frame.keys?.set(k, at)
    skip()
    if (s.charCodeAt(i) !== 0x3a) fail(i, 'a : is missing after the key')
    i++
  }

  skip()
  if (i >= n) fail(0, 'the file is empty, and an empty file is not JSON (write {} or [])')
  let expectValue = true
  for (;;) {
    skip()
    if (expectValue) {
      if (i >= n) fail(i, stack.length ? `the file ends before a value (inside ${where(stack[stack.length - 1] as Frame)})` : 'the file ends before a value')
      const c = s.charCodeAt(i)
      if (c === 0x7b || c === 0x5b) {
        const frame: Frame = c === 0x7b ? { kind: 'object', at: i, keys: new Map() } : { kind: 'array', at: i }
        i++
        skip()
        if (s.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          i++
          expectValue = false
          continue
        }
        stack.push(frame)
        if (frame.kind === 'object') key(frame)
        continue
      }
      scalar()
      expectValue = false
      continue
    }
    const top = stack[stack.length - 1]
    if (!top) {
      if (i < n) fail(i, 'there is more text after the end of the JSON value (a missing [ or { at the start, or one } or ] too many?)')
      return
    }
    const close = top.kind === 'object' ? 0x7d : 0x5d
    const closeChar = top.kind === 'object' ? '}' : ']'
    if (i >= n) fail(i, `the file ends inside ${where(top)} (a ${closeChar} is missing)`)
    const c = s.charCodeAt(i)
    if (c === close) {
      stack.pop()
      i++
      continue
    }
    if (c !== 0x2c) {
      if (c === 0x7d || c === 0x5d) fail(i, `this ${s[i]} does not close ${where(top)}, which needs a ${closeChar}`)
      fail(i, `a comma or ${closeChar} is missing before this`)
    }
    const comma = i
    i++
    skip()
    if (s.charCodeAt(i) === close) {
      if (!jsonc) fail(comma, `a comma before the ${closeChar} (a trailing comma): JSON allows none`)
      stack.pop()
      i++
      continue
    }
    if (top.kind === 'object') key(top)
    expectValue = true
  }
}
