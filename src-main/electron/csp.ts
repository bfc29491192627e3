/**
 * The dashboard's Content Security Policy, set on every response main's session receives.
 *
 * Nothing but our own scripts, styles, fonts and images may load, and the page may connect
 * only to itself: an injected script (say, through a file name shown unescaped) could not
 * run, nor send what it read anywhere. Inline styles stay allowed because React sets style
 * attributes. Electron does not deliver response headers for every file:// load, so the
 * renderer's index.html carries the same policy in a <meta http-equiv> tag as well.
 * Pure: headers in, headers out.
 */

/** The policy. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'"

/** Response headers as Electron's webRequest gives them. */
export type ResponseHeaders = Record<string, string | string[]>

/** The headers with our policy in place of any the response carried (whatever their case). */
export function withCsp(headers: ResponseHeaders | undefined): ResponseHeaders {
  const out: ResponseHeaders = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase()
    if (lower === 'content-security-policy' || lower === 'content-security-policy-report-only') continue
    out[name] = value
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY]
  return out
}
