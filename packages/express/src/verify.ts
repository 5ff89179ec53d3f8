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
/** Tells `onEvent` that a request was refused with this error (once per error). */
type Report = (error: unknown) => void

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
  report: Report,
): RequestHandler {
  /** A refusal on its way to `next`, told to `onEvent` first. */
  const refusal = (error: unknown): unknown => {
    report(error)
    return error
  }
  return (req: Request, _res: Response, next: NextFunction) => {
    let token: string | undefined
    try {
      token = bearerToken(req, realm)
    } catch (error) {
      next(refusal(error))
      return
    }
    if (token === undefined) {
      if (anonymousAllowed) next()
      else next(refusal(new NoCredentialsError(realm)))
      return
    }
    let result: Awaitable<AuthInfo>
    try {
      result = verify(token)
    } catch (error) {
      next(refusal(error))
      return
    }
    // The LRU store answers synchronously: then so does this middleware (no microtask hop).
    const accept = (info: AuthInfo): void => {
      if (!scopes.every((scope) => info.scope.includes(scope))) {
        next(refusal(new InsufficientScopeError(scopes, realm)))
        return
      }
      ;(req as AuthenticatedRequest).auth = info
      next()
    }
    if (result instanceof Promise) result.then(accept, (error: unknown) => next(refusal(error)))
    else accept(result)
  }
}

/**
 * `auth.required` and `auth.optional` make middleware; they are not middleware. Handed to Express
 * uncalled (`app.get(path, auth.required, handler)`), one would be called with `(req, res, next)`
 * on every request and never answer: that request fails instead, with what to write.
 */
export function factory(
  name: 'required' | 'optional',
  make: (options: unknown) => RequestHandler,
): (...args: unknown[]) => RequestHandler {
  return (...args) => {
    const [first, , next] = args
    if (args.length === 3 && typeof next === 'function' && isObject(first) && 'headers' in first) {
      const misuse = new TypeError(`auth.${name} makes a middleware: write auth.${name}()`)
      ;(next as NextFunction)(misuse)
      return () => undefined
    }
    return make(first)
  }
}

export function required(
  verify: Verify,
  realm: string,
  options: unknown,
  report: Report,
): RequestHandler {
  const given = options ?? {}
  if (!isObject(given)) {
    throw new TypeError('auth.required: options must be an object, such as { scope: "admin" }')
  }
  const unknown = Object.keys(given).find((key) => key !== 'scope')
  if (unknown !== undefined) {
    throw new TypeError(`auth.required: unknown option ${JSON.stringify(unknown)}`)
  }
  const scope: unknown = (given as RequiredOptions).scope ?? []
  if (typeof scope !== 'string' && !Array.isArray(scope)) {
    throw new TypeError('auth.required: scope must be a string or an array of strings')
  }
  const scopes: unknown[] = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : scope
  for (const item of scopes) {
    if (typeof item !== 'string' || !SCOPE_TOKEN.test(item)) {
      throw new TypeError(
        'auth.required: scope must be scope tokens (RFC 6749 §3.3): printable ASCII, no spaces or quotes',
      )
    }
  }
  return authenticateRequest(verify, realm, false, scopes as string[], report)
}

export function optional(
  verify: Verify,
  realm: string,
  options: unknown,
  report: Report,
): RequestHandler {
  // Not even { scope }: an optional login with a scope check would be a required one.
  if (options !== undefined) throw new TypeError('auth.optional takes no options')
  return authenticateRequest(verify, realm, true, [], report)
}

/** Renders our errors as `{ error, error_description, code }`; anything else goes on to the app. */
export function errorHandler(report: Report): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof AuthError) || res.headersSent) {
      next(error)
      return
    }
    report(error)
    sendError(res, error)
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function sendError(res: Response, error: AuthError): void {
  res.status(error.status).set(error.headers).json(error.toJSON())
}
