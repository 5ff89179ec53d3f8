import type { Request } from 'express'
import { ALGORITHMS, resolveKeys, type Algorithm, type Keyring, type KeysOption } from './keys.js'
import { LruSessionStore } from './lru-session-store.js'
import type { SessionStore } from './session-store.js'

/** What `authenticate` answers for a good username and password. */
export interface AuthenticatedUser {
  /** The subject: a stable user id. */
  sub: string
  /**
   * Extra claims for every access token of the session (e.g. `{ role: 'admin' }`). `scope` may be
   * a space-delimited string or an array. Registered claims (`iss`, `sub`, `exp`, …) are refused.
   */
  claims?: Record<string, unknown>
}

export interface Credentials {
  username: string
  password: string
}

/** One event, never carrying a token. */
export interface AuthEvent {
  type:
    | 'login'
    | 'refresh'
    | 'refresh_replayed'
    | 'refresh_reused'
    | 'logout'
    | 'revoked'
    | 'evicted'
    | 'rejected'
  sub?: string
  sid?: string
  /** `evicted`: `session_limit` or `capacity`; `rejected`: the error `code`. */
  reason?: string
  /** Epoch milliseconds. */
  at: number
}

export interface AuthOptions {
  /** The `iss` claim: set on issue, required on verify. @default 'baton' */
  issuer?: string
  /** The `aud` claim: set on issue, required on verify (a string or an array containing it). @default 'baton' */
  audience?: string
  /**
   * Signing keys: `{ secret }` (base64/base64url of ≥ 32 random bytes for HS256, ≥ 48 for HS384,
   * ≥ 64 for HS512), `{ passphrase, salt }` (scrypt), or a keyring `[{ kid, secret, algorithm? }]`
   * whose first key signs and all verify.
   * @default a random key, with a warning (an error under NODE_ENV=production): tokens die on restart
   */
  keys?: KeysOption
  /** The HMAC algorithm of `{ secret }` / `{ passphrase }` keys, and of keyring keys without one. @default 'HS256' */
  algorithm?: Algorithm
  /** Checks a username and password for `POST /login`: the user, or null. Without it, no `/login` route. */
  authenticate?: (
    credentials: Credentials,
    req: Request,
  ) => Promise<AuthenticatedUser | null> | AuthenticatedUser | null
  /** Where sessions live. @default a new `LruSessionStore({ max: 100_000 })` for this instance */
  store?: SessionStore
  /** Access token lifetime, seconds. @default 900 */
  accessTtl?: number
  /** Refresh token lifetime from its issue (the idle timeout), seconds. @default 86_400 */
  refreshTtl?: number
  /** Absolute session lifetime from login, seconds; no refresh outlives it. @default 2_592_000 (30 days) */
  sessionMaxAge?: number
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, seconds. @default 5 */
  leeway?: number
  /** Most live sessions per user. @default 10 */
  maxSessionsPerUser?: number
  /** At the cap: evict the user's oldest session, or refuse the login with 403 `session_limit`. @default 'evict-oldest' */
  onSessionLimit?: 'evict-oldest' | 'reject'
  /** How long the previous refresh token is still honoured after a rotation, seconds; 0 = never. @default 10 */
  reuseGrace?: number
  /** Longest token accepted, in characters; longer ones are refused before any parsing. @default 8192 */
  maxTokenLength?: number
  /**
   * How many verified access tokens to remember (whole token → its claims, until it expires), so a
   * token seen again skips the signature and claim checks. The session check still runs on every
   * request, so logout and revocation stay immediate. About 1 KiB per entry; 0 turns it off.
   * @default 10_000
   */
  verifyCacheSize?: number
  /** The `realm` of `WWW-Authenticate` challenges. @default the issuer */
  realm?: string
  /** How long a store call may take before the request fails with 503, seconds. @default 2 */
  storeTimeout?: number
  /** `Retry-After` sent with a 503 when the store is unavailable, seconds. @default 1 */
  retryAfter?: number
  /**
   * Receives every event. What it returns is ignored (so `(e) => list.push(e)` and async
   * functions both fit), and so is what it throws or a promise it returns rejects with.
   */
  onEvent?: (event: AuthEvent) => unknown
  /** The clock, epoch milliseconds; tests inject one to control time. @default Date.now */
  now?: () => number
}

/** Options with defaults applied and validated, durations in milliseconds. */
export interface ResolvedOptions {
  issuer: string
  audience: string
  keyring: Keyring
  authenticate: AuthOptions['authenticate']
  store: SessionStore
  accessTtlMs: number
  refreshTtlMs: number
  sessionMaxAgeMs: number
  leewayMs: number
  maxSessionsPerUser: number
  onSessionLimit: 'evict-oldest' | 'reject'
  reuseGraceMs: number
  maxTokenLength: number
  verifyCacheSize: number
  realm: string
  storeTimeoutMs: number
  retryAfter: number
  onEvent: (event: AuthEvent) => unknown
  now: () => number
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'keys',
  'algorithm',
  'authenticate',
  'store',
  'accessTtl',
  'refreshTtl',
  'sessionMaxAge',
  'leeway',
  'maxSessionsPerUser',
  'onSessionLimit',
  'reuseGrace',
  'maxTokenLength',
  'verifyCacheSize',
  'realm',
  'storeTimeout',
  'retryAfter',
  'onEvent',
  'now',
])

