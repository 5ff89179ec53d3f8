import type { Redis } from 'ioredis'
import { RedisStoreError } from './errors.js'
import { sessionIdOfKey } from './keys.js'
import type { LocalSessionCache } from './local-cache.js'

/** Where Redis publishes invalidations for a RESP2 client that redirects tracking to it. */
const CHANNEL = '__redis__:invalidate'

/**
 * The connection that keeps a `LocalSessionCache` right: Redis server-assisted client-side
 * caching, `CLIENT TRACKING on BCAST PREFIX <prefix>{ REDIRECT <itself>`, then `SUBSCRIBE
 * __redis__:invalidate`. Redis then publishes here the name of every key under the prefix that
 * any client writes, deletes or expires.
 *
 * Why BCAST on a connection of its own, not the default mode on the store's client: the default
 * mode tracks the keys a connection reads, so it would have to be the client the scripts run on
 * — the app's, perhaps shared, with a life of its own: tracking would end unseen at each of its
 * reconnects, and every key anyone read through it would be tracked. BCAST needs no read and no
 * per-key memory in Redis; its cost, an invalidation for every session write under the prefix
 * whether cached here or not, is one small message per login, rotation or logout.
 *
 * Why RESP2 and a redirect to itself: it works on Redis 6+ with ioredis 5 and 6 alike (RESP3 push
 * messages would need ioredis 6 and a RESP3 server).
 *
 * Fails closed. The cache trusts nothing unless this connection is subscribed with tracking on
 * (`setTracking(true)` only after the SUBSCRIBE is answered); any close (a `CLIENT KILL`, a
 * restart, a failover) clears and bypasses it at once, and it resumes empty on the next
 * successful setup. A connection that stays open but goes silent (a partition, a frozen
 * server) is caught by a heartbeat: a PING not answered within `heartbeatMs` ends it.
 */
export class InvalidationChannel {
  readonly #connection: Redis
  readonly #prefix: string
  readonly #cache: LocalSessionCache
  readonly #report: (error: RedisStoreError) => void
  readonly #heartbeat: NodeJS.Timeout
  /** Bumped at every close: a setup or a PONG of an earlier connection counts for nothing. */
  #generation = 0
  #tracking = false
  #awaitingPong = false

  constructor(
    client: Redis,
    /** The tracked key prefix: the client's keyPrefix, the store's prefix and `{`. */
    prefix: string,
    cache: LocalSessionCache,
    heartbeatMs: number,
    report: (error: RedisStoreError) => void,
  ) {
    this.#prefix = prefix
    this.#cache = cache
    this.#report = report
    this.#connection = client.duplicate({
      lazyConnect: true,
      // Tracking and the subscription are set up by #setUp on each connection, in that order:
      // ioredis resubscribing by itself would subscribe with tracking off.
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Invalidations as Pub/Sub messages (RESP3 would send them as push messages instead).
      protocol: 2,
    })
    this.#connection.on('ready', () => void this.#setUp())
    this.#connection.on('close', () => this.#lost())
    // Without a listener ioredis prints every failed reconnect; the close says all we need.
    this.#connection.on('error', () => {})
    // The only channel this connection subscribes to.
    this.#connection.on('messageBuffer', (_channel: Buffer, keys: Buffer[] | null) => {
      // null: the whole database went (FLUSHALL, FLUSHDB).
      if (keys === null) this.#cache.clear()
      else {
        for (const key of keys) {
          const sid = sessionIdOfKey(key.toString())
          if (sid !== undefined) this.#cache.invalidate(sid)
        }
      }
    })
    this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs).unref()
    this.#connection.connect().catch(() => {
      // Retried by ioredis; until then the cache is bypassed.
    })
  }

  /** Ends the connection; the cache is cleared and bypassed for good. */
  close(): void {
    clearInterval(this.#heartbeat)
    this.#lost()
    this.#connection.disconnect()
  }

  async #setUp(): Promise<void> {
    const generation = this.#generation
    try {
      const id = await this.#connection.client('ID')
      await this.#connection.call(
        'CLIENT',
        'TRACKING',
        'on',
        'REDIRECT',
        String(id),
        'BCAST',
        'PREFIX',
        this.#prefix,
      )
      await this.#connection.subscribe(CHANNEL)
    } catch (error) {
      // A refusal on a live connection (Redis < 6, an ACL without CLIENT): say so once per
      // connection. A connection that dropped during setup is a close like any other.
      if (generation === this.#generation) {
        this.#report(
          new RedisStoreError(
            'ERR_STORE_TRACKING',
            'Redis refused client tracking; the local cache is bypassed',
            { cause: error },
          ),
        )
      }
      return
    }
    // Closed (close() counts as one) while setting up: this setup is not the current one.
    if (generation !== this.#generation) return
    this.#tracking = true
    this.#cache.setTracking(true)
  }

  #lost(): void {
    this.#generation++
    this.#tracking = false
    this.#awaitingPong = false
    this.#cache.setTracking(false)
  }

  /** Ends a tracking connection whose last PING went unanswered for a whole interval. */
  #beat(): void {
    if (!this.#tracking) return
    if (this.#awaitingPong) {
      this.#lost()
      this.#connection.disconnect(true)
      return
    }
    this.#awaitingPong = true
    // A PING of a connection that closes is rejected, never answered late.
    this.#connection.ping().then(
      () => {
        this.#awaitingPong = false
      },
      () => {
        // The connection failed: its close does the rest.
      },
    )
  }
}
