/**
 * The session operations behind the endpoints and the programmatic API: issue, refresh, logout,
 * revoke, introspect, list. Each talks to the store through the guard and emits its events; none
 * reports refusals (the layer that hands an error out does that, once: see `events.ts`).
 */
import type { Request } from 'express'
import { newId, verifyAccessToken, type AuthInfo } from './access-token.js'
import type { VerifyAccess } from './access-verifier.js'
import { checkClaims, checkSubject } from './claims.js'
import {
  InvalidGrantError,
  InvalidScopeError,
  SessionLimitError,
  StoreFullError,
  StoreUnavailableError,
} from './errors.js'
import type { Events } from './events.js'
import type { ResolvedOptions } from './options.js'
import { parseRefreshToken } from './refresh-token.js'
import type {
  IntrospectionResponse,
  LogoutResponse,
  SessionInfo,
  TokenResponse,
} from './responses.js'
import { decideRotation, refreshExpiry } from './rotation-rule.js'
import { isScopeToken, splitScope } from './scope.js'
import type { Session } from './session-store.js'
import type { StoreGuard } from './store-guard.js'
import { tokenResponse } from './token-response.js'

const MAX_USER_AGENT_LENGTH = 256

/**
 * One method per operation. Methods are arrow properties, so `createAuth` and the router can
 * hand them around unbound.
 */
export class SessionService {
  readonly #config: ResolvedOptions
  readonly #guard: StoreGuard
  readonly #verify: VerifyAccess
  readonly #events: Events

  constructor(config: ResolvedOptions, guard: StoreGuard, verify: VerifyAccess, events: Events) {
    this.#config = config
    this.#guard = guard
    this.#verify = verify
    this.#events = events
  }

