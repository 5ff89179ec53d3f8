/**
 * `createAuthFetch`'s options resolved — defaults applied and every option validated — once, at
 * construction. A bad option is a programmer mistake: a `TypeError` whose message names it.
 * Durations are given in seconds and resolved to milliseconds, with an `Ms` suffix.
 */
import { sleep } from './abort.js'
import {
  CLIENT_AUTHENTICATION_METHODS,
  type ResolvedClientAuthentication,
} from './client-authentication.js'
import type {
  AuthFetchOptions,
  FetchFunction,
  LoginFunction,
  RefreshFunction,
  RetryOptions,
  SessionEnd,
  TokenStorage,
} from './options.js'
import { documentBase } from './request.js'
import type { RetryRules } from './retry.js'
import { memoryStorage } from './storage.js'
import { tabMemoryStorage } from './tab-memory-storage.js'
import { TokenSet } from './token-set.js'

/**
 * The defaults that are values, in the options' own units (seconds). The others are made per
 * client at construction, as their TSDoc in `options.ts` says: a fresh `memoryStorage()`, the
 * `globalThis.fetch` of that moment, `globalThis.reportError`.
 */
export const DEFAULTS = Object.freeze({
  refreshEncoding: 'form',
  /** Seconds. */
  refreshBefore: 30,
  retry: Object.freeze({
    methods: Object.freeze(['GET', 'HEAD', 'OPTIONS']),
    statuses: Object.freeze([502, 503, 504]),
    /** Seconds. */
    maxRetryAfter: 10,
  }),
  now: Date.now,
  sleep,
} as const)

export interface ResolvedOptions {
  readonly origins: ReadonlySet<string>
  readonly refreshUrl: URL | undefined
  readonly refreshCookie: boolean
  readonly refreshEncoding: 'form' | 'json'
  readonly refreshParams: Readonly<Record<string, string>>
  readonly clientAuthentication: ResolvedClientAuthentication | undefined
  readonly refresh: RefreshFunction | undefined
  readonly login: LoginFunction | undefined
  readonly loginUrl: URL | undefined
  readonly revocationUrl: URL | undefined
  readonly storage: TokenStorage
  readonly tokens: TokenSet | undefined
  readonly refreshBeforeMs: number
  readonly retry: RetryRules
  readonly fetch: FetchFunction
  readonly onTokens: (tokens: TokenSet | null) => void
  readonly onSessionEnd: (end: SessionEnd) => void
  readonly onError: (error: unknown) => void
  readonly now: () => number
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

const NAME = 'createAuthFetch'
/** Every option, so that a misspelt one is an error rather than a silently ignored key. */
const OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    origins: true,
    refreshUrl: true,
    refreshCookie: true,
    refreshEncoding: true,
    refreshParams: true,
    clientAuthentication: true,
    refresh: true,
    login: true,
    loginUrl: true,
    revocationUrl: true,
    storage: true,
    tokens: true,
    refreshBefore: true,
    retry: true,
    fetch: true,
    onTokens: true,
    onSessionEnd: true,
    onError: true,
    now: true,
    sleep: true,
  } satisfies Record<keyof AuthFetchOptions, true>),
)
/** RFC 9110 §5.6.2 `token`, the grammar of a method name. */
const METHOD = /^[!#$%&'*+.^`|~\w-]+$/
/** Fields the refresh grant sets itself. */
const RESERVED_PARAMS = new Set(['grant_type', 'refresh_token', 'token', 'token_type_hint'])

export function resolveOptions(options: AuthFetchOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${NAME}: options must be an object`)
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new TypeError(`${NAME}: unknown option ${JSON.stringify(name)}`)
    }
  }
  if (options.refreshUrl !== undefined && options.refresh !== undefined) {
    throw new TypeError(`${NAME}: give refreshUrl or refresh, not both`)
  }
  if (options.loginUrl !== undefined && options.login !== undefined) {
    throw new TypeError(`${NAME}: give loginUrl or login, not both`)
  }
  const fetchFunction = options.fetch ?? globalThis.fetch
  const now = optionalFunction(options.now, 'now') ?? DEFAULTS.now
  const onError = optionalFunction(options.onError, 'onError') ?? defaultOnError()
  const refreshUrl = optionalUrl(options.refreshUrl, 'refreshUrl')
  const refreshCookie = resolveRefreshCookie(options, refreshUrl)
  const revocationUrl = optionalUrl(options.revocationUrl, 'revocationUrl')
  const tokens = resolveTokens(options.tokens, now)
  if (refreshCookie && tokens?.refreshToken !== undefined) {
    throw new TypeError(
      `${NAME}: tokens must not hold a refresh token with refreshCookie (it lives in the cookie)`,
    )
  }
  return {
    origins: resolveOrigins(options.origins),
    refreshUrl,
    refreshCookie: refreshCookie !== undefined,
    refreshEncoding:
      oneOf(options.refreshEncoding, ['form', 'json'], 'refreshEncoding') ??
      DEFAULTS.refreshEncoding,
    refreshParams: resolveParams(options.refreshParams),
    clientAuthentication: resolveClientAuthentication(options.clientAuthentication),
    refresh: optionalFunction(options.refresh, 'refresh'),
    login: optionalFunction(options.login, 'login'),
    loginUrl: optionalUrl(options.loginUrl, 'loginUrl'),
    // @baton/express mounts /revoke beside /refresh: the cookie's session must end at logout.
    revocationUrl: revocationUrl ?? (refreshCookie && new URL('revoke', refreshCookie)),
    storage: refreshCookie
      ? tabMemoryStorage(`cookie:${refreshCookie.href}`)
      : resolveStorage(options.storage),
    tokens,
    refreshBeforeMs: milliseconds(options.refreshBefore, DEFAULTS.refreshBefore, 'refreshBefore'),
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
    sleep: optionalFunction(options.sleep, 'sleep') ?? DEFAULTS.sleep,
  }
}

/**
 * `refreshCookie`: the refresh URL when it is on, else undefined. What cookie mode cannot go with
 * is refused by name: tokens kept in JavaScript storage (`storage`), a secret a browser
 * cannot keep (`clientAuthentication`), a login that would not set the cookie (`login`).
 */
function resolveRefreshCookie(
  options: AuthFetchOptions,
  refreshUrl: URL | undefined,
): URL | undefined {
  const value: unknown = options.refreshCookie
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${NAME}: refreshCookie must be true or false`)
  }
  if (value !== true) return undefined
  if (refreshUrl === undefined) {
    throw new TypeError(`${NAME}: refreshCookie needs refreshUrl, where the cookie is sent`)
  }
  // (`refresh` is refused above already: it cannot go with refreshUrl.)
  const conflicts = {
    login: 'give loginUrl, whose login sets the cookie',
    clientAuthentication: 'a browser cannot keep a client secret',
    storage: 'the access token stays in memory, shared between tabs; nothing is stored',
  }
  for (const [name, why] of Object.entries(conflicts)) {
    if (options[name as keyof typeof conflicts] !== undefined) {
      throw new TypeError(`${NAME}: ${name} cannot be used with refreshCookie: ${why}`)
    }
  }
  return refreshUrl
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

