/**
 * A project: a local directory SyncDesk manages, with its own data in `.syncdesk/`.
 *
 * `.syncdesk/config.json` holds the environments and what is synced; it never holds a secret.
 * A config that cannot be read is reported with its location and left as it is.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
// zod/mini: the same schemas at a small fraction of the start-up cost of the full build.
import * as z from 'zod/mini'
import { writeFileAtomic } from './atomic.js'
import { SyncDeskError } from './errors.js'
import { createFilter, readIgnoreRules, type ScanFilter } from './filter.js'
import { STATE_DIR, checkStateDir, ensureStateDir, findProjectDir } from './state-dir.js'
import { SYNTAX_KINDS } from './checks/check-types.js'

export { STATE_DIR } from './state-dir.js'

const envName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, "-" and "_" only'))
const nonEmpty = () => z.string().check(z.minLength(1))

/** What the operator set on an environment: a colour, and whether it is protected (production). */
const environmentLook = {
  color: z.optional(z.string().check(z.regex(/^#[0-9a-fA-F]{6}$/))),
  protected: z.optional(z.boolean()),
}
const folderEnvironment = z.object({ kind: z.literal('folder'), path: nonEmpty(), ...environmentLook })
const serverEnvironment = z.object({ kind: z.literal('server'), url: z.url(), ...environmentLook })
const environment = z.discriminatedUnion('kind', [folderEnvironment, serverEnvironment])

/** A file extension, with or without its dot. */
const extension = z.string().check(z.regex(/^\.?[A-Za-z0-9_+-]{1,16}$/, 'an extension like .yaml'))

const identifier = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a table or column name: letters, digits and "_"'))

const database = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite'), path: nonEmpty() }),
  /** The URL never holds the password: that lives in the keychain (or SYNCDESK_DB_PASSWORD). */
  z.object({ kind: z.literal('postgres'), url: nonEmpty() }),
])

/** The tables synced by default, as `mage-agent` users know them. */
export const DEFAULT_TABLES = [
  { name: 'agents', key: 'id' },
  { name: 'skills', key: 'id' },
  { name: 'contexts', key: 'id' },
]

const configSchema = z.object({
  version: z.literal(1),
  projectId: nonEmpty(),
  environments: z._default(z.record(envName, environment), {}),
  extensions: z._default(z.array(extension), []),
  database: z.optional(database),
  tables: z._default(z.array(z.object({ name: identifier, key: identifier })), DEFAULT_TABLES),
  /** The checks of the files a push writes (syntax, secrets): see checks/check-settings.ts and the README. */
  checks: z.optional(
    z.object({
      syntax: z.optional(z.record(extension, z.enum([...SYNTAX_KINDS, 'off']))),
      secrets: z.optional(z.array(z.union([extension, z.literal('*')]))),
      off: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(200)))),
      maxBytes: z.optional(z.int().check(z.gte(0), z.lte(64 * 1024 * 1024))),
    }),
  ),
  /** How long local backups are kept (backups.ts, pruneBackups): the newest keepRuns runs, and those younger than keepDays days. */
  backups: z.optional(
    z.object({
      keepRuns: z.optional(z.int().check(z.gte(0), z.lte(100_000))),
      keepDays: z.optional(z.number().check(z.gte(0), z.lte(36_500))),
    }),
  ),
  /** Text files up to this size keep a merge base and can be merged three-way. */
  mergeMaxBytes: z.optional(z.int().check(z.gte(0), z.lte(64 * 1024 * 1024))),
  guard: z._default(
    z.object({
      maxDeleteCount: z._default(z.int().check(z.nonnegative()), 100),
      maxDeleteShare: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
    }),
    { maxDeleteCount: 100, maxDeleteShare: 0.5 },
  ),
})

export type ProjectConfig = z.infer<typeof configSchema>
export type EnvironmentConfig = z.infer<typeof environment>
export type DatabaseConfig = z.infer<typeof database>

/** Checks an environment name; throws a usage error naming the rule. */
export function assertEnvName(name: string): void {
  if (!envName.safeParse(name).success) {
    throw new SyncDeskError('usage', `Environment names use letters, digits, "-" and "_" (at most 64), not ${JSON.stringify(name)}.`)
  }
}

export class Project {
  readonly dir: string
  readonly stateDir: string
  config: ProjectConfig

  constructor(dir: string, config: ProjectConfig) {
    this.dir = path.resolve(dir)
    this.stateDir = path.join(this.dir, STATE_DIR)
    this.config = config
  }

