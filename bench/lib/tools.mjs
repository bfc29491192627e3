// The tools compared by the benchmark. Each adapter turns a step (first sync, status, sync)
// on a pair of folders into the real command line that a user would type.
// Adding a tool column = adding one object to TOOLS.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { run, firstLine, PROFILE_ARGS } from './exec.mjs'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const SYNCDESK_BIN = path.join(REPO, 'bin', 'syncdesk.cjs')

const which = (cmd) => {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** Counts pending items in `syncdesk status --format json` output, whatever its exact shape. */
export function pendingFromStatusJson(text) {
  let doc
  try { doc = JSON.parse(text) } catch { return { note: 'status output is not JSON' } }
  const cats = ['local_to_remote', 'remote_to_local', 'conflicts']
  const counts = {}
  const visit = (o, depth) => {
    if (!o || typeof o !== 'object' || depth > 4) return
    for (const c of cats) {
      if (counts[c] !== undefined || !(c in o)) continue
      const v = o[c]
      if (Array.isArray(v)) counts[c] = v.length
      else if (typeof v === 'number') counts[c] = v
      else if (v && typeof v === 'object') counts[c] = Array.isArray(v.items) ? v.items.length : Object.keys(v).length
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') visit(v, depth + 1)
  }
  visit(doc, 0)
  if (!Object.keys(counts).length) return { note: 'status JSON has no category counts' }
  const pending = Object.values(counts).reduce((s, n) => s + n, 0)
  return { pending, counts }
}

export const TOOLS = [
  {
    name: 'syncdesk',
    check() {
      if (!fs.existsSync(path.join(REPO, 'dist', 'cli.cjs'))) return { ok: true, version: 'not built', warning: 'dist/cli.cjs missing (npm run build failed?)' }
      const r = spawnSync(process.execPath, [SYNCDESK_BIN, '--help'], { encoding: 'utf8' })
      return r.status === 0 ? { ok: true, version: 'working tree' } : { ok: true, version: 'working tree', warning: `--help: ${firstLine({ ...r, code: r.status })}` }
    },
    // pair.childEnv (the SYNCDESK_TOKEN_<ENV> of a server environment) and pair.envName are set
    // by run.mjs for the server and records pairs; a folder pair uses the defaults.
    base(pair) { return { cmd: process.execPath, args: [...PROFILE_ARGS, SYNCDESK_BIN, '--project-dir', pair.local], env: pair.childEnv ?? process.env, cwd: REPO } },
    // Untimed: make the project, its database (pair.sqlite) and its environment: a folder, or
    // the environment server at pair.serverUrl.
    setup(pair, scratch) {
      const b = this.base(pair)
      const steps = [['init']]
      if (pair.sqlite) steps.push(['db', 'add', '--sqlite', pair.sqlite])
      steps.push(pair.serverUrl ? ['env', 'add', pair.envName, '--url', pair.serverUrl] : ['env', 'add', pair.envName ?? 'remote', '--folder', pair.remote])
      for (const extra of steps) {
        const r = run(b.cmd, [...b.args, ...extra], { env: b.env, cwd: b.cwd, scratch })
        if (r.code !== 0) return `${extra.slice(0, 2).join(' ')} failed: ${firstLine(r)}`
      }
      return null
    },
    // kind: 'first' | 'sync' | 'status' | 'push'; pair.scope ('records') narrows status and push.
    step(kind, pair) {
      const b = this.base(pair)
      const env = pair.envName ?? 'remote'
      const scope = pair.scope ? ['--scope', pair.scope] : []
      const extra = kind === 'status' ? ['status', '--env', env, '--format', 'json', ...scope]
        : kind === 'push' ? ['push', '--env', env, ...scope]
          : ['sync', '--env', env]
      return { ...b, args: [...b.args, ...extra] }
    },
    inspect(kind, res) {
      if (kind !== 'status') return null
      const p = pendingFromStatusJson(res.stdout)
      return p.pending === undefined ? p.note : `pending=${p.pending}`
    },
  },
  {
    name: 'unison',
    statusNote: 'unison has no read-only status: its "status" is a no-change sync run',
    check() {
      const bin = which('unison')
      if (!bin) return { ok: false, reason: 'unison not installed (apt-get install unison)' }
      const r = spawnSync(bin, ['-version'], { encoding: 'utf8' })
      return { ok: true, version: (r.stdout || r.stderr).trim() }
    },
    setup(pair) { fs.mkdirSync(pair.home, { recursive: true }); return null },
    step(_kind, pair) {
      // UNISON keeps archives and logs in the work dir, not ~/.unison.
      const env = { ...process.env, UNISON: pair.home }
      return {
        cmd: 'unison',
        args: [pair.local, pair.remote, '-batch', '-auto', '-times', '-fastcheck', 'true', '-ui', 'text', '-silent', '-dumbtty',
          '-logfile', path.join(pair.home, 'unison.log')],
        env, cwd: pair.home,
      }
    },
  },
  {
    name: 'rclone',
    statusNote: 'rclone "status" is `rclone bisync --dry-run`',
    check() {
      const bin = which('rclone')
      if (!bin) return { ok: false, reason: 'rclone not installed (apt-get install rclone)' }
      const r = spawnSync(bin, ['version'], { encoding: 'utf8' })
      return { ok: true, version: r.stdout.split('\n')[0].trim() }
    },
    setup(pair) {
      fs.mkdirSync(path.join(pair.home, 'cache'), { recursive: true })
      fs.writeFileSync(path.join(pair.home, 'rclone.conf'), '')
      return null
    },
    step(kind, pair) {
      const env = {
        ...process.env,
        RCLONE_CONFIG: path.join(pair.home, 'rclone.conf'),
        XDG_CACHE_HOME: path.join(pair.home, 'cache'),
        XDG_CONFIG_HOME: path.join(pair.home, 'config'),
      }
      const args = ['bisync', pair.local, pair.remote, '--workdir', path.join(pair.home, 'bisync')]
      if (kind === 'first') args.push('--resync')
      if (kind === 'status') args.push('--dry-run')
      return { cmd: 'rclone', args, env, cwd: pair.home }
    },
  },
]
