/**
 * The two token formats.
 *
 * Access tokens are RFC 9068 JWTs (`typ: at+jwt`) signed by jsonwebtoken with a KeyObject. Before
 * jsonwebtoken sees a token, its header is checked here against a pinned policy — size, shape,
 * `alg` from the allow-list and equal to the algorithm of the key its `kid` names, `typ`, no
 * `crit` — so an attacker's header never chooses how a token is verified.
 *
 * Refresh tokens are opaque to clients: `sid.generation.mac`, where the MAC binds the pair to our
 * key. The store keeps only the current generation: no token, no hash of one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { InvalidTokenError } from './errors.js'
import type { Keyring } from './keys.js'

/** What `req.auth` holds for a verified access token. */
export interface AuthInfo {
  sub: string
  sid: string
  jti: string
  /** The RFC 9068 `scope` claim, split on spaces. */
  scope: string[]
  /** Every claim of the token, copied without prototype pollution. */
  claims: Record<string, unknown>
}

export interface AccessTokenPolicy {
  keyring: Keyring
  issuer: string
  audience: string
  leewayMs: number
  maxTokenLength: number
  realm: string
}

/** Claims the library sets itself; `authenticate` and `issue` may not supply them. */
export const REGISTERED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'typ',
  'client_id',
])

const SEGMENT = /^[A-Za-z0-9_-]+$/
const ACCESS_TYPES = new Set(['at+jwt', 'application/at+jwt'])
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/

export function newId(): string {
  return randomBytes(16).toString('base64url')
}

export function signAccessToken(keyring: Keyring, claims: Record<string, unknown>): string {
  const { key, algorithm, kid } = keyring.signing
  return jwt.sign(claims, key, {
    algorithm,
    header: { alg: algorithm, typ: 'at+jwt', kid },
  })
}

/**
 * Verifies an access token's header, signature and claims (not its session: see `createAuth`).
 * Throws `InvalidTokenError`; its message never contains the token.
 */
export function verifyAccessToken(
  token: string,
  policy: AccessTokenPolicy,
  now: number,
  options: { ignoreExpiration?: boolean } = {},
): AuthInfo {
  const reject = (
    description: string,
    code: 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED' | 'ERR_WRONG_TOKEN_TYPE' = 'ERR_TOKEN_INVALID',
  ) => new InvalidTokenError(code, description, policy.realm)

  // `auth.verify(req.query.token)`: a missing or repeated parameter is no token, not a crash.
  if (typeof token !== 'string') throw reject('The access token must be a string')
  if (token.length > policy.maxTokenLength) throw reject('The access token is too long')
  if (REFRESH_TOKEN.test(token))
    throw reject('A refresh token is not an access token', 'ERR_WRONG_TOKEN_TYPE')
  const segments = token.split('.')
  if (segments.length !== 3 || !segments.every((segment) => SEGMENT.test(segment))) {
    throw reject('The access token is not a JWS compact serialization')
  }
  const header = decodeSegment(segments[0] as string)
  if (header === undefined) throw reject('The access token header is not a JSON object')
  if ('crit' in header) throw reject('The access token header has critical extensions')
  const typ = header.typ
  if (typeof typ !== 'string' || !ACCESS_TYPES.has(typ.toLowerCase())) {
    throw reject('The token is not an access token (typ must be at+jwt)', 'ERR_WRONG_TOKEN_TYPE')
  }
  const kid = header.kid
  const key = typeof kid === 'string' ? policy.keyring.byKid.get(kid) : undefined
  if (key === undefined) throw reject('The access token names an unknown key')
  if (header.alg !== key.algorithm) throw reject('The access token algorithm is not allowed')
  if (decodeSegment(segments[1] as string) === undefined) {
    throw reject('The access token payload is not a JSON object')
  }

  let payload: jwt.JwtPayload
  try {
    payload = jwt.verify(token, key.key, {
      algorithms: [key.algorithm],
      issuer: policy.issuer,
      audience: policy.audience,
      clockTimestamp: Math.floor(now / 1000),
      clockTolerance: policy.leewayMs / 1000,
      ignoreExpiration: options.ignoreExpiration === true,
    }) as jwt.JwtPayload
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError)
      throw reject('The access token has expired', 'ERR_TOKEN_EXPIRED')
    throw reject('The access token is invalid')
  }

  const { exp, nbf, iat, sub, sid, jti, scope } = payload as Record<string, unknown>
  if (typeof exp !== 'number' || !Number.isFinite(exp))
    throw reject('The access token has no valid exp')
  // jsonwebtoken lets nbf: -1e400 (-Infinity) through: "never not before" is not a finite time.
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf)))
    throw reject('The access token has no valid nbf')
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw reject('The access token has no valid iat')
  if (iat * 1000 > now + policy.leewayMs) throw reject('The access token was issued in the future')
  if (!isId(sub) || !isId(sid) || !isId(jti)) throw reject('The access token lacks sub, sid or jti')
  if (scope !== undefined && typeof scope !== 'string')
    throw reject('The access token scope is not a string')

  return { sub, sid, jti, scope: splitScope(scope), claims: safeCopy(payload) }
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

export function splitScope(scope: string | undefined): string[] {
  return scope === undefined ? [] : scope.split(' ').filter((item) => item.length > 0)
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** A plain copy that drops keys which would reach `Object.prototype` when assigned. */
export function safeCopy(source: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(source)) {
    if (!UNSAFE_KEYS.has(key)) copy[key] = source[key]
  }
  return copy
}

/** The refresh token of a session's generation. */
export function signRefreshToken(keyring: Keyring, sid: string, generation: number): string {
  return `${sid}.${generation}.${mac(keyring.signing.refreshKey, sid, generation)}`
}

/** The sid and generation of a refresh token whose MAC any key of the ring verifies, or undefined. */
export function parseRefreshToken(
  keyring: Keyring,
  token: string,
): { sid: string; generation: number } | undefined {
  const match = REFRESH_TOKEN.exec(token)
  if (match === null) return undefined
  const [, sid, generationText, presented] = match as unknown as [string, string, string, string]
  const generation = Number(generationText)
  // Compare the text, not decoded bytes: base64url's last character has spare bits, so two
  // spellings decode alike, and a tampered spelling must not pass.
  const presentedBytes = Buffer.from(presented, 'latin1')
  for (const key of keyring.byKid.values()) {
    const expected = Buffer.from(mac(key.refreshKey, sid, generation), 'latin1')
    if (timingSafeEqual(expected, presentedBytes)) {
      return { sid, generation }
    }
  }
  return undefined
}

function mac(key: Buffer, sid: string, generation: number): string {
  return createHmac('sha256', key).update(`${sid}.${generation}`).digest('base64url')
}