// Characters that could break out of a quoted-string in a WWW-Authenticate header.
const HEADER_SAFE = /^[\x20-\x7e]+$/

/** Applies defaults and validates every option once; a bad one throws a TypeError naming it. */
export function resolveOptions(options: AuthOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options must be an object')
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`unknown option ${JSON.stringify(name)}`)
    // null must not quietly mean "the default": a `store: null` is a bug, not a request for LRU.
    if ((options as Record<string, unknown>)[name] === null)
      throw new TypeError(`${name} must not be null`)
  }
  const issuer = text(options.issuer ?? 'baton', 'issuer')
  const audience = text(options.audience ?? 'baton', 'audience')
  const realm = text(options.realm ?? issuer, 'realm')
  if (/["\\]/.test(realm)) throw new TypeError('realm must not contain quotes or backslashes')

  const algorithm = options.algorithm ?? 'HS256'
  if (!ALGORITHMS.includes(algorithm)) {
    throw new TypeError(`algorithm must be one of ${ALGORITHMS.join(', ')}`)
  }
  if (options.keys === undefined && process.env.NODE_ENV === 'production') {
    throw new TypeError('keys is required when NODE_ENV=production (a random key dies on restart)')
  }
  const keyring = resolveKeys(options.keys, algorithm)
  if (keyring.ephemeral) {
    process.emitWarning(
      'No keys were given, so a random key was generated: tokens stop working when the process restarts. Set keys (or BATON_SECRET).',
      { code: 'BATON_EPHEMERAL_KEY' },
    )
  }

  // Whole seconds: they become the integer `exp` of JWTs and `expires_in` of token responses.
  const accessTtl = integer(options.accessTtl ?? 900, 'accessTtl', 1)
  const refreshTtl = integer(options.refreshTtl ?? 86_400, 'refreshTtl', 1)
  const sessionMaxAge = integer(options.sessionMaxAge ?? 30 * 86_400, 'sessionMaxAge', 1)
  if (accessTtl > refreshTtl) {
    throw new TypeError(
      'accessTtl must not be longer than refreshTtl (an access token would outlive its session)',
    )
  }
  const onSessionLimit = options.onSessionLimit ?? 'evict-oldest'
  if (onSessionLimit !== 'evict-oldest' && onSessionLimit !== 'reject') {
    throw new TypeError("onSessionLimit must be 'evict-oldest' or 'reject'")
  }
  const now = options.now ?? Date.now
  if (typeof now !== 'function')
    throw new TypeError('now must be a function returning epoch milliseconds')
  const onEvent = options.onEvent ?? (() => {})
  if (typeof onEvent !== 'function') throw new TypeError('onEvent must be a function')
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    throw new TypeError('authenticate must be a function')
  }
  const store = options.store ?? new LruSessionStore({ max: 100_000, now })
  if (!isStore(store)) {
    throw new TypeError(
      'store must implement SessionStore (get, create, rotate, touch, delete, listBySubject, deleteBySubject)',
    )
  }

  return {
    issuer,
    audience,
    keyring,
    authenticate: options.authenticate,
    store,
    accessTtlMs: accessTtl * 1000,
    refreshTtlMs: refreshTtl * 1000,
    sessionMaxAgeMs: sessionMaxAge * 1000,
    leewayMs: seconds(options.leeway ?? 5, 'leeway', 0) * 1000,
    maxSessionsPerUser: integer(options.maxSessionsPerUser ?? 10, 'maxSessionsPerUser', 1),
    onSessionLimit,
    reuseGraceMs: seconds(options.reuseGrace ?? 10, 'reuseGrace', 0) * 1000,
    maxTokenLength: integer(options.maxTokenLength ?? 8192, 'maxTokenLength', 64),
    verifyCacheSize: integer(options.verifyCacheSize ?? 10_000, 'verifyCacheSize', 0),
    realm,
    storeTimeoutMs: timer(options.storeTimeout ?? 2, 'storeTimeout', 0.001) * 1000,
    retryAfter: integer(options.retryAfter ?? 1, 'retryAfter', 0),
    onEvent,
    now,
  }
}

function text(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 512 ||
    !HEADER_SAFE.test(value)
  ) {
    throw new TypeError(
      `${name} must be a non-empty string of printable ASCII (at most 512 characters)`,
    )
  }
  return value
}

function seconds(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${name} must be a finite number of seconds ≥ ${min}`)
  }
  return value
}

/** The longest delay `setTimeout` keeps (2³¹ − 1 ms); a longer one fires at once. */
const MAX_TIMER_SECONDS = 2_147_483

function timer(value: unknown, name: string, min: number): number {
  const parsed = seconds(value, name, min)
  if (parsed > MAX_TIMER_SECONDS) {
    throw new TypeError(
      `${name} must be at most ${MAX_TIMER_SECONDS} seconds (Node's longest timer)`,
    )
  }
  return parsed
}

function integer(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer ≥ ${min}`)
  }
  return value
}

function isStore(value: unknown): value is SessionStore {
  // null never gets here: resolveOptions refuses null options first.
  if (typeof value !== 'object') return false
  const store = value as Record<string, unknown>
  return ['get', 'create', 'rotate', 'touch', 'delete', 'listBySubject', 'deleteBySubject'].every(
    (method) => typeof store[method] === 'function',
  )
}
