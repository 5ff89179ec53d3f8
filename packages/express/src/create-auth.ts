import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express'
import {
  AuthError,
  InvalidGrantError,
  InvalidTokenError,
  SessionLimitError,
  StoreUnavailableError,
} from './errors.js'
import { resolveOptions, type AuthEvent, type AuthOptions } from './options.js'
import type { AuthenticatedHandler } from './authenticated-request.js'
import { createRouter } from './router.js'
import type { Awaitable, Session } from './session-store.js'
import {
  REGISTERED_CLAIMS,
  newId,
  parseRefreshToken,
  safeCopy,
  signAccessToken,
  signRefreshToken,
  verifyAccessToken,
  type AuthInfo,
} from './tokens.js'
import { errorHandler, factory, optional, required, type RequiredOptions } from './verify.js'
import { VerifiedTokenCache } from './verify-cache.js'

/** An RFC 6749 §5.1 token response, as `/login`, `/refresh` and `issue()` answer. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  /** Seconds. */
  expires_in: number
  refresh_token: string
  /** Seconds. */
  refresh_expires_in: number
  scope?: string
}

/** One of a user's sessions, as `GET /sessions` and `listSessions()` show it. Times in epoch seconds. */
export interface SessionInfo {
  sid: string
  createdAt: number
  lastUsedAt: number
  userAgent: string | null
  current: boolean
}

/** An RFC 7662 introspection response. */
export type IntrospectionResponse =
  | {
      active: true
      token_type: 'access_token' | 'refresh_token'
      sub: string
      sid: string
      exp: number
      iat: number
      iss: string
      aud: string
      scope?: string
    }
  | { active: false }

