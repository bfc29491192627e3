/**
 * Which statuses the resident host may answer (residentMayAnswer): only where it is sure to read
 * the same database as the asking process.
 */
import { describe, expect, it } from 'vitest'
import type { Project } from '../engine/project.js'
import type { SyncScope } from '../../src-shared/sync-types.js'
import { residentMayAnswer } from './resident-status.js'

const withDatabase = (database: unknown) => ({ config: { database } }) as unknown as Project

describe('residentMayAnswer', () => {
  it.each<[string, unknown, SyncScope, boolean]>([
    ['files, no database', undefined, 'all', true],
    ['files alone, any database', { kind: 'postgres', url: 'postgres://localhost/app' }, 'files', true],
    ['files and SQLite records in the project', { kind: 'sqlite', path: 'data/app.sqlite' }, 'all', true],
    ['a SQLite database by an absolute path', { kind: 'sqlite', path: '/srv/app.sqlite' }, 'all', true],
    ['records alone', { kind: 'sqlite', path: 'app.sqlite' }, 'records', false],
    ['a PostgreSQL database (the host connects with its own settings)', { kind: 'postgres', url: 'postgres://localhost/app' }, 'all', false],
    ['a SQLite path that leaves the project', { kind: 'sqlite', path: '../shared/app.sqlite' }, 'all', false],
    ['a SQLite path that leaves it further in', { kind: 'sqlite', path: 'data/../../app.sqlite' }, 'all', false],
    ['a SQLite path that only looks up and comes back', { kind: 'sqlite', path: 'data/../app.sqlite' }, 'all', true],
  ])('%s', (_what, database, scope, expected) => {
    expect(residentMayAnswer(withDatabase(database), scope)).toBe(expected)
  })
})
