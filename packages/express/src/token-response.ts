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

type Config = Pick<ResolvedOptions, 'keyring' | 'issuer' | 'audience' | 'accessTtlMs' | 'clientId'>

/** The claim that names the refresh generation an access token was minted for. */
export const GENERATION_CLAIM = 'gen'

/**
 * `scope`, when given, is a narrower scope the refresh asked for (RFC 6749 §6), already checked
 * against the session's grant: the access token carries just it, and its `jti` names it, so the
 * same request replayed answers an equivalent token and a different one a distinct token.
 */
export function tokenResponse(
  config: Config,
  session: Session,
  at: number,
  scope?: string,
): TokenResponse {
  const granted = typeof session.claims.scope === 'string' ? session.claims.scope : undefined
  const narrowed = scope !== undefined && scope !== granted ? scope : undefined
  const issuedAt = Math.floor(session.rotatedAt / 1000)
  const expiresAt = issuedAt + Math.round(config.accessTtlMs / 1000)
  const claims: Record<string, unknown> = {
    ...session.claims,
    ...(narrowed === undefined ? {} : { scope: narrowed }),
    iss: config.issuer,
    aud: config.audience,
    sub: session.sub,
    // RFC 9068 §2.2: the client the token was issued to.
    client_id: config.clientId,
    sid: session.sid,
    jti: accessTokenId(session.sid, session.generation, narrowed),
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
  const answered = narrowed ?? granted
  if (answered !== undefined) response.scope = answered
  return response
}

/**
 * 128 bits, unique per session, generation and narrowed scope, and the same each time they are
 * the same. A token of the whole grant keeps the id it always had.
 */
function accessTokenId(sid: string, generation: number, narrowed: string | undefined): string {
  const scopePart = narrowed === undefined ? '' : `\0${narrowed}`
  return createHash('sha256')
    .update(`baton jti\0${sid}.${generation}${scopePart}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url')
}
