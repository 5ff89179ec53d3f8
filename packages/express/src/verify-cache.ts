/**
 * A bounded memo of access tokens that passed `verifyAccessToken`, one entry per token.
 *
 * Why: a CPU profile of `auth.required()` under load (bench/, issue #6) put ~90% of the
 * verifier's own time in `verifyAccessToken` — our header and payload decodes, then jsonwebtoken
 * decoding the token again and computing the HMAC — and ~5% in the session lookup. A token never
 * changes, and whether `verifyAccessToken` accepts it depends only on the token and `now` (keys,
 * issuer, audience and leeway are fixed per `createAuth`), so its answer holds for as long as
 * `now` stays inside the window in which the token is valid. That window is computed here with the
 * very comparisons jsonwebtoken and `verifyAccessToken` make, so a hit never accepts a token the
 * full check would refuse at that `now`; outside it, the caller falls back to the full check,
 * which then gives the precise error (expired, not yet valid, issued in the future).
 *
 * Only what passed is remembered, so refused tokens cannot fill the cache. The session check
 * (the sid exists and belongs to the sub) is deliberately not cached: `createAuth` runs it on
 * every request, which keeps logout, revocation, reuse detection and eviction immediate.
 */
import { LRUCache } from 'lru-cache'
import type { AuthInfo } from './access-token.js'
import { splitScope } from './scope.js'

/**
 * How many of a token's last characters key its entry. Why not the whole token: hashing a
 * ~350-character string that arrived in a header costs ~1 µs (V8 hashes every new string in
 * full), against ~0.3 µs for its signature's last 32 characters and a compare of the whole token
 * with the entry's. The compare keeps the answer exact; two tokens ending alike (192 bits of a
 * MAC or signature) only share a slot, and only tokens that passed are ever put in one.
 */
const KEY_LENGTH = 32

interface Entry {
  /** The whole token the entry is for: a hit must be this very token. */
  token: string
  /** The verified claims; never handed out, only copies of them. */
  claims: Record<string, unknown>
  /**
   * The claims as JSON when some claim is an object or array, so every hit parses its own deep
   * copy; undefined when all are primitives, and a shallow copy is already a full one. Either
   * way no caller sees another's edits to `req.auth`.
   */
  json: string | undefined
  /** The `scope` claim split once; every hit gets its own copy. */
  scope: string[]
  /** Earliest `now` at which the token is valid, epoch ms. */
  validFrom: number
  /** Latest `now` at which the token is valid, epoch ms. */
  validUntil: number
}

export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, Entry> | undefined
  readonly #leewayMs: number

  /** `max` 0 turns the cache off: every `get` misses and `set` remembers nothing. */
  constructor(max: number, leewayMs: number) {
    this.#entries = max > 0 ? new LRUCache<string, Entry>({ max }) : undefined
    this.#leewayMs = leewayMs
  }

  /** The token's `AuthInfo` if it passed before and is still valid at `now`; else undefined. */
  get(token: string, now: number): AuthInfo | undefined {
    const entries = this.#entries
    // `auth.verify(req.query.token)` may be handed anything: the full check refuses it.
    if (entries === undefined || typeof token !== 'string') return undefined
    const key = token.slice(-KEY_LENGTH)
    const entry = entries.get(key)
    if (entry === undefined || entry.token !== token) return undefined
    if (now < entry.validFrom || now > entry.validUntil) {
      entries.delete(key)
      return undefined
    }
    // jsonwebtoken reads the real clock when `Math.floor(now / 1000)` is 0 (`clockTimestamp ||
    // Date.now()`), so within the epoch's first second only the full check knows the answer.
    if (now >= 0 && now < 1000) return undefined
    // A shallow copy costs ~0.03 µs, JSON.parse of typical claims ~0.8 µs and its garbage.
    const claims =
      entry.json === undefined
        ? { ...entry.claims }
        : (JSON.parse(entry.json) as Record<string, unknown>)
    return {
      sub: claims.sub as string,
      sid: claims.sid as string,
      jti: claims.jti as string,
      scope: entry.scope.slice(),
      claims,
    }
  }

  /** Remembers what `verifyAccessToken` answered for `token`. */
  set(token: string, info: AuthInfo): void {
    if (this.#entries === undefined) return
    const window = validityWindow(info.claims, this.#leewayMs)
    // A window that cannot be computed exactly (time claims or a leeway so large that the
    // bounds lose precision) is not cached: such a token just takes the full check every time.
    if (window === undefined) return
    const claims = { ...info.claims }
    const nested = Object.values(claims).some(
      (value) => typeof value === 'object' && value !== null,
    )
    this.#entries.set(token.slice(-KEY_LENGTH), {
      token,
      claims,
      json: nested ? JSON.stringify(claims) : undefined,
      scope: splitScope(claims.scope as string | undefined),
      ...window,
    })
  }
}

/**
 * The `now` range (epoch ms, both ends included) in which `verifyAccessToken` accepts claims it
 * has accepted once, or undefined when it cannot be computed exactly. The three rules, as
 * `verifyAccessToken` applies them with `clockTimestamp = Math.floor(now / 1000)` and
 * `clockTolerance = leewayMs / 1000`:
 *
 * - exp (jsonwebtoken): refused when `clockTimestamp >= exp + clockTolerance`;
 * - nbf (jsonwebtoken): refused when `nbf > clockTimestamp + clockTolerance`;
 * - iat (ours): refused when `iat * 1000 > now + leewayMs`.
 *
 * Each bound is computed, then checked with that same floating-point expression on both of its
 * sides; when a check fails (huge or fractional values) the token is simply not cached.
 */
export function validityWindow(
  claims: Record<string, unknown>,
  leewayMs: number,
): { validFrom: number; validUntil: number } | undefined {
  const { exp, nbf, iat } = claims
  const tolerance = leewayMs / 1000
  if (!isFiniteNumber(exp) || !isFiniteNumber(iat)) return undefined

  // The last second (clockTimestamp) exp still allows.
  const lastSecond = Math.ceil(exp + tolerance) - 1
  if (!(lastSecond < exp + tolerance) || lastSecond + 1 < exp + tolerance) return undefined
  const validUntil = (lastSecond + 1) * 1000 - 1

  // The first millisecond iat allows.
  let validFrom = Math.ceil(iat * 1000 - leewayMs)
  if (iat * 1000 > validFrom + leewayMs || !(iat * 1000 > validFrom - 1 + leewayMs)) {
    return undefined
  }

  if (nbf !== undefined) {
    if (!isFiniteNumber(nbf)) return undefined
    // The first second (clockTimestamp) nbf allows.
    const firstSecond = Math.ceil(nbf - tolerance)
    if (nbf > firstSecond + tolerance || !(nbf > firstSecond - 1 + tolerance)) return undefined
    validFrom = Math.max(validFrom, firstSecond * 1000)
  }

  if (!Number.isSafeInteger(validFrom) || !Number.isSafeInteger(validUntil)) return undefined
  return { validFrom, validUntil }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}
