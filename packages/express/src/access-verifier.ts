/**
 * Verifies an access token and its session: the token's signature and claims (memoized by
 * `VerifiedTokenCache`), then — on every request, never cached — that its session still exists and
 * belongs to its subject, so logout, revocation, reuse detection and eviction take effect at once.
 */
import { verifyAccessToken, type AccessTokenPolicy, type AuthInfo } from './access-token.js'
import { InvalidTokenError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import type { Awaitable, Session } from './session-store.js'
import type { StoreGuard } from './store-guard.js'
import { GENERATION_CLAIM } from './token-response.js'
import { VerifiedTokenCache } from './verify-cache.js'

/** `lastUsedAt` is rewritten at most this often, so verification is not a store write per request. */
const TOUCH_INTERVAL_MS = 60_000

export type VerifyAccess = (token: string) => Awaitable<AuthInfo>

/**
 * What `auth.required()` calls: `VerifyAccess` that runs `beforeFullCheck` on the token first
 * whenever its verify cache does not hold it (the middleware's b64token check, which a token that
 * passed the full check once needs no more). Every verifier behind the middleware implements it.
 */
export type VerifyRequest = (
  token: string,
  beforeFullCheck: (token: string) => void,
) => Awaitable<AuthInfo>

type Config = AccessTokenPolicy & Pick<ResolvedOptions, 'store' | 'now' | 'verifyCacheSize'>

/**
 * The verifier. Synchronous when the store answers synchronously (the LRU store), so
 * `auth.required()` can call `next()` without a trip through the microtask queue: in bench/ that
 * trip was about 5% of a protected request's server time.
 */
export function createAccessVerifier(
  config: Config,
  guard: StoreGuard,
): VerifyAccess & VerifyRequest {
  const verified = new VerifiedTokenCache(config.verifyCacheSize, config.leewayMs)
  const checkSession = createSessionCheck(config, guard)
  return (token: string, beforeFullCheck?: (token: string) => void) => {
    const at = config.now()
    let info = verified.get(token, at)
    if (info === undefined) {
      beforeFullCheck?.(token)
      info = verifyAccessToken(token, config, at)
      verified.set(token, info)
    }
    return checkSession(info, at)
  }
}

/**
 * The session half of verification — the sid exists and belongs to the sub — with the store's
 * bookkeeping. The downstream verifier (`create-verifier.ts`) runs it too when it shares the
 * store, so its requests count as use of a generation just as the issuer's do.
 */
export function createSessionCheck(
  config: Pick<ResolvedOptions, 'store' | 'realm'>,
  guard: StoreGuard,
): (info: AuthInfo, at: number) => Awaitable<AuthInfo> {
  const { store, realm } = config

  /** Sessions whose generation is being marked used, so concurrent requests write it once. */
  const marking = new Set<string>()
  const markUsed = (sid: string, generation: number, at: number): void => {
    const key = `${sid}.${generation}`
    if (marking.has(key)) return
    marking.add(key)
    // A failed write is retried by the next request; it must not fail this one.
    void Promise.resolve()
      .then(() => store.markUsed(sid, generation, at))
      .catch(() => {})
      .finally(() => marking.delete(key))
  }

  const checkSession = (info: AuthInfo, session: Session | undefined, at: number): AuthInfo => {
    if (session === undefined || session.sub !== info.sub) {
      throw new InvalidTokenError(
        'ERR_TOKEN_REVOKED',
        'The session of this access token has ended',
        realm,
      )
    }
    // The first verified access token of an unused generation shows the client received it: from
    // then on its previous refresh token is honoured only inside the grace. Once per rotation.
    const generation = info.claims[GENERATION_CLAIM]
    if (session.used === false && generation === session.generation)
      markUsed(info.sid, generation, at)
    if (at - session.lastUsedAt >= TOUCH_INTERVAL_MS) {
      // Bookkeeping only: a failed touch must not fail the request it rides on.
      void Promise.resolve()
        .then(() => store.touch(info.sid, at))
        .catch(() => {})
    }
    return info
  }

  return (info, at) => {
    const session = guard(() => store.get(info.sid, at))
    return session instanceof Promise
      ? session.then((answer) => checkSession(info, answer, at))
      : checkSession(info, session, at)
  }
}
