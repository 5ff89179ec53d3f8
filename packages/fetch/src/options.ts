/**
 * The public types of `createAuthFetch`'s options and of the callbacks it calls. Types only: this
 * file imports no implementation, so that every implementation can import it (`resolve-options.ts`
 * turns these options into the resolved ones, once, at construction).
 */
import type { AuthError } from './errors.js'
import type { TokenSet, TokenSetLike } from './token-set.js'

/**
 * The contract of the `storage` option: where a client keeps its tokens between runs. Each method
 * may return a value or a Promise.
 */
export interface TokenStorage {
  /**
   * The saved tokens: anything `TokenSet.parse` reads (its JSON string, a plain object, a
   * `TokenSet`), or `null`/`undefined` when nothing is saved.
   */
  load(): unknown
  save(tokens: TokenSet): void | Promise<void>
  clear(): void | Promise<void>
}

/** The signature of the global `fetch`. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface AuthFetchOptions {
  /**
   * The origins (`scheme://host[:port]`) that receive the bearer token. A request to any other
   * origin is passed to the underlying fetch untouched: no token, no refresh, no retry.
   */
  origins: readonly (string | URL)[]
  /**
   * The token endpoint for the RFC 6749 §6 `refresh_token` grant, e.g.
   * `https://api.example.com/auth/refresh`. Give this or `refresh`, not both.
   * @default undefined (no refresh: a refused token ends the session)
   */
  refreshUrl?: string | URL | undefined
  /** The body of the `refreshUrl` request: form-encoded (RFC 6749) or JSON. @default 'form' */
  refreshEncoding?: 'form' | 'json' | undefined
  /**
   * Extra fields sent with the refresh grant and the revocation, such as `client_id`.
   * @default {}
   */
  refreshParams?: Readonly<Record<string, string>> | undefined
  /**
   * Refreshes in your own way instead of `refreshUrl`; resolves to new tokens. Throw an error
   * with `status` 400 or 401 (or an `AuthError` `AUTH_SESSION_EXPIRED`) when the refresh token is
   * dead; any other error counts as transient.
   * @default undefined
   */
  refresh?: RefreshFunction | undefined
  /**
   * Logs in again when the session cannot be refreshed (or a request without a token gets a
   * 401); resolves to new tokens. Also exposed as `api.login()`.
   * @default undefined (the session ends with `AUTH_SESSION_EXPIRED`)
   */
  login?: LoginFunction | undefined
  /**
   * The RFC 7009 revocation endpoint `logout()` posts the refresh token (else the access token)
   * to, e.g. `https://api.example.com/auth/revoke`.
   * @default undefined (logout only forgets the tokens locally)
   */
  revocationUrl?: string | URL | undefined
  /** Where the tokens persist. @default memoryStorage() */
  storage?: TokenStorage | undefined
  /**
   * Tokens to start with: a `TokenSet` or anything `TokenSet.parse` reads. When given, the
   * storage is not read at start (it is written at the next change).
   * @default undefined (load from `storage`)
   */
  tokens?: TokenSetLike | string | undefined
  /**
   * Refresh before sending when the access token expires within this many **seconds** (never
   * before half its lifetime). @default 30
   */
  refreshBefore?: number | undefined
  /**
   * Which requests may be sent twice — after a refresh, and after a transient failure — or
   * `false`: never send a request twice (a refused request's 401 is returned after the refresh).
   * @default { methods: ['GET', 'HEAD', 'OPTIONS'], statuses: [502, 503, 504], maxRetryAfter: 10 } (seconds)
   */
  retry?: RetryOptions | false | undefined
  /**
   * The underlying fetch, for requests and for the refresh itself.
   * @default globalThis.fetch, as it is when createAuthFetch is called
   */
  fetch?: FetchFunction | undefined
  /**
   * Called with the new tokens after every change, and with `null` when they are cleared; not
   * for the tokens loaded at start.
   * @default undefined
   */
  onTokens?: ((tokens: TokenSet | null) => void) | undefined
  /** Called once each time the session ends, with why. @default undefined */
  onSessionEnd?: ((end: SessionEnd) => void) | undefined
  /**
   * Called with errors that have nowhere else to go: a storage that failed to load or save, a
   * hook that threw, a failed revocation. None of them fails a request.
   * @default globalThis.reportError where it exists (browsers), else ignored
   */
  onError?: ((error: unknown) => void) | undefined
  /** The clock: now, in epoch **milliseconds**. @default Date.now */
  now?: (() => number) | undefined
  /**
   * Waits `ms` **milliseconds** before a transient retry. Tests inject one that resolves at once.
   * @default a setTimeout that an abort clears
   */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
}

export interface RetryOptions {
  /**
   * The methods this client may send twice: retried once after a refresh, and once after a
   * transient failure. Compared case-insensitively. Other methods get the 401 `Response` back.
   * @default ['GET', 'HEAD', 'OPTIONS']
   */
  methods?: readonly string[] | undefined
  /** The statuses retried once, after a delay, for those methods; `[]` for none. @default [502, 503, 504] */
  statuses?: readonly number[] | undefined
  /** The longest `Retry-After` waited for, in **seconds**; a longer one is cut to this. @default 10 */
  maxRetryAfter?: number | undefined
}

/** What the `refresh` option receives. */
export interface RefreshRequest {
  readonly refreshToken: string
  /** Aborted when the client is disposed or logged out while the refresh runs. */
  readonly signal: AbortSignal
  /**
   * The fetch beneath this client. Refresh with it: a request through `api.fetch` (or through a
   * `globalThis.fetch` replaced by it) would wait for the very refresh it is part of.
   */
  readonly fetch: FetchFunction
}

export type RefreshFunction = (request: RefreshRequest) => TokenSetLike | Promise<TokenSetLike>

/** What the `login` option receives. */
export interface LoginRequest {
  /** Aborted when the client is disposed or logged out while the login runs. */
  readonly signal: AbortSignal
  /**
   * The fetch beneath this client. Log in with it: a request through `api.fetch` (or through a
   * `globalThis.fetch` replaced by it) would wait for the very login it is part of.
   */
  readonly fetch: FetchFunction
}

export type LoginFunction = (request: LoginRequest) => TokenSetLike | Promise<TokenSetLike>

/**
 * Why the session ended: `expired` (the refresh was rejected, or the refresh token has expired or
 * is missing), `login_failed` (the `login` callback failed), or `logout`.
 */
export type SessionEndReason = 'expired' | 'login_failed' | 'logout'

/** What `onSessionEnd` receives. */
export interface SessionEnd {
  readonly reason: SessionEndReason
  /** The error the waiting requests rejected with; absent for `logout`. */
  readonly error?: AuthError<'AUTH_SESSION_EXPIRED'>
}
