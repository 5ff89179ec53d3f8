import { Redis } from 'ioredis'
import type { Cluster } from 'ioredis'
import type { RedisStoreError } from './errors.js'
import { hasBraces } from './keys.js'

/**
 * An ioredis `Redis` or `Cluster` client, of ioredis 5 or 6, described by what the store uses of
 * it: an app's client fits even when its copy of ioredis is not the one the store resolved (two
 * copies of a class are two types to TypeScript).
 */
export interface RedisClient {
  readonly status: string
  readonly options: { readonly keyPrefix?: string | undefined }
  defineCommand(name: string, definition: { lua: string; numberOfKeys: number }): void
  get(key: string): Promise<string | null>
  set(key: string, value: string, mode: 'PX', milliseconds: string): Promise<unknown>
  del(key: string): Promise<number>
  on(event: 'ready' | 'end' | 'error', listener: (...args: unknown[]) => void): unknown
  off(event: 'ready' | 'end', listener: (...args: unknown[]) => void): unknown
  disconnect(): void
}

/**
 * `C`, the client's type, is ioredis's `Redis | Cluster` by default, so options built ahead keep
 * their client's full type; the constructor takes any `RedisClient`.
 */
export interface RedisSessionStoreOptions<C extends RedisClient = Redis | Cluster> {
  /**
   * An ioredis client you made (`new Redis(…)`, `new Redis({ sentinels, name })`,
   * `new Redis.Cluster(…)`), of ioredis 5 or 6: connection, TLS, auth and Cluster settings are
   * yours, and so is its lifetime — `close()` leaves it open. Give `client` or `url`, not both.
   */
  client?: C
  /**
   * A `redis://` or `rediss://` (TLS) URL, e.g. `redis://:password@host:6379/0`. The store makes
   * its own client, tuned to fail fast (no offline queue, no resend after a reconnect), and
   * `close()` ends it. Give `client` or `url`, not both.
   */
  url?: string
  /**
   * Text in front of every key, so several apps can share a database. Must not contain `{` or
   * `}`, which would take over the Cluster hash tag.
   * @default 'baton:'
   */
  prefix?: string
  /**
   * Longest a store call may take, in seconds, waiting for a (re)connection included. Past it
   * the call rejects with `ERR_STORE_TIMEOUT`, which `@baton/express` answers with a 503.
   * @default 1
   */
  commandTimeout?: number
  /**
   * How many sid → subject routes to remember in memory, so `get` and `rotate` skip the pointer
   * lookup (one round trip instead of two). 0 turns the cache off.
   * @default 10_000
   */
  routeCacheSize?: number
  /**
   * Answer `get` from a bounded in-process copy of the sessions, kept correct by Redis
   * server-assisted client-side caching (`CLIENT TRACKING`, Redis ≥ 6) on one extra connection:
   * every write to a session through any instance, and its expiry, removes the copy here. While
   * that connection is down, reconnecting or not yet tracking, the copy is cleared and every
   * `get` goes to Redis. `max` is how many sessions to keep (default 10_000). Standalone and
   * Sentinel clients only: a `Cluster` client is refused with a TypeError. See the README for
   * the trade-off (a revocation takes effect here after one Redis → app message, not before).
   * @default false
   */
  localCache?: LocalCacheOptions | false
  /**
   * Told of problems that do not reject a call: a value under the prefix that is not a session
   * (`ERR_STORE_CORRUPT_DATA`, treated as missing and removed) and connection failures of a
   * client the store made from `url` (`ERR_STORE_CONNECTION`, once per outage). The errors carry
   * no session id, subject or value.
   * @default a `console.warn` of the error's code and message
   */
  onError?: (error: RedisStoreError) => void
}

export interface LocalCacheOptions {
  /**
   * How many sessions to keep, least recently used out first.
   * @default 10_000
   */
  max?: number
}

/** The options after defaults and validation. */
export interface ResolvedOptions {
  client: Redis | Cluster
  /** Whether the store made the client (from `url`) and so closes it. */
  ownsClient: boolean
  prefix: string
  /** The client's own `keyPrefix` ('' for none): ioredis puts it in front of every key we name. */
  clientKeyPrefix: string
  /** `commandTimeout`, in milliseconds. */
  commandTimeoutMs: number
  routeCacheSize: number
  /** The local cache's bound, or undefined when it is off. */
  localCacheMax: number | undefined
  onError: (error: RedisStoreError) => void
}

/** Every default, in the options' own units (`commandTimeout` in seconds). */
export const DEFAULTS = {
  prefix: 'baton:',
  commandTimeout: 1,
  routeCacheSize: 10_000,
  localCache: false,
  onError: warn,
} as const satisfies RedisSessionStoreOptions

/** `localCache.max` when `localCache` is on without one. */
export const DEFAULT_LOCAL_CACHE_MAX = 10_000

