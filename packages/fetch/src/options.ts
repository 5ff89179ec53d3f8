/**
 * The options of `createAuthFetch`, their defaults and their validation — once, at construction.
 * A bad option is a programmer mistake: a `TypeError` whose message names the option.
 */
import { sleep } from './abort.js'
import type { LoginFunction } from './refresher.js'
import type { RefreshFunction } from './refresh-grant.js'
import { documentBase, type FetchFunction } from './request.js'
import {
  DEFAULT_MAX_RETRY_AFTER,
  DEFAULT_RETRY_METHODS,
  DEFAULT_RETRY_STATUSES,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js'
import type { SessionEnd } from './session.js'
import { memoryStorage, type TokenStorage } from './storage.js'
import { TokenSet, type TokenSetLike } from './token-set.js'

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
  /** Refresh before sending when the access token expires within this many seconds. @default 30 */
  refreshBefore?: number | undefined
  /**
   * Which requests may be sent twice — after a refresh, and after a transient failure — or
   * `false`: never send a request twice (a refused request's 401 is returned after the refresh).
   * @default { methods: ['GET', 'HEAD', 'OPTIONS'], statuses: [502, 503, 504], maxRetryAfter: 10 }
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
  /** The clock: now, in epoch milliseconds. @default Date.now */
  now?: (() => number) | undefined
  /**
   * Waits `ms` milliseconds before a transient retry. Tests inject one that resolves at once.
   * @default a setTimeout that an abort clears
   */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
}

