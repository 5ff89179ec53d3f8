import type { Cluster, Redis } from 'ioredis'
import { isSubjectTag } from './keys.js'
import type { KeyLayout } from './keys.js'
import { RouteCache } from './route-cache.js'

/**
 * Which subject tag a sid lives under, so which keys (and, on Cluster, which slot) hold its
 * session. The store is asked for a session by sid alone: the pointer key answers (see
 * `keys.ts`), and a bounded cache of its answers (`route-cache.ts`) skips that round trip on the
 * hot path. The pointer of a session is written before the session and removed after it.
 */
export class SidRoutes {
  readonly #client: Redis | Cluster
  readonly #keys: KeyLayout
  readonly #cache: RouteCache
  readonly #reportCorrupt: () => void

  constructor(
    client: Redis | Cluster,
    keys: KeyLayout,
    cacheSize: number,
    /** Told of a pointer that holds no tag of ours (it is removed). */
    reportCorrupt: () => void,
  ) {
    this.#client = client
    this.#keys = keys
    this.#cache = new RouteCache(cacheSize)
    this.#reportCorrupt = reportCorrupt
  }

  /** Writes the pointer of a new session, to expire after `ttlMs` (whole milliseconds, as text). */
  async point(sid: string, tag: string, ttlMs: string): Promise<void> {
    await this.#client.set(this.#keys.pointer(sid), tag, 'PX', ttlMs)
  }

  /** Remembers a route the caller has just seen hold (a session it wrote under `tag`). */
  remember(sid: string, tag: string): void {
    this.#cache.set(sid, tag)
  }

  /**
   * Runs `attempt` with the sid's subject tag: the cached one first; on a miss, the one the
   * pointer key names, if it differs. `attempt` answers undefined for "no session under this tag".
   * Past the deadline (`signal`), no attempt is made after the first round trip.
   */
  async routed<T>(
    sid: string,
    signal: AbortSignal,
    attempt: (tag: string) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const cached = this.#cache.get(sid)
    if (cached !== undefined) {
      const result = await attempt(cached)
      if (result !== undefined) return result
      this.#cache.delete(sid)
    }
    const tag = await this.#lookup(sid)
    if (tag === undefined || tag === cached) return undefined
    signal.throwIfAborted()
    const result = await attempt(tag)
    if (result !== undefined) this.#cache.set(sid, tag)
    return result
  }

  /** Pointers are garbage once their session is gone; failing to remove one only costs memory. */
  async drop(sids: readonly string[]): Promise<void> {
    for (const sid of sids) this.#cache.delete(sid)
    // One DEL per key: on Cluster the pointers live in different slots.
    await Promise.allSettled(sids.map((sid) => this.#client.del(this.#keys.pointer(sid))))
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
    this.#reportCorrupt()
    await this.#client.del(pointer)
    return undefined
  }
}

/** What `#lookup` makes of a pointer key of the wrong type: no tag (`isSubjectTag` refuses it). */
const NOT_A_TAG = ''