  get configFile(): string {
    return path.join(this.stateDir, 'config.json')
  }

  baselineFile(env: string): string {
    return path.join(this.stateDir, 'baselines', `${env}.json`)
  }

  cacheFile(side: 'local' | string): string {
    return path.join(this.stateDir, 'cache', side === 'local' ? 'local.json' : `env-${side}.json`)
  }

  /**
   * Where the row cache of a folder environment's database is kept (that database is in no
   * project of its own); the project's own database keeps its cache beside it, as `records-<id>.json`.
   */
  recordsCacheFile(env: string): string {
    return path.join(this.stateDir, 'cache', `records-env-${env}.json`)
  }

  /** Where the merge bases (the texts behind the baselines' hashes) are kept. */
  get basesDir(): string {
    return path.join(this.stateDir, 'bases')
  }

  get backupsDir(): string {
    return path.join(this.stateDir, 'backups')
  }

  /** Where what the checks found in each content is remembered. */
  get checksCacheFile(): string {
    return path.join(this.stateDir, 'cache', 'checks.json')
  }

  /** The filter for this project: default types, extra extensions, `.syncdeskignore`. */
  filter(): ScanFilter {
    return createFilter({ extraExtensions: this.config.extensions, ignoreRules: readIgnoreRules(this.dir) })
  }

  environment(name: string): EnvironmentConfig {
    const env = this.config.environments[name]
    if (!env) {
      const known = Object.keys(this.config.environments)
      throw new SyncDeskError(
        'env-unknown',
        `No environment named "${name}" in this project.`,
        known.length ? `Known environments: ${known.join(', ')}.` : undefined,
        { env: name, known },
      )
    }
    return env
  }

  /**
   * The environment a command means: the one named, else the only one. Several and none named
   * is a usage error that lists them (`details.envRequired`).
   */
  environmentName(name: string | undefined): string {
    if (name) {
      this.environment(name)
      return name
    }
    const names = Object.keys(this.config.environments)
    if (names.length === 1) return names[0] as string
    throw new SyncDeskError('usage', names.length ? `Say which environment (one of: ${names.join(', ')}).` : 'This project has no environments yet.', undefined, { envRequired: true, known: names })
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.configFile, JSON.stringify(this.config, null, 2) + '\n')
  }
}

/** Makes `.syncdesk/` in a project directory; an existing project is left as it is. */
export async function initProject(dir: string): Promise<{ project: Project; created: boolean }> {
  const abs = path.resolve(dir)
  checkStateDir(path.join(abs, STATE_DIR))
  if (fs.existsSync(path.join(abs, STATE_DIR, 'config.json'))) return { project: openProject(abs), created: false }
  fs.mkdirSync(abs, { recursive: true })
  ensureStateDir(path.join(abs, STATE_DIR))
  const project = new Project(abs, configSchema.parse({ version: 1, projectId: crypto.randomUUID() }))
  await project.save()
  // Keep SyncDesk's own data out of the user's git repository.
  await writeFileAtomic(path.join(project.stateDir, '.gitignore'), '*\n')
  return { project, created: true }
}

/**
 * Opens the project in `dir`; with `findUp`, the nearest folder at or above it that holds one
 * (as git finds its repository).
 */
export function findProject(dir: string, opts: { findUp?: boolean } = {}): Project {
  const start = path.resolve(dir)
  if (opts.findUp && !fs.existsSync(start)) throw new SyncDeskError('not-found', `The folder ${start} does not exist.`, undefined, { dir: start })
  return openProject(findProjectDir(start, !!opts.findUp))
}

/** Opens an initialized project, with clear errors for a missing or broken config. */
export function openProject(dir: string): Project {
  const abs = path.resolve(dir)
  const file = path.join(abs, STATE_DIR, 'config.json')
  checkStateDir(path.join(abs, STATE_DIR))
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SyncDeskError('not-initialized', `${abs} is not a SyncDesk project yet.`, undefined, { dir: abs })
    }
    throw new SyncDeskError('config-invalid', `Cannot read ${file}: ${(err as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new SyncDeskError(
      'config-invalid',
      `The project config ${file} is not valid JSON (${(err as Error).message}).`,
      'Fix the file by hand, or move it away and make the project again; nothing was changed.',
    )
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue && issue.path.length ? issue.path.join('.') : 'the file'
    throw new SyncDeskError(
      'config-invalid',
      `The project config ${file} is not valid: ${where}: ${issue?.message ?? 'invalid'}.`,
      'Fix the file by hand; nothing was changed.',
    )
  }
  return new Project(abs, parsed.data)
}
