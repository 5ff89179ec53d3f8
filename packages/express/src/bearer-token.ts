/** Reading the bearer token of a request (RFC 6750 §2.1). */
import type { Request } from 'express'
import { InvalidRequestError } from './errors.js'

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const SPACE = 0x20

/**
 * The bearer token of a request: undefined when it carries no bearer credentials (no header, or
 * another scheme such as Basic); an `InvalidRequestError` when the Bearer header is malformed.
 */
export function bearerToken(req: Request, realm: string): string | undefined {
  const token = bearerCredentials(req, realm)
  if (token !== undefined) checkBearerToken(token, realm)
  return token
}

/**
 * `bearerToken` without the b64token check, for a caller that makes it itself (`checkBearerToken`)
 * — the middleware, only for tokens its verify cache does not hold: every token there passed the
 * full check, whose three base64url segments are b64token already, and matching the regex over a
 * ~350-character token cost ~0.7 µs a request.
 */
export function bearerCredentials(req: Request, realm: string): string | undefined {
  const header = req.headers.authorization
  if (header === undefined || header === '') return undefined
  // What clients send, `Bearer <token>`, needs no search, case folding or regex replace: one
  // slice, the very answer `afterBearer` gives for it. Any other spelling takes that path.
  const token =
    header.startsWith('Bearer ') && header.charCodeAt(7) !== SPACE
      ? header.slice(7)
      : afterBearer(header)
  if (token === '') throw new InvalidRequestError('The Bearer credentials are empty', realm)
  return token
}

/** Throws the `InvalidRequestError` of a malformed Bearer header unless `token` is a b64token. */
export function checkBearerToken(token: string, realm: string): void {
  if (!B64TOKEN.test(token))
    throw new InvalidRequestError('The Bearer credentials are malformed', realm)
}

/** What follows the scheme and its spaces when the scheme is Bearer (any case); else undefined. */
function afterBearer(header: string): string | undefined {
  // The scheme ends at any whitespace: `Bearer<TAB>token` is a malformed Bearer header (RFC 6750
  // wants 1*SP), not another scheme that optional() would let through as anonymous.
  const space = header.search(/[ \t]/)
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') return undefined
  return space === -1 ? '' : header.slice(space).replace(/^ +/, '')
}
