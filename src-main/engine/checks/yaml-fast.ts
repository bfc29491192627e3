/**
 * A quick proof that a text is valid YAML, so that most files need not go through the full
 * parser (whose lexer alone reads about 25 MB a second).
 *
 * `surelyValidYaml` reads a plain subset of block YAML in one pass over the text and answers
 * true only when the text is in that subset, where `yaml` finds no error in any document; false
 * means "not known": the caller parses the text with `yaml` as before, so what is reported is
 * the same either way. The subset, line by line ('\n' or '\r\n' line ends; a tab, another
 * '\r', a control character, U+2028/U+2029 or a byte order mark anywhere: not known):
 *
 * - blank lines and `#` comment lines, at any indentation;
 * - a `---` line alone between documents (any other line starting `---`, `...` or `%`: not known);
 * - block mappings `key: value` with keys of `[A-Za-z_][A-Za-z0-9_./-]*` (not true, false or
 *   null in any case: those are not strings), each key once per mapping;
 * - block sequences `- value`, and `- key: value` (a mapping inside the item);
 * - values: nothing (a null, or a nested block on the next lines, a sequence at the key's own
 *   indentation included), a plain scalar starting with a letter, digit or one of `_ / ~ $ . (
 *   +` (or `-` not followed by a space), with no `: ` in it, over several lines when the lines
 *   after the first are indented deeper than their mapping or sequence, start with a letter,
 *   digit or `_` and hold no `:`; a one-line 'single-quoted' or "double-quoted" scalar (no
 *   backslash); an empty `[]` or `{}`; a `|` or `>` block scalar (`-` or `+` chomping, no
 *   indentation digit);
 * - a whole document that is one plain scalar (lines holding no `:` or `#`, after `#` lines);
 * - a comment after a value (` #`).
 *
 * Anything else (anchors, aliases, tags, flow collections with content, escapes, multi-line
 * quotes, complex keys, directives) is not known. A seeded test checks that every text this
 * accepts parses without an error in `yaml`, on generated texts in and around the subset.
 */

const MAP = 0
const SEQ = 1

interface Block {
  kind: typeof MAP | typeof SEQ
  indent: number
  /** A sequence at the same indentation as the mapping whose value it is. */
  level: boolean
  keys: Set<string> | null
}

const SPACE = 0x20

/** A character that makes the text "not known" wherever it is. */
function badChar(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff
}

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
const isKeyStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
/** Key characters after the first: letters, digits, _ . / - */
const isKeyChar = (c: number) => isAlnum(c) || c === 0x2e || c === 0x2f || c === 0x2d

const SPECIAL_KEYS = new Set(['true', 'false', 'null'])

// The same tests as badChar, continuation() and a block scalar's content lines, as regular
// expressions that take many lines at once (the engine's own loop is several times faster).
const CLEAN = String.raw`[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]`
const PLAIN_FIRST = String.raw`[A-Za-z0-9_\u00a0-\u2027\u202a-\ufefe\uff00-\ufffd]`
const PLAIN_REST = String.raw`[^\x00-\x1f:#\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]`
const continuationRuns: RegExp[] = []
const contentRuns: RegExp[] = []

/** Blank lines and continuation lines indented at least `min`, from lastIndex on. */
function continuationRun(min: number): RegExp {
  return (continuationRuns[min] ??= new RegExp(`(?: *\\r?\\n| {${min},}${PLAIN_FIRST}${PLAIN_REST}*(?:\\r?\\n|$))*`, 'y'))
}

/** Blank lines and block scalar content lines indented at least `min`, from lastIndex on. */
function contentRun(min: number): RegExp {
  return (contentRuns[min] ??= new RegExp(`(?: *\\r?\\n| {${min},}${CLEAN}*(?:\\r?\\n|$))*`, 'y'))
}

