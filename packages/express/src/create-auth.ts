/** `createAuth`: the wiring of the parts, and the `Auth` object apps hold. */
import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express'
import type { AuthInfo } from './access-token.js'
import { createAccessVerifier } from './access-verifier.js'
import type { AuthenticatedHandler } from './authenticated-request.js'
import { errorHandler } from './error-response.js'
import { capacityReporter, createEvents } from './events.js'
import {
  authenticateRequest,
  checkOptionalOptions,
  factory,
  requiredScopes,
  type RequiredOptions,
} from './middleware.js'
import type { AuthOptions } from './options.js'
import { resolveOptions } from './resolve-options.js'
import type { IntrospectionResponse, SessionInfo, TokenResponse } from './responses.js'
import { createRouter } from './router.js'
import { SessionService } from './session-service.js'
import { createStoreGuard } from './store-guard.js'
import { createWellKnownRouter, type WellKnownOptions } from './well-known.js'

export interface Auth {
  /** The endpoints: `/login`, `/refresh`, `/logout`, `/revoke`, `/introspect`, `/sessions`. */
  router(): Router
  /**
   * The documents served at the origin root — `/.well-known/jwks.json` (the public keys) and the
   * RFC 8414 metadata — to mount at `/`. Throws a TypeError unless the issuer is an https URL.
   */
  wellKnown(options?: WellKnownOptions): Router
  /** Requires a valid access token (and every scope given); sets `req.auth`. */
  required(options?: RequiredOptions): AuthenticatedHandler
  /** No credentials → anonymous (`req.auth` unset); any credentials must be valid. */
  optional(): RequestHandler
  /** Renders `AuthError`s as `{ error, error_description, code }` with their status and headers. */
  errorHandler(): ErrorRequestHandler
  /** Starts a session for `sub`, as a successful `/login` does. */
  issue(sub: string, claims?: Record<string, unknown>, req?: Request): Promise<TokenResponse>
  /** Verifies an access token and its session. Rejects with `InvalidTokenError` / `StoreUnavailableError`. */
  verify(token: string): Promise<AuthInfo>
  /**
   * Rotates a refresh token, as `/refresh` does; `scope` asks for a narrower access token.
   * Rejects with `InvalidGrantError` or `InvalidScopeError`.
   */
  refresh(refreshToken: string, scope?: string): Promise<TokenResponse>
  /** Ends the session of any of its tokens (access or refresh); false when it names no live session. */
  revoke(token: string): Promise<boolean>
  /** RFC 7662 introspection of an access or refresh token. */
  introspect(token: string): Promise<IntrospectionResponse>
  /** The user's live sessions, oldest first. */
  listSessions(sub: string, currentSid?: string): Promise<SessionInfo[]>
  /** Ends one session; false if there was none. */
  revokeSession(sid: string): Promise<boolean>
  /** Ends all the user's sessions but `exceptSid`; how many ended. */
  revokeAllSessions(sub: string, exceptSid?: string): Promise<number>
  /** Stops listening to the store's eviction notices. */
  close(): void
}

export function createAuth(options: AuthOptions = {}): Auth {
  const config = resolveOptions(options)
  const events = createEvents(config.onEvent, config.now)
  const guard = createStoreGuard(config.storeTimeoutMs, config.retryAfterSeconds)
  const verify = createAccessVerifier(config, guard)
  const service = new SessionService(config, guard, verify, events)
  const close = config.store.onEviction?.(capacityReporter(events, config.now)) ?? (() => {})

  /** A programmatic call: its refusal is reported as it is handed to the caller. */
  const reported =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      operation(...args).catch((error: unknown) => {
        events.refused(error)
        throw error
      })

  return {
    router: () => createRouter({ config, service, verify, events }),
    wellKnown: (options) => createWellKnownRouter(config, options),
    required: factory('required', (given) =>
      authenticateRequest(verify, config.realm, false, requiredScopes(given), events.refused),
    ),
    optional: factory('optional', (given) => {
      checkOptionalOptions(given)
      return authenticateRequest(verify, config.realm, true, [], events.refused)
    }),
    errorHandler,
    issue: reported(service.issue),
    verify: async (token) => verify(token),
    refresh: reported(service.refresh),
    revoke: service.revoke,
    introspect: service.introspect,
    listSessions: service.listSessions,
    revokeSession: (sid) => service.revokeSession(sid),
    revokeAllSessions: service.revokeAllSessions,
    close,
  }
}
