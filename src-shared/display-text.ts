/**
 * Names and messages made safe to show: every face prints through these.
 *
 * Item paths, record keys and messages can come from a hostile environment. Printed raw, an
 * ESC can clear or recolour a terminal, a CR or LF can forge a line ("To push: 0"), and a
 * bidirectional override or line separator can make a name read as another. Each such
 * character is shown as a visible escape (`\x1b`, `\u202e`) instead. Pure: no Node, no DOM.
 */

/* eslint-disable no-control-regex -- finding control characters is the point of this file. */

/** Only printable ASCII, no backslash: the common name, shown as it is. */
const PLAIN_NAME = /^[\x20-\x5b\x5d-\x7e]*$/
/** Only printable ASCII: the common message, shown as it is. */
const PLAIN_TEXT = /^[\x20-\x7e]*$/
/** C0, DEL, C1, the bidirectional controls and the line and paragraph separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g
/** The same, with the backslash that starts an escape. */
const UNSAFE_OR_BACKSLASH = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\\]/g
/** What JSON.stringify leaves raw of UNSAFE (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

/* eslint-enable no-control-regex */

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0')
}

function visibleEscape(c: string): string {
  if (c === '\\') return '\\\\'
  const n = c.charCodeAt(0)
  return n < 0x100 ? `\\x${hex(n, 2)}` : `\\u${hex(n, 4)}`
}

/**
 * A name as it may be printed: an item path, a record key, a table or environment name.
 *
 * Control, bidirectional and separator characters become `\xNN` (below U+0100) or `\uNNNN`,
 * and a backslash becomes `\\`, so that the shown form maps back to exactly one name: a file
 * really called `a\x1b.md` shows as `a\\x1b.md`, one holding ESC as `a\x1b.md`.
 */
export function displayName(s: string): string {
  return PLAIN_NAME.test(s) ? s : s.replace(UNSAFE_OR_BACKSLASH, visibleEscape)
}

/**
 * A message as it may be printed: an error, a reason, a warning, a filesystem path, a log line.
 *
 * The same characters as displayName are escaped, but a backslash is kept: in a message it is
 * a Windows path separator or already part of an escape (`Refused path "a\u001b.md"`), and
 * doubling it would make both read wrong. Messages are prose, not names to map back.
 */
export function displayText(s: string): string {
  return PLAIN_TEXT.test(s) ? s : s.replace(UNSAFE, visibleEscape)
}

/**
 * JSON.stringify whose text holds no character a reader could be fooled by.
 *
 * JSON.stringify escapes C0 controls but leaves DEL, C1, bidirectional controls and U+2028 or
 * U+2029 raw; these are written as JSON `\uNNNN` escapes here, so the text parses back to the
 * very same value while a person (or an assistant) reading it sees every character.
 */
export function displayJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c.charCodeAt(0), 4)}`)
}
