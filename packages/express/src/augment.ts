/**
 * Opt-in typing of `req.auth` on every Express request:
 *
 * ```ts
 * import type {} from '@baton/express/augment'
 * ```
 *
 * Without it, the middleware still sets `req.auth`; use the `AuthenticatedRequest` type instead.
 */
import type { AuthInfo } from './access-token.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `auth.required()` / `auth.optional()` for a valid access token. */
      auth?: AuthInfo
    }
  }
}

export {}