export interface ResolvedOptions {
  readonly origins: ReadonlySet<string>
  readonly refreshUrl: URL | undefined
  readonly refreshEncoding: 'form' | 'json'
  readonly refreshParams: Readonly<Record<string, string>>
  readonly refresh: RefreshFunction | undefined
  readonly login: LoginFunction | undefined
  readonly revocationUrl: URL | undefined
  readonly storage: TokenStorage
  readonly tokens: TokenSet | undefined
  /** Milliseconds. */
  readonly refreshBefore: number
  readonly retry: RetryPolicy
  readonly fetch: FetchFunction
  readonly onTokens: (tokens: TokenSet | null) => void
  readonly onSessionEnd: (end: SessionEnd) => void
  readonly onError: (error: unknown) => void
  readonly now: () => number
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

const NAME = 'createAuthFetch'
/** RFC 9110 §5.6.2 `token`, the grammar of a method name. */
const METHOD = /^[!#$%&'*+.^`|~\w-]+$/
/** Fields the refresh grant sets itself. */
const RESERVED_PARAMS = new Set(['grant_type', 'refresh_token', 'token', 'token_type_hint'])

export function resolveOptions(options: AuthFetchOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${NAME}: options must be an object`)
  }
  if (options.refreshUrl !== undefined && options.refresh !== undefined) {
    throw new TypeError(`${NAME}: give refreshUrl or refresh, not both`)
  }
  const fetchFunction = options.fetch ?? globalThis.fetch
  const now = optionalFunction(options.now, 'now') ?? Date.now
  const onError = optionalFunction(options.onError, 'onError') ?? defaultOnError()
  return {
    origins: resolveOrigins(options.origins),
    refreshUrl: optionalUrl(options.refreshUrl, 'refreshUrl'),
    refreshEncoding: oneOf(options.refreshEncoding, ['form', 'json'], 'refreshEncoding') ?? 'form',
    refreshParams: resolveParams(options.refreshParams),
    refresh: optionalFunction(options.refresh, 'refresh'),
    login: optionalFunction(options.login, 'login'),
    revocationUrl: optionalUrl(options.revocationUrl, 'revocationUrl'),
    storage: resolveStorage(options.storage),
    tokens: resolveTokens(options.tokens, now),
    refreshBefore: seconds(options.refreshBefore, 'refreshBefore') ?? 30_000,
    retry: resolveRetry(options.retry),
    fetch: requiredFunction(fetchFunction, 'fetch'),
    onTokens: optionalFunction(options.onTokens, 'onTokens') ?? (() => undefined),
    onSessionEnd: optionalFunction(options.onSessionEnd, 'onSessionEnd') ?? (() => undefined),
    // An onError that throws has nowhere to throw to.
    onError: (error) => {
      try {
        onError(error)
      } catch {
        // Deliberately dropped: see above.
      }
    },
    now,
    sleep: optionalFunction(options.sleep, 'sleep') ?? sleep,
  }
}

function resolveOrigins(origins: unknown): ReadonlySet<string> {
  const message = `${NAME}: origins must be a non-empty array of origins such as "https://api.example.com"`
  if (!Array.isArray(origins) || origins.length === 0) throw new TypeError(message)
  const resolved = new Set<string>()
  for (const origin of origins as unknown[]) {
    const url = parseUrl(origin)
    // Only a bare origin: a path here would suggest a prefix match that does not happen.
    if (
      url === undefined ||
      url.origin === 'null' ||
      url.href !== `${url.origin}/` ||
      url.username !== '' ||
      url.password !== ''
    ) {
      throw new TypeError(message)
    }
    resolved.add(url.origin)
  }
  return resolved
}

function resolveParams(params: unknown): Readonly<Record<string, string>> {
  if (params === undefined) return {}
  const message = `${NAME}: refreshParams must be an object of strings`
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError(message)
  }
  const resolved: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string') throw new TypeError(message)
    if (RESERVED_PARAMS.has(key)) {
      throw new TypeError(`${NAME}: refreshParams cannot set ${key}, which the client sets itself`)
    }
    resolved[key] = value
  }
  return Object.freeze(resolved)
}

function resolveStorage(storage: TokenStorage | undefined): TokenStorage {
  if (storage === undefined) return memoryStorage()
  // Checked for JavaScript callers, whom the types do not bind.
  const candidate = storage as Partial<TokenStorage> | null
  if (
    typeof candidate?.load !== 'function' ||
    typeof candidate.save !== 'function' ||
    typeof candidate.clear !== 'function'
  ) {
    throw new TypeError(`${NAME}: storage must have load, save and clear methods`)
  }
  return storage
}

function resolveTokens(tokens: unknown, now: () => number): TokenSet | undefined {
  if (tokens === undefined) return undefined
  try {
    return TokenSet.parse(tokens, { now })
  } catch (error) {
    // The message of TokenSet.parse names the field and never shows a value.
    throw new TypeError(`${NAME}: tokens: ${(error as Error).message}`)
  }
}

function resolveRetry(retry: unknown): RetryPolicy {
  if (retry === false) {
    return { methods: new Set(), statuses: new Set(), maxRetryAfter: 0 }
  }
  if (retry !== undefined && (typeof retry !== 'object' || retry === null)) {
    throw new TypeError(`${NAME}: retry must be an object or false`)
  }
  const options = (retry ?? {}) as RetryOptions
  const methods = options.methods ?? DEFAULT_RETRY_METHODS
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string' && METHOD.test(m))) {
    throw new TypeError(`${NAME}: retry.methods must be an array of HTTP method names`)
  }
  const statuses = options.statuses ?? DEFAULT_RETRY_STATUSES
  if (
    !Array.isArray(statuses) ||
    !statuses.every((s) => Number.isInteger(s) && s >= 400 && s <= 599 && s !== 401)
  ) {
    throw new TypeError(
      `${NAME}: retry.statuses must be an array of 4xx/5xx statuses (401 is the refresh's)`,
    )
  }
  return {
    methods: new Set(methods.map((method: string) => method.toUpperCase())),
    statuses: new Set(statuses),
    maxRetryAfter:
      seconds(options.maxRetryAfter, 'retry.maxRetryAfter') ?? DEFAULT_MAX_RETRY_AFTER * 1000,
  }
}

/** A non-negative number of seconds, in milliseconds. */
function seconds(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${NAME}: ${name} must be a non-negative number of seconds`)
  }
  return value * 1000
}

function optionalUrl(value: unknown, name: string): URL | undefined {
  if (value === undefined) return undefined
  const url = parseUrl(value)
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError(`${NAME}: ${name} must be an http(s) URL`)
  }
  return url
}

function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' && !(value instanceof URL)) return undefined
  try {
    return new URL(value, documentBase())
  } catch {
    return undefined
  }
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  name: string,
): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${NAME}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}`)
  }
  return value as T
}

function optionalFunction<T>(value: T | undefined, name: string): T | undefined {
  return value === undefined ? undefined : requiredFunction(value, name)
}

function requiredFunction<T>(value: T, name: string): T {
  if (typeof value !== 'function') throw new TypeError(`${NAME}: ${name} must be a function`)
  return value
}

/** Errors with nowhere to go are reported as browsers report a listener's error. */
function defaultOnError(): (error: unknown) => void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError
  return typeof report === 'function' ? (error) => report(error) : () => undefined
}
