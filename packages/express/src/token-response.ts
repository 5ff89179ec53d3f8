/** Builds the RFC 6749 §5.1 token response of a session: a fresh access token and its refresh token. */
import { newId, signAccessToken } from './access-token.js'
import type { ResolvedOptions } from './options.js'
import { signRefreshToken } from './refresh-token.js'
import type { TokenResponse } from './responses.js'
import type { Session } from './session-store.js'

type Config = Pick<ResolvedOptions, 'keyring' | 'issuer' | 'audience' | 'accessTtlMs'>

export function tokenResponse(config: Config, session: Session, at: number): TokenResponse {
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
    access_token: signAccessToken(config.keyring, claims),
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: signRefreshToken(config.keyring.refresh, session.sid, session.generation),
    refresh_expires_in: Math.max(0, Math.floor((session.refreshExpiresAt - at) / 1000)),
  }
  if (typeof session.claims.scope === 'string') response.scope = session.claims.scope
  return response
}
