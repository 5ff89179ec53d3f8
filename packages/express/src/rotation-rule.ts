/**
 * The rule every `SessionStore.rotate` applies, written once. `LruSessionStore` calls it;
 * `@baton/redis-store`'s Lua script restates it (Lua cannot call TypeScript) and the shared
 * contract suite (`@baton/express/testing`) holds every store to it; introspection asks it whether
 * a refresh token is still acceptable.
 */
import type { Session } from './session-store.js'

/**
 * What a presented refresh generation means for a session at `now`:
 * - `rotate`: it is the current generation: rotate to the next one.
 * - `replay`: the previous generation, while the current one is unused (the client evidently never
 *   received it: a lost response, a rotation the store ran after its caller gave up), or inside
 *   the grace (`now < rotatedAt + graceMs`: two clients raced with one token). Answer the current
 *   pair again; change nothing.
 * - `resync`: newer than the stored generation. Only we mint refresh tokens (the MAC proved this
 *   one), so the store lost writes (a restart from an older snapshot): continue from it.
 * - `reuse`: anything else — older, or the previous one after the grace once the current one was
 *   used: a replayed token, so the session must end.
 */
export type RotationDecision = 'rotate' | 'replay' | 'resync' | 'reuse'

export function decideRotation(
  session: Pick<Session, 'generation' | 'rotatedAt' | 'used'>,
  presentedGeneration: number,
  now: number,
  graceMs: number,
): RotationDecision {
  if (presentedGeneration === session.generation) return 'rotate'
  if (presentedGeneration > session.generation) return 'resync'
  if (
    presentedGeneration === session.generation - 1 &&
    (!session.used || now < session.rotatedAt + graceMs)
  )
    return 'replay'
  return 'reuse'
}

/** When a refresh token issued at `now` expires: `refreshTtl` later, never after the session. */
export function refreshExpiry(now: number, refreshTtlMs: number, sessionExpiresAt: number): number {
  return Math.min(now + refreshTtlMs, sessionExpiresAt)
}
