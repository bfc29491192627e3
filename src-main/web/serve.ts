/**
 * `syncdesk serve`: the dashboard on 127.0.0.1, over the same host as the desktop app.
 *
 * It opens the project named by --project-dir, else the one found from the current folder (as
 * every command finds it), else the last one opened; with none, the dashboard shows its
 * welcome screen. It prints its URL on one line of standard output once it listens, and runs
 * until it is stopped (Ctrl-C or SIGTERM).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createHost } from '../host/create-host.js'
import { startWsHost, type WsHost } from './ws-host.js'

/** What `serve` is started with. */
export interface ServeOptions {
  projectDir?: string
  port?: number
  open?: boolean
  dataDir?: string
  version: string
  /** Where "Try the demo" makes its project. */
  demoDir?: string
  /** With no project to open (none named, none found, none known): open the demo. */
  demo?: boolean
  /** Stop with the process's signals (the CLI); tests stop it themselves. */
  untilSignal?: boolean
}

/** The built dashboard: beside the bundle (`dist-renderer/`), or where SYNCDESK_RENDERER_DIR says. */
export function rendererDir(): string | undefined {
  const candidates = [process.env.SYNCDESK_RENDERER_DIR, path.join(path.dirname(process.argv[1] ?? '.'), '..', 'dist-renderer'), path.join(process.cwd(), 'dist-renderer')]
  return candidates.find((d): d is string => !!d && fs.existsSync(path.join(d, 'index.html')))
}

/** Starts the dashboard's host; resolves once it listens (and, for the CLI, once it is stopped). */
export async function serve(opts: ServeOptions): Promise<WsHost> {
  const host = await createHost({ dataDir: opts.dataDir, hostKind: 'web', version: opts.version, demoDir: opts.demoDir })
  await host.openStartProject({ dir: opts.projectDir, cwd: process.cwd(), demo: opts.demo })
  const web = await startWsHost({ host, staticDir: rendererDir(), port: opts.port })
  process.stdout.write(`SyncDesk dashboard: ${web.url}\n`)
  if (opts.open) openBrowser(web.url)
  if (opts.untilSignal !== false) {
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await web.close()
    await host.dispose()
  }
  return web
}

/** Opens a URL in the system browser; a missing opener is not an error (the URL is printed). */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open'
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url]
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // No browser here: the printed URL is the way in.
  }
}
