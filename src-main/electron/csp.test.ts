import { describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY, withCsp } from './csp.js'

describe('the content security policy', () => {
  it('allows only our own scripts and connections', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]))
    expect(directives).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'"],
      'connect-src': ["'self'"],
    })
  })

  it('replaces whatever policy a response carried, keeping its other headers', () => {
    const out = withCsp({ 'content-type': ['text/html'], 'content-security-policy': ["script-src *"], 'Content-Security-Policy-Report-Only': ['x'] })
    expect(out).toEqual({ 'content-type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
    expect(withCsp(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
  })
})
