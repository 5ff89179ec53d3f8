/**
 * The contract between the session logic and where sessions live. `LruSessionStore` implements
 * it in memory; `@baton/redis-store` implements it on Redis. Every method may answer with a value
 * or a Promise. The operations that decide security (`create` with its cap, `rotate`, the deletes)
 * are single atomic steps: a store must never let two concurrent calls both win.
 *
 * All times are epoch milliseconds: the store is told `now` by its caller and never reads a clock
 * of its own for decisions, so an injected clock controls everything.
 */

/** A value, or a Promise of it. */
export type Awaitable<T> = T | Promise<T>

/** One login: the state behind an access + refresh token pair. */
export interface Session {
  /** 128-bit random id, base64url. */
  sid: string
  /** The user. */
  sub: string
  /** Extra claims copied into every access token of this session (e.g. `role`, `scope`). */
  claims: Record<string, unknown>
  /** When the session was created (login), epoch ms. */
  createdAt: number
  /** When a token of this session was last issued or verified, epoch ms (bounded precision). */
  lastUsedAt: number
  /** Absolute end of the session (`createdAt + sessionMaxAge`), epoch ms. */
  expiresAt: number
  /** End of the current refresh token's life (`refreshTtl` after its issue, ≤ `expiresAt`), epoch ms. */
  refreshExpiresAt: number
  /** The current refresh token's generation; the token for `generation - 1` is the "previous" one. */
  generation: number
  /** When the current generation was issued, epoch ms: the start of the previous token's grace. */
  rotatedAt: number
  /**
   * Whether the client has shown it received the current generation: its refresh token was
   * presented, or an access token minted for it was verified. Until then the previous refresh
   * token replays the current pair (a lost response, a write the store ran late). A session
   * stored without the field counts as used, which is the stricter reading.
   */
  used: boolean
  /** The `User-Agent` of the login request, truncated, if any. */
  userAgent?: string
}

/** What `create` must enforce, atomically with the insert. */
export interface CreateOptions {
  /** Most live sessions one subject may hold, the new one included. */
  maxPerSubject: number
  /** Over the cap: drop the oldest sessions, or refuse the new one. */
  policy: 'evict-oldest' | 'reject'
  /** Now, epoch ms: sessions already expired at this time do not count toward the cap. */
  now: number
}

export type CreateResult =
  | { ok: true; /** sids removed to make room, oldest first. */ evicted: string[] }
  | { ok: false; reason: 'session_limit' }
  /** The store is full and refuses new sessions rather than evict live ones. */
  | { ok: false; reason: 'capacity' }

/** What `rotate` needs to decide. */
export interface RotateOptions {
  /** Now, epoch ms. */
  now: number
  /** How long after a rotation the previous refresh token is still accepted, ms; 0 = never. */
  graceMs: number
  /** The new refresh token's lifetime, ms (capped by the session's `expiresAt`). */
  refreshTtlMs: number
}

/**
 * What `rotate` did, by the rule of `decideRotation` (`rotation-rule.ts`):
 * - `rotated`: the presented generation was current; it is now `session.generation`, one higher.
 * - `replayed`: the previous generation while the current one is unused or inside the grace:
 *   nothing changed, `session` is current.
 * - `resynced`: a generation newer than the stored one (the store lost writes): the session now
 *   continues from it, rotated one past it, as `rotated` would have.
 * - `reused`: an older generation, or the previous one after the grace once the current one was
 *   used: the session was deleted.
 * - `missing`: no such live session (never existed, expired, revoked, evicted).
 */
export type RotateResult =
  | { outcome: 'rotated' | 'replayed' | 'resynced'; session: Session }
  | { outcome: 'reused'; session: Session }
  | { outcome: 'missing' }

/** A live session the store dropped on its own to stay within its bound. */
export interface EvictionNotice {
  sid: string
  sub: string
  reason: 'capacity'
}

export interface SessionStore {
  /** The live session `sid` at `now`, or undefined (unknown, expired, evicted, revoked). */
  get(sid: string, now: number): Awaitable<Session | undefined>
  /** Insert a new session, enforcing the per-subject cap in the same atomic step. */
  create(session: Session, options: CreateOptions): Awaitable<CreateResult>
  /** Compare-and-increment the refresh generation, with the grace and reuse rules. */
  rotate(sid: string, presentedGeneration: number, options: RotateOptions): Awaitable<RotateResult>
  /** Record use: set `lastUsedAt` to `now` if the session is live. */
  touch(sid: string, now: number): Awaitable<void>
  /**
   * Record that the client received `generation`: set `used` if it is still the current one (an
   * access token of it was verified). Atomic with respect to `rotate`; a no-op otherwise.
   */
  markUsed(sid: string, generation: number, now: number): Awaitable<void>
  /** Delete one session; the deleted session, or undefined if there was none. */
  delete(sid: string): Awaitable<Session | undefined>
  /** The subject's live sessions at `now`, oldest first. */
  listBySubject(sub: string, now: number): Awaitable<Session[]>
  /** Delete all the subject's sessions but `exceptSid`; the deleted sids. */
  deleteBySubject(sub: string, exceptSid?: string): Awaitable<string[]>
  /**
   * Optional: be told of live sessions the store dropped on its own (capacity eviction), so
   * `createAuth` can emit `evicted` events. Returns an unsubscribe function.
   */
  onEviction?(listener: (notice: EvictionNotice) => void): () => void
}
