// Runs one real command line, timed with process.hrtime around spawnSync, with its peak RSS.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'

export const HAVE_TIME = fs.existsSync('/usr/bin/time')
const HAVE_TIMEOUT = fs.existsSync('/usr/bin/timeout')

let seq = 0

/**
 * Node options for the syncdesk and syncdesk-server processes the bench starts: with
 * SYNCDESK_BENCH_CPU_PROF=DIR each writes a V8 CPU profile into DIR (read them with
 * `node bench/lib/profile-summary.mjs FILE`); timings taken so are not comparable.
 */
export const PROFILE_ARGS = process.env.SYNCDESK_BENCH_CPU_PROF
  ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.SYNCDESK_BENCH_CPU_PROF)]
  : []

/**
 * Runs `cmd args` and returns { seconds, code, signal, stdout, stderr, rssMB, timedOut, line }.
 * Peak RSS comes from GNU time (`%M`, the largest resident set of the process tree it waited
 * for); without it rssMB is null. A hung tool is killed by coreutils `timeout`.
 */
export function run(cmd, args, { env, cwd, scratch, timeoutS = 300 } = {}) {
  const memFile = path.join(scratch, `rss-${process.pid}-${seq++}.txt`)
  let argv = [cmd, ...args]
  if (HAVE_TIMEOUT) argv = ['/usr/bin/timeout', '-k', '5', String(timeoutS), ...argv]
  if (HAVE_TIME) argv = ['/usr/bin/time', '-f', '%M', '-o', memFile, ...argv]
  // Flush dirty pages left by the previous step so that they are not billed to this one.
  spawnSync('sync')
  const t0 = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), {
    env: env ?? process.env, cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 512 * 1024 * 1024, timeout: HAVE_TIMEOUT ? undefined : timeoutS * 1000,
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  let rssMB = null
  if (HAVE_TIME) {
    try {
      const lines = fs.readFileSync(memFile, 'utf8').trim().split('\n')
      const kb = Number(lines[lines.length - 1])
      if (Number.isFinite(kb)) rssMB = kb / 1024
      fs.rmSync(memFile, { force: true })
    } catch {}
  }
  const timedOut = r.status === 124 || (r.error && r.error.code === 'ETIMEDOUT')
  return {
    seconds, code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', rssMB, timedOut,
    line: argv.slice(argv.indexOf(cmd)).join(' '), error: r.error ? String(r.error.message) : null,
  }
}

/** The first meaningful line of a failed run, for a table cell. */
export function firstLine(res) {
  if (res.timedOut) return 'timed out'
  if (res.error) return res.error
  const line = (res.stderr || res.stdout || '').split('\n').map((s) => s.trim()).find(Boolean)
  return `exit ${res.code ?? res.signal}${line ? `: ${line}` : ''}`
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
