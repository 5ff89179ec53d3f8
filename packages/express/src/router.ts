import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type { IntrospectionResponse, SessionInfo, TokenResponse } from './create-auth.js'
import {
  AuthError,
  InvalidCredentialsError,
  InvalidRequestError,
  NoCredentialsError,
  SessionNotFoundError,
  UnsupportedGrantTypeError,
} from './errors.js'
import type { AuthenticatedUser, ResolvedOptions } from './options.js'
import type { AuthInfo } from './tokens.js'
import { bearerToken, required, sendError, type AuthenticatedRequest } from './verify.js'

/** What the router needs from `createAuth`: the operations, already bound to one configuration. */
export interface RouterContext {
  config: ResolvedOptions
  authenticate: ResolvedOptions['authenticate']
  issue(
    sub: string,
    claims: Record<string, unknown> | undefined,
    req: Request,
  ): Promise<TokenResponse>
  refresh(refreshToken: string): Promise<TokenResponse>
  logout(accessToken: string): Promise<{ revoked: true; sub: string }>
  revoke(token: string): Promise<boolean>
  introspect(token: string): Promise<IntrospectionResponse>
  listSessions(sub: string, currentSid?: string): Promise<SessionInfo[]>
  revokeSession(sid: string): Promise<boolean>
  revokeAllSessions(sub: string, exceptSid?: string): Promise<number>
  verify(token: string): Promise<AuthInfo>
  rejected(error: unknown): never
}

/** The router parses its own bodies: 16 KiB at most (RFC 6749 requests are tiny). */
const BODY_LIMIT = '16kb'
const MAX_USERNAME_LENGTH = 256
const MAX_PASSWORD_LENGTH = 1024
const MAX_TOKEN_FIELD_LENGTH = 16_384

type Body = Record<string, unknown>
type Handler = (req: Request, res: Response) => Promise<unknown>

export function createRouter(context: RouterContext): Router {
  const { config } = context
  const router = express.Router()
  const requireAuth = required((token) => context.verify(token), config.realm)

  router.use((_req, res, next) => {
    // RFC 6749 §5.1: responses that carry tokens must not be cached; none of ours should be.
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
    next()
  })
  router.use(express.json({ limit: BODY_LIMIT, strict: true }))
  router.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 32 }))

  const { authenticate } = context
  if (authenticate !== undefined) {
    router.post(
      '/login',
      handle(async (req, res) => {
        const body = readBody(req)
        const username = field(body, 'username', MAX_USERNAME_LENGTH)
        const password = field(body, 'password', MAX_PASSWORD_LENGTH, { trim: false })
        const user = await authenticate({ username, password }, req)
        if (user === null || user === undefined) {
          return context.rejected(new InvalidCredentialsError(config.realm))
        }
        const { sub, claims } = checkUser(user)
        res.json(await context.issue(sub, claims, req))
      }),
    )
  }

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
        return context.rejected(new UnsupportedGrantTypeError())
      }
      const refreshToken = field(body, 'refresh_token', MAX_TOKEN_FIELD_LENGTH)
      res.json(await context.refresh(refreshToken))
    }),
  )

  router.post(
    '/logout',
    handle(async (req, res) => {
      const token = bearerToken(req, config.realm)
      // Same answer as the verifier gives a request without credentials.
      if (token === undefined) throw new NoCredentialsError(config.realm)
      res.json(await context.logout(token))
    }),
  )

  router.post(
    '/revoke',
    handle(async (req, res) => {
      const token = field(readBody(req), 'token', MAX_TOKEN_FIELD_LENGTH)
      // RFC 7009 §2.2: the answer is 200 whether or not the token named a live session.
      await context.revoke(token)
      res.json({})
    }),
  )

  router.post(
    '/introspect',
    handle(async (req, res) => {
      const body = readBody(req)
      const token =
        body.token === undefined
          ? bearerToken(req, config.realm)
          : field(body, 'token', MAX_TOKEN_FIELD_LENGTH)
      if (token === undefined) throw new InvalidRequestError('token is required')
      res.json(await context.introspect(token))
    }),
  )

  router.get(
    '/sessions',
    requireAuth,
    handle(async (req, res) => {
      const { sub, sid } = (req as AuthenticatedRequest).auth
      res.json({ sessions: await context.listSessions(sub, sid) })
    }),
  )

  router.delete(
    '/sessions/:sid',
    requireAuth,
    handle(async (req, res) => {
      const { sub } = (req as AuthenticatedRequest).auth
      const target = req.params.sid as string
      const owned = (await context.listSessions(sub)).some((session) => session.sid === target)
      if (!owned) throw new SessionNotFoundError()
      res.json({ revoked: (await context.revokeSession(target)) ? 1 : 0 })
    }),
  )

  router.delete(
    '/sessions',
    requireAuth,
    handle(async (req, res) => {
      const { sub, sid } = (req as AuthenticatedRequest).auth
      res.json({ revoked: await context.revokeAllSessions(sub, sid) })
    }),
  )

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const authError =
      error instanceof AuthError ? error : (fromBodyParser(error) ?? fromPathDecoding(error))
    if (authError === undefined || res.headersSent) {
      next(error)
      return
    }
    sendError(res, authError)
  })
  return router
}

function handle(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction): void => {
    handler(req, res).catch(next)
  }
}

/** The parsed body as an object: `{}` when there was none (or a type we do not parse). */
function readBody(req: Request): Body {
  const body: unknown = req.body
  if (body === undefined) return {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object or a form')
  }
  return body as Body
}

function field(body: Body, name: string, maxLength: number, options = { trim: true }): string {
  const value = Object.hasOwn(body, name) ? body[name] : undefined
  if (value === undefined) throw new InvalidRequestError(`${name} is required`)
  if (typeof value !== 'string') throw new InvalidRequestError(`${name} must be a string`)
  const text = options.trim ? value.trim() : value
  if (text.length === 0) throw new InvalidRequestError(`${name} must not be empty`)
  if (text.length > maxLength) throw new InvalidRequestError(`${name} is too long`)
  return text
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

/**
 * Express answers a `:sid` that is not valid percent-encoding with a URIError of status 400, which
 * the default handler would render as an HTML stack trace outside production: give it our shape.
 */
function fromPathDecoding(error: unknown): AuthError | undefined {
  return error instanceof URIError && (error as { status?: unknown }).status === 400
    ? new InvalidRequestError('The request path is not valid percent-encoding')
    : undefined
}

/** body-parser's errors carry `type` and `status`; give them our shape and a stable code. */
function fromBodyParser(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { type, status } = error as { type?: unknown; status?: unknown }
  if (typeof type !== 'string' || typeof status !== 'number') return undefined
  switch (type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new AuthError(
        413,
        'invalid_request',
        'ERR_BODY_TOO_LARGE',
        'The request body is too large',
      )
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new AuthError(
        415,
        'invalid_request',
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'The request body encoding is not supported',
      )
    default:
      return status >= 400 && status < 500
        ? new InvalidRequestError('The request body could not be parsed')
        : undefined
  }
}
