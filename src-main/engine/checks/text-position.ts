/**
 * Line and column of an offset in a text, as an editor shows them (both 1-based).
 *
 * A line ends at `\n`, `\r\n` or a lone `\r`; a column counts UTF-16 code units, as
 * JavaScript strings and most editors' "column" do.
 */

/** The start offset of every line of a text, for many look-ups in one text. */
export class LineIndex {
  private readonly starts: number[] = [0]

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10) this.starts.push(i + 1)
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++
        this.starts.push(i + 1)
      }
    }
  }

  /** The 1-based line and column of `offset` (clamped to the text). */
  position(offset: number): { line: number; column: number } {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: Math.max(0, offset - (this.starts[lo] as number)) + 1 }
  }

  /** How many lines the text has. */
  get lineCount(): number {
    return this.starts.length
  }
}
