/**
 * The options of `createVerifier` (`@baton/express/verifier`), the verifier for services that do
 * not issue tokens. Types only: `create-verifier.ts` applies the defaults and validates.
 */
import type { Algorithm } from './algorithms.js'
import type { KeyringEntry } from './keys.js'
import type { SessionStore } from './session-store.js'

/**
 * Revocation by asking the issuer (RFC 7662). Answers are cached, so a revocation reaches this
 * service at most `cacheTtl` seconds late.
 */
export interface IntrospectionRevocation {
  /** The issuer's introspection endpoint, e.g. `https://api.example.com/auth/introspect`. */
  url: string
  /** This resource server's client id and secret, sent as HTTP Basic (`client_secret_basic`). */
  clientId: string
  clientSecret: string
  /** How long an answer is reused, seconds; the staleness bound of a revocation. @default 30 */
  cacheTtl?: number
  /** How many answers to keep. @default 10_000 */
  cacheSize?: number
  /** How long an introspection call may take before the request fails with 503, seconds. @default 2 */
  timeout?: number
}

/**
 * How a revoked session is noticed:
 * - `'stateless'`: signature and claims only; a logout or revocation takes effect only when the
 *   access token expires (at most the issuer's `accessTtl`).
 * - `{ introspection }`: ask the issuer, with a short cache (stale by at most `cacheTtl`).
 * - `{ store }`: the issuer's own session store (e.g. the same Redis): immediate, as on the issuer.
 */
export type RevocationOption =
  'stateless' | { introspection: IntrospectionRevocation } | { store: SessionStore }

export interface JwksOptions {
  /** How long fetched keys are reused, seconds. @default 600 */
  cacheMaxAge?: number
  /** How many keys to keep. @default 16 */
  cacheMaxEntries?: number
  /**
   * How many JWKS fetches per minute an unknown `kid` may cause: beyond it, tokens naming unknown
   * keys are refused without a fetch, so garbage `kid`s cannot hammer the issuer. @default 10
   */
  requestsPerMinute?: number
  /** How long a JWKS fetch may take, seconds. @default 5 */
  timeout?: number
}

export interface VerifierOptions {
  /** The `iss` the tokens must carry (the issuer's `issuer` option). */
  issuer: string
  /** The `aud` the tokens must carry. */
  audience: string
  /** Where the issuer publishes its public keys: `https://…/.well-known/jwks.json`. Or give `keys`. */
  jwksUri?: string
  /** The verification keys themselves: keyring entries (`publicKey`, or a shared `secret`). Or give `jwksUri`. */
  keys?: readonly KeyringEntry[]
  /** With `jwksUri`, the algorithms accepted. @default ['ES256', 'RS256', 'PS256'] */
  algorithms?: readonly Algorithm[]
  /** JWKS fetching and caching, with `jwksUri` (by jwks-rsa). */
  jwks?: JwksOptions
  /** How a revoked session is noticed; no default, as each choice is a trade-off to make knowingly. */
  revocation: RevocationOption
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, seconds. @default 5 */
  leeway?: number
  /** Longest token accepted, in characters. @default 8192 */
  maxTokenLength?: number
  /** The `realm` of `WWW-Authenticate` challenges. @default the issuer */
  realm?: string
  /** `Retry-After` sent with a 503, seconds. @default 1 */
  retryAfter?: number
  /** With `{ store }`: how long a store call may take before a 503, seconds. @default 2 */
  storeTimeout?: number
  /**
   * How many verified access tokens to remember, so a token seen again skips the signature check
   * (revocation is still checked every time). About 1 KiB per entry; 0 turns it off.
   * @default 10_000
   */
  verifyCacheSize?: number
  /** The clock, epoch milliseconds. @default Date.now */
  now?: () => number
}
