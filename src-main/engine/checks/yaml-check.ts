/**
 * YAML syntax (and the YAML front matter of a Markdown file), with the line and column of
 * each broken document's first error, in plain words.
 *
 * The parser is `yaml` (eemeli/yaml, YAML 1.2). Its messages are not shown as they are: some
 * quote the text they stopped at, which may be a secret, and most are in the parser's words
 * ("implicit keys", "compact mappings"); each error code has its own plain sentence here. Only
 * the first error of a document is reported: the ones after it follow from it.
 */
import { LineCounter, parseAllDocuments, type YAMLError } from 'yaml'
import { byPosition, type FoundProblem } from './check-types.js'
import { surelyValidYaml } from './yaml-fast.js'

/** The most broken documents reported for one file. */
const MAX_DOCUMENTS = 3

const WORDS: Partial<Record<YAMLError['code'], string>> = {
  TAB_AS_INDENT: 'a tab is used to indent this line; YAML allows only spaces',
  DUPLICATE_KEY: 'the same key appears twice in one mapping',
  BAD_SCALAR_START: 'a value cannot start with @ or ` unless it is in quotes',
  BAD_DQ_ESCAPE: 'a \\ in a double-quoted value must start an escape YAML knows (\\n, \\t, \\", \\\\)',
  BAD_ALIAS: 'an alias (*name) is not valid here',
  ALIAS_PROPS: 'an alias (*name) cannot have a tag or an anchor',
  BAD_DIRECTIVE: 'a % directive at the top of the document is not valid',
  MULTIPLE_ANCHORS: 'a value has more than one anchor (&name)',
  MULTIPLE_TAGS: 'a value has more than one tag (!tag)',
  BAD_PROP_ORDER: 'an anchor or a tag is in the wrong place',
  BLOCK_IN_FLOW: 'an indented block cannot go inside [ ] or { }',
  KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
  TAG_RESOLVE_FAILED: 'a value does not fit its tag (such as !!int on text)',
  BAD_COLLECTION_TYPE: 'a mapping or list does not fit its tag',
  RESOURCE_EXHAUSTION: 'aliases here would expand to too much data',
  UNEXPECTED_TOKEN: 'something unexpected is here: check the indentation and the punctuation ( - : [ ] { } ) of this line',
}

/** Checks a text as YAML (every document of it); the problems found, in order. `firstLine` shifts the lines reported. */
export function checkYaml(text: string, firstLine = 1, opts: { fast?: boolean } = {}): FoundProblem[] {
  // Most files are in the plain subset that yaml-fast.ts proves valid without the parser.
  if (opts.fast !== false && surelyValidYaml(text)) return []
  const lc = new LineCounter()
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false })
  const docs = Array.isArray(parsed) ? parsed : [parsed]
  const problems: FoundProblem[] = []
  for (const doc of docs) {
    if (doc.errors.length === 0) continue
    problems.push(describe(doc.errors, text, lc, firstLine))
    if (problems.length >= MAX_DOCUMENTS) break
  }
  return problems.sort(byPosition)
}

/** Checks the YAML front matter of a Markdown file (between a `---` first line and the next `---`). */
export function checkFrontmatter(text: string, opts: { fast?: boolean } = {}): FoundProblem[] {
  const open = /^\uFEFF?---[ \t]*\r?\n/.exec(text)
  if (!open) return []
  const rest = text.slice(open[0].length)
  const close = /^(?:---|\.\.\.)[ \t]*$/m.exec(rest)
  if (!close) return [{ line: 1, column: 1, rule: 'yaml', kind: 'syntax', message: 'Not valid front matter: the --- block at the top has no closing --- line.' }]
  return checkYaml(rest.slice(0, close.index), 2, opts)
}

function describe(errors: readonly YAMLError[], text: string, lc: LineCounter, firstLine: number): FoundProblem {
  const first = errors[0] as YAMLError
  const at = (offset: number, message: string): FoundProblem => {
    const p = lc.linePos(offset)
    return { line: p.line + firstLine - 1, column: p.col, rule: 'yaml', kind: 'syntax', message: `Not valid YAML: ${message}.` }
  }
  // A line indented too far continues the value above it, where a key cannot start: yaml
  // reports the value's start; the line to fix is the one where that "key" ends.
  const over = errors.find((e) => e.code === 'MULTILINE_IMPLICIT_KEY' && lc.linePos(e.pos[1]).line > lc.linePos(e.pos[0]).line)
  if (over && (first.code === 'BLOCK_AS_IMPLICIT_KEY' || first.code === 'MULTILINE_IMPLICIT_KEY') && !/sequence/i.test(first.message)) {
    const line = lc.linePos(over.pos[1]).line
    let start = lc.lineStarts[line - 1] ?? over.pos[1]
    while (text[start] === ' ') start++
    return at(start, `this line is indented further than it should be: it reads as part of the value on line ${lc.linePos(over.pos[0]).line + firstLine - 1}, where a new key cannot start`)
  }
  switch (first.code) {
    case 'BAD_INDENT':
      return at(first.pos[0], /flow/i.test(first.message) ? 'a [ ] or { } is not closed, or its lines are indented less than its key' : 'the keys of one mapping must start in the same column: check the indentation of this line')
    case 'BLOCK_AS_IMPLICIT_KEY':
      return at(first.pos[0], /sequence/i.test(first.message) ? 'the items of one list (- …) must start in the same column: check the indentation of this line' : 'a value holds ": " without quotes; put the value in quotes, or start the nested mapping on its own line')
    case 'MULTILINE_IMPLICIT_KEY':
      return at(first.pos[0], 'a key must be on one line (is a : missing, or a quote not closed?)')
    case 'MISSING_CHAR':
      return at(first.pos[0], /quote/i.test(first.message) ? 'a quoted value is not closed (the closing quote is missing)' : /map values/i.test(first.message) ? 'a key needs a : after it' : 'a character is missing here (a closing quote, ] or }?)')
    default:
      return at(first.pos[0], WORDS[first.code] ?? 'the YAML parser cannot read this')
  }
}
