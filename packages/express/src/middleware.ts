/**
 * The verifier middleware: `auth.required()` and `auth.optional()`. Failures go to `next(err)` as
 * `AuthError`s carrying status and headers (RFC 6750), so Express's default handler already
 * answers correctly; `auth.errorHandler()` adds the JSON body.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AuthInfo } from './access-token.js'
import type { VerifyRequest } from './access-verifier.js'
import { bearerCredentials, checkBearerToken } from './bearer-token.js'
import { InsufficientScopeError, NoCredentialsError } from './errors.js'
import { isScopeToken } from './scope.js'
import type { Awaitable } from './session-store.js'

export interface RequiredOptions {
  /** Scopes the token must all carry (RFC 9068 `scope`); otherwise 403 `insufficient_scope`. */
  scope?: string | readonly string[]
}

/** Tells `onEvent` of a refusal: called once for each error this middleware hands to `next`. */
export type Refused = (error: unknown) => void

/**
 * The middleware itself. `refused` sees each refusal on its way to `next`: the app's `required()`
 * reports it there, while the router passes a no-op because its error handler reports.
 */
export function authenticateRequest(
  verify: VerifyRequest,
  realm: string,
  anonymousAllowed: boolean,
  scopes: readonly string[],
  refused: Refused,
): RequestHandler {
  const fail = (error: unknown, next: NextFunction): void => {
    refused(error)
    next(error)
  }
  const accept = (req: Request, next: NextFunction, info: AuthInfo): void => {
    for (const scope of scopes) {
      if (!info.scope.includes(scope)) {
        fail(new InsufficientScopeError(scopes, realm), next)
        return
      }
    }
    ;(req as Request & { auth: AuthInfo }).auth = info
    next()
  }
  const checkShape = (token: string): void => checkBearerToken(token, realm)
  // Per request, nothing is allocated here but what the promise path needs: the closures above
  // are made once per middleware. In bench/, garbage was ~13% of a protected request's server time.
  return (req: Request, _res: Response, next: NextFunction) => {
    let token: string | undefined
    try {
      token = bearerCredentials(req, realm)
    } catch (error) {
      fail(error, next)
      return
    }
    if (token === undefined) {
      if (anonymousAllowed) next()
      else fail(new NoCredentialsError(realm), next)
      return
    }
    let result: Awaitable<AuthInfo>
    try {
      // A malformed header is refused (400) before any verification, as bearerToken refuses it.
      result = verify(token, checkShape)
    } catch (error) {
      fail(error, next)
      return
    }
    // The LRU store answers synchronously: then so does this middleware (no microtask hop).
    if (result instanceof Promise) {
      result.then(
        (info) => accept(req, next, info),
        (error: unknown) => fail(error, next),
      )
    } else accept(req, next, result)
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

/** The scopes `required(options)` asks for; a bad option throws a TypeError naming it. */
export function requiredScopes(options: unknown): string[] {
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
  if (!scopes.every(isScopeToken)) {
    throw new TypeError(
      'auth.required: scope must be scope tokens (RFC 6749 §3.3): printable ASCII, no spaces or quotes',
    )
  }
  return scopes
}

/** `optional()` takes no options: not even { scope }, or an optional login would be a required one. */
export function checkOptionalOptions(options: unknown): void {
  if (options !== undefined) throw new TypeError('auth.optional takes no options')
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
