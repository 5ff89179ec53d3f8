/**
 * Access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed by jsonwebtoken with a KeyObject. Before
 * jsonwebtoken sees a token, its header is checked here against a pinned policy — size, shape,
 * `alg` from the allow-list and equal to the algorithm of the key its `kid` names, `typ`, no
 * `crit` — so an attacker's header never chooses how a token is verified.
 */
import { randomBytes, type KeyObject } from 'node:crypto'
import jwt from 'jsonwebtoken'
import type { Algorithm } from './algorithms.js'
import { safeCopy } from './claims.js'
import { InvalidTokenError } from './errors.js'
import type { Keyring } from './keys.js'
import { isRefreshTokenShape } from './refresh-token.js'
import { splitScope } from './scope.js'

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

export interface AccessTokenPolicy extends TokenPolicy {
  keyring: Keyring
}

const SEGMENT = /^[A-Za-z0-9_-]+$/
const ACCESS_TYPES = new Set(['at+jwt', 'application/at+jwt'])

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

/** The checks of an access token whose key is still to be found: what a verifier needs. */
export interface TokenPolicy {
  issuer: string
  audience: string
  leewayMs: number
  maxTokenLength: number
  realm: string
}

type RejectCode = 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED' | 'ERR_WRONG_TOKEN_TYPE'

const rejecter =
  (realm: string) =>
  (description: string, code: RejectCode = 'ERR_TOKEN_INVALID') =>
    new InvalidTokenError(code, description, realm)

/**
 * Verifies an access token's header, signature and claims (not its session: see `access-verifier.ts`).
 * Throws `InvalidTokenError`; its message never contains the token.
 */
export function verifyAccessToken(
  token: string,
  policy: AccessTokenPolicy,
  now: number,
  options: { ignoreExpiration?: boolean } = {},
): AuthInfo {
  const header = inspectAccessToken(token, policy)
  const key = header.kid === undefined ? undefined : policy.keyring.byKid.get(header.kid)
  if (key === undefined) throw rejecter(policy.realm)('The access token names an unknown key')
  return verifyWithKey(token, header.alg, key, policy, now, options)
}

/** What a verifier reads from a token's header to find its key. */
export interface TokenHeader {
  kid: string | undefined
  alg: unknown
}

/**
 * The checks before any key is looked up — size, shape, a JSON header and payload, `typ`, no
 * `crit` — and the `kid` and `alg` the header names (not trusted yet: the key decides).
 */
export function inspectAccessToken(
  token: unknown,
  policy: Pick<TokenPolicy, 'maxTokenLength' | 'realm'>,
): TokenHeader {
  const reject = rejecter(policy.realm)
  // `auth.verify(req.query.token)`: a missing or repeated parameter is no token, not a crash.
  if (typeof token !== 'string') throw reject('The access token must be a string')
  if (token.length > policy.maxTokenLength) throw reject('The access token is too long')
  if (isRefreshTokenShape(token))
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
  if (decodeSegment(segments[1] as string) === undefined) {
    throw reject('The access token payload is not a JSON object')
  }
  return { kid: typeof header.kid === 'string' ? header.kid : undefined, alg: header.alg }
}

/**
 * Verifies the signature with the key the `kid` named — the header's `alg` must be the key's own
 * algorithm, so a token never picks how it is verified (no `none`, no HMAC over a public key) —
 * then the claims. `alg` is what `inspectAccessToken` read from the header.
 */
export function verifyWithKey(
  token: string,
  alg: unknown,
  key: { algorithm: Algorithm; key: KeyObject },
  policy: TokenPolicy,
  now: number,
  options: { ignoreExpiration?: boolean } = {},
): AuthInfo {
  const reject = rejecter(policy.realm)
  if (alg !== key.algorithm) {
    throw reject('The access token algorithm is not allowed')
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
