/** Applies the defaults of `createAuth`'s options and validates each once, at construction. */
import { ALGORITHM_NAMES, isAlgorithm } from './algorithms.js'
import { resolveKeys } from './keys.js'
import { LruSessionStore } from './lru-session-store.js'
import { resolveIntrospection } from './introspection-rule.js'
import type { AuthOptions, ResolvedOptions } from './options.js'
import { resolveRefreshCookie } from './refresh-cookie.js'
import type { SessionStore } from './session-store.js'

/** Every default, in the options' own units (seconds for durations). */
export const DEFAULTS = {
  issuer: 'baton',
  audience: 'baton',
  clientId: 'baton',
  algorithm: 'HS256',
  /** Sessions held by the default `LruSessionStore`. */
  storeMax: 100_000,
  accessTtl: 900,
  refreshTtl: 86_400,
  sessionMaxAge: 30 * 86_400,
  leeway: 5,
  maxSessionsPerUser: 10,
  onSessionLimit: 'evict-oldest',
  reuseGrace: 10,
  maxTokenLength: 8192,
  verifyCacheSize: 10_000,
  storeTimeout: 2,
  retryAfter: 1,
} as const

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'keys',
  'algorithm',
  'refreshSecret',
  'clientId',
  'introspection',
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
  'refreshCookie',
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
  const issuer = text(options.issuer ?? DEFAULTS.issuer, 'issuer')
  const audience = text(options.audience ?? DEFAULTS.audience, 'audience')
  const realm = text(options.realm ?? issuer, 'realm')
  if (/["\\]/.test(realm)) throw new TypeError('realm must not contain quotes or backslashes')

  const algorithm = options.algorithm ?? DEFAULTS.algorithm
  if (!isAlgorithm(algorithm)) {
    throw new TypeError(`algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`)
  }
  const production = isProduction(process.env.NODE_ENV)
  if (options.keys === undefined && production) {
    throw new TypeError(
      `keys is required when NODE_ENV=${JSON.stringify(process.env.NODE_ENV)} (only unset, development or test allow a random key, which dies on restart)`,
    )
  }
  const keyring = resolveKeys(options.keys, algorithm, {
    production,
    refreshSecret: options.refreshSecret,
  })
  if (keyring.ephemeral) {
    process.emitWarning(
      'No keys were given, so a random key was generated: tokens stop working when the process restarts. Set keys (or BATON_SECRET).',
      { code: 'BATON_EPHEMERAL_KEY' },
    )
  }

  // Whole seconds: they become the integer `exp` of JWTs and `expires_in` of token responses.
  const accessTtl = integer(options.accessTtl ?? DEFAULTS.accessTtl, 'accessTtl', 1)
  const refreshTtl = integer(options.refreshTtl ?? DEFAULTS.refreshTtl, 'refreshTtl', 1)
  const sessionMaxAge = integer(options.sessionMaxAge ?? DEFAULTS.sessionMaxAge, 'sessionMaxAge', 1)
  if (accessTtl > refreshTtl) {
    throw new TypeError(
      'accessTtl must not be longer than refreshTtl (an access token would outlive its session)',
    )
  }
  const onSessionLimit = options.onSessionLimit ?? DEFAULTS.onSessionLimit
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
  const store = options.store ?? new LruSessionStore({ max: DEFAULTS.storeMax, now })
  if (!isStore(store)) {
    throw new TypeError(`store must implement SessionStore (${STORE_METHODS.join(', ')})`)
  }

  return {
    issuer,
    audience,
    keyring,
    clientId: text(options.clientId ?? DEFAULTS.clientId, 'clientId'),
    introspection: resolveIntrospection(options.introspection),
    authenticate: options.authenticate,
    store,
    accessTtlMs: accessTtl * 1000,
    refreshTtlMs: refreshTtl * 1000,
    sessionMaxAgeMs: sessionMaxAge * 1000,
    leewayMs: seconds(options.leeway ?? DEFAULTS.leeway, 'leeway', 0) * 1000,
    maxSessionsPerUser: integer(
      options.maxSessionsPerUser ?? DEFAULTS.maxSessionsPerUser,
      'maxSessionsPerUser',
      1,
    ),
    onSessionLimit,
    reuseGraceMs: reuseGrace(options.reuseGrace ?? DEFAULTS.reuseGrace) * 1000,
    maxTokenLength: integer(
      options.maxTokenLength ?? DEFAULTS.maxTokenLength,
      'maxTokenLength',
      64,
    ),
    verifyCacheSize: integer(
      options.verifyCacheSize ?? DEFAULTS.verifyCacheSize,
      'verifyCacheSize',
      0,
    ),
    realm,
    storeTimeoutMs:
      timer(options.storeTimeout ?? DEFAULTS.storeTimeout, 'storeTimeout', 0.001) * 1000,
    retryAfterSeconds: integer(options.retryAfter ?? DEFAULTS.retryAfter, 'retryAfter', 0),
    onEvent,
    now,
    refreshCookie: resolveRefreshCookie(options.refreshCookie, production),
  }
}

/**
 * Whether NODE_ENV asks for production rules. Only the values that plainly mean "not production"
 * relax them; `prod`, `Production`, `staging` or a typo fail closed.
 */
export function isProduction(nodeEnv: string | undefined): boolean {
  return nodeEnv !== undefined && nodeEnv !== '' && nodeEnv !== 'development' && nodeEnv !== 'test'
}

/** The longest grace: a few minutes covers any race between two clients; more hides theft. */
const MAX_REUSE_GRACE_SECONDS = 300

function reuseGrace(value: unknown): number {
  const parsed = seconds(value, 'reuseGrace', 0)
  if (parsed > MAX_REUSE_GRACE_SECONDS) {
    throw new TypeError(
      `reuseGrace must be at most ${MAX_REUSE_GRACE_SECONDS} seconds (it is in seconds, not milliseconds: ${parsed} would be ${Math.round(parsed / 60)} minutes)`,
    )
  }
  return parsed
}

export function text(value: unknown, name: string): string {
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

export function seconds(value: unknown, name: string, min: number): number {
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

export function integer(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer ≥ ${min}`)
  }
  return value
}

const STORE_METHODS = [
  'get',
  'create',
  'rotate',
  'touch',
  'markUsed',
  'delete',
  'listBySubject',
  'deleteBySubject',
] as const

function isStore(value: unknown): value is SessionStore {
  // null never gets here: resolveOptions refuses null options first.
  if (typeof value !== 'object') return false
  const store = value as Record<string, unknown>
  return STORE_METHODS.every((method) => typeof store[method] === 'function')
}