/** Whether `text` is certainly valid YAML (see the file comment); false: not known. */
export function surelyValidYaml(text: string): boolean {
  const n = text.length
  const stack: Block[] = []
  /** The collection whose value is still to come (after `key:` or `-` with nothing after it). */
  let pending: Block | null = null
  /** Lines indented at least this much continue a plain scalar (-1: none open). */
  let plainMin = -1
  /** An open block scalar: its parent's indentation, its content's (-1: not seen yet), the longest blank line before its content. */
  let blockParent = -1
  let blockContent = -1
  let blockBlank = 0
  let docRoot = false

  /** The rest of a line holds no bad character. */
  const cleanRest = (i: number, end: number): boolean => {
    for (; i < end; i++) if (badChar(text.charCodeAt(i))) return false
    return true
  }

  /** After a closed value: only spaces, then the line's end or a comment. */
  const trailing = (i: number, end: number): boolean => {
    const start = i
    while (i < end && text.charCodeAt(i) === SPACE) i++
    if (i === end) return true
    return i > start && text.charCodeAt(i) === 0x23 && cleanRest(i, end)
  }

  /** A continuation line of a plain scalar, from its first non-space character. */
  const continuation = (i: number, end: number): boolean => {
    const c = text.charCodeAt(i)
    if (!(isAlnum(c) || c >= 0xa0) || badChar(c)) return false
    for (i++; i < end; i++) {
      const d = text.charCodeAt(i)
      if (d === 0x3a || d === 0x23 || badChar(d)) return false
    }
    return true
  }

  /** The key at `i` (a key, `:`, then a space or the line's end): the offset after the colon, or -1. */
  const keyEnd = (i: number, end: number): number => {
    if (!isKeyStart(text.charCodeAt(i))) return -1
    let j = i + 1
    while (j < end && isKeyChar(text.charCodeAt(j))) j++
    if (j >= end || text.charCodeAt(j) !== 0x3a) return -1
    if (j + 1 < end && text.charCodeAt(j + 1) !== SPACE) return -1
    return j - i > 512 ? -1 : j + 1
  }

  /** Takes the key at `i..colon-1` into `map`; false when it cannot be known to be a new string key. */
  const takeKey = (map: Block, i: number, colon: number): boolean => {
    const key = text.slice(i, colon)
    if (key.length <= 5 && SPECIAL_KEYS.has(key.toLowerCase())) return false
    const keys = (map.keys ??= new Set())
    if (keys.has(key)) return false
    keys.add(key)
    return true
  }

  /** Places a mapping or sequence entry at column `col`; false when that is not known to be valid. */
  const enter = (kind: typeof MAP | typeof SEQ, col: number): Block | null => {
    if (pending) {
      const owner = pending
      pending = null
      if (col > owner.indent || (kind === SEQ && owner.kind === MAP && col === owner.indent)) {
        const b: Block = { kind, indent: col, level: col === owner.indent, keys: null }
        stack.push(b)
        return b
      }
    }
    while (stack.length && (stack[stack.length - 1] as Block).indent > col) stack.pop()
    let top = stack[stack.length - 1]
    if (top && top.kind === SEQ && top.level && kind === MAP && top.indent === col) {
      stack.pop()
      top = stack[stack.length - 1]
    }
    if (!top) {
      if (docRoot) return null
      docRoot = true
      const b: Block = { kind, indent: col, level: false, keys: null }
      stack.push(b)
      return b
    }
    return top.indent === col && top.kind === kind ? top : null
  }

  /** A value from `i` (after `: ` or `- ` and spaces) to the line's end, owned by `owner`. */
  const value = (owner: Block, i: number, end: number): boolean => {
    if (i === end) {
      pending = owner
      return true
    }
    const c = text.charCodeAt(i)
    if (c === 0x23) {
      pending = owner
      return cleanRest(i, end)
    }
    if (c === 0x22 || c === 0x27) {
      for (let j = i + 1; j < end; j++) {
        const d = text.charCodeAt(j)
        if (badChar(d) || (c === 0x22 && d === 0x5c)) return false
        if (d === c) {
          if (c === 0x27 && text.charCodeAt(j + 1) === 0x27 && j + 1 < end) {
            j++
            continue
          }
          return trailing(j + 1, end)
        }
      }
      return false
    }
    if (c === 0x7c || c === 0x3e) {
      let j = i + 1
      const m = text.charCodeAt(j)
      if (j < end && (m === 0x2d || m === 0x2b)) j++
      if (!trailing(j, end)) return false
      blockParent = owner.indent
      blockContent = -1
      blockBlank = 0
      return true
    }
    if (c === 0x5b || c === 0x7b) {
      return text.charCodeAt(i + 1) === (c === 0x5b ? 0x5d : 0x7d) && i + 1 < end && trailing(i + 2, end)
    }
    const next = i + 1 < end ? text.charCodeAt(i + 1) : SPACE
    const startOk = isAlnum(c) || c === 0x2f || c === 0x7e || c === 0x24 || c === 0x2e || c === 0x28 || c === 0x2b || (c === 0x2d && next !== SPACE) || (c >= 0xa0 && !badChar(c))
    if (!startOk) return false
    for (let j = i + 1; j < end; j++) {
      const d = text.charCodeAt(j)
      if (badChar(d)) return false
      if (d === 0x3a && (j + 1 === end || text.charCodeAt(j + 1) === SPACE)) return false
      if (d === 0x23 && text.charCodeAt(j - 1) === SPACE) return cleanRest(j, end)
    }
    plainMin = owner.indent + 1
    return true
  }

  let pos = 0
  while (pos <= n) {
    if (pos < n && (plainMin >= 0 || blockContent >= 0)) {
      const run = plainMin >= 0 ? continuationRun(plainMin) : contentRun(blockContent)
      run.lastIndex = pos
      run.test(text)
      pos = run.lastIndex
    }
    let end = text.indexOf('\n', pos)
    if (end < 0) end = n
    const lineStart = pos
    pos = end + 1
    // A \r\n line end is a line end too (a \r anywhere else: not known).
    if (end < n && end > lineStart && text.charCodeAt(end - 1) === 0x0d) end--
    let i = lineStart
    while (i < end && text.charCodeAt(i) === SPACE) i++
    const indent = i - lineStart
    if (i === end) {
      if (blockParent >= 0 && blockContent < 0 && indent > blockBlank) blockBlank = indent
      continue
    }
    if (blockParent >= 0) {
      if (blockContent < 0) {
        if (indent > blockParent) {
          if (blockBlank > indent) return false
          blockContent = indent
        } else if (blockBlank > blockParent) return false
      }
      if (blockContent >= 0 && indent >= blockContent) {
        if (!cleanRest(i, end)) return false
        continue
      }
      if (indent > blockParent) return false
      blockParent = -1
      blockContent = -1
    }
    blockBlank = 0
    const c = text.charCodeAt(i)
    if (indent === 0 && (c === 0x2d || c === 0x2e) && text.charCodeAt(1 + i) === c && text.charCodeAt(2 + i) === c) {
      if (c === 0x2e || end - i !== 3) return false
      stack.length = 0
      pending = null
      plainMin = -1
      docRoot = false
      continue
    }
    if (indent === 0 && c === 0x25) return false
    if (c === 0x23) {
      if (!cleanRest(i, end)) return false
      plainMin = -1
      continue
    }
    if (plainMin >= 0) {
      if (indent >= plainMin) {
        if (!continuation(i, end)) return false
        continue
      }
      plainMin = -1
    }
    if (c === 0x2d && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) {
      const seq = enter(SEQ, indent)
      if (!seq) return false
      let j = i + 1
      while (j < end && text.charCodeAt(j) === SPACE) j++
      if (j < end && text.charCodeAt(j) === 0x2d && (j + 1 === end || text.charCodeAt(j + 1) === SPACE)) return false
      const colon = j < end ? keyEnd(j, end) : -1
      if (colon >= 0) {
        const map: Block = { kind: MAP, indent: j - lineStart, level: false, keys: null }
        stack.push(map)
        if (!takeKey(map, j, colon - 1)) return false
        let k = colon
        while (k < end && text.charCodeAt(k) === SPACE) k++
        if (!value(map, k, end)) return false
      } else if (!value(seq, j, end)) return false
      continue
    }
    const colon = keyEnd(i, end)
    if (colon >= 0) {
      const map = enter(MAP, indent)
      if (!map || !takeKey(map, i, colon - 1)) return false
      let k = colon
      while (k < end && text.charCodeAt(k) === SPACE) k++
      if (!value(map, k, end)) return false
      continue
    }
    // A plain scalar on its own line: the value of a `key:` or `-` above, or the whole document.
    if (pending) {
      const owner: Block = pending
      pending = null
      if (indent <= owner.indent || !continuation(i, end)) return false
      plainMin = owner.indent + 1
      continue
    }
    if (stack.length || docRoot || !continuation(i, end)) return false
    docRoot = true
    plainMin = 0
  }
  return true
}