  /** Starts a session for `sub`, as a successful `/login` does. */
  issue = async (
    sub: string,
    claims: Record<string, unknown> = {},
    req?: Request,
  ): Promise<TokenResponse> => {
    const config = this.#config
    const at = config.now()
    const expiresAt = at + config.sessionMaxAgeMs
    const session: Session = {
      sid: newId(),
      sub: checkSubject(sub),
      claims: checkClaims(claims),
      createdAt: at,
      lastUsedAt: at,
      expiresAt,
      refreshExpiresAt: refreshExpiry(at, config.refreshTtlMs, expiresAt),
      generation: 0,
      rotatedAt: at,
      used: false,
    }
    const userAgent = req?.get('user-agent')
    if (userAgent !== undefined && userAgent.length > 0) {
      session.userAgent = userAgent.slice(0, MAX_USER_AGENT_LENGTH)
    }
    const result = await this.#guard(() =>
      config.store.create(session, {
        maxPerSubject: config.maxSessionsPerUser,
        policy: config.onSessionLimit,
        now: at,
      }),
    )
    if (!result.ok) {
      throw result.reason === 'capacity'
        ? new StoreFullError(config.retryAfterSeconds)
        : new SessionLimitError()
    }
    for (const sid of result.evicted)
      this.#events.emit({ type: 'evicted', reason: 'session_limit', sub: session.sub, sid })
    this.#events.emit({ type: 'login', sub: session.sub, sid: session.sid })
    return tokenResponse(config, session, at)
  }

  /**
   * Rotates a refresh token by the rule of `rotation-rule.ts`, as `/refresh` does. `scope`: the
   * RFC 6749 §6 request parameter, a space-delimited string, when given.
   */
  refresh = async (refreshToken: string, scope?: string): Promise<TokenResponse> => {
    const config = this.#config
    const parsed = parseRefreshToken(config.keyring.refresh, refreshToken)
    if (parsed === undefined)
      throw new InvalidGrantError('ERR_REFRESH_INVALID', 'The refresh token is invalid')
    const narrowed = scope === undefined ? undefined : await this.#requestedScope(parsed.sid, scope)
    const at = config.now()
    const result = await this.#guard(() =>
      config.store.rotate(parsed.sid, parsed.generation, {
        now: at,
        graceMs: config.reuseGraceMs,
        refreshTtlMs: config.refreshTtlMs,
      }),
    )
    if (result.outcome === 'missing') {
      throw new InvalidGrantError(
        'ERR_REFRESH_INVALID',
        'The refresh token is unknown, expired or revoked',
      )
    }
    const { sub } = result.session
    const sid = parsed.sid
    switch (result.outcome) {
      case 'reused':
        this.#events.emit({ type: 'refresh_reused', sub, sid })
        throw new InvalidGrantError(
          'ERR_REFRESH_REUSED',
          'The refresh token was already used; the session has ended',
        )
      case 'replayed':
        this.#events.emit({ type: 'refresh_replayed', sub, sid })
        break
      case 'rotated':
        this.#events.emit({ type: 'refresh', sub, sid })
        break
      case 'resynced':
        // The store had lost writes (a restart from an older snapshot, say): the token's MAC
        // proves we issued it, so the user stays signed in, and operators hear of the loss.
        this.#events.emit({ type: 'refresh_resynced', reason: 'store_lost_writes', sub, sid })
        break
    }
    return tokenResponse(config, result.session, at, narrowed)
  }

  /** Ends the session of a valid access token, as `/logout` does. */
  logout = async (accessToken: string): Promise<LogoutResponse> => {
    const info = await this.#verify(accessToken)
    await this.#endSession(info.sid, info.sub, 'logout')
    return { revoked: true, sub: info.sub }
  }

  /**
   * Ends the session of a refresh token, as `/logout` does for a cookie client. Any generation of
   * the session will do: logging out with a stale token ends the session rather than refusing.
   */
  logoutRefresh = async (refreshToken: string): Promise<LogoutResponse> => {
    const parsed = parseRefreshToken(this.#config.keyring.refresh, refreshToken)
    const sub =
      parsed === undefined ? undefined : await this.#endSession(parsed.sid, undefined, 'logout')
    if (sub === undefined) {
      throw new InvalidGrantError(
        'ERR_REFRESH_INVALID',
        'The refresh token is unknown, expired or revoked',
      )
    }
    return { revoked: true, sub }
  }

  /** Ends the session any of our tokens names; false when it names no live session. */
  revoke = async (token: string): Promise<boolean> => {
    const target = this.#sessionOf(token)
    if (target === undefined) return false
    return (await this.#endSession(target.sid, target.sub, 'revoked')) !== undefined
  }

  /** RFC 7662 introspection of an access or refresh token. */
  introspect = async (token: string): Promise<IntrospectionResponse> => {
    const refreshToken = parseRefreshToken(this.#config.keyring.refresh, token)
    return refreshToken === undefined
      ? this.#introspectAccess(token)
      : this.#introspectRefresh(refreshToken.sid, refreshToken.generation)
  }

  /** The user's live sessions, oldest first. */
  listSessions = async (sub: string, currentSid?: string): Promise<SessionInfo[]> => {
    const { store, now } = this.#config
    const sessions = await this.#guard(() => store.listBySubject(sub, now()))
    return sessions.map((session) => ({
      sid: session.sid,
      createdAt: Math.floor(session.createdAt / 1000),
      lastUsedAt: Math.floor(session.lastUsedAt / 1000),
      userAgent: session.userAgent ?? null,
      current: session.sid === currentSid,
    }))
  }

  /** Ends one session, only if it belongs to `ownerSub` when given; false if there was none. */
  revokeSession = async (sid: string, ownerSub?: string): Promise<boolean> =>
    (await this.#endSession(sid, ownerSub, 'revoked')) !== undefined

  /** Ends all the user's sessions but `exceptSid`; how many ended. */
  revokeAllSessions = async (sub: string, exceptSid?: string): Promise<number> => {
    const sids = await this.#guard(() => this.#config.store.deleteBySubject(sub, exceptSid))
    for (const sid of sids) this.#events.emit({ type: 'revoked', sub, sid })
    return sids.length
  }

  /**
   * The narrower scope a refresh asks for, in the order of the grant, or undefined for the whole
   * grant. Checked before the rotation, so a refused request does not consume the refresh token;
   * the grant is fixed at login, so it cannot change between this read and the rotation.
   */
  async #requestedScope(sid: string, scope: string): Promise<string | undefined> {
    const { store, now } = this.#config
    const requested = new Set(splitScope(scope))
    if (![...requested].every(isScopeToken)) throw new InvalidScopeError('The scope is malformed')
    const session = await this.#guard(() => store.get(sid, now()))
    // No session: the rotation answers for it (unknown, expired or revoked).
    if (session === undefined) return undefined
    const granted = splitScope(
      typeof session.claims.scope === 'string' ? session.claims.scope : undefined,
    )
    if (![...requested].every((item) => granted.includes(item))) throw new InvalidScopeError()
    return granted.filter((item) => requested.has(item)).join(' ')
  }

  /** The session any of our tokens names (signature checked; expiry of an access token ignored). */
  #sessionOf(token: string): { sid: string; sub?: string } | undefined {
    const config = this.#config
    const refreshToken = parseRefreshToken(config.keyring.refresh, token)
    if (refreshToken !== undefined) return { sid: refreshToken.sid }
    try {
      const info = verifyAccessToken(token, config, config.now(), { ignoreExpiration: true })
      return { sid: info.sid, sub: info.sub }
    } catch {
      return undefined
    }
  }

  /** The subject of the session it ended; undefined when there was none (of `sub`'s). */
  async #endSession(
    sid: string,
    sub: string | undefined,
    type: 'logout' | 'revoked',
  ): Promise<string | undefined> {
    const { store, now } = this.#config
    const session = await this.#guard(() => store.get(sid, now()))
    if (session === undefined || (sub !== undefined && session.sub !== sub)) return undefined
    await this.#guard(() => store.delete(sid))
    this.#events.emit({ type, sub: session.sub, sid })
    return session.sub
  }

  async #introspectRefresh(sid: string, generation: number): Promise<IntrospectionResponse> {
    const config = this.#config
    const at = config.now()
    const session = await this.#guard(() => config.store.get(sid, at))
    // Active exactly when /refresh would answer with tokens rather than end the session.
    if (
      session === undefined ||
      decideRotation(session, generation, at, config.reuseGraceMs) === 'reuse'
    ) {
      return { active: false }
    }
    // No token_type: RFC 7662 §2.2 means the RFC 6749 §5.1 type, which only access tokens have.
    return {
      active: true,
      client_id: config.clientId,
      sub: session.sub,
      sid: session.sid,
      exp: Math.floor(session.refreshExpiresAt / 1000),
      iat: Math.floor(session.rotatedAt / 1000),
      iss: config.issuer,
      aud: config.audience,
    }
  }

  async #introspectAccess(token: string): Promise<IntrospectionResponse> {
    let info: AuthInfo
    try {
      info = await this.#verify(token)
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error
      return { active: false }
    }
    const response: IntrospectionResponse = {
      active: true,
      token_type: 'Bearer',
      client_id:
        typeof info.claims.client_id === 'string' ? info.claims.client_id : this.#config.clientId,
      sub: info.sub,
      sid: info.sid,
      exp: info.claims.exp as number,
      iat: info.claims.iat as number,
      iss: this.#config.issuer,
      aud: this.#config.audience,
    }
    if (info.scope.length > 0) response.scope = info.scope.join(' ')
    return response
  }
}
