import type {
  CreateOptions,
  CreateResult,
  RotateOptions,
  RotateResult,
  Session,
  SessionStore,
} from '@baton/express'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { Cluster, Redis } from 'ioredis'
import { ReadyGate, withDeadline } from './connection.js'
import { RedisStoreError } from './errors.js'
import { isSubjectTag, keyLayout, subjectTag } from './keys.js'
import type { KeyLayout } from './keys.js'
import { resolveOptions } from './options.js'
import type { RedisClient, RedisSessionStoreOptions } from './options.js'
import { RouteCache } from './route-cache.js'
import { defineScripts } from './scripts.js'
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
 */
export class RedisSessionStore implements SessionStore {
  /** The key prefix in use. */
  readonly prefix: string
  readonly #client: Redis | Cluster
  readonly #ownsClient: boolean
  readonly #keys: KeyLayout
  readonly #routes: RouteCache
  readonly #run: ScriptRunner
  readonly #timeoutMs: number
  readonly #onError: (error: RedisStoreError) => void
  readonly #ready: ReadyGate
  #closed = false
  /** Set by a connection error of an owned client, cleared when it is ready again. */
  #failing = false

  constructor(options: RedisSessionStoreOptions<RedisClient>) {
    const resolved = resolveOptions(options)
    this.prefix = resolved.prefix
    this.#client = resolved.client
    this.#ownsClient = resolved.ownsClient
    this.#keys = keyLayout(resolved.prefix)
    this.#routes = new RouteCache(resolved.routeCacheSize)
    this.#timeoutMs = resolved.commandTimeoutMs
    this.#onError = resolved.onError
    this.#run = defineScripts(this.#client)
    this.#ready = new ReadyGate(this.#client)
    if (this.#ownsClient) {
      // Our client, so our listener: without one, ioredis prints every failed reconnect.
      this.#client.on('error', (error: unknown) => {
        if (this.#failing) return
        this.#failing = true
        this.#report(
          new RedisStoreError('ERR_STORE_CONNECTION', 'The connection to Redis failed; retrying', {
            cause: error,
          }),
        )
      })
      this.#client.on('ready', () => {
        this.#failing = false
      })
    }
  }

  /** The ioredis client in use (the one given, or the one made from `url`). */
  get client(): Redis | Cluster {
    return this.#client
  }

  get(sid: string, now: number): Promise<Session | undefined> {
    return this.#call(async (signal) => {
      const session = await this.#routed(sid, signal, async (tag) => {
        const reply = await this.#script('batonSessionGet', tag, sid)
        return reply[0] === 'found' ? this.#decode(tag, sid, reply[1]) : undefined
      })
      return session !== undefined && session.refreshExpiresAt > now ? session : undefined
    })
  }

  create(session: Session, options: CreateOptions): Promise<CreateResult> {
    return this.#call(async (signal) => {
      const { now, maxPerSubject, policy } = options
      const tag = subjectTag(session.sub)
      const pointer = this.#keys.pointer(session.sid)
      // The pointer first, and only then the session: so no session ever exists without its
      // pointer (it would count toward the cap and be listed, yet no token of it would work). The
      // reverse, a pointer whose create then failed or was refused, only costs memory until its
      // TTL. On Cluster the two live on different nodes, so only awaiting orders them.
      await this.#client.set(pointer, tag, 'PX', ttlUntil(session.expiresAt, now))
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
        await Promise.allSettled([this.#client.del(pointer)])
        return { ok: false, reason: 'session_limit' }
      }
      const [, , ...evicted] = reply
      this.#routes.set(session.sid, tag)
      await this.#dropPointers(evicted)
      return { ok: true, evicted }
    })
  }

  rotate(sid: string, presentedGeneration: number, options: RotateOptions): Promise<RotateResult> {
    return this.#call(async (signal) => {
      const { now, graceMs, refreshTtlMs } = options
      const result = await this.#routed(sid, signal, async (tag) => {
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
      if (result?.outcome === 'reused') await this.#dropPointers([sid])
      return result ?? { outcome: 'missing' }
    })
  }

  touch(sid: string, now: number): Promise<void> {
    return this.#call(async (signal) => {
      await this.#routed(sid, signal, async (tag) => {
        const reply = await this.#script('batonSessionTouch', tag, sid, String(now))
        // Touching a missing session is a no-op either way: no need to ask the pointer.
        return reply[0] === 'ok' ? true : undefined
      })
    })
  }

  delete(sid: string): Promise<Session | undefined> {
    return this.#call(async (signal) => {
      const session = await this.#routed(sid, signal, async (tag) => {
        const reply = await this.#script('batonSessionDelete', tag, sid)
        // Deleted whether or not it decodes: a session that does not is gone either way.
        return reply[0] === 'deleted' ? this.#decode(tag, sid, reply[1]) : undefined
      })
      await this.#dropPointers([sid])
      return session
    })
  }

  listBySubject(sub: string, now: number): Promise<Session[]> {
    return this.#call(async () => {
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
    return this.#call(async () => {
      const reply = await this.#run(
        'batonSessionDeleteBySubject',
        this.#keys.index(subjectTag(sub)),
        exceptSid === undefined ? '0' : '1',
        exceptSid ?? '',
      )
      const [corrupt, deleted] = reply
      this.#reportCorrupt(corrupt)
      await this.#dropPointers(deleted)
      return deleted
    })
  }

  /**
   * Stops the store: later calls, and calls waiting for a connection, reject with
   * `ERR_STORE_CLOSED`. A client made from `url` is disconnected; a client you passed is left as
   * it is.
   */
  close(): Promise<void> {
    this.#closed = true
    // Not left to the client's 'end': ioredis disconnected between two reconnect attempts
    // never emits one.
    this.#ready.close(closedError())
    if (this.#ownsClient) this.#client.disconnect()
    return Promise.resolve()
  }

  /** One store call: closed check, deadline, readiness, and errors as `RedisStoreError`s. */
  #call<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError())
    return withDeadline(this.#timeoutMs, async (signal) => {
      try {
        await this.#ready.wait(signal)
        return await operation(signal)
      } catch (error) {
        // While a dead socket's 'close' event waits in the event loop, ioredis still says
        // 'ready' and rejects commands synchronously. A caller that retries on failure would then
        // spin in microtasks and starve that very event (and every timer) forever: let the event
        // loop turn before any failure settles.
        await yieldToEventLoop()
        // A call in flight when close() ended the client: closed, not a Redis failure.
        if (this.#closed) throw closedError()
        if (error instanceof RedisStoreError) throw error
        throw new RedisStoreError('ERR_STORE_UNAVAILABLE', 'Redis failed the command', {
          cause: error,
        })
      }
    })
  }

  /**
   * Runs `attempt` with the sid's subject tag: the cached one first; on a miss, the one the
   * pointer key names, if it differs. `attempt` answers undefined for "no session under this tag".
   * Past the deadline (`signal`), no attempt is made after the first round trip.
   */
  async #routed<T>(
    sid: string,
    signal: AbortSignal,
    attempt: (tag: string) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const cached = this.#routes.get(sid)
    if (cached !== undefined) {
      const result = await attempt(cached)
      if (result !== undefined) return result
      this.#routes.delete(sid)
    }
    const tag = await this.#lookup(sid)
    if (tag === undefined || tag === cached) return undefined
    signal.throwIfAborted()
    const result = await attempt(tag)
    if (result !== undefined) this.#routes.set(sid, tag)
    return result
  }

  async #lookup(sid: string): Promise<string | undefined> {
    const pointer = this.#keys.pointer(sid)
    const tag = await this.#client.get(pointer).catch((error: unknown) => {
      // A pointer key that is not a string (a list, a hash…) is foreign data, not an outage.
      if (error instanceof Error && error.message.startsWith('WRONGTYPE')) return NOT_A_TAG
      throw error
    })
    if (tag === null) return undefined
    if (isSubjectTag(tag)) return tag
    this.#reportCorrupt(1)
    await this.#client.del(pointer)
    return undefined
  }

  /** Runs a per-session script of `tag`'s subject; reports a corrupt session it removed. */
  async #script<
    Name extends
      'batonSessionGet' | 'batonSessionRotate' | 'batonSessionTouch' | 'batonSessionDelete',
  >(name: Name, tag: string, sid: string, ...args: string[]): Promise<ScriptReplies[Name]> {
    const keys = [this.#keys.index(tag), this.#keys.session(tag, sid)]
    const reply = await this.#run(name, ...keys, sid, ...args)
    if (reply[0] === 'corrupt') this.#reportCorrupt(1)
    return reply
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
    await this.#dropPointers([sid])
  }

  /** Pointers are garbage once their session is gone; failing to remove one only costs memory. */
  async #dropPointers(sids: readonly string[]): Promise<void> {
    for (const sid of sids) this.#routes.delete(sid)
    // One DEL per key: on Cluster the pointers live in different slots.
    await Promise.allSettled(sids.map((sid) => this.#client.del(this.#keys.pointer(sid))))
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

function closedError(): RedisStoreError {
  return new RedisStoreError('ERR_STORE_CLOSED', 'The store is closed')
}

/** What `#lookup` makes of a pointer key of the wrong type: no tag (`isSubjectTag` refuses it). */
const NOT_A_TAG = ''

/** A Redis TTL in whole milliseconds from `now` to `expiry`, at least 1 (PX rejects 0). */
function ttlUntil(expiry: number, now: number): string {
  return String(Math.max(1, Math.ceil(expiry - now)))
}