export interface Auth {
  /** The endpoints: `/login`, `/refresh`, `/logout`, `/revoke`, `/introspect`, `/sessions`. */
  router(): Router
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
  /** Rotates a refresh token, as `/refresh` does. Rejects with `InvalidGrantError`. */
  refresh(refreshToken: string): Promise<TokenResponse>
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

/** `lastUsedAt` is rewritten at most this often, so verification is not a store write per request. */
const TOUCH_INTERVAL_MS = 60_000
const MAX_SUBJECT_LENGTH = 256
const MAX_USER_AGENT_LENGTH = 256
const MAX_CLAIMS_BYTES = 4096
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/
const SCOPE_STRING = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/

export function createAuth(options: AuthOptions = {}): Auth {
  const config = resolveOptions(options)
  const { store, keyring, now } = config
  const policy = {
    keyring,
    issuer: config.issuer,
    audience: config.audience,
    leewayMs: config.leewayMs,
    maxTokenLength: config.maxTokenLength,
    realm: config.realm,
  }

  const emit = (event: Omit<AuthEvent, 'at'>): void => {
    try {
      const result: unknown = config.onEvent({ ...event, at: now() })
      // An async listener's rejection is ignored too: left unhandled, it would end the process.
      if (isPromiseLike(result)) Promise.resolve(result).catch(() => {})
    } catch {
      // A listener's failure must not turn a good request into an error.
    }
  }
  const unsubscribe =
    store.onEviction?.((notice) =>
      emit({ type: 'evicted', reason: 'capacity', sub: notice.sub, sid: notice.sid }),
    ) ?? (() => {})

  /** Runs a store call; a failure or a slow answer is a 503, never a 401 or a hang. */
  const call = <T>(operation: () => Awaitable<T>): Awaitable<T> => {
    let result: Awaitable<T>
    try {
      result = operation()
    } catch (error) {
      throw new StoreUnavailableError(config.retryAfter, error)
    }
    // A thenable from another promise library counts as asynchronous too, not as the answer.
    if (!isPromiseLike(result)) return result
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(config.retryAfter)),
        config.storeTimeoutMs,
      )
    })
    return Promise.race([result, timeout])
      .catch((error: unknown) => {
        throw error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError(config.retryAfter, error)
      })
      .finally(() => clearTimeout(timer))
  }

  const tokenResponse = (session: Session, at: number): TokenResponse => {
    const issuedAt = Math.floor(at / 1000)
    const expiresIn = Math.round(config.accessTtlMs / 1000)
    const claims: Record<string, unknown> = {
      ...session.claims,
      iss: config.issuer,
      aud: config.audience,
      sub: session.sub,
      sid: session.sid,
      jti: newId(),
      iat: issuedAt,
      exp: issuedAt + expiresIn,
    }
    const response: TokenResponse = {
      access_token: signAccessToken(keyring, claims),
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: signRefreshToken(keyring, session.sid, session.generation),
      refresh_expires_in: Math.max(0, Math.floor((session.refreshExpiresAt - at) / 1000)),
    }
    if (typeof session.claims.scope === 'string') response.scope = session.claims.scope
    return response
  }

  /** Refusals already told to `onEvent`: an error passes several handlers on its way out. */
  const reported = new WeakSet<AuthError>()
  /** Tells `onEvent` of a refusal, once per error. */
  const report = (error: unknown): void => {
    if (!(error instanceof AuthError) || reported.has(error)) return
    reported.add(error)
    emit({ type: 'rejected', reason: error.code })
  }
  const rejected = (error: unknown): never => {
    report(error)
    throw error
  }

  const verified = new VerifiedTokenCache(config.verifyCacheSize, config.leewayMs)

  /**
   * Verifies an access token and its session. Synchronous when the store answers synchronously
   * (the LRU store), so `auth.required()` can call `next()` without a trip through the microtask
   * queue: in bench/ that trip was about 5% of a protected request's server time.
   */
  const verifyNow = (token: string): Awaitable<AuthInfo> => {
    const at = now()
    let info = verified.get(token, at)
    if (info === undefined) {
      info = verifyAccessToken(token, policy, at)
      verified.set(token, info)
    }
    const checked = info
    // Never cached: the session decides on every request, so logout and revocation are immediate.
    const session = call(() => store.get(checked.sid, at))
    return session instanceof Promise
      ? session.then((answer) => checkSession(checked, answer, at))
      : checkSession(checked, session, at)
  }

  const checkSession = (info: AuthInfo, session: Session | undefined, at: number): AuthInfo => {
    if (session === undefined || session.sub !== info.sub) {
      throw new InvalidTokenError(
        'ERR_TOKEN_REVOKED',
        'The session of this access token has ended',
        config.realm,
      )
    }
    if (at - session.lastUsedAt >= TOUCH_INTERVAL_MS) {
      // Bookkeeping only: a failed touch must not fail the request it rides on.
      void Promise.resolve()
        .then(() => store.touch(info.sid, at))
        .catch(() => {})
    }
    return info
  }

  const verify = async (token: string): Promise<AuthInfo> => verifyNow(token)

  const issue = async (
    sub: string,
    claims: Record<string, unknown> = {},
    req?: Request,
  ): Promise<TokenResponse> => {
    const at = now()
    const expiresAt = at + config.sessionMaxAgeMs
    const session: Session = {
      sid: newId(),
      sub: checkSubject(sub),
      claims: checkClaims(claims),
      createdAt: at,
      lastUsedAt: at,
      expiresAt,
      refreshExpiresAt: Math.min(at + config.refreshTtlMs, expiresAt),
      generation: 0,
      rotatedAt: at,
    }
    const userAgent = req?.get('user-agent')
    if (userAgent !== undefined && userAgent.length > 0) {
      session.userAgent = userAgent.slice(0, MAX_USER_AGENT_LENGTH)
    }
    const result = await call(() =>
      store.create(session, {
        maxPerSubject: config.maxSessionsPerUser,
        policy: config.onSessionLimit,
        now: at,
      }),
    )
    if (!result.ok) return rejected(new SessionLimitError())
    for (const sid of result.evicted)
      emit({ type: 'evicted', reason: 'session_limit', sub: session.sub, sid })
    emit({ type: 'login', sub: session.sub, sid: session.sid })
    return tokenResponse(session, at)
  }

  const refresh = async (refreshToken: string): Promise<TokenResponse> => {
    const parsed = parseRefreshToken(keyring, refreshToken)
    if (parsed === undefined)
      return rejected(new InvalidGrantError('ERR_REFRESH_INVALID', 'The refresh token is invalid'))
    const at = now()
    const result = await call(() =>
      store.rotate(parsed.sid, parsed.generation, {
        now: at,
        graceMs: config.reuseGraceMs,
        refreshTtlMs: config.refreshTtlMs,
      }),
    )
    switch (result.outcome) {
      case 'missing':
        return rejected(
          new InvalidGrantError(
            'ERR_REFRESH_INVALID',
            'The refresh token is unknown, expired or revoked',
          ),
        )
      case 'reused':
        emit({ type: 'refresh_reused', sub: result.session.sub, sid: parsed.sid })
        return rejected(
          new InvalidGrantError(
            'ERR_REFRESH_REUSED',
            'The refresh token was already used; the session has ended',
          ),
        )
      case 'replayed':
        emit({ type: 'refresh_replayed', sub: result.session.sub, sid: parsed.sid })
        return tokenResponse(result.session, at)
      case 'rotated':
        emit({ type: 'refresh', sub: result.session.sub, sid: parsed.sid })
        return tokenResponse(result.session, at)
    }
  }

  /** The session any of our tokens names (signature checked; expiry of an access token ignored). */
  const sessionOf = (token: string): { sid: string; sub?: string } | undefined => {
    const refreshToken = parseRefreshToken(keyring, token)
    if (refreshToken !== undefined) return { sid: refreshToken.sid }
    try {
      const info = verifyAccessToken(token, policy, now(), { ignoreExpiration: true })
      return { sid: info.sid, sub: info.sub }
    } catch {
      return undefined
    }
  }

  const endSession = async (
    sid: string,
    sub: string | undefined,
    type: 'logout' | 'revoked',
  ): Promise<boolean> => {
    const session = await call(() => store.get(sid, now()))
    if (session === undefined || (sub !== undefined && session.sub !== sub)) return false
    await call(() => store.delete(sid))
    emit({ type, sub: session.sub, sid })
    return true
  }

  const revoke = async (token: string): Promise<boolean> => {
    const target = sessionOf(token)
    return target === undefined ? false : endSession(target.sid, target.sub, 'revoked')
  }

  const introspect = async (token: string): Promise<IntrospectionResponse> => {
    const at = now()
    const refreshToken = parseRefreshToken(keyring, token)
    if (refreshToken !== undefined) {
      const session = await call(() => store.get(refreshToken.sid, at))
      const current =
        session !== undefined &&
        (refreshToken.generation === session.generation ||
          (refreshToken.generation === session.generation - 1 &&
            at < session.rotatedAt + config.reuseGraceMs))
      if (!current) return { active: false }
      return {
        active: true,
        token_type: 'refresh_token',
        sub: session.sub,
        sid: session.sid,
        exp: Math.floor(session.refreshExpiresAt / 1000),
        iat: Math.floor(session.rotatedAt / 1000),
        iss: config.issuer,
        aud: config.audience,
      }
    }
    let info: AuthInfo
    try {
      info = await verify(token)
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error
      return { active: false }
    }
    const response: IntrospectionResponse = {
      active: true,
      token_type: 'access_token',
      sub: info.sub,
      sid: info.sid,
      exp: info.claims.exp as number,
      iat: info.claims.iat as number,
      iss: config.issuer,
      aud: config.audience,
    }
    if (info.scope.length > 0) response.scope = info.scope.join(' ')
    return response
  }

  const listSessions = async (sub: string, currentSid?: string): Promise<SessionInfo[]> => {
    const sessions = await call(() => store.listBySubject(sub, now()))
    return sessions.map((session) => ({
      sid: session.sid,
      createdAt: Math.floor(session.createdAt / 1000),
      lastUsedAt: Math.floor(session.lastUsedAt / 1000),
      userAgent: session.userAgent ?? null,
      current: session.sid === currentSid,
    }))
  }

  const revokeSession = (sid: string, ownerSub?: string): Promise<boolean> =>
    endSession(sid, ownerSub, 'revoked')

  const revokeAllSessions = async (sub: string, exceptSid?: string): Promise<number> => {
    const sids = await call(() => store.deleteBySubject(sub, exceptSid))
    for (const sid of sids) emit({ type: 'revoked', sub, sid })
    return sids.length
  }

  const logout = async (token: string): Promise<{ revoked: true; sub: string }> => {
    const info = await verify(token)
    await endSession(info.sid, info.sub, 'logout')
    return { revoked: true, sub: info.sub }
  }

  /** `verifyNow` for the middleware: a refusal is reported to `onEvent` on its way out. */
  const verifyForRequest = (token: string): Awaitable<AuthInfo> => {
    let result: Awaitable<AuthInfo>
    try {
      result = verifyNow(token)
    } catch (error) {
      return rejected(error)
    }
    return result instanceof Promise ? result.catch(rejected) : result
  }

  const auth: Auth = {
    router: () =>
      createRouter({
        config,
        authenticate: config.authenticate,
        issue,
        refresh: (token) => refresh(token),
        logout: (token) => logout(token).catch(rejected),
        revoke,
        introspect,
        listSessions,
        revokeSession,
        revokeAllSessions,
        verify: verifyForRequest,
        rejected,
        report,
      }),
    required: factory('required', (given) =>
      required(verifyForRequest, config.realm, given, report),
    ),
    optional: factory('optional', (given) =>
      optional(verifyForRequest, config.realm, given, report),
    ),
    errorHandler: () => errorHandler(report),
    issue,
    verify,
    refresh,
    revoke,
    introspect,
    listSessions,
    revokeSession,
    revokeAllSessions,
    close: unsubscribe,
  }
  return auth
}

function checkSubject(sub: unknown): string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new TypeError(
      `sub must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`,
    )
  }
  return sub
}

/** Claims become JSON in every token and in the store: keep them plain, small and ours. */
function checkClaims(claims: unknown): Record<string, unknown> {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('claims must be a plain object')
  }
  const copy = safeCopy(claims as Record<string, unknown>)
  for (const name of Object.keys(copy)) {
    if (REGISTERED_CLAIMS.has(name))
      throw new TypeError(`claims must not set the registered claim ${name}`)
  }
  if (
    Array.isArray(copy.scope) &&
    copy.scope.every((item) => typeof item === 'string' && SCOPE_TOKEN.test(item))
  ) {
    copy.scope = copy.scope.join(' ')
  }
  if (
    copy.scope !== undefined &&
    (typeof copy.scope !== 'string' || !SCOPE_STRING.test(copy.scope))
  ) {
    throw new TypeError('claims.scope must be a space-delimited string or an array of strings')
  }
  const json = JSON.stringify(copy)
  if (Buffer.byteLength(json) > MAX_CLAIMS_BYTES) {
    throw new TypeError(`claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes of JSON`)
  }
  return JSON.parse(json) as Record<string, unknown>
}

function isPromiseLike<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
