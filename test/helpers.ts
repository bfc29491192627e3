/**
 * Shared helpers of the integration tests: temp directories, file trees, the built CLI.
 *
 * Everything works on real directories under os.tmpdir(); nothing is mocked.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const CLI = path.join(REPO, 'bin', 'syncdesk.cjs')
export const TEMP_MARKER = '.syncdesk-tmp-'
/** The exact form of SyncDesk's temp file names (src-main/engine/atomic.ts); a user's file may contain the marker. */
export const TEMP_NAME = /^\.syncdesk-tmp-[0-9a-f]{8}-\d+-[0-9a-f]{12}\.tmp$/

/** The CLI tests run the built bundle; say how to build it rather than racing other files to build it. */
export function ensureBuilt(): void {
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs'))) throw new Error('The CLI is not built: run "node scripts/build.mjs" before these tests.')
}

/** A fresh temp directory; every one made is removed by `cleanupTemps`. */
const made: string[] = []
export function tempDir(prefix = 'syncdesk-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

export function cleanupTemps(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true })
}

export function sha(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex')
}

/** Writes `rel` under `root` (making folders), with string or byte content. */
export function put(root: string, rel: string, content: string | Uint8Array): void {
  const abs = path.join(root, ...rel.split('/'))
  fs.mkdirSync(path.dirname(abs), { recursive: true })
  fs.writeFileSync(abs, content)
}

export function del(root: string, rel: string): void {
  fs.rmSync(path.join(root, ...rel.split('/')), { force: true })
}

export function get(root: string, rel: string): string | null {
  try {
    return fs.readFileSync(path.join(root, ...rel.split('/')), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export function exists(root: string, rel: string): boolean {
  return fs.existsSync(path.join(root, ...rel.split('/')))
}

export interface TreeOptions {
  /** Top-level names not listed (e.g. `.syncdesk`, `.syncdesk-server`). */
  skipTop?: readonly string[]
  /** Leave out temp files of interrupted runs. */
  skipTemps?: boolean
}

/** Every regular file under root: rel path → content. Symlinks are listed as `-> target`. */
export function readTree(root: string, opts: TreeOptions = {}): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (rel: string): void => {
    const abs = path.join(root, ...(rel ? rel.split('/') : []))
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (!rel && opts.skipTop?.includes(e.name)) continue
      if (opts.skipTemps && TEMP_NAME.test(e.name)) continue
      if (e.isSymbolicLink()) out.set(r, `-> ${fs.readlinkSync(path.join(abs, e.name))}`)
      else if (e.isDirectory()) walk(r)
      else if (e.isFile()) out.set(r, fs.readFileSync(path.join(abs, e.name), 'latin1'))
    }
  }
  walk('')
  return out
}

/** The synced-looking files of a side: everything but SyncDesk's own folders and temp files. */
export function syncedTree(root: string): Map<string, string> {
  return readTree(root, { skipTop: ['.syncdesk', '.syncdesk-server'], skipTemps: true })
}

export function treeObject(t: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...t.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the built CLI and waits for it. */
export function cli(args: readonly string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024, ...opts, env: { ...process.env, ...opts.env } })
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}

/** Runs the built CLI asynchronously (lets the test do things meanwhile). */
export function cliAsync(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): Promise<CliResult & { ms: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now()
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    let timer: NodeJS.Timeout | undefined
    if (opts.killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start })
    })
  })
}

/** A project dir and a folder environment `staging`, initialised through the CLI. */
export function cliProject(root: string, envArgs: readonly string[], env: NodeJS.ProcessEnv = {}): { project: string; p: (...args: string[]) => CliResult } {
  const project = path.join(root, 'project')
  fs.mkdirSync(project, { recursive: true })
  const p = (...args: string[]) => cli(['--project-dir', project, ...args], { env })
  const init = p('init')
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
  const add = p('env', 'add', 'staging', ...envArgs)
  if (add.code !== 0) throw new Error(`env add failed: ${add.stderr}`)
  return { project, p }
}

/** A small deterministic PRNG (mulberry32), so failures can be replayed from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Lines of a text, without the empty ones. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}

/** The path of a file entry or action (records, which have none, show as `table/key`). */
export function itemPath(e: object): string {
  if ('path' in e && typeof e.path === 'string') return e.path
  if ('table' in e && 'key' in e) return `${String(e.table)}/${String(e.key)}`
  return JSON.stringify(e)
}
