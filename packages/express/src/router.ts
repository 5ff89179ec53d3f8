/** `auth.router()`: the endpoints, over the session service. */
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express'
import type { VerifyAccess } from './access-verifier.js'
import { bearerToken } from './bearer-token.js'
import { asksForCookie, checkCsrf } from './csrf.js'
import { sendError } from './error-response.js'
import {
  AuthError,
  InvalidClientError,
  InvalidCredentialsError,
  InvalidGrantError,
  InvalidRequestError,
  NoCredentialsError,
  SessionNotFoundError,
  UnsupportedGrantTypeError,
} from './errors.js'
import type { Events } from './events.js'
import type { AuthenticatedRequest } from './authenticated-request.js'
import { authenticateRequest } from './middleware.js'
import type { AuthenticatedUser, RefreshCookie, ResolvedOptions } from './options.js'
import { clearRefreshCookie, readRefreshCookie, sendCookieTokens } from './refresh-cookie.js'
import { field, optionalField, readBody, requestError } from './request-body.js'
import type { SessionService } from './session-service.js'

/** What the router needs: the configuration and the operations, already bound to it. */
export interface RouterContext {
  config: ResolvedOptions
  service: SessionService
  verify: VerifyAccess
  events: Events
}

/** The router parses its own bodies: 16 KiB at most (RFC 6749 requests are tiny). */
const BODY_LIMIT = '16kb'
const MAX_USERNAME_LENGTH = 256
const MAX_PASSWORD_LENGTH = 1024
const MAX_TOKEN_FIELD_LENGTH = 16_384
const MAX_SCOPE_LENGTH = 1024

type Handler = (req: Request, res: Response) => Promise<unknown>

export function createRouter({ config, service, verify, events }: RouterContext): Router {
  const router = express.Router()
  // Its refusals reach the error handler at the end of this router, which reports them.
  const requireAuth = authenticateRequest(verify, config.realm, false, [], () => {})

  router.use((_req, res, next) => {
    // RFC 6749 §5.1: responses that carry tokens must not be cached; none of ours should be.
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
    next()
  })
  router.use(express.json({ limit: BODY_LIMIT, strict: true }))
  router.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 32 }))

  loginRoute(router, config, service)
  tokenRoutes(router, config, service)
  sessionRoutes(router, service, requireAuth)

  // Every refusal of this router ends here: reported once, rendered as JSON.
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const authError = error instanceof AuthError ? error : requestError(error)
    if (authError === undefined || res.headersSent) {
      next(error)
      return
    }
    events.refused(authError)
    sendError(res, authError)
  })
  return router
}

/** `POST /login`, when the app gave an `authenticate` callback. */
function loginRoute(router: Router, config: ResolvedOptions, service: SessionService): void {
  const { authenticate } = config
  if (authenticate !== undefined) {
    router.post(
      '/login',
      handle(async (req, res) => {
        // Only a header a cross-site request cannot send chooses the cookie, and it is checked
        // before the password: a forged login must not plant a session in the victim's browser.
        const cookie =
          config.refreshCookie !== undefined && asksForCookie(req)
            ? config.refreshCookie
            : undefined
        if (cookie !== undefined) checkCsrf(req, cookie)
        const body = readBody(req)
        const username = field(body, 'username', MAX_USERNAME_LENGTH)
        const password = field(body, 'password', MAX_PASSWORD_LENGTH, { trim: false })
        const user = await authenticate({ username, password }, req)
        if (user === null || user === undefined) throw new InvalidCredentialsError(config.realm)
        const { sub, claims } = checkUser(user)
        const tokens = await service.issue(sub, claims, req)
        if (cookie === undefined) res.json(tokens)
        else sendCookieTokens(req, res, cookie, tokens)
      }),
    )
  }
}

