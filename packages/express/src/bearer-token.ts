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
  const header = req.headers.authorization
  if (header === undefined || header === '') return undefined
  // What clients send, `Bearer <token>`, needs no search, case folding or regex replace: one
  // slice, the very answer `bearerCredentials` gives for it. Any other spelling takes that path.
  const token =
    header.startsWith('Bearer ') && header.charCodeAt(7) !== SPACE
      ? header.slice(7)
      : bearerCredentials(header)
  if (token === undefined) return undefined
  if (token === '') throw new InvalidRequestError('The Bearer credentials are empty', realm)
  if (!B64TOKEN.test(token))
    throw new InvalidRequestError('The Bearer credentials are malformed', realm)
  return token
}

/** What follows the scheme and its spaces when the scheme is Bearer (any case); else undefined. */
function bearerCredentials(header: string): string | undefined {
  // The scheme ends at any whitespace: `Bearer<TAB>token` is a malformed Bearer header (RFC 6750
  // wants 1*SP), not another scheme that optional() would let through as anonymous.
  const space = header.search(/[ \t]/)
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') return undefined
  return space === -1 ? '' : header.slice(space).replace(/^ +/, '')
}
