import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import {
  AuthError,
  InsufficientScopeError,
  InvalidRequestError,
  NoCredentialsError,
} from './errors.js'
import type { Awaitable } from './session-store.js'
import type { AuthInfo } from './tokens.js'

export interface RequiredOptions {
  /** Scopes the token must all carry (RFC 9068 `scope`); otherwise 403 `insufficient_scope`. */
  scope?: string | readonly string[]
}

type Verify = (token: string) => Awaitable<AuthInfo>

/** A request that passed `auth.required()`. */
export type AuthenticatedRequest = Request & { auth: AuthInfo }

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * The bearer token of a request: undefined when it carries no bearer credentials (no header, or
 * another scheme such as Basic); an `InvalidRequestError` when the Bearer header is malformed.
 */
export function bearerToken(req: Request, realm: string): string | undefined {
  const header = req.headers.authorization
  if (header === undefined || header === '') return undefined
  // The scheme ends at any whitespace: `Bearer<TAB>token` is a malformed Bearer header (RFC 6750
  // wants 1*SP), not another scheme that optional() would let through as anonymous.
  const space = header.search(/[ \t]/)
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') return undefined
  const token = space === -1 ? '' : header.slice(space).replace(/^ +/, '')
  if (token === '') throw new InvalidRequestError('The Bearer credentials are empty', realm)
  if (!B64TOKEN.test(token))
    throw new InvalidRequestError('The Bearer credentials are malformed', realm)
  return token
}

function authenticateRequest(
  verify: Verify,
  realm: string,
  anonymousAllowed: boolean,
  scopes: readonly string[],
): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    let token: string | undefined
    try {
      token = bearerToken(req, realm)
    } catch (error) {
      next(error)
      return
    }
    if (token === undefined) {
      next(anonymousAllowed ? undefined : new NoCredentialsError(realm))
      return
    }
    let result: Awaitable<AuthInfo>
    try {
      result = verify(token)
    } catch (error) {
      next(error)
      return
    }
    // The LRU store answers synchronously: then so does this middleware (no microtask hop).
    const accept = (info: AuthInfo): void => {
      if (!scopes.every((scope) => info.scope.includes(scope))) {
        next(new InsufficientScopeError(scopes, realm))
        return
      }
      ;(req as AuthenticatedRequest).auth = info
      next()
    }
    if (result instanceof Promise) result.then(accept, next)
    else accept(result)
  }
}

export function required(
  verify: Verify,
  realm: string,
  options: RequiredOptions = {},
): RequestHandler {
  const scope = options.scope ?? []
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...scope]
  for (const item of scopes) {
    if (typeof item !== 'string' || !SCOPE_TOKEN.test(item)) {
      throw new TypeError(
        'scope must be scope tokens (RFC 6749 §3.3): printable ASCII, no spaces or quotes',
      )
    }
  }
  return authenticateRequest(verify, realm, false, scopes)
}

export function optional(verify: Verify, realm: string): RequestHandler {
  return authenticateRequest(verify, realm, true, [])
}

/** Renders our errors as `{ error, error_description, code }`; anything else goes on to the app. */
export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof AuthError) || res.headersSent) {
      next(error)
      return
    }
    sendError(res, error)
  }
}

export function sendError(res: Response, error: AuthError): void {
  res.status(error.status).set(error.headers).json(error.toJSON())
}
