/**
 * The rule every `SessionStore.rotate` applies, written once. `LruSessionStore` calls it;
 * `@baton/redis-store`'s Lua script restates it (Lua cannot call TypeScript) and the shared
 * contract suite (`@baton/express/testing`) holds every store to it; introspection asks it whether
 * a refresh token is still acceptable.
 */
import type { Session } from './session-store.js'

/**
 * What a presented refresh generation means for a session at `now`:
 * - `rotate`: it is the current generation: rotate to the next one;
 * - `replay`: the previous generation inside the grace (`now < rotatedAt + graceMs`): answer the
 *   current pair again, change nothing (two clients raced with one token);
 * - `reuse`: anything else — older, or the previous one after the grace: the session must end.
 */
export type RotationDecision = 'rotate' | 'replay' | 'reuse'

export function decideRotation(
  session: Pick<Session, 'generation' | 'rotatedAt'>,
  presentedGeneration: number,
  now: number,
  graceMs: number,
): RotationDecision {
  if (presentedGeneration === session.generation) return 'rotate'
  if (presentedGeneration === session.generation - 1 && now < session.rotatedAt + graceMs)
    return 'replay'
  return 'reuse'
}

/** When a refresh token issued at `now` expires: `refreshTtl` later, never after the session. */
export function refreshExpiry(now: number, refreshTtlMs: number, sessionExpiresAt: number): number {
  return Math.min(now + refreshTtlMs, sessionExpiresAt)
}
