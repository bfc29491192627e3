/**
 * SyncDesk's own state folder, `.syncdesk/`, kept safe from links and other users.
 *
 * Synced paths are never followed through symlinks; the state folder must not be either. A
 * repository or archive can ship `.syncdesk` (or `.syncdesk/backups`, `.syncdesk/baselines`…)
 * as a symlink, and a pull would then write backups, baselines, config and caches wherever the
 * link points, outside the project. So every run first checks the state folder and the folders
 * and files inside it that SyncDesk writes or reads, and refuses to go on when one is a
 * symlink, is not what it should be, or belongs to another user. The folders are made
 * owner-only (0700): backups hold the project's old content.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SyncDeskError } from './errors.js'

/** The project's own folder of SyncDesk's state, in the project folder. */
export const STATE_DIR = '.syncdesk'

/** The folders inside `.syncdesk/` that SyncDesk makes and writes. */
export const STATE_SUBDIRS = ['baselines', 'cache', 'backups', 'bases'] as const

/** The permissions of every folder SyncDesk makes for its own state. */
export const STATE_DIR_MODE = 0o700

/**
 * Makes the state folder and its subfolders (owner-only) where missing, then checks them all.
 *
 * Throws a SyncDeskError('state-unsafe') naming the first entry that is a symlink, of the
 * wrong kind, or owned by someone else; nothing is written then.
 */
export function ensureStateDir(stateDir: string): void {
  checkStateDir(stateDir)
  for (const dir of [stateDir, ...STATE_SUBDIRS.map((d) => path.join(stateDir, d))]) {
    try {
      fs.mkdirSync(dir, { mode: STATE_DIR_MODE })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  checkStateDir(stateDir)
}

/**
 * Checks an existing state folder without changing it: the folder itself, its subfolders,
 * each backup run's folder, and the files directly in them. A missing entry is fine.
 */
export function checkStateDir(stateDir: string): void {
  if (!checkEntry(stateDir, 'folder')) return
  checkFilesIn(stateDir)
  for (const sub of STATE_SUBDIRS) {
    const dir = path.join(stateDir, sub)
    if (!checkEntry(dir, 'folder')) continue
    // The bases folder holds one file per text of the project: its entries are content checked
    // by hash on every read, and listing them at every open would cost a save its speed.
    if (sub !== 'bases') checkFilesIn(dir)
  }
  const backups = path.join(stateDir, 'backups')
  for (const run of listOrEmpty(backups)) {
    const runDir = path.join(backups, run)
    checkEntry(runDir, 'any')
    if (!fs.lstatSync(runDir).isDirectory()) continue
    checkFilesIn(runDir)
  }
}

/** Checks every entry directly in a state folder: no symlinks, nothing owned by another user. */
function checkFilesIn(dir: string): void {
  for (const name of listOrEmpty(dir)) checkEntry(path.join(dir, name), 'any')
}

/** Whether `entry` exists; throws when it is a symlink, not a folder (when one is wanted) or not ours. */
function checkEntry(entry: string, want: 'folder' | 'any'): boolean {
  let st: fs.Stats
  try {
    st = fs.lstatSync(entry)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw unsafe(entry, `it cannot be checked (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  if (st.isSymbolicLink()) throw unsafe(entry, 'it is a symbolic link, and SyncDesk never writes its state through a link')
  if (want === 'folder' && !st.isDirectory()) throw unsafe(entry, 'it is not a folder')
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) throw unsafe(entry, `it belongs to another user (uid ${st.uid}), not to the one running SyncDesk (uid ${uid})`)
  return true
}

function listOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw unsafe(dir, `it cannot be listed (${code ?? String(err)})`)
  }
}

function unsafe(entry: string, why: string): SyncDeskError {
  return new SyncDeskError(
    'state-unsafe',
    `SyncDesk's state folder is not safe to use: ${entry}: ${why}.`,
    'Nothing was changed. Remove or replace that entry (a project\'s .syncdesk/ is never part of a download), then try again.',
  )
}

/**
 * The project folder for `dir`: with `findUp`, the nearest folder at or above it whose state
 * folder holds a config (as git finds its repository); else, or when there is none, `dir`.
 */
export function findProjectDir(dir: string, findUp: boolean): string {
  const start = path.resolve(dir)
  if (findUp) {
    for (let d = start; ; d = path.dirname(d)) {
      if (fs.existsSync(path.join(d, STATE_DIR, 'config.json'))) return d
      if (path.dirname(d) === d) break
    }
  }
  return start
}
