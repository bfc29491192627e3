/**
 * The checks before a push: every file about to be written to the environment whose type is
 * checked gets its syntax checked (YAML, JSON) and is scanned for secrets, once per content.
 *
 * Only the files the run would write are looked at, only the checked extensions, and only up
 * to a size (larger ones are listed as not checked); what a content was found to hold is
 * cached by its hash (check-cache.ts), so a push after its dry run checks nothing again.
 * The results are data for the plan: positions, rule ids and plain words, never file text.
 *
 * A first push checks thousands of files, so each check is quick where it can be without
 * finding less: plain YAML is proved valid without the parser (yaml-fast.ts), a text holding
 * nothing any secret rule looks for skips secretlint (secret-prefilter.ts), and a large batch
 * is checked on worker threads while this thread reads the files (check-pool.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { appendAll } from '../arrays.js'
import { describeError } from '../errors.js'
import type { FileProblem, UncheckedFile } from '../../../src-shared/views.js'
import { CheckCache } from './check-cache.js'
import { checkContent, type ContentResult } from './check-content.js'
import { CheckPool, checkWorkerCount, checkWorkerScript, type CheckJobItem } from './check-pool.js'
import { byPosition, type FoundProblem, type PlanCheckResult } from './check-types.js'
import { checksFor, type CheckSettings, type FileCheckKinds, SYNTAX_RULES } from './check-settings.js'
import { secretRuleIds } from './secret-check.js'

/** A file about to be written to the environment. */
export interface CheckCandidate {
  path: string
  /** The content's sha256 as planned (the local file's, or a merge's). */
  hash: string
  size: number
  /** The content itself when it is not the local file's (a merge). */
  content?: Buffer
}

/** What the checks found, for the plans of one look. */
export interface FileChecks {
  /** Problems found in each content checked (an empty list: none), by contentKey(path, hash). */
  found: Map<string, FileProblem[]>
  /** Files not checked, and why, by path. */
  unchecked: Map<string, string>
  warnings: string[]
  settings: CheckSettings
}

/** The key of one file's content in FileChecks.found. */
export function contentKey(itemPath: string, hash: string): string {
  return `${itemPath}\u0000${hash}`
}

/** Checks nothing (a pull, a clone). */
export function noChecks(settings: CheckSettings): FileChecks {
  return { found: new Map(), unchecked: new Map(), warnings: [], settings }
}

