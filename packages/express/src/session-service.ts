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
import { isScopeToken, splitScope } from './scope.js'
import { decideRotation, refreshExpiry } from './rotation-rule.js'
import type { Session } from './session-store.js'
import type { StoreGuard } from './store-guard.js'
import { tokenResponse } from './token-response.js'

const MAX_USER_AGENT_LENGTH = 256

export interface SessionService {
  issue: (sub: string, claims?: Record<string, unknown>, req?: Request) => Promise<TokenResponse>
  /** `scope`: the RFC 6749 §6 request parameter, a space-delimited string, when given. */
  refresh: (refreshToken: string, scope?: string) => Promise<TokenResponse>
  logout: (accessToken: string) => Promise<LogoutResponse>
  revoke: (token: string) => Promise<boolean>
  introspect: (token: string) => Promise<IntrospectionResponse>
  listSessions: (sub: string, currentSid?: string) => Promise<SessionInfo[]>
  /** Ends one session, only if it belongs to `ownerSub` when given; false if there was none. */
  revokeSession: (sid: string, ownerSub?: string) => Promise<boolean>
  revokeAllSessions: (sub: string, exceptSid?: string) => Promise<number>
}

export function createSessionService(
  config: ResolvedOptions,
  guard: StoreGuard,
  verify: VerifyAccess,
  events: Events,
): SessionService {
  const { store, keyring, now } = config

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
      refreshExpiresAt: refreshExpiry(at, config.refreshTtlMs, expiresAt),
      generation: 0,
      rotatedAt: at,
      used: false,
    }
    const userAgent = req?.get('user-agent')
    if (userAgent !== undefined && userAgent.length > 0) {
      session.userAgent = userAgent.slice(0, MAX_USER_AGENT_LENGTH)
    }
    const result = await guard(() =>
      store.create(session, {
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
      events.emit({ type: 'evicted', reason: 'session_limit', sub: session.sub, sid })
    events.emit({ type: 'login', sub: session.sub, sid: session.sid })
    return tokenResponse(config, session, at)
  }

  /**
   * The narrower scope a refresh asks for, in the order of the grant, or undefined for the whole
   * grant. Checked before the rotation, so a refused request does not consume the refresh token;
   * the grant is fixed at login, so it cannot change between this read and the rotation.
   */
  const requestedScope = async (sid: string, scope: string): Promise<string | undefined> => {
    const requested = new Set(splitScope(scope))
    if (![...requested].every(isScopeToken)) throw new InvalidScopeError('The scope is malformed')
    const session = await guard(() => store.get(sid, now()))
    // No session: the rotation answers for it (unknown, expired or revoked).
    if (session === undefined) return undefined
    const granted = splitScope(
      typeof session.claims.scope === 'string' ? session.claims.scope : undefined,
    )
    if (![...requested].every((item) => granted.includes(item))) throw new InvalidScopeError()
    return granted.filter((item) => requested.has(item)).join(' ')
  }

  const refresh = async (refreshToken: string, scope?: string): Promise<TokenResponse> => {
    const parsed = parseRefreshToken(keyring.refresh, refreshToken)
    if (parsed === undefined)
      throw new InvalidGrantError('ERR_REFRESH_INVALID', 'The refresh token is invalid')
    const narrowed = scope === undefined ? undefined : await requestedScope(parsed.sid, scope)
    const at = now()
    const result = await guard(() =>
      store.rotate(parsed.sid, parsed.generation, {
        now: at,
        graceMs: config.reuseGraceMs,
        refreshTtlMs: config.refreshTtlMs,
      }),
    )
    switch (result.outcome) {
      case 'missing':
        throw new InvalidGrantError(
          'ERR_REFRESH_INVALID',
          'The refresh token is unknown, expired or revoked',
        )
      case 'reused':
        events.emit({ type: 'refresh_reused', sub: result.session.sub, sid: parsed.sid })
        throw new InvalidGrantError(
          'ERR_REFRESH_REUSED',
          'The refresh token was already used; the session has ended',
        )
      case 'replayed':
        events.emit({ type: 'refresh_replayed', sub: result.session.sub, sid: parsed.sid })
        return tokenResponse(config, result.session, at, narrowed)
      case 'rotated':
        events.emit({ type: 'refresh', sub: result.session.sub, sid: parsed.sid })
        return tokenResponse(config, result.session, at, narrowed)
      case 'resynced':
        // The store had lost writes (a restart from an older snapshot, say): the token's MAC
        // proves we issued it, so the user stays signed in, and operators hear of the loss.
        events.emit({
          type: 'refresh_resynced',
          reason: 'store_lost_writes',
          sub: result.session.sub,
          sid: parsed.sid,
        })
        return tokenResponse(config, result.session, at, narrowed)
    }
  }

  /** The session any of our tokens names (signature checked; expiry of an access token ignored). */
  const sessionOf = (token: string): { sid: string; sub?: string } | undefined => {
    const refreshToken = parseRefreshToken(keyring.refresh, token)
    if (refreshToken !== undefined) return { sid: refreshToken.sid }
    try {
      const info = verifyAccessToken(token, config, now(), { ignoreExpiration: true })
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
    const session = await guard(() => store.get(sid, now()))
    if (session === undefined || (sub !== undefined && session.sub !== sub)) return false
    await guard(() => store.delete(sid))
    events.emit({ type, sub: session.sub, sid })
    return true
  }

  const introspectRefresh = async (
    sid: string,
    generation: number,
  ): Promise<IntrospectionResponse> => {
    const at = now()
    const session = await guard(() => store.get(sid, at))
    // Acceptable exactly when /refresh would answer with tokens rather than end the session.
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

  const introspectAccess = async (token: string): Promise<IntrospectionResponse> => {
    let info: AuthInfo
    try {
      info = await verify(token)
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error
      return { active: false }
    }
    const response: IntrospectionResponse = {
      active: true,
      token_type: 'Bearer',
      client_id:
        typeof info.claims.client_id === 'string' ? info.claims.client_id : config.clientId,
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

  return {
    issue,
    refresh,
    logout: async (token) => {
      const info = await verify(token)
      await endSession(info.sid, info.sub, 'logout')
      return { revoked: true, sub: info.sub }
    },
    revoke: async (token) => {
      const target = sessionOf(token)
      return target === undefined ? false : endSession(target.sid, target.sub, 'revoked')
    },
    introspect: async (token) => {
      const refreshToken = parseRefreshToken(keyring.refresh, token)
      return refreshToken === undefined
        ? introspectAccess(token)
        : introspectRefresh(refreshToken.sid, refreshToken.generation)
    },
    listSessions: async (sub, currentSid) => {
      const sessions = await guard(() => store.listBySubject(sub, now()))
      return sessions.map((session) => ({
        sid: session.sid,
        createdAt: Math.floor(session.createdAt / 1000),
        lastUsedAt: Math.floor(session.lastUsedAt / 1000),
        userAgent: session.userAgent ?? null,
        current: session.sid === currentSid,
      }))
    },
    revokeSession: (sid, ownerSub) => endSession(sid, ownerSub, 'revoked'),
    revokeAllSessions: async (sub, exceptSid) => {
      const sids = await guard(() => store.deleteBySubject(sub, exceptSid))
      for (const sid of sids) events.emit({ type: 'revoked', sub, sid })
      return sids.length
    },
  }
}
