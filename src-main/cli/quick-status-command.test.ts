import { describe, expect, it } from 'vitest'
import { quickStatusArgs } from './quick-status-command.js'

describe('quickStatusArgs: what the quick path takes from a status command line', () => {
  it('takes the status command in the forms commander takes', () => {
    expect(quickStatusArgs(['--project-dir', '/p', 'status', '--env', 'staging', '--format', 'json'])).toEqual({ dir: '/p', env: 'staging', json: true, all: false, scope: 'all' })
    expect(quickStatusArgs(['sync-status', '--env=prod', '--all', '--scope', 'files'])).toEqual({ dir: undefined, env: 'prod', json: false, all: true, scope: 'files' })
    expect(quickStatusArgs(['status', '--local-project-dir', 'x', '--format-output', 'json'])).toMatchObject({ dir: 'x', json: true })
  })

  it('leaves everything else to the whole CLI', () => {
    for (const args of [
      ['status', '--help'],
      ['status', '-h'],
      ['status', '--frobnicate'],
      ['status', '--format', 'yaml'],
      ['status', '--scope', 'tables'],
      ['status', 'extra'],
      ['sync', '--env', 'status'],
      ['status', '--env'],
      ['status', '--env', ''],
      [],
    ]) {
      expect(quickStatusArgs(args), args.join(' ')).toBeNull()
    }
  })
})
