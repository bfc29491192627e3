/**
 * The checks before a push: every file about to be written to the environment whose type is
 * checked gets its syntax checked (YAML, JSON) and is scanned for secrets, once per content.
 *
 * Only the files the run would write are looked at, only the checked extensions, and only up
 * to a size (larger ones are listed as not checked); what a content was found to hold is
 * cached by its hash (check-cache.ts), so a push after its dry run checks nothing again.
 * The results are data for the plan: positions, rule ids and plain words, never file text.
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

/** When check workers are used: for this many contents and bytes to check, or more (fewer are checked here, with no start-up cost). */
const POOL_MIN_FILES = 200
const POOL_MIN_BYTES = 2 * 1024 * 1024
/** A job sent to a worker: up to this many contents or bytes. */
const JOB_FILES = 64
const JOB_BYTES = 512 * 1024
/** Contents a worker may have waiting before this thread checks the next ones itself. */
const BACKLOG_PER_WORKER = 192

/** How the checks run: on check workers for large batches (see check-pool.ts). */
export interface CheckWorkers {
  /** The worker bundle; default: dist/check-worker.cjs next to the running bundle (none from sources). */
  script?: string | null
  count?: number
  /** Use workers from this many contents and bytes to check. */
  minFiles?: number
  minBytes?: number
}

/** Whether `files` contents of `bytes` in all are checked on workers (`script`: the worker bundle, null where it is not built). */
export function useCheckWorkers(files: number, bytes: number, w: CheckWorkers, script: string | null): boolean {
  return !!script && files >= (w.minFiles ?? POOL_MIN_FILES) && bytes >= (w.minBytes ?? POOL_MIN_BYTES)
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
  opts: { settings: CheckSettings; read: (itemPath: string) => Promise<Buffer>; signal?: AbortSignal; fastPaths?: boolean; workers?: CheckWorkers | false },
): Promise<void> {
  const local = { secretRulesOff: opts.settings.secretRulesOff, fastPaths: opts.fastPaths }
  const checkHere = async (p: Pending, content: Buffer) => {
    p.result = await checkContent(p.c.path, p.kinds, content, p.c.content ? p.c.hash : null, local)
  }
  const w = opts.workers === false ? null : (opts.workers ?? {})
  const script = w ? (w.script === undefined ? checkWorkerScript() : w.script) : null
  const usePool = !!w && useCheckWorkers(pending.length, pendingBytes, w, script)
  const count = w?.count ?? checkWorkerCount()
  const pool = usePool && script ? new CheckPool(script, count, { secretRulesOff: [...opts.settings.secretRulesOff], fastPaths: opts.fastPaths !== false }) : null
  const jobs: Promise<void>[] = []
  let batch: { p: Pending; content: Buffer }[] = []
  let batchBytes = 0

  const send = () => {
    if (!batch.length || !pool) return
    const sent = batch
    batch = []
    batchBytes = 0
    const buffer = new ArrayBuffer(sent.reduce((n, b) => n + b.content.length, 0))
    const bytes = new Uint8Array(buffer)
    const items: CheckJobItem[] = []
    let at = 0
    for (const { p, content } of sent) {
      bytes.set(content, at)
      items.push({ path: p.c.path, kinds: p.kinds, start: at, end: at + content.length, knownHash: p.c.content ? p.c.hash : null })
      at += content.length
    }
    jobs.push(
      pool.run(items, buffer).then(
        (results) => {
          sent.forEach((b, i) => (b.p.result = results[i]))
        },
        // A worker that failed: its contents are checked here.
        async () => {
          for (const b of sent) if (!opts.signal?.aborted) await checkHere(b.p, b.content)
        },
      ),
    )
  }

  try {
    for (const p of pending) {
      if (opts.signal?.aborted) break
      let content: Buffer
      try {
        content = p.c.content ?? (await opts.read(p.c.path))
      } catch (err) {
        p.result = { error: `could not be read (${describeError(err)})` }
        continue
      }
      if (pool && pool.alive) {
        if (pool.backlog + batch.length >= BACKLOG_PER_WORKER * count) await nextTurn()
        if (pool.backlog + batch.length < BACKLOG_PER_WORKER * count) {
          batch.push({ p, content })
          batchBytes += content.length
          if (batch.length >= JOB_FILES || batchBytes >= JOB_BYTES) send()
          continue
        }
      }
      await checkHere(p, content)
    }
    if (pool?.alive) send()
    else for (const b of batch) if (!opts.signal?.aborted) await checkHere(b.p, b.content)
    if (opts.signal?.aborted) pool?.close()
    await Promise.all(jobs)
  } finally {
    pool?.close()
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