/** The OAuth endpoints: `/refresh` (RFC 6749 §6), `/logout`, `/revoke` (RFC 7009), `/introspect` (RFC 7662). */
function tokenRoutes(router: Router, config: ResolvedOptions, service: SessionService): void {
  router.post(
    '/refresh',
    handle(async (req, res) => {
      const body = readBody(req)
      // RFC 6749 §6 names the grant; a JSON client may leave it out. A repeated or non-string
      // grant_type is a malformed request (§5.2 invalid_request), not a grant we lack.
      if (body.grant_type !== undefined && typeof body.grant_type !== 'string') {
        throw new InvalidRequestError('grant_type must be a string')
      }
      if (body.grant_type !== undefined && body.grant_type !== 'refresh_token') {
        throw new UnsupportedGrantTypeError()
      }
      const scope = optionalField(body, 'scope', MAX_SCOPE_LENGTH)
      const explicit = body.refresh_token !== undefined
      const credential = cookieCredential(req, config, explicit)
      if (credential === undefined) {
        // A cookie client (the header) without the cookie has no session to refresh: say so as
        // the grant's refusal, which a client reads as "not logged in", not as a malformed request.
        if (!explicit && config.refreshCookie !== undefined && asksForCookie(req)) {
          throw new InvalidGrantError('ERR_NO_REFRESH_COOKIE', 'No refresh cookie: not logged in')
        }
        const refreshToken = field(body, 'refresh_token', MAX_TOKEN_FIELD_LENGTH)
        res.json(await service.refresh(refreshToken, scope))
        return
      }
      const { cookie, token } = credential
      const tokens = await clearOnInvalidGrant(req, res, cookie, service.refresh(token, scope))
      sendCookieTokens(req, res, cookie, tokens)
    }),
  )

  router.post(
    '/logout',
    handle(async (req, res) => {
      const token = bearerToken(req, config.realm)
      // An explicit bearer token wins: that client chose it, and a cross-site request cannot send one.
      const credential = cookieCredential(req, config, token !== undefined)
      if (credential !== undefined) {
        const { cookie } = credential
        const answer = await clearOnInvalidGrant(
          req,
          res,
          cookie,
          service.logoutRefresh(credential.token),
        )
        clearRefreshCookie(req, res, cookie)
        res.json(answer)
        return
      }
      // Same answer as the verifier gives a request without credentials.
      if (token === undefined) throw new NoCredentialsError(config.realm)
      res.json(await service.logout(token))
    }),
  )

  router.post(
    '/revoke',
    handle(async (req, res) => {
      const body = readBody(req)
      const explicit = body.token !== undefined
      const credential = cookieCredential(req, config, explicit)
      // RFC 7009 §2.2: the answer is 200 whether or not the token named a live session — also to
      // a cookie client (the header) without the cookie, which has nothing left to revoke.
      if (credential === undefined) {
        if (!explicit && config.refreshCookie !== undefined && asksForCookie(req)) {
          res.json({})
          return
        }
        await service.revoke(field(body, 'token', MAX_TOKEN_FIELD_LENGTH))
      } else {
        await service.revoke(credential.token)
        clearRefreshCookie(req, res, credential.cookie)
      }
      res.json({})
    }),
  )

  // RFC 7662 §2.1: only an authenticated caller may introspect; without a rule, no endpoint.
  const { introspection } = config
  if (introspection !== undefined) {
    router.post(
      '/introspect',
      handle(async (req, res) => {
        if (!(await introspection.admits(req))) throw new InvalidClientError(config.realm)
        const body = readBody(req)
        const token =
          body.token === undefined
            ? bearerToken(req, config.realm)
            : field(body, 'token', MAX_TOKEN_FIELD_LENGTH)
        if (token === undefined) throw new InvalidRequestError('token is required')
        res.json(await service.introspect(token))
      }),
    )
  }
}

/** The caller's own sessions: list them, end one, end all but the current one. */
function sessionRoutes(router: Router, service: SessionService, requireAuth: RequestHandler): void {
  router.get(
    '/sessions',
    requireAuth,
    handle(async (req, res) => {
      const { sub, sid } = (req as AuthenticatedRequest).auth
      res.json({ sessions: await service.listSessions(sub, sid) })
    }),
  )

  router.delete(
    '/sessions/:sid',
    requireAuth,
    handle(async (req, res) => {
      const { sub } = (req as AuthenticatedRequest).auth
      // Only the caller's own sessions: another user's sid is as unknown as a made-up one.
      const revoked = await service.revokeSession(req.params.sid as string, sub)
      if (!revoked) throw new SessionNotFoundError()
      res.json({ revoked: 1 })
    }),
  )

  router.delete(
    '/sessions',
    requireAuth,
    handle(async (req, res) => {
      const { sub, sid } = (req as AuthenticatedRequest).auth
      res.json({ revoked: await service.revokeAllSessions(sub, sid) })
    }),
  )
}

/**
 * The transport choice: the refresh cookie authenticates a request only in cookie mode, when the
 * request sent no token of its own (`explicit`) and carries the cookie, and then only once the
 * CSRF rule admits it. Undefined means the body (or bearer) transport, exactly as without cookies.
 */
function cookieCredential(
  req: Request,
  config: ResolvedOptions,
  explicit: boolean,
): { cookie: RefreshCookie; token: string } | undefined {
  const cookie = config.refreshCookie
  if (cookie === undefined || explicit) return undefined
  const token = readRefreshCookie(req, cookie)
  if (token === undefined) return undefined
  checkCsrf(req, cookie)
  return { cookie, token }
}

/** A cookie whose session is over (unknown, expired, revoked, reused) is cleared with the answer. */
async function clearOnInvalidGrant<T>(
  req: Request,
  res: Response,
  cookie: RefreshCookie,
  operation: Promise<T>,
): Promise<T> {
  try {
    return await operation
  } catch (error) {
    if (error instanceof InvalidGrantError) clearRefreshCookie(req, res, cookie)
    throw error
  }
}

function handle(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    handler(req, res).catch(next)
  }
}

function checkUser(user: AuthenticatedUser): {
  sub: string
  claims: Record<string, unknown> | undefined
} {
  if (typeof user !== 'object' || typeof user.sub !== 'string') {
    throw new TypeError('authenticate must resolve to { sub, claims? } or null')
  }
  return { sub: user.sub, claims: user.claims }
}
