import type { Session } from '@baton/express'
import { LRUCache } from 'lru-cache'

/**
 * The sessions `get` may answer without Redis, and the one rule that keeps them right: an entry
 * is kept only while Redis is known to announce every write to it (`invalidation-channel.ts`),
 * and is dropped at the first announcement. Everything else fails closed:
 *
 * - **Not tracking** (not yet subscribed, the connection dropped or is reconnecting): the cache is
 *   empty and refuses fills, so every `get` goes to Redis. Writes made while nobody listened were
 *   never announced, so nothing kept from before can be trusted: the cache starts empty again
 *   when tracking is back.
 * - **A fill racing an invalidation.** A read answered by Redis before a write, whose reply comes
 *   back after that write's invalidation (two connections, no order between them), would put the
 *   old session back after its invalidation and keep it. So a read is registered (`begin`)
 *   before its command is sent, and its answer is kept (`finish`) only if no invalidation of its
 *   sid, no clear and no change of tracking came in between. Discarding a good answer only costs
 *   the next `get` a round trip.
 */
export class LocalSessionCache {
  readonly #sessions: LRUCache<string, Session>
  /** Reads in flight by sid, with how many invalidations of that sid came since the first began. */
  readonly #inFlight = new Map<string, InFlight>()
  #tracking = false
  /** Bumped by every clear and every change of tracking: a fill begun before one is dropped. */
  #epoch = 0

  constructor(max: number) {
    this.#sessions = new LRUCache({ max })
  }

  /** The cached session of `sid`, if any (never while not tracking). */
  get(sid: string): Session | undefined {
    return this.#sessions.get(sid)
  }

  /** Registers a read of `sid` about to be sent; undefined when nothing may be cached now. */
  begin(sid: string): Fill | undefined {
    if (!this.#tracking) return undefined
    let slot = this.#inFlight.get(sid)
    if (slot === undefined) {
      slot = { readers: 0, invalidations: 0 }
      this.#inFlight.set(sid, slot)
    }
    slot.readers++
    return { sid, slot, seen: slot.invalidations, epoch: this.#epoch }
  }

  /** Ends a read: keeps its answer only if nothing could have made it stale meanwhile. */
  finish(fill: Fill | undefined, session: Session | undefined): void {
    if (fill === undefined) return
    const { sid, slot } = fill
    if (--slot.readers === 0) this.#inFlight.delete(sid)
    if (session === undefined) return
    if (fill.epoch !== this.#epoch || slot.invalidations !== fill.seen) return
    this.#sessions.set(sid, session)
  }

  /** A write to `sid`'s session (announced by Redis, or made by this store). */
  invalidate(sid: string): void {
    this.#sessions.delete(sid)
    const slot = this.#inFlight.get(sid)
    if (slot !== undefined) slot.invalidations++
  }

  /** Forgets everything (Redis announced a flush): reads in flight are not kept either. */
  clear(): void {
    this.#epoch++
    this.#sessions.clear()
  }

  /** Whether Redis announces every write from now on; either way, what was cached goes. */
  setTracking(tracking: boolean): void {
    this.#tracking = tracking
    this.clear()
  }

  /** How many sessions are cached. */
  get size(): number {
    return this.#sessions.size
  }
}

interface InFlight {
  readers: number
  invalidations: number
}

/** One read in flight, as `begin` registered it. */
export interface Fill {
  readonly sid: string
  readonly slot: InFlight
  readonly seen: number
  readonly epoch: number
}
