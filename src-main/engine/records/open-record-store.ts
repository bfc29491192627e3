/**
 * Opens the record store a spec names: the one place that knows the implementations, so the
 * RecordStore interface (record-store.ts) imports none of them.
 */
import type { RecordStore, RecordStoreSpec } from './record-store.js'

/**
 * Opens a record store.
 *
 * The drivers are loaded on demand, so a project on SQLite never loads `pg`.
 */
export async function openRecordStore(spec: RecordStoreSpec): Promise<RecordStore> {
  if (spec.kind === 'sqlite') {
    const { openSqliteStore } = await import('./sqlite-store.js')
    return openSqliteStore(spec.path, { create: spec.create ?? false, cacheFile: spec.cacheFile })
  }
  const { openPostgresStore } = await import('./postgres-store.js')
  return openPostgresStore(spec.url)
}
