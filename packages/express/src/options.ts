/**
 * The public options of `createAuth` and what they resolve to. Types only: `resolve-options.ts`
 * applies the defaults and validates.
 */
import type { Request } from 'express'
import type { Algorithm } from './algorithms.js'
import type { Keyring, KeysOption, RefreshSecretOption } from './keys.js'
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
    | 'refresh_resynced'
    | 'refresh_reused'
    | 'logout'
    | 'revoked'
    | 'evicted'
    | 'rejected'
  sub?: string
  sid?: string
  /**
   * `evicted`: `session_limit` or `capacity`; `rejected`: the error `code`; `refresh_resynced`:
   * `store_lost_writes` (a refresh token newer than the store's generation was presented).
   */
  reason?: string
  /**
   * `evicted` for `capacity`: how many capacity evictions this event stands for (itself and those
   * since the previous one), as they are reported at most once a second.
   */
  count?: number
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
  /**
   * The algorithm of `{ secret }` / `{ passphrase }` keys and of keyring keys without one (an
   * asymmetric key takes it when it fits). Without `keys`, an asymmetric algorithm generates a
   * key pair at start-up.
   * @default 'HS256'
   */
  algorithm?: Algorithm
  /**
   * The refresh-token MAC secret (base64/base64url of ≥ 32 random bytes), or several: the first
   * MACs new refresh tokens, all verify. Required when an asymmetric key signs; with HMAC keys it
   * replaces the key derived from the signing secret (tokens MACed with that still verify).
   * @default derived with HKDF from the HMAC signing key
   */
  refreshSecret?: RefreshSecretOption
  /**
   * The RFC 9068 `client_id` claim of every access token: the client the token was issued to.
   * Baton's clients log in first-party, so one id names them all.
   * @default 'baton'
   */
  clientId?: string
  /**
   * Who may call `POST /introspect` (RFC 7662 §2.1 requires the caller to authenticate).
   * Without it the route does not exist.
   */
  introspection?: IntrospectionOptions
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
  /**
   * Browsers get the refresh token in an `HttpOnly` cookie instead of the response body, with a
   * CSRF check on every request the cookie authenticates; body clients keep working unchanged.
   * `true` takes every default of `RefreshCookieOptions`.
   * @default false (the refresh token travels in bodies only)
   */
  refreshCookie?: boolean | RefreshCookieOptions
}

/** The refresh-token cookie (see the README's "Cookie transport"). */
export interface RefreshCookieOptions {
  /** The cookie name. @default 'baton_refresh' */
  name?: string
  /** The cookie `Path`. @default where the router is mounted (`req.baseUrl`), so API calls never carry it */
  path?: string
  /** `SameSite`: `'lax'` also sends it on top-level cross-site navigations. @default 'strict' */
  sameSite?: 'strict' | 'lax'
  /**
   * The `Secure` attribute. Browsers accept Secure cookies on `http://localhost`, so development
   * rarely needs `false`; it is refused when NODE_ENV asks for production rules.
   * @default true
   */
  secure?: boolean
  /** The cookie `Domain`. @default none: a host-only cookie */
  domain?: string
  /**
   * The origins (`https://app.example.com`) allowed to make cookie-authenticated requests.
   * @default the request's own origin (its `Host`) only
   */
  origins?: readonly string[]
}

/** The resolved cookie settings; `path` undefined means the router's mount path. */
export interface RefreshCookie {
  name: string
  path: string | undefined
  sameSite: 'strict' | 'lax'
  secure: boolean
  domain: string | undefined
  /** Undefined: the request's own origin only. */
  origins: ReadonlySet<string> | undefined
}

/** Who may introspect: resource-server credentials, a rule of the request, or both (either admits). */
export interface IntrospectionOptions {
  /**
   * Resource servers by client id → secret; they authenticate with HTTP Basic
   * (`client_secret_basic`) or `client_id` + `client_secret` form fields (`client_secret_post`).
   */
  clients?: Readonly<Record<string, string>>
  /** A rule of the request (mTLS, a network check, an API key): true admits the caller. */
  authorize?: (req: Request) => boolean | Promise<boolean>
}

/** The resolved introspection rule: whether this request may introspect. */
export interface IntrospectionRule {
  /** The client ids `clients` configured: the metadata then lists the secret methods. */
  hasClients: boolean
  admits: (req: Request) => Promise<boolean>
}

/** Options with defaults applied and validated, durations in milliseconds. */
export interface ResolvedOptions {
  issuer: string
  audience: string
  keyring: Keyring
  clientId: string
  introspection: IntrospectionRule | undefined
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
  /** Whole seconds: it is sent as the `Retry-After` header of 503s. */
  retryAfterSeconds: number
  onEvent: (event: AuthEvent) => unknown
  now: () => number
  /** Undefined: no cookie transport. */
  refreshCookie: RefreshCookie | undefined
}
