import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import type { IntrospectionResponse, SessionInfo, TokenResponse } from './create-auth.js'
import {
  AuthError,
  type AuthErrorCode,
  InvalidCredentialsError,
  InvalidRequestError,
  NoCredentialsError,
  SessionNotFoundError,
  UnsupportedGrantTypeError,
} from './errors.js'
import type { AuthenticatedUser, ResolvedOptions } from './options.js'
import type { Awaitable } from './session-store.js'
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
  revokeSession(sid: string, ownerSub?: string): Promise<boolean>
  revokeAllSessions(sub: string, exceptSid?: string): Promise<number>
  verify(token: string): Awaitable<AuthInfo>
  /** Reports the refusal to `onEvent` and throws it. */
  rejected(error: unknown): never
  /** Reports a refusal to `onEvent` (once per error). */
  report: (error: unknown) => void
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
  const requireAuth = required(
    (token) => context.verify(token),
    config.realm,
    undefined,
    context.report,
  )

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
      // Only the caller's own sessions: another user's sid is as unknown as a made-up one.
      const revoked = await context.revokeSession(req.params.sid as string, sub)
      if (!revoked) throw new SessionNotFoundError()
      res.json({ revoked: 1 })
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
      error instanceof AuthError
        ? error
        : (fromBodyParser(error) ?? fromDecompression(error) ?? fromPathDecoding(error))
    if (authError === undefined || res.headersSent) {
      next(error)
      return
    }
    context.report(authError)
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
 * A body whose `Content-Encoding` (gzip, deflate, br) does not decode: body-parser passes zlib's
 * error on as a 400 with zlib's `code` and `errno`, and no `type` of its own.
 */
function fromDecompression(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, code, errno } = error as { status?: unknown; code?: unknown; errno?: unknown }
  return status === 400 && typeof code === 'string' && typeof errno === 'number'
    ? new InvalidRequestError('The request body could not be decompressed')
    : undefined
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

/**
 * body-parser's client-side failures, by their `type`, in our shape with a stable code. Other
 * types (a stream the app already consumed, say) are server bugs: they go on to the app as 500s.
 */
const BODY_PARSER_ERRORS = new Map<string, readonly [number, AuthErrorCode, string]>([
  ['entity.parse.failed', [400, 'ERR_INVALID_REQUEST', 'The request body could not be parsed']],
  ['entity.verify.failed', [400, 'ERR_INVALID_REQUEST', 'The request body could not be parsed']],
  ['request.aborted', [400, 'ERR_INVALID_REQUEST', 'The request body was cut short']],
  [
    'request.size.invalid',
    [400, 'ERR_INVALID_REQUEST', 'The request body does not match its length'],
  ],
  ['entity.too.large', [413, 'ERR_BODY_TOO_LARGE', 'The request body is too large']],
  ['parameters.too.many', [413, 'ERR_BODY_TOO_LARGE', 'The request body is too large']],
  [
    'charset.unsupported',
    [415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported'],
  ],
  [
    'encoding.unsupported',
    [415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported'],
  ],
])

function fromBodyParser(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { type } = error as { type?: unknown }
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS.get(type) : undefined
  if (known === undefined) return undefined
  const [status, code, description] = known
  return new AuthError(status, 'invalid_request', code, description)
}
