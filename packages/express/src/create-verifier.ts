/**
 * `createVerifier`: `required()` / `optional()` for a service that checks Baton's access tokens
 * but does not issue them and may not hold the session store. The same `req.auth`, the same
 * RFC 6750 errors, the same pinned header checks as the issuer's verifier; the keys come from
 * the issuer's JWKS or are given, and revocation is the choice the options make explicit.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express'
import type { AuthenticatedHandler } from './authenticated-request.js'
import {
  inspectAccessToken,
  verifyWithKey,
  type AuthInfo,
  type TokenPolicy,
} from './access-token.js'
import { createSessionCheck } from './access-verifier.js'
import { ASYMMETRIC_ALGORITHMS, isAlgorithm, type Algorithm } from './algorithms.js'
import { errorHandler } from './error-response.js'
import { InvalidTokenError } from './errors.js'
import { introspectionCheck, type RevocationCheck } from './introspection-check.js'
import { resolveVerificationKeys } from './keys.js'
import {
  authenticateRequest,
  checkOptionalOptions,
  factory,
  requiredScopes,
  type RequiredOptions,
} from './middleware.js'
import { remoteKeys, type KeyLookup } from './remote-keys.js'
import { DEFAULTS, integer, isProduction, seconds, text } from './resolve-options.js'
import type { Awaitable, SessionStore } from './session-store.js'
import { createStoreGuard } from './store-guard.js'
import type { IntrospectionRevocation, VerifierOptions } from './verifier-options.js'
import { VerifiedTokenCache } from './verify-cache.js'

export interface Verifier {
  /** Requires a valid access token (and every scope given); sets `req.auth`. */
  required(options?: RequiredOptions): AuthenticatedHandler
  /** No credentials → anonymous (`req.auth` unset); any credentials must be valid. */
  optional(): RequestHandler
  /** Renders `AuthError`s as `{ error, error_description, code }` with their status and headers. */
  errorHandler(): ErrorRequestHandler
  /** Verifies an access token. Rejects with `InvalidTokenError` or a 503 `AuthError`. */
  verify(token: string): Promise<AuthInfo>
}

const VERIFIER_DEFAULTS = {
  jwksCacheMaxAge: 600,
  jwksCacheMaxEntries: 16,
  jwksRequestsPerMinute: 10,
  jwksTimeout: 5,
  introspectionCacheTtl: 30,
  introspectionCacheSize: 10_000,
  introspectionTimeout: 2,
} as const

const KNOWN_OPTIONS = new Set([
  'issuer',
  'audience',
  'jwksUri',
  'keys',
  'algorithms',
  'jwks',
  'revocation',
  'leeway',
  'maxTokenLength',
  'realm',
  'retryAfter',
  'storeTimeout',
  'verifyCacheSize',
  'now',
])