function resolveClientAuthentication(value: unknown): ResolvedClientAuthentication | undefined {
  if (value === undefined) return undefined
  const client = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >
  const { clientId, clientSecret, method = 'client_secret_basic' } = client
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError(`${NAME}: clientAuthentication.clientId must be a non-empty string`)
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new TypeError(`${NAME}: clientAuthentication.clientSecret must be a non-empty string`)
  }
  const methods: readonly unknown[] = CLIENT_AUTHENTICATION_METHODS
  if (!methods.includes(method)) {
    throw new TypeError(
      `${NAME}: clientAuthentication.method must be ${CLIENT_AUTHENTICATION_METHODS.map((m) => `'${m}'`).join(' or ')}`,
    )
  }
  return Object.freeze({
    clientId,
    clientSecret,
    method: method as ResolvedClientAuthentication['method'],
  })
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

function resolveRetry(retry: unknown): RetryRules {
  if (retry === false) {
    return { methods: new Set(), statuses: new Set(), maxRetryAfterMs: 0 }
  }
  if (retry !== undefined && (typeof retry !== 'object' || retry === null)) {
    throw new TypeError(`${NAME}: retry must be an object or false`)
  }
  const options = (retry ?? {}) as RetryOptions
  const methods = options.methods ?? DEFAULTS.retry.methods
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string' && METHOD.test(m))) {
    throw new TypeError(`${NAME}: retry.methods must be an array of HTTP method names`)
  }
  const statuses = options.statuses ?? DEFAULTS.retry.statuses
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
    maxRetryAfterMs: milliseconds(
      options.maxRetryAfter,
      DEFAULTS.retry.maxRetryAfter,
      'retry.maxRetryAfter',
    ),
  }
}

/** A non-negative number of seconds (else `fallback` seconds), in milliseconds. */
function milliseconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback * 1000
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
