/**
 * Standard output for the CLI's commands: text that may come in pieces (a large JSON status),
 * each written as it is made.
 */

/** Writes the pieces to standard output one by one, then a newline when the last did not end with one. */
export function printPieces(pieces: Iterable<string>): void {
  let last = ''
  for (const piece of pieces) {
    if (piece === '') continue
    process.stdout.write(piece)
    last = piece
  }
  if (!last.endsWith('\n')) process.stdout.write('\n')
}
