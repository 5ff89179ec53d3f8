/**
 * Opt-in typing of `req.auth` on every Express request:
 *
 * ```ts
 * import type {} from '@baton/express/augment'
 * ```
 *
 * After it, `req.auth` is `AuthInfo` in the handlers of a route that passed `auth.required()`
 * (inline, or written apart and typed `AuthenticatedRequest`), and `AuthInfo | undefined`
 * anywhere else (after `auth.optional()`, or on routes with no auth middleware).
 */
import type { authenticated } from './authenticated-request.js'
import type { AuthInfo } from './access-token.js'

// Every handler of a route shares one request type, `Request<P, ResBody, ReqBody, ReqQuery,
// Locals>` from express-serve-static-core (the module @types/express builds on), inferred from all
// the handlers passed together; `auth.required()` marks its route's `Locals` (see
// `AuthenticatedLocals`), and that mark is what makes `req.auth` certain here.
declare module 'express-serve-static-core' {
  // A merged declaration must spell the type parameters as the original does, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-explicit-any
  interface Request<P, ResBody, ReqBody, ReqQuery, LocalsObj extends Record<string, any>> {
    /** Set by `auth.required()` / `auth.optional()` for a valid access token. */
    auth: typeof authenticated extends keyof LocalsObj ? AuthInfo : AuthInfo | undefined
  }
}
