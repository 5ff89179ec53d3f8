import type {
  Awaitable,
  CreateOptions,
  CreateResult,
  RotateOptions,
  RotateResult,
  Session,
  SessionStore,
} from '@baton/express'
import type { Cluster, Redis } from 'ioredis'
import { StoreConnection } from './connection.js'
import { RedisStoreError } from './errors.js'
import { keyLayout, subjectTag } from './keys.js'
import type { KeyLayout } from './keys.js'
import { resolveOptions } from './options.js'
import type { RedisClient, RedisSessionStoreOptions } from './options.js'
import { SidRoutes } from './routing.js'
import { checkDurability } from './durability.js'
import { defineScripts } from './scripts.js'
import { InvalidationChannel } from './invalidation-channel.js'
import { LocalSessionCache } from './local-cache.js'
import type { HashReply, ScriptReplies, ScriptRunner } from './scripts.js'
import { decodeSession, encodeSession } from './session-codec.js'

/**
 * `SessionStore` on Redis, for apps that run more than one process. Works on a standalone
 * server, behind Sentinel, and on Cluster (see `keys.ts` for the layout that makes every atomic
 * step a single-slot script).
 *
 * Each decision is one Lua script, so it is atomic across every instance sharing the Redis:
 * rotation (compare-and-increment with the grace and reuse rules), creation with the per-user
 * cap, delete, listing and bulk delete. Sessions carry Redis TTLs (their refresh expiry), so dead
 * ones disappear without a sweeper; decisions still compare with the caller's `now`.
 *
 * Round trips: `get`, `rotate` and `touch` take one when the sid's route is cached (the usual
 * case) and two otherwise; `listBySubject` takes one; `create` two (the sid pointer, then the
 * session); `delete` and `deleteBySubject` one more to remove the sid pointers they leave behind.
 *
 * The parts: `connection.ts` runs every call (deadline, readiness, closing, errors), `routing.ts`
 * finds a sid's subject, `scripts.ts` holds the Lua, `session-codec.ts` the hash format. This
 * class is what each operation asks of them.
 */
export class RedisSessionStore implements SessionStore {
  /** The key prefix in use. */
  readonly prefix: string
  readonly #connection: StoreConnection
  readonly #keys: KeyLayout
  readonly #routes: SidRoutes
  readonly #run: ScriptRunner
  readonly #onError: (error: RedisStoreError) => void
  /** The `localCache` option: the sessions and the connection that keeps them right. */
  readonly #cache: LocalSessionCache | undefined
  readonly #invalidations: InvalidationChannel | undefined

