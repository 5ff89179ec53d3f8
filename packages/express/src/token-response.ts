/**
 * Builds the RFC 6749 §5.1 token response of a session's current generation. The access token is
 * a function of the session and its generation alone (`iat` is when the generation was issued,
 * `jti` is derived from sid and generation), so answering a replayed refresh token again gives
 * an equivalent access token — one per generation, however often the replay comes.
 */
import { createHash } from 'node:crypto'
import { signAccessToken } from './access-token.js'
import type { ResolvedOptions } from './options.js'
import { signRefreshToken } from './refresh-token.js'
import type { TokenResponse } from './responses.js'
import type { Session } from './session-store.js'

type Config = Pick<ResolvedOptions, 'keyring' | 'issuer' | 'audience' | 'accessTtlMs'>

/** The claim that names the refresh generation an access token was minted for. */
export const GENERATION_CLAIM = 'gen'

export function tokenResponse(config: Config, session: Session, at: number): TokenResponse {
  const issuedAt = Math.floor(session.rotatedAt / 1000)
  const expiresAt = issuedAt + Math.round(config.accessTtlMs / 1000)
  const claims: Record<string, unknown> = {
    ...session.claims,
    iss: config.issuer,
    aud: config.audience,
    sub: session.sub,
    sid: session.sid,
    jti: accessTokenId(session.sid, session.generation),
    [GENERATION_CLAIM]: session.generation,
    iat: issuedAt,
    exp: expiresAt,
  }
  const response: TokenResponse = {
    access_token: signAccessToken(config.keyring, claims),
    token_type: 'Bearer',
    // What is left of it: the whole lifetime when just minted, less when a replay answers late.
    expires_in: Math.max(0, expiresAt - Math.floor(at / 1000)),
    refresh_token: signRefreshToken(config.keyring.refresh, session.sid, session.generation),
    refresh_expires_in: Math.max(0, Math.floor((session.refreshExpiresAt - at) / 1000)),
  }
  if (typeof session.claims.scope === 'string') response.scope = session.claims.scope
  return response
}

/** 128 bits, unique per session and generation, and the same each time they are the same. */
function accessTokenId(sid: string, generation: number): string {
  return createHash('sha256')
    .update(`baton jti\0${sid}.${generation}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url')
}
