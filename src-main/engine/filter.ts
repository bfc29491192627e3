/**
 * What is synced: the default file types, the always-excluded directories, extra extensions
 * and a project's `.syncdeskignore` (gitignore syntax, matched by the `ignore` package).
 */
import fs from 'node:fs'
import path from 'node:path'
import ignore, { type Ignore } from 'ignore'
import { isTempName } from './atomic.js'

/** File types synced by default (those `mage-agent` users know). */
export const DEFAULT_EXTENSIONS = ['.py', '.sql', '.r', '.yaml', '.yml', '.md', '.txt'] as const

/** Directory names never synced, besides every hidden directory. */
export const ALWAYS_EXCLUDED_DIRS = ['__pycache__', 'node_modules'] as const

export const IGNORE_FILE = '.syncdeskignore'

/** Decides which directories a scan enters and which files it syncs. */
export interface ScanFilter {
  includeDir(relPath: string, name: string): boolean
  includeFile(relPath: string, name: string): boolean
  /** How the filter was made, so that a worker thread can make the same one. */
  readonly spec?: FilterSpec
}

/** The inputs of createFilter. */
export interface FilterSpec {
  extraExtensions?: readonly string[]
  ignoreRules?: string
}

/** Normalizes an extension to a lower-case `.ext`. */
export function normalizeExtension(ext: string): string {
  const e = ext.trim().toLowerCase()
  return e.startsWith('.') ? e : `.${e}`
}

/** The filter for a project: defaults, extra extensions and an optional ignore file's rules. */
export function createFilter(opts: FilterSpec = {}): ScanFilter {
  const extensions = new Set<string>([...DEFAULT_EXTENSIONS, ...(opts.extraExtensions ?? []).map(normalizeExtension)])
  const ig: Ignore | null = opts.ignoreRules ? ignore().add(opts.ignoreRules) : null
  return {
    spec: { extraExtensions: opts.extraExtensions ? [...opts.extraExtensions] : undefined, ignoreRules: opts.ignoreRules },
    includeDir(relPath, name) {
      if (name.startsWith('.')) return false
      if ((ALWAYS_EXCLUDED_DIRS as readonly string[]).includes(name)) return false
      return !ig || !ig.ignores(`${relPath}/`)
    },
    includeFile(relPath, name) {
      if (isTempName(name)) return false
      const dot = name.lastIndexOf('.')
      if (dot <= 0 && !name.startsWith('.')) return false
      if (dot < 0) return false
      if (!extensions.has(name.slice(dot).toLowerCase())) return false
      return !ig || !ig.ignores(relPath)
    },
  }
}

/** Reads a project's `.syncdeskignore`, or undefined when there is none. */
export function readIgnoreRules(projectDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(projectDir, IGNORE_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Whether an item path passes a filter: every folder on the way and the file itself. */
export function pathPassesFilter(filter: ScanFilter, itemPath: string): boolean {
  const segments = itemPath.split('/')
  let rel = ''
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i] as string
    rel = rel ? `${rel}/${seg}` : seg
    if (!filter.includeDir(rel, seg)) return false
  }
  return filter.includeFile(itemPath, segments[segments.length - 1] as string)
}
