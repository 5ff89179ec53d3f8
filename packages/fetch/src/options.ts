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
  /**
   * Optional, for a storage that several clients share (tabs, processes): runs `critical` while
   * no other client of this storage runs its own, so that one refreshes and the others adopt its
   * result. Rejects (without running `critical`) when the lock cannot be had in time; the client
   * then reports that to `onError` and refreshes without it. `signal` aborts the wait.
   */
  lock?: (<T>(critical: () => Promise<T>, signal: AbortSignal) => Promise<T>) | undefined
  /**
   * Optional: calls `listener` whenever another client changed the storage (a `storage` event, a
   * `BroadcastChannel` message); returns a function that stops listening.
   */
  watch?: ((listener: (change: StorageChange) => void) => () => void) | undefined
  /**
   * Optional, for storages nothing can watch (a file): whether another client may have changed
   * the storage since this one last read or wrote it. Asked before each use; must be cheap.
   */
  changed?: (() => boolean) | undefined
}

/** What another client sharing the storage did, as `watch` reports it. */
export interface StorageChange {
  /** What the storage holds now: anything `load()` returns; `null` once it was cleared. */
  readonly value: unknown
  /**
   * Set when the change was made to a *copy* of this storage (a duplicated tab's
   * `sessionStorage`): the access token of the tokens the change replaced. A client adopts the
   * change only if those were its own tokens, since a copy may hold an unrelated session.
   */
  readonly replaces?: string | undefined
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
  /**
   * Cookie mode, for browser apps on a server with `@baton/express`'s `refreshCookie`: the refresh
   * token lives in an `HttpOnly` cookie no script can read, never in JavaScript. Refresh, login and
   * logout go with `credentials: 'include'` and `X-Baton-CSRF: 1`; the access token is kept in
   * memory and shared between the tabs of the origin (one refresh for all of them); with no token
   * in memory (a new tab, a reload), the first request refreshes by the cookie first. Needs
   * `refreshUrl`; cannot go with `refresh`, `login`, `clientAuthentication` or `storage`, and
   * `tokens` must hold no refresh token. `revocationUrl` defaults to `revoke` beside `refreshUrl`.
   * @default false
   */
  refreshCookie?: boolean | undefined
  /** The body of the `refreshUrl` request: form-encoded (RFC 6749) or JSON. @default 'form' */
  refreshEncoding?: 'form' | 'json' | undefined
  /**
   * Extra fields sent with the refresh grant and the revocation, such as `client_id`.
   * @default {}
   */
  refreshParams?: Readonly<Record<string, string>> | undefined
  /**
   * How this client authenticates to `refreshUrl` and `revocationUrl`, for servers that require
   * it (RFC 6749 §2.3.1). The secret is sent only to those two URLs and never shown in an error.
   * @default undefined (a public client: only `refreshParams`, e.g. `client_id`, is sent)
   */
  clientAuthentication?: ClientAuthentication | undefined
  /**
   * Posts `api.login(credentials)`'s credentials as JSON to this URL when there is no `login`
   * callback, the way `@baton/express`'s `/login` takes them; the answer is a token response.
   * @default undefined
   */
  loginUrl?: string | URL | undefined
  /**
   * Refreshes in your own way instead of `refreshUrl`; resolves to new tokens. Throw an error
   * with `status` 400 or 401 (or an `AuthError` `AUTH_SESSION_EXPIRED`) when the refresh token is
   * dead; any other error counts as transient.
   * @default undefined
   */
  refresh?: RefreshFunction | undefined
  /**
   * Logs in again when the session cannot be refreshed (or a request without a token gets a
   * 401); resolves to new tokens. Also exposed as `api.login()`. A failure ends the session,
   * except an `AuthError` `AUTH_REFRESH_UNAVAILABLE` from `api.login()` (the login could not be
   * tried), which is passed on with the tokens kept.
   * @default undefined (the session ends with `AUTH_SESSION_EXPIRED`)
   */
  login?: LoginFunction | undefined
  /**
   * The RFC 7009 revocation endpoint `logout()` posts the refresh token (else the access token)
   * to, e.g. `https://api.example.com/auth/revoke`; in cookie mode it posts no token and the
   * cookie's session ends.
   * @default undefined (logout only forgets the tokens locally); with `refreshCookie`,
   *   `new URL('revoke', refreshUrl)`, where `@baton/express` mounts it
   */
  revocationUrl?: string | URL | undefined
  /** Where the tokens persist. Not with `refreshCookie` (memory only). @default memoryStorage() */
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

/** Client authentication at the token endpoint (RFC 6749 §2.3.1). */
export interface ClientAuthentication {
  readonly clientId: string
  readonly clientSecret: string
  /**
   * `client_secret_basic` (HTTP Basic, which RFC 6749 requires servers to support) or
   * `client_secret_post` (`client_id` and `client_secret` in the form body).
   * @default 'client_secret_basic'
   */
  readonly method?: 'client_secret_basic' | 'client_secret_post' | undefined
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
  /** What the caller gave `api.login(credentials)`; `undefined` for a login the client started. */
  readonly credentials?: unknown
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
 * is missing), `login_failed` (the `login` callback failed), `logout`, or `elsewhere` (another
 * client sharing the storage cleared it: it logged out, or its session ended).
 */
export type SessionEndReason = 'expired' | 'login_failed' | 'logout' | 'elsewhere'

/** What `onSessionEnd` receives. */
export interface SessionEnd {
  readonly reason: SessionEndReason
  /** The error the waiting requests rejected with; absent for `logout`. */
  readonly error?: AuthError<'AUTH_SESSION_EXPIRED'>
}