function sizeWords(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB` : `${Math.round(n / 1024)} KB`
}

/**
 * When check workers are started: when the contents left to check would keep this thread busy
 * for this long at the pace measured so far (judged every CHECK_SAMPLE contents), and are this
 * many and this large. A worker costs more than 100 ms of CPU to start and warm up, and the
 * quick paths check most files in some tens of microseconds, so a push of plain files (the
 * benchmark's first push included) never starts one.
 */
const POOL_MIN_WORK_MS = 500
const POOL_MIN_FILES = 200
const POOL_MIN_BYTES = 2 * 1024 * 1024
const CHECK_SAMPLE = 64
/** A job sent to a worker: up to this many contents or bytes. */
const JOB_FILES = 64
const JOB_BYTES = 512 * 1024
/** Contents a worker may have waiting before this thread checks the next ones itself. */
const BACKLOG_PER_WORKER = 192

/** How the checks run: on check workers for large batches (see check-pool.ts). */
export interface CheckWorkers {
  /** The worker bundle; default: dist/check-worker.cjs next to the running bundle (none from sources). */
  script?: string | null
  /** Default: one per core besides this thread's, and none under three cores (checkWorkerCount). */
  count?: number
  /** Start workers when this many contents and bytes are left to check… */
  minFiles?: number
  minBytes?: number
  /** …and checking them here would take this long (0: start at once). */
  minWorkMs?: number
}

/**
 * Whether to start check workers (`script`: the worker bundle, null where it is not built) for
 * `files` contents of `bytes` left, `msPerFile` being this thread's pace so far (null: none yet).
 */
export function useCheckWorkers(files: number, bytes: number, msPerFile: number | null, w: CheckWorkers, script: string | null): boolean {
  if (!script || files < (w.minFiles ?? POOL_MIN_FILES) || bytes < (w.minBytes ?? POOL_MIN_BYTES)) return false
  const minWork = w.minWorkMs ?? POOL_MIN_WORK_MS
  return minWork <= 0 || (msPerFile !== null && msPerFile * files >= minWork)
}

/** One content to check: a candidate whose result the cache does not hold. */
interface Pending {
  c: CheckCandidate
  kinds: FileCheckKinds
  cacheKey: string
  result?: ContentResult | { error: string }
}

/** Checks the candidates (see the file comment); `read` gives a local file's content. */
export async function runChecks(
  candidates: readonly CheckCandidate[],
  opts: {
    settings: CheckSettings
    read: (itemPath: string) => Promise<Buffer>
    cacheFile: string | null
    signal?: AbortSignal
    /** false: the full YAML parser and secretlint on every content (the quick proofs off), for tests. */
    fastPaths?: boolean
    workers?: CheckWorkers | false
    /**
     * The folder `read` reads from (a DirStore's root), when check workers may read the files
     * themselves through a DirStore of their own, the reads then spread over the cores too.
     */
    readRoot?: string
  },
): Promise<FileChecks> {
  const { settings } = opts
  const out = noChecks(settings)
  const cache = CheckCache.load(opts.cacheFile, settings.fingerprint)
  // Each candidate in order: what the cache knew, a size over the limit, or a content to check.
  const order: (Pending | { c: CheckCandidate; hit: FoundProblem[] } | { c: CheckCandidate; why: string })[] = []
  const pending: Pending[] = []
  let pendingBytes = 0
  let secrets = false
  for (const c of candidates) {
    const kinds = checksFor(settings, c.path)
    if (!kinds) continue
    if (c.size > settings.maxBytes) {
      order.push({ c, why: `larger than ${sizeWords(settings.maxBytes)}, the limit for checks` })
      continue
    }
    const ext = c.path.slice(c.path.lastIndexOf('.')).toLowerCase()
    const cacheKey = `${ext}|${kinds.syntax ?? '-'}|${kinds.secrets ? 's' : '-'}|${c.hash}`
    const hit = cache.get(cacheKey)
    if (hit) {
      order.push({ c, hit })
      continue
    }
    const p: Pending = { c, kinds, cacheKey }
    order.push(p)
    pending.push(p)
    pendingBytes += c.size
    secrets ||= kinds.secrets
  }

  if (secrets && settings.secretNamesOff.length) {
    const known = new Set(await secretRuleIds())
    for (const n of settings.secretNamesOff) {
      if (!known.has(n)) out.warnings.push(`The checks settings turn off "${n}", which is not a rule (the rules are ${SYNTAX_RULES.join(', ')}, and the secret rules ${[...known].map((k) => k.replace('@secretlint/secretlint-rule-', '')).join(', ')}).`)
    }
  }

  await checkPending(pending, pendingBytes, opts)

  for (const o of order) {
    const c = o.c
    if ('hit' in o) out.found.set(contentKey(c.path, c.hash), o.hit.map((p) => ({ path: c.path, ...p })))
    else if ('why' in o) out.unchecked.set(c.path, o.why)
    else if (!o.result) continue
    else if ('error' in o.result) out.unchecked.set(c.path, o.result.error)
    else if (o.result.unchecked !== undefined) out.unchecked.set(c.path, o.result.unchecked)
    else {
      // Found problems belong to the content read: if the file changed since it was listed, the
      // plan's content was not checked, and the plan says so.
      const { hash, found } = o.result
      if (hash === c.hash || c.content) cache.set(o.cacheKey, found)
      out.found.set(contentKey(c.path, hash), found.map((p) => ({ path: c.path, ...p })))
    }
  }
  cache.save()
  return out
}

/**
 * Reads and checks each pending content, setting its result (none when stopped). Large batches
 * go to check workers while this thread reads; this thread checks a content itself when the
 * workers are behind (or not started yet), so nothing waits.
 */
async function checkPending(
  pending: Pending[],
  pendingBytes: number,
  opts: { settings: CheckSettings; read: (itemPath: string) => Promise<Buffer>; signal?: AbortSignal; fastPaths?: boolean; workers?: CheckWorkers | false; readRoot?: string },
): Promise<void> {
  const local = { secretRulesOff: opts.settings.secretRulesOff, fastPaths: opts.fastPaths }
  /** Time spent checking here (reads left out) and how many contents, for the pace. */
  let checkMs = 0
  let checked = 0
  const checkHere = async (p: Pending, content: Buffer) => {
    const t = performance.now()
    p.result = await checkContent(p.c.path, p.kinds, content, p.c.content ? p.c.hash : null, local)
    checkMs += performance.now() - t
    checked++
  }
  const w = opts.workers === false ? null : (opts.workers ?? {})
  const script = w ? (w.script === undefined ? checkWorkerScript() : w.script) : null
  const count = w?.count ?? checkWorkerCount()
  const readRoot = opts.readRoot ?? null
  /** The workers, once started (a holder: they start from inside maybeStart). */
  const started: { pool: CheckPool | null } = { pool: null }
  let leftBytes = pendingBytes
  const maybeStart = (left: number) => {
    if (started.pool || !w || count <= 0 || !useCheckWorkers(left, leftBytes, checked ? checkMs / checked : null, w, script)) return
    started.pool = new CheckPool(script as string, count, { secretRulesOff: [...opts.settings.secretRulesOff], fastPaths: opts.fastPaths !== false, readRoot })
  }
  const jobs: Promise<void>[] = []
  /** Contents for the next job; without content, the worker reads the file. */
  let batch: { p: Pending; content: Buffer | null }[] = []
  let batchBytes = 0
  const read = async (p: Pending): Promise<Buffer | null> => {
    try {
      return p.c.content ?? (await opts.read(p.c.path))
    } catch (err) {
      p.result = { error: `could not be read (${describeError(err)})` }
      return null
    }
  }
  const checkAgain = async (b: { p: Pending; content: Buffer | null }) => {
    if (opts.signal?.aborted) return
    const content = b.content ?? (await read(b.p))
    if (content) await checkHere(b.p, content)
  }

  const send = (to: CheckPool) => {
    if (!batch.length) return
    const sent = batch
    batch = []
    batchBytes = 0
    const buffer = new ArrayBuffer(sent.reduce((n, b) => n + (b.content?.length ?? 0), 0))
    const bytes = new Uint8Array(buffer)
    const items: CheckJobItem[] = []
    let at = 0
    for (const { p, content } of sent) {
      if (content) bytes.set(content, at)
      const end = at + (content?.length ?? 0)
      items.push({ path: p.c.path, kinds: p.kinds, start: at, end, knownHash: p.c.content ? p.c.hash : null, read: !content })
      at = end
    }
    jobs.push(
      to.run(items, buffer).then(
        (results) => {
          sent.forEach((b, i) => (b.p.result = results[i]))
        },
        // A worker that failed: its contents are checked here.
        async () => {
          for (const b of sent) await checkAgain(b)
        },
      ),
    )
  }

  try {
    maybeStart(pending.length)
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i] as Pending
      if (opts.signal?.aborted) break
      leftBytes -= p.c.size
      const active = started.pool
      if (active && active.alive) {
        if (active.backlog + batch.length >= BACKLOG_PER_WORKER * count) await nextTurn()
        if (active.backlog + batch.length < BACKLOG_PER_WORKER * count) {
          // The worker reads the file itself when it can; otherwise it is read here.
          const content = readRoot && !p.c.content ? null : await read(p)
          if (!content && !readRoot) continue
          batch.push({ p, content })
          batchBytes += content?.length ?? p.c.size
          if (batch.length >= JOB_FILES || batchBytes >= JOB_BYTES) send(active)
          continue
        }
      }
      const content = await read(p)
      if (content) await checkHere(p, content)
      if (!started.pool && checked % CHECK_SAMPLE === 0) maybeStart(pending.length - i - 1)
    }
    const last = started.pool
    if (last && last.alive) send(last)
    else for (const b of batch) await checkAgain(b)
    if (opts.signal?.aborted) last?.close()
    await Promise.all(jobs)
  } finally {
    started.pool?.close()
  }
}

/**
 * What the checks found in the files a plan writes to the environment. A written content that
 * should have been checked but was not (the file changed while it was checked) is a problem
 * itself: what would go was never looked at.
 */
export function planChecks(writes: readonly { path: string; hash: string }[], checks: FileChecks, refuses: boolean): PlanCheckResult {
  const problems: FileProblem[] = []
  const unchecked: UncheckedFile[] = []
  const seen = new Set<string>()
  for (const w of writes) {
    // Only files of a checked type were checked (or left unchecked): the others need no look-up.
    if (!checksFor(checks.settings, w.path) || seen.has(w.path)) continue
    seen.add(w.path)
    const found = checks.found.get(contentKey(w.path, w.hash))
    if (found) {
      appendAll(problems, found)
      continue
    }
    const why = checks.unchecked.get(w.path)
    if (why !== undefined) unchecked.push({ path: w.path, reason: why })
    else problems.push({ path: w.path, line: null, column: null, rule: 'check', kind: 'check', message: 'It changed while it was being checked, so what would be sent was not checked. Look again.' })
  }
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : byPosition(a, b)))
  unchecked.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { problems, unchecked, refuses }
}
