import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SyncDeskError } from '../engine/errors.js'
import { accountFor, resolveToken, tokenFromEnvironment, tokenVariableName, type CredentialStore } from './credential-store.js'

/** A store that must not be reached: the environment variable has to win without it. */
const untouchable: CredentialStore = {
  get: () => Promise.reject(new Error('the keychain was consulted')),
  set: () => Promise.reject(new Error('the keychain was consulted')),
  delete: () => Promise.reject(new Error('the keychain was consulted')),
}

describe('tokenVariableName', () => {
  it('upper-cases the environment name and turns other characters into underscores', () => {
    expect(tokenVariableName('staging')).toBe('SYNCDESK_TOKEN_STAGING')
    expect(tokenVariableName('staging-eu.2')).toBe('SYNCDESK_TOKEN_STAGING_EU_2')
    expect(tokenVariableName('prod west')).toBe('SYNCDESK_TOKEN_PROD_WEST')
    expect(tokenVariableName('café')).toBe('SYNCDESK_TOKEN_CAF_')
  })
})

describe('tokenFromEnvironment', () => {
  it('reads SYNCDESK_TOKEN_<NAME>', () => {
    expect(tokenFromEnvironment('staging-eu', { SYNCDESK_TOKEN_STAGING_EU: 'abc123' })).toBe('abc123')
  })

  it('answers null when the variable is unset, empty or blank', () => {
    expect(tokenFromEnvironment('staging', {})).toBeNull()
    expect(tokenFromEnvironment('staging', { SYNCDESK_TOKEN_STAGING: '' })).toBeNull()
    expect(tokenFromEnvironment('staging', { SYNCDESK_TOKEN_STAGING: ' \n' })).toBeNull()
  })

  it('drops surrounding whitespace, such as a pasted newline', () => {
    expect(tokenFromEnvironment('staging', { SYNCDESK_TOKEN_STAGING: 'abc123\n' })).toBe('abc123')
  })

  it('does not read another environment’s variable', () => {
    expect(tokenFromEnvironment('staging', { SYNCDESK_TOKEN_PRODUCTION: 'abc123' })).toBeNull()
  })

  it('reads process.env by default', () => {
    const name = `unit-${process.pid}`
    process.env[tokenVariableName(name)] = 'from-process'
    try {
      expect(tokenFromEnvironment(name)).toBe('from-process')
    } finally {
      delete process.env[tokenVariableName(name)]
    }
  })
})

describe('accountFor', () => {
  it('names the account by the resolved project directory and the environment', () => {
    expect(accountFor('/srv/project', 'staging')).toBe('/srv/project:staging')
    expect(accountFor('.', 'prod')).toBe(`${path.resolve('.')}:prod`)
  })
})

describe('resolveToken', () => {
  it('takes the environment variable without consulting the keychain', async () => {
    expect(await resolveToken(untouchable, '/srv/project', 'staging', { SYNCDESK_TOKEN_STAGING: 'abc' })).toBe('abc')
  })

  it('passes a keychain failure on with the exact variable to set instead', async () => {
    const unreachable: CredentialStore = {
      ...untouchable,
      get: () => Promise.reject(new SyncDeskError('keychain', 'Cannot read the token in the OS keychain: no bus.', 'Start one, or for headless use set SYNCDESK_TOKEN_<ENV>.')),
    }
    const failure = await resolveToken(unreachable, '/srv/project', 'staging-eu', {}).catch((err: unknown) => err)
    expect(failure).toMatchObject({ code: 'keychain', message: 'Cannot read the token in the OS keychain: no bus.' })
    expect((failure as SyncDeskError).hint).toBe('Start one, or for headless use set SYNCDESK_TOKEN_STAGING_EU.')
  })
})