export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`unknown option ${JSON.stringify(name)}`)
  }
  const issuer = text(options.issuer, 'issuer')
  const realm = text(options.realm ?? issuer, 'realm')
  if (/["\\]/.test(realm)) throw new TypeError('realm must not contain quotes or backslashes')
  const policy: TokenPolicy = {
    issuer,
    audience: text(options.audience, 'audience'),
    leewayMs: seconds(options.leeway ?? DEFAULTS.leeway, 'leeway', 0) * 1000,
    maxTokenLength: integer(
      options.maxTokenLength ?? DEFAULTS.maxTokenLength,
      'maxTokenLength',
      64,
    ),
    realm,
  }
  const now = options.now ?? Date.now
  if (typeof now !== 'function')
    throw new TypeError('now must be a function returning epoch milliseconds')
  const retryAfterSeconds = integer(options.retryAfter ?? DEFAULTS.retryAfter, 'retryAfter', 0)
  const lookup = keyLookup(options, realm, retryAfterSeconds)
  const revocation = revocationCheck(options, realm, retryAfterSeconds)
  // As on the issuer: a token that passed once skips the signature until it expires (ES256 costs
  // ~90 µs a verify here, a hit under 1 µs); revocation is still checked on every request.
  const verified = new VerifiedTokenCache(
    integer(options.verifyCacheSize ?? DEFAULTS.verifyCacheSize, 'verifyCacheSize', 0),
    policy.leewayMs,
  )

  const verify = (
    token: string,
    beforeFullCheck?: (token: string) => void,
  ): Awaitable<AuthInfo> => {
    const at = now()
    const hit = verified.get(token, at)
    if (hit !== undefined) return revocation(token, hit, at)
    beforeFullCheck?.(token)
    const header = inspectAccessToken(token, policy)
    if (header.kid === undefined) {
      throw new InvalidTokenError(
        'ERR_TOKEN_INVALID',
        'The access token names an unknown key',
        realm,
      )
    }
    const check = (key: Parameters<typeof verifyWithKey>[2]) => {
      const info = verifyWithKey(token, header.alg, key, policy, at)
      verified.set(token, info)
      return revocation(token, info, at)
    }
    const key = lookup(header.kid, header.alg)
    return key instanceof Promise ? key.then(check) : check(key)
  }
  const refused = () => {}

  return {
    required: factory('required', (given) =>
      authenticateRequest(verify, realm, false, requiredScopes(given), refused),
    ),
    optional: factory('optional', (given) => {
      checkOptionalOptions(given)
      return authenticateRequest(verify, realm, true, [], refused)
    }),
    errorHandler,
    verify: async (token) => verify(token),
  }
}

type Lookup = (kid: string, alg: unknown) => Awaitable<Parameters<typeof verifyWithKey>[2]>

function keyLookup(options: VerifierOptions, realm: string, retryAfterSeconds: number): Lookup {
  const { jwksUri, keys } = options
  if ((jwksUri === undefined) === (keys === undefined)) {
    throw new TypeError('give exactly one of jwksUri or keys')
  }
  if (keys !== undefined) {
    if (options.algorithms !== undefined || options.jwks !== undefined) {
      throw new TypeError('algorithms and jwks go with jwksUri; keys name their own algorithms')
    }
    const byKid = resolveVerificationKeys(keys, { production: isProduction(process.env.NODE_ENV) })
    return (kid) => {
      const key = byKid.get(kid)
      if (key === undefined) {
        throw new InvalidTokenError(
          'ERR_TOKEN_INVALID',
          'The access token names an unknown key',
          realm,
        )
      }
      return key
    }
  }
  const jwks = options.jwks ?? {}
  if (typeof jwks !== 'object' || jwks === null) throw new TypeError('jwks must be an object')
  const unknown = Object.keys(jwks).find(
    (name) => !['cacheMaxAge', 'cacheMaxEntries', 'requestsPerMinute', 'timeout'].includes(name),
  )
  if (unknown !== undefined) throw new TypeError(`jwks: unknown option ${JSON.stringify(unknown)}`)
  const lookup: KeyLookup = remoteKeys({
    jwksUri: url(jwksUri, 'jwksUri'),
    algorithms: algorithmList(options.algorithms),
    cacheMaxAgeMs:
      seconds(jwks.cacheMaxAge ?? VERIFIER_DEFAULTS.jwksCacheMaxAge, 'jwks.cacheMaxAge', 0) * 1000,
    cacheMaxEntries: integer(
      jwks.cacheMaxEntries ?? VERIFIER_DEFAULTS.jwksCacheMaxEntries,
      'jwks.cacheMaxEntries',
      1,
    ),
    requestsPerMinute: integer(
      jwks.requestsPerMinute ?? VERIFIER_DEFAULTS.jwksRequestsPerMinute,
      'jwks.requestsPerMinute',
      1,
    ),
    timeoutMs: seconds(jwks.timeout ?? VERIFIER_DEFAULTS.jwksTimeout, 'jwks.timeout', 0.001) * 1000,
    realm,
    retryAfterSeconds,
  })
  return lookup
}

/** The JWKS algorithms accepted: asymmetric only, as a JWKS never carries an HMAC key for us. */
function algorithmList(given: unknown): Algorithm[] {
  if (given === undefined) return [...ASYMMETRIC_ALGORITHMS]
  const message = `algorithms must be a non-empty array of ${ASYMMETRIC_ALGORITHMS.join(', ')}`
  if (!Array.isArray(given) || given.length === 0) throw new TypeError(message)
  for (const name of given as unknown[]) {
    if (!isAlgorithm(name) || !ASYMMETRIC_ALGORITHMS.includes(name)) throw new TypeError(message)
  }
  return [...(given as Algorithm[])]
}

function revocationCheck(
  options: VerifierOptions,
  realm: string,
  retryAfterSeconds: number,
): (token: string, info: AuthInfo, at: number) => Awaitable<AuthInfo> {
  const { revocation } = options
  const shape =
    "revocation must be 'stateless', { introspection: { url, clientId, clientSecret } } or { store }"
  if (revocation === 'stateless') return (_token, info) => info
  if (typeof revocation !== 'object' || revocation === null) throw new TypeError(shape)
  if ('store' in revocation && Object.keys(revocation).length === 1) {
    const store: SessionStore = revocation.store
    const timeout = seconds(options.storeTimeout ?? DEFAULTS.storeTimeout, 'storeTimeout', 0.001)
    const guard = createStoreGuard(timeout * 1000, retryAfterSeconds)
    if (typeof store !== 'object' || store === null || typeof store.get !== 'function') {
      throw new TypeError('revocation.store must be a SessionStore')
    }
    const checkSession = createSessionCheck({ store, realm }, guard)
    return (_token, info, at) => checkSession(info, at)
  }
  if ('introspection' in revocation && Object.keys(revocation).length === 1) {
    const check: RevocationCheck = introspectionCheck(
      resolveIntrospection(revocation.introspection, realm, retryAfterSeconds),
    )
    return check
  }
  throw new TypeError(shape)
}

function resolveIntrospection(
  given: IntrospectionRevocation,
  realm: string,
  retryAfterSeconds: number,
) {
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(
      'revocation.introspection must be an object { url, clientId, clientSecret }',
    )
  }
  const name = (field: string) => `revocation.introspection.${field}`
  const known = ['url', 'clientId', 'clientSecret', 'cacheTtl', 'cacheSize', 'timeout']
  const unknown = Object.keys(given).find((key) => !known.includes(key))
  if (unknown !== undefined) {
    throw new TypeError(`revocation.introspection: unknown option ${JSON.stringify(unknown)}`)
  }
  return {
    url: url(given.url, name('url')),
    clientId: text(given.clientId, name('clientId')),
    clientSecret: text(given.clientSecret, name('clientSecret')),
    cacheTtlMs:
      seconds(given.cacheTtl ?? VERIFIER_DEFAULTS.introspectionCacheTtl, name('cacheTtl'), 0) *
      1000,
    cacheSize: integer(
      given.cacheSize ?? VERIFIER_DEFAULTS.introspectionCacheSize,
      name('cacheSize'),
      1,
    ),
    timeoutMs:
      seconds(given.timeout ?? VERIFIER_DEFAULTS.introspectionTimeout, name('timeout'), 0.001) *
      1000,
    realm,
    retryAfterSeconds,
  }
}

function url(value: unknown, name: string): string {
  const message = `${name} must be an http or https URL`
  if (typeof value !== 'string') throw new TypeError(message)
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new TypeError(message)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError(message)
  return parsed.href
}
