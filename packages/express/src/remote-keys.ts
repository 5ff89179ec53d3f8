/**
 * Verification keys from the issuer's JWKS, fetched and cached by jwks-rsa (which pairs with
 * jsonwebtoken): an unknown `kid` refetches, at most `requestsPerMinute` times a minute, so a
 * rotation's new key is found at once and garbage `kid`s cannot hammer the issuer. Every key the
 * JWKS serves is checked against the algorithm table before it verifies anything, so a JWKS that
 * serves an unexpected key type (an RSA key labelled ES256, a short RSA key) verifies nothing.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { JwksClient } from 'jwks-rsa'
import { LRUCache } from 'lru-cache'
import { isAlgorithm, keyMismatch, type Algorithm } from './algorithms.js'
import { InvalidTokenError, IssuerUnavailableError } from './errors.js'

export interface RemoteKeysOptions {
  jwksUri: string
  algorithms: readonly Algorithm[]
  cacheMaxAgeMs: number
  cacheMaxEntries: number
  requestsPerMinute: number
  timeoutMs: number
  realm: string
  retryAfterSeconds: number
}

export type KeyLookup = (
  kid: string,
  alg: unknown,
) => Promise<{ algorithm: Algorithm; key: KeyObject }>

export function remoteKeys(options: RemoteKeysOptions): KeyLookup {
  const client = new JwksClient({
    jwksUri: options.jwksUri,
    cache: true,
    cacheMaxAge: options.cacheMaxAgeMs,
    cacheMaxEntries: options.cacheMaxEntries,
    rateLimit: true,
    jwksRequestsPerMinute: options.requestsPerMinute,
    fetcher: (uri) => fetchJwks(uri, options.timeoutMs),
  })
  // jwks-rsa hands out PEM text; parsing it on every request would cost more than the signature.
  const parsed = new LRUCache<string, KeyObject>({ max: options.cacheMaxEntries })
  const reject = (description: string) =>
    new InvalidTokenError('ERR_TOKEN_INVALID', description, options.realm)

  return async (kid, alg) => {
    // Checked before any fetch: `none`, HMAC or anything unlisted never costs a request.
    if (!isAlgorithm(alg) || !options.algorithms.includes(alg)) {
      throw reject('The access token algorithm is not allowed')
    }
    let signingKey
    try {
      signingKey = await client.getSigningKey(kid)
    } catch (error) {
      // Only a JWKS that could not be fetched is the issuer's trouble (503); a JWKS without this
      // key — none that jwks-rsa can use, or a refetch the rate limit held back — is the token's.
      if (error instanceof JwksUnreachable) {
        throw new IssuerUnavailableError(options.retryAfterSeconds, error.cause)
      }
      throw reject('The access token names an unknown key')
    }
    // A JWK's `alg`, when given, binds the key to that algorithm (RFC 7517 §4.4).
    if (typeof signingKey.alg === 'string' && signingKey.alg !== alg) {
      throw reject('The access token algorithm is not allowed')
    }
    const pem = signingKey.getPublicKey()
    let key = parsed.get(pem)
    if (key === undefined) {
      key = createPublicKey(pem)
      parsed.set(pem, key)
    }
    if (keyMismatch(alg, key) !== undefined) throw reject('The access token names an unusable key')
    return { algorithm: alg, key }
  }
}

/** The JWKS could not be fetched: the network, a timeout, a non-2xx answer or a body that is not JSON. */
class JwksUnreachable extends Error {
  override name = 'JwksUnreachable'
}

/** jwks-rsa's fetcher, on the global fetch, so a failure to fetch is told apart from a missing key. */
async function fetchJwks(uri: string, timeoutMs: number): Promise<{ keys: unknown }> {
  try {
    const response = await fetch(uri, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!response.ok) {
      await response.body?.cancel()
      throw Object.assign(new Error('JWKS request failed'), { code: `HTTP_${response.status}` })
    }
    return (await response.json()) as { keys: unknown }
  } catch (error) {
    throw new JwksUnreachable('The JWKS could not be fetched', { cause: error })
  }
}
