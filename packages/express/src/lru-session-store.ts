import { LRUCache } from 'lru-cache'
import { decideRotation, refreshExpiry } from './rotation-rule.js'
import type {
  CreateOptions,
  CreateResult,
  EvictionNotice,
  RotateOptions,
  RotateResult,
  Session,
  SessionStore,
} from './session-store.js'

export interface LruSessionStoreOptions {
  /**
   * Most sessions held at once. Past it the least recently used session is evicted: its tokens
   * stop working (fail closed) and an `evicted` event with reason `capacity` is emitted.
   * @default 100_000
   */
  max?: number
  /**
   * What a full store does with a new session: `'evict'` the least recently used session (its
   * user is logged out), or `'refuse'` the new one (login answers 503 `ERR_STORE_FULL` with
   * `Retry-After`; nobody is logged out). Refusing protects idle users from a flood of logins.
   * @default 'evict'
   */
  atCapacity?: 'evict' | 'refuse'
  /**
   * The clock lru-cache ages entries by, epoch milliseconds. Decisions use the `now` each call
   * passes; this only lets expired entries be dropped on the same clock.
   * @default Date.now
   */
  now?: () => number
}

/**
 * The embedded default store: sessions in one process's memory, bounded by `max`, each living
 * until its refresh token expires. Every operation is synchronous, so each one is atomic.
 *
 * A per-subject index (`sub` → sids) answers listing and the per-user cap without scanning; it is
 * kept consistent from lru-cache's `dispose` hook, which runs for every way an entry leaves
 * (eviction, expiry, delete), so the index never holds more sids than the cache.
 */
export class LruSessionStore implements SessionStore {
  readonly max: number
  readonly atCapacity: 'evict' | 'refuse'
  readonly #cache: LRUCache<string, Session>
  readonly #bySubject = new Map<string, Set<string>>()
  readonly #listeners = new Set<(notice: EvictionNotice) => void>()

  constructor(options: LruSessionStoreOptions = {}) {
    const { max = 100_000, atCapacity = 'evict', now = Date.now } = options
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError('max must be a positive integer')
    }
    if (atCapacity !== 'evict' && atCapacity !== 'refuse') {
      throw new TypeError("atCapacity must be 'evict' or 'refuse'")
    }
    this.atCapacity = atCapacity
    if (typeof now !== 'function') throw new TypeError('now must be a function')
    this.max = max
    this.#cache = new LRUCache<string, Session>({
      max,
      // Entries die on our clock, checked when touched; no timers (ttlResolution 0, no autopurge).
      ttlResolution: 0,
      perf: { now },
      dispose: (session, sid, reason) => {
        if (reason === 'set') return // an update of the same session
        this.#unindex(session.sub, sid)
        if (reason === 'evict') {
          for (const listener of this.#listeners)
            listener({ sid, sub: session.sub, reason: 'capacity' })
        }
      },
    })
  }

  /** How many sessions are held (expired ones not yet dropped included). */
  get size(): number {
    return this.#cache.size
  }

  get(sid: string, now: number): Session | undefined {
    const session = this.#cache.get(sid)
    if (session === undefined) return undefined
    if (session.refreshExpiresAt <= now) {
      this.#cache.delete(sid)
      return undefined
    }
    return session
  }

  create(session: Session, options: CreateOptions): CreateResult {
    const live = this.listBySubject(session.sub, options.now)
    const evicted: string[] = []
    const room = options.maxPerSubject - 1
    if (live.length > room) {
      if (options.policy === 'reject') return { ok: false, reason: 'session_limit' }
      for (const old of live.slice(0, live.length - room)) evicted.push(old.sid)
    }
    if (this.#full(evicted.length)) return { ok: false, reason: 'capacity' }
    for (const sid of evicted) this.#cache.delete(sid)
    this.#put(session, options.now)
    return { ok: true, evicted }
  }

  rotate(sid: string, presentedGeneration: number, options: RotateOptions): RotateResult {
    const { now, graceMs, refreshTtlMs } = options
    const session = this.get(sid, now)
    if (session === undefined) return { outcome: 'missing' }
    const decision = decideRotation(session, presentedGeneration, now, graceMs)
    if (decision === 'rotate' || decision === 'resync') {
      const rotated: Session = {
        ...session,
        generation: presentedGeneration + 1,
        rotatedAt: now,
        used: false,
        lastUsedAt: now,
        refreshExpiresAt: refreshExpiry(now, refreshTtlMs, session.expiresAt),
      }
      this.#put(rotated, now)
      return { outcome: decision === 'rotate' ? 'rotated' : 'resynced', session: rotated }
    }
    if (decision === 'replay') return { outcome: 'replayed', session }
    this.#cache.delete(sid)
    return { outcome: 'reused', session }
  }

  touch(sid: string, now: number): void {
    const session = this.get(sid, now)
    if (session === undefined) return
    this.#cache.set(sid, { ...session, lastUsedAt: now }, { noUpdateTTL: true })
  }

  markUsed(sid: string, generation: number, now: number): void {
    const session = this.get(sid, now)
    if (session === undefined || session.used || session.generation !== generation) return
    this.#cache.set(sid, { ...session, used: true }, { noUpdateTTL: true })
  }

  delete(sid: string): Session | undefined {
    const session = this.#cache.peek(sid, { allowStale: true })
    if (session === undefined) return undefined
    this.#cache.delete(sid)
    return session
  }

  listBySubject(sub: string, now: number): Session[] {
    const sids = this.#bySubject.get(sub)
    if (sids === undefined) return []
    const sessions: Session[] = []
    // Copy first: get() may drop an expired entry, which edits the set through dispose.
    for (const sid of [...sids]) {
      const session = this.get(sid, now)
      if (session !== undefined) sessions.push(session)
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt)
  }

  deleteBySubject(sub: string, exceptSid?: string): string[] {
    const sids = [...(this.#bySubject.get(sub) ?? [])].filter((sid) => sid !== exceptSid)
    for (const sid of sids) this.#cache.delete(sid)
    return sids
  }

  onEviction(listener: (notice: EvictionNotice) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Whether, under `atCapacity: 'refuse'`, a new session would push out a live one. */
  #full(making: number): boolean {
    if (this.atCapacity === 'evict' || this.#cache.size - making < this.max) return false
    // Expired entries linger until touched: drop them before saying no (O(n), only when full).
    this.#cache.purgeStale()
    return this.#cache.size - making >= this.max
  }

  #put(session: Session, now: number): void {
    this.#cache.set(session.sid, session, { ttl: Math.max(1, session.refreshExpiresAt - now) })
    let sids = this.#bySubject.get(session.sub)
    if (sids === undefined) {
      sids = new Set()
      this.#bySubject.set(session.sub, sids)
    }
    sids.add(session.sid)
  }

  #unindex(sub: string, sid: string): void {
    // Every cached session was indexed by #put, so its subject's set exists.
    const sids = this.#bySubject.get(sub) as Set<string>
    sids.delete(sid)
    if (sids.size === 0) this.#bySubject.delete(sub)
  }
}
