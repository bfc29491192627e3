/**
 * The `folder` environment: a directory (a mounted share, or a test fixture) used as the
 * environment. It keeps prior versions in `<folder>/.syncdesk-server/versions/<run>/`, the same
 * place the environment server keeps them.
 */
import path from 'node:path'
import { DirStore } from '../engine/dir-store.js'
import { scanDirectory } from '../engine/scan-worker.js'
import type { ScanFilter } from '../engine/filter.js'
import { mapLimit } from '../engine/concurrency.js'
import { preserveInto, newRunId } from '../engine/preserve.js'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { openRecordStore } from '../engine/records/open-record-store.js'
import type { RecordStore } from '../engine/records/record-store.js'
import type { SqliteRecordStore } from '../engine/records/sqlite-store.js'
import type { RemoteWithTables, TableDefinitions } from '../engine/records/table-definitions.js'
import type { DeleteRequest, ItemResult, Remote, RemoteCallOptions, RemoteRecords, RemoteScan, WriteRequest } from '../engine/remote.js'
import type { Project } from '../engine/project.js'

/** Where a folder environment (and, by default, the environment server) keeps its database. */
export function environmentDatabasePath(folder: string): string {
  return path.join(path.resolve(folder), '.syncdesk-server', 'database.sqlite')
}

export class FolderRemote implements Remote, RemoteWithTables {
  private readonly store: DirStore
  private readonly versionsDir: string
  private records: (RecordStore & TableDefinitions) | null = null
  private readonly cacheFile?: string
  private readonly recordsCacheFile?: string

  /**
   * @param opts.cacheFile the fast-check cache of the folder's files
   * @param opts.recordsCacheFile the row cache of its database (otherwise that of a project the
   *   folder is in, if any, else memory only)
   */
  constructor(
    readonly envName: string,
    readonly folder: string,
    opts: { cacheFile?: string; recordsCacheFile?: string; runId?: string } = {},
  ) {
    this.cacheFile = opts.cacheFile
    this.recordsCacheFile = opts.recordsCacheFile
    this.store = new DirStore(folder, { cacheFile: opts.cacheFile })
    this.versionsDir = path.join(path.resolve(folder), '.syncdesk-server', 'versions', opts.runId ?? newRunId())
  }

  /** Environment `envName` of `project`, the folder `folder`, with both its caches in the project. */
  static forProject(project: Project, envName: string, folder: string): FolderRemote {
    return new FolderRemote(envName, folder, { cacheFile: project.cacheFile(envName), recordsCacheFile: project.recordsCacheFile(envName) })
  }

  describe(): string {
    return `folder ${this.store.root}`
  }

  async scan(filter: ScanFilter, opts: RemoteCallOptions = {}): Promise<RemoteScan> {
    const { files, skipped, staleTemps } = await scanDirectory(this.store, this.cacheFile, filter, opts.signal)
    // Other writers may share this folder: only temp files of writers that are gone are removed.
    await this.store.sweepTemps(staleTemps)
    // The walk applied this filter to every folder and file it took.
    return { files, skipped, filtered: true }
  }

  async readFiles(paths: readonly string[], opts: RemoteCallOptions = {}): Promise<Map<string, Buffer | Error>> {
    const out = new Map<string, Buffer | Error>()
    await mapLimit(
      paths,
      32,
      async (p) => {
        try {
          out.set(p, await this.store.read(p))
        } catch (err) {
          out.set(p, err instanceof Error ? err : new Error(String(err)))
        }
      },
      opts.signal,
    )
    return out
  }

  writeFiles(reqs: readonly WriteRequest[]): Promise<ItemResult[]> {
    return this.store.writeBatch(reqs, preserveInto(this.versionsDir))
  }

  deleteFiles(reqs: readonly DeleteRequest[]): Promise<ItemResult[]> {
    return this.store.deleteBatch(reqs, preserveInto(this.versionsDir))
  }

  /** The newest kept version of `itemPath` with this hash (versions are kept per run, by id). */
  async readPrior(itemPath: string, hash: string): Promise<Buffer | null> {
    const root = path.dirname(this.versionsDir)
    let runs: string[]
    try {
      runs = fs.readdirSync(root).sort().reverse()
    } catch {
      return null
    }
    for (const run of runs) {
      try {
        const content = await new DirStore(path.join(root, run)).read(itemPath)
        if (crypto.createHash('sha256').update(content).digest('hex') === hash) return content
      } catch {
        // Not kept by this run.
      }
    }
    return null
  }

  /** The folder's embedded SQLite database, when it has one. */
  async openRecords(): Promise<(RemoteRecords & TableDefinitions) | null> {
    return this.openDatabase(false)
  }

  /**
   * The folder's database as table definitions. A folder without a database answers that it has
   * no tables; creating the first one creates the database (`.syncdesk-server/database.sqlite`).
   */
  async openTables(): Promise<TableDefinitions> {
    return {
      dialect: 'sqlite',
      describeTable: async (name) => (await this.openDatabase(false))?.describeTable(name) ?? null,
      createTable: async (def) => (await this.openDatabase(true)).createTable(def),
    }
  }

  private async openDatabase(create: true): Promise<RecordStore & TableDefinitions>
  private async openDatabase(create: false): Promise<(RecordStore & TableDefinitions) | null>
  private async openDatabase(create: boolean): Promise<(RecordStore & TableDefinitions) | null> {
    if (this.records) return this.records
    const file = environmentDatabasePath(this.folder)
    if (!fs.existsSync(file)) {
      if (!create) return null
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    }
    this.records = (await openRecordStore({ kind: 'sqlite', path: file, create, cacheFile: this.recordsCacheFile })) as SqliteRecordStore
    return this.records
  }

  async close(): Promise<void> {
    await this.store.saveCache()
    await this.records?.close()
    this.records = null
  }
}