/** Every option name, once: the `Record` makes TypeScript refuse a missing or extra one. */
const KNOWN_OPTIONS = new Set(
  Object.keys({
    client: true,
    url: true,
    prefix: true,
    commandTimeout: true,
    routeCacheSize: true,
    localCache: true,
    onError: true,
  } satisfies Record<keyof RedisSessionStoreOptions, true>),
)

/** Applies `DEFAULTS` and validates every option once; a bad one is a TypeError naming it. */
export function resolveOptions(options: RedisSessionStoreOptions<RedisClient>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with client or url')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`unknown option ${JSON.stringify(name)}`)
  }
  const {
    client,
    url,
    prefix = DEFAULTS.prefix,
    commandTimeout = DEFAULTS.commandTimeout,
    routeCacheSize = DEFAULTS.routeCacheSize,
    localCache = DEFAULTS.localCache,
    onError = DEFAULTS.onError,
  } = options

  if (typeof prefix !== 'string' || hasBraces(prefix)) {
    throw new TypeError('prefix must be a string without { or }')
  }
  if (typeof commandTimeout !== 'number' || !(commandTimeout > 0) || commandTimeout > 2_147_483) {
    throw new TypeError('commandTimeout must be a positive number of seconds')
  }
  if (!Number.isSafeInteger(routeCacheSize) || routeCacheSize < 0) {
    throw new TypeError('routeCacheSize must be a nonnegative integer')
  }
  const localCacheMax = resolveLocalCache(localCache)
  if (typeof onError !== 'function') throw new TypeError('onError must be a function')
  const commandTimeoutMs = Math.ceil(commandTimeout * 1000)

  if ((client === undefined) === (url === undefined)) {
    throw new TypeError('give exactly one of client or url')
  }
  let resolvedClient: Redis | Cluster
  let clientKeyPrefix = ''
  if (client !== undefined) {
    if (!isClient(client)) throw new TypeError('client must be an ioredis Redis or Cluster client')
    clientKeyPrefix = client.options.keyPrefix ?? ''
    if (hasBraces(clientKeyPrefix)) {
      throw new TypeError('client keyPrefix must not contain { or }')
    }
    // The same API under either major, whichever copy of ioredis the app's client comes from.
    resolvedClient = client as unknown as Redis | Cluster
    // Tracking is per node, and a Cluster moves slots between nodes: one connection could not
    // hear every write, and one that misses a write would serve a revoked session.
    if (localCacheMax !== undefined && resolvedClient.isCluster) {
      throw new TypeError('localCache is not supported on a Cluster client')
    }
  } else {
    if (typeof url !== 'string' || !isRedisUrl(url)) {
      throw new TypeError('url must be a redis:// or rediss:// URL')
    }
    resolvedClient = new Redis(url, {
      // Fail fast and never late: a command is written only while connected (no offline queue),
      // rejected when its connection drops (maxRetriesPerRequest 0) and never replayed after a
      // reconnect, so a call the caller already gave up on cannot rotate or delete anything later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: commandTimeoutMs,
      connectTimeout: Math.max(commandTimeoutMs, 1000),
      // The same client whichever ioredis major the app's tree resolves to: ioredis 5's RESP2
      // (ioredis 6 would try RESP3 first on every connection) and its reconnect back-off, 50 ms
      // more per attempt up to 2 s (ioredis 6: doubling up to 5 s). ioredis 5 ignores `protocol`.
      protocol: 2,
      retryStrategy: (attempt: number) => Math.min(attempt * 50, 2000),
    })
  }
  return {
    client: resolvedClient,
    ownsClient: client === undefined,
    prefix,
    clientKeyPrefix,
    commandTimeoutMs,
    routeCacheSize,
    localCacheMax,
    onError,
  }
}

/** `localCache`'s bound, or undefined when it is off. */
function resolveLocalCache(localCache: unknown): number | undefined {
  if (localCache === false) return undefined
  if (typeof localCache !== 'object' || localCache === null) {
    throw new TypeError('localCache must be false or an object')
  }
  const { max = DEFAULT_LOCAL_CACHE_MAX } = localCache as LocalCacheOptions
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('localCache.max must be a positive integer')
  }
  return max
}

function warn(error: RedisStoreError): void {
  console.warn(`@baton/redis-store: ${error.code}: ${error.message}`)
}

/** Duck-typed, so a client from another copy of ioredis works too. */
function isClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false
  const client = value as Record<string, unknown>
  return (
    typeof client.defineCommand === 'function' &&
    typeof client.get === 'function' &&
    typeof client.status === 'string' &&
    typeof client.options === 'object' &&
    client.options !== null
  )
}

function isRedisUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text)
    return protocol === 'redis:' || protocol === 'rediss:'
  } catch {
    return false
  }
}
