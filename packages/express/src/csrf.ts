/**
 * The CSRF rule of the cookie transport: a request the refresh cookie authenticates must come from
 * an allowed origin **and** carry `X-Baton-CSRF`. The origin check stops cross-site requests a
 * browser labels honestly; the custom header is what a cross-site `<form>` cannot send, and it
 * forces a CORS preflight on a cross-origin `fetch`, which only the allowed origins pass.
 */
import type { Request } from 'express'
import { CsrfError } from './errors.js'
import type { RefreshCookie } from './options.js'

/** The request header a cookie client must send (any non-empty value; `@baton/fetch` sends `1`). */
export const CSRF_HEADER = 'X-Baton-CSRF'

/** Whether the request asks for the cookie transport (a cross-site form cannot send the header). */
export function asksForCookie(req: Request): boolean {
  return (req.get(CSRF_HEADER) ?? '') !== ''
}

/** Throws a 403 `CsrfError` unless the request proves it comes from an allowed origin. */
export function checkCsrf(req: Request, cookie: RefreshCookie): void {
  if (!originAllowed(req, cookie)) throw new CsrfError('ERR_CSRF_ORIGIN')
  if (!asksForCookie(req)) throw new CsrfError('ERR_CSRF_HEADER')
}

function originAllowed(req: Request, cookie: RefreshCookie): boolean {
  const origin = req.get('origin')
  // Browsers send Origin on every POST; without it, only Fetch Metadata's own word will do.
  if (origin === undefined) return req.get('sec-fetch-site') === 'same-origin'
  if (cookie.origins !== undefined) return cookie.origins.has(origin)
  // The default is the request's own origin. The scheme is left out of the comparison: behind a
  // TLS-terminating proxy without `trust proxy`, `req.protocol` says http for an https page, and
  // the Secure cookie never travels over plain http to anything but localhost anyway.
  const host = URL.parse(origin)?.host
  return host !== undefined && host === req.get('host')
}