  constructor(options: RedisSessionStoreOptions<RedisClient>) {
    const resolved = resolveOptions(options)
    this.prefix = resolved.prefix
    this.#onError = resolved.onError
    this.#connection = new StoreConnection(resolved, (error) => this.#report(error))
    this.#keys = keyLayout(resolved.prefix)
    this.#routes = new SidRoutes(resolved.client, this.#keys, resolved.routeCacheSize, () =>
      this.#reportCorrupt(1),
    )
    this.#run = defineScripts(resolved.client)
    if (resolved.localCacheMax !== undefined) {
      this.#cache = new LocalSessionCache(resolved.localCacheMax)
      this.#invalidations = new InvalidationChannel(
        // resolveOptions refuses a Cluster client with localCache.
        resolved.client as Redis,
        `${resolved.clientKeyPrefix}${resolved.prefix}{`,
        this.#cache,
        resolved.commandTimeoutMs,
        (error) => this.#report(error),
      )
    }
    // In the background, once connected: a slow or refused CONFIG must not delay or fail the store.
    const check = () => void checkDurability(resolved.client).catch(() => {})
    if (resolved.client.status === 'ready') check()
    else resolved.client.once('ready', check)
  }

  /** The ioredis client in use (the one given, or the one made from `url`). */
  get client(): Redis | Cluster {
    return this.#connection.client
  }

  /**
   * A session in the local cache is answered synchronously, as `LruSessionStore` answers: then
   * `@baton/express` verifies and calls `next()` in the same tick, with no promise between (in
   * bench/, the promise was about 4 points of bare Express's req/s). The cache holds nothing
   * unless tracking is confirmed, so anything else — a miss, tracking down or not yet set up, a
   * closed store — is the promise of a Redis round trip, as without the cache.
   */
  get(sid: string, now: number): Awaitable<Session | undefined> {
    const cached = this.#cache?.get(sid)
    if (cached !== undefined) return cached.refreshExpiresAt > now ? cached : undefined
    return this.#connection.call(async (signal) => {
      // Registered before the read is sent, so an invalidation that overtakes its answer is seen.
      const fill = this.#cache?.begin(sid)
      let session: Session | undefined
      try {
        session = await this.#routes.routed(sid, signal, async (tag) => {
          const reply = await this.#script('batonSessionGet', tag, sid)
          return reply[0] === 'found' ? this.#decode(tag, sid, reply[1]) : undefined
        })
      } finally {
        this.#cache?.finish(fill, session)
      }
      return session !== undefined && session.refreshExpiresAt > now ? session : undefined
    })
  }

  create(session: Session, options: CreateOptions): Promise<CreateResult> {
    return this.#connection.call(async (signal) => {
      const { now, maxPerSubject, policy } = options
      const tag = subjectTag(session.sub)
      // The pointer first, and only then the session: so no session ever exists without its
      // pointer (it would count toward the cap and be listed, yet no token of it would work). The
      // reverse, a pointer whose create then failed or was refused, only costs memory until its
      // TTL. On Cluster the two live on different nodes, so only awaiting orders them.
      await this.#routes.point(session.sid, tag, ttlUntil(session.expiresAt, now))
      // A login the caller was already told failed must not create a session (and evict others).
      signal.throwIfAborted()
      const reply = await this.#run(
        'batonSessionCreate',
        this.#keys.index(tag),
        this.#keys.session(tag, session.sid),
        session.sid,
        String(now),
        String(maxPerSubject),
        policy,
        ttlUntil(session.refreshExpiresAt, now),
        String(session.createdAt),
        ...encodeSession(session),
      )
      this.#reportCorrupt(reply[1])
      if (reply[0] === 'limit') {
        await this.#routes.drop([session.sid])
        return { ok: false, reason: 'session_limit' }
      }
      const [, , ...evicted] = reply
      this.#forget(evicted)
      this.#routes.remember(session.sid, tag)
      await this.#routes.drop(evicted)
      return { ok: true, evicted }
    })
  }

  rotate(sid: string, presentedGeneration: number, options: RotateOptions): Promise<RotateResult> {
    return this.#connection.call(async (signal) => {
      const { now, graceMs, refreshTtlMs } = options
      const result = await this.#routes.routed(sid, signal, async (tag) => {
        const reply = await this.#script(
          'batonSessionRotate',
          tag,
          sid,
          String(now),
          String(graceMs),
          String(presentedGeneration),
          String(presentedGeneration + 1),
          String(now + refreshTtlMs),
        )
        if (reply[0] === 'missing' || reply[0] === 'corrupt') return undefined
        const session = await this.#decode(tag, sid, reply[1])
        return session && { outcome: reply[0], session }
      })
      if (result?.outcome === 'reused') await this.#routes.drop([sid])
      return result ?? { outcome: 'missing' }
    })
  }

  touch(sid: string, now: number): Promise<void> {
    return this.#connection.call(async (signal) => {
      await this.#routes.routed(sid, signal, async (tag) => {
        const reply = await this.#script('batonSessionTouch', tag, sid, String(now))
        // Touching a missing session is a no-op either way: no need to ask the pointer.
        return reply[0] === 'ok' ? true : undefined
      })
    })
  }

  markUsed(sid: string, generation: number, now: number): Promise<void> {
    return this.#connection.call(async (signal) => {
      await this.#routes.routed(sid, signal, async (tag) => {
        const reply = await this.#script(
          'batonSessionMarkUsed',
          tag,
          sid,
          String(now),
          String(generation),
        )
        return reply[0] === 'ok' ? true : undefined
      })
    })
  }

  delete(sid: string): Promise<Session | undefined> {
    return this.#connection.call(async (signal) => {
      const session = await this.#routes.routed(sid, signal, async (tag) => {
        const reply = await this.#script('batonSessionDelete', tag, sid)
        // Deleted whether or not it decodes: a session that does not is gone either way.
        return reply[0] === 'deleted' ? this.#decode(tag, sid, reply[1]) : undefined
      })
      await this.#routes.drop([sid])
      return session
    })
  }

  listBySubject(sub: string, now: number): Promise<Session[]> {
    return this.#connection.call(async () => {
      const tag = subjectTag(sub)
      const [corrupt, entries] = await this.#run(
        'batonSessionList',
        this.#keys.index(tag),
        String(now),
      )
      this.#reportCorrupt(corrupt)
      const sessions: Session[] = []
      for (const [sid, fields] of entries) {
        const session = await this.#decode(tag, sid, fields)
        if (session === undefined) continue
        // The tag is injective, so another subject here means a foreign value under our prefix.
        if (session.sub === sub) sessions.push(session)
        else await this.#discard(tag, sid)
      }
      return sessions
    })
  }

  deleteBySubject(sub: string, exceptSid?: string): Promise<string[]> {
    return this.#connection.call(async () => {
      const reply = await this.#run(
        'batonSessionDeleteBySubject',
        this.#keys.index(subjectTag(sub)),
        exceptSid === undefined ? '0' : '1',
        exceptSid ?? '',
      )
      const [corrupt, deleted] = reply
      this.#forget(deleted)
      this.#reportCorrupt(corrupt)
      await this.#routes.drop(deleted)
      return deleted
    })
  }

  /**
   * Stops the store: later calls, and calls waiting for a connection, reject with
   * `ERR_STORE_CLOSED`. A client made from `url` is disconnected; a client you passed is left as
   * it is.
   */
  close(): Promise<void> {
    this.#invalidations?.close()
    this.#connection.close()
    return Promise.resolve()
  }

  /**
   * Drops this store's copies of sessions it has just written, without waiting for Redis to
   * announce the write: so a `get` here after a `rotate` here never answers the session from
   * before, and a `get` in flight meanwhile keeps nothing (see `local-cache.ts`).
   */
  #forget(sids: readonly string[]): void {
    for (const sid of sids) this.#cache?.invalidate(sid)
  }

  /** Runs a per-session script of `tag`'s subject; reports a corrupt session it removed. */
  async #script<
    Name extends
      | 'batonSessionGet'
      | 'batonSessionRotate'
      | 'batonSessionTouch'
      | 'batonSessionMarkUsed'
      | 'batonSessionDelete',
  >(name: Name, tag: string, sid: string, ...args: string[]): Promise<ScriptReplies[Name]> {
    const keys = [this.#keys.index(tag), this.#keys.session(tag, sid)]
    try {
      const reply = await this.#run(name, ...keys, sid, ...args)
      if (reply[0] === 'corrupt') this.#reportCorrupt(1)
      return reply
    } finally {
      // Every script but the read may write, whatever it answers — or if its answer was lost.
      if (name !== 'batonSessionGet') this.#forget([sid])
    }
  }

  /**
   * The session in a script's reply. One the scripts took for ours but that does not decode here
   * (a number Lua's `tonumber` reads and `String(n)` never writes, unreadable `data`) is removed
   * like any other corrupt value: left, it would count toward the per-user cap forever.
   */
  async #decode(tag: string, sid: string, fields: HashReply): Promise<Session | undefined> {
    const session = decodeSession(sid, fields)
    if (session === undefined) await this.#discard(tag, sid)
    return session
  }

  /**
   * Removes a corrupt session of `tag`'s subject, its index entry and its pointer. Best effort,
   * like any clean-up: corrupt data never fails a call, and what stays is removed at its next read.
   */
  async #discard(tag: string, sid: string): Promise<void> {
    this.#reportCorrupt(1)
    const keys = [this.#keys.index(tag), this.#keys.session(tag, sid)] as const
    await Promise.allSettled([this.#run('batonSessionDelete', ...keys, sid)])
    await this.#routes.drop([sid])
  }

  #reportCorrupt(count: number): void {
    if (count > 0) {
      this.#report(
        new RedisStoreError(
          'ERR_STORE_CORRUPT_DATA',
          'A value under the key prefix was not one of our sessions; it was treated as missing',
        ),
      )
    }
  }

  #report(error: RedisStoreError): void {
    try {
      this.#onError(error)
    } catch {
      // A failing logger must not turn a good answer into an error.
    }
  }
}

/** A Redis TTL in whole milliseconds from `now` to `expiry`, at least 1 (PX rejects 0). */
function ttlUntil(expiry: number, now: number): string {
  return String(Math.max(1, Math.ceil(expiry - now)))
}
