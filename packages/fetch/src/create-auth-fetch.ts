/**
 * `createAuthFetch`: a fetch that attaches the bearer token to requests for the configured
 * origins, renews the tokens once for any number of refused requests, retries what is safe to
 * retry once, and otherwise behaves exactly like the fetch underneath it.
 *
 * This file is the wiring. The parts: the resolved options (`resolve-options.ts`), the token
 * owner and its one door to the storage (`token-owner.ts`), the refresh grant
 * (`refresh-grant.ts`), the single-flight renewal (`refresher.ts`), the retry policy (`retry.ts`),
 * one call of `api.fetch` (`authorized-fetch.ts`) and the revocation at logout (`revocation.ts`).
 */
import type { AuthFetch, AuthFetchWithLogin } from './auth-fetch.js'
import { authorizedFetch } from './authorized-fetch.js'
import { AuthError } from './errors.js'
import { loginWithUrl } from './login-url.js'
import type { AuthFetchOptions, LoginFunction } from './options.js'
import { canRefresh, refreshGrantOf } from './refresh-grant.js'
import { Refresher } from './refresher.js'
import { resolveOptions } from './resolve-options.js'
import { RetryPolicy } from './retry.js'
import { revoke } from './revocation.js'
import { StoredTokens } from './stored-tokens.js'
import { TokenOwner } from './token-owner.js'
import type { TokenSet } from './token-set.js'

/**
 * Where the platform has no `Symbol.dispose` (older browsers), TypeScript's `using` helper
 * looks up `Symbol.for('Symbol.dispose')`.
 */
// Node ≥ 20.19 always defines Symbol.dispose, so the fallback cannot run under test here.
/* c8 ignore next */
const disposeKey: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')

export function createAuthFetch(
  options: AuthFetchOptions & ({ login: LoginFunction } | { loginUrl: string | URL }),
): AuthFetchWithLogin
export function createAuthFetch(options: AuthFetchOptions): AuthFetch
export function createAuthFetch(options: AuthFetchOptions): AuthFetch | AuthFetchWithLogin {
  const config = resolveOptions(options)
  const { fetch, now, onError } = config
  const grant = refreshGrantOf(config)
  const stored = new StoredTokens(config.storage, onError, now)
  const owner = new TokenOwner({
    ...config,
    stored,
    canRefresh: (tokens) => canRefresh(grant, tokens),
  })
  const cookie = config.refreshCookie ? { onError } : undefined
  const login = config.login ?? (config.loginUrl && loginWithUrl(config.loginUrl, cookie))
  // Only a callback can log in by itself (it can ask the user); a loginUrl needs credentials.
  const autoLogin = config.login !== undefined
  const refresher = new Refresher({ owner, grant, login, autoLogin, fetch, onError, now })
  const retry = new RetryPolicy(config.retry, config.sleep, now)

  let disposed = false
  const assertUsable = (): void => {
    if (disposed) throw new TypeError('createAuthFetch: this client has been disposed')
  }

  const api = {
    fetch: authorizedFetch({
      origins: config.origins,
      canLogin: autoLogin,
      fetch,
      owner,
      refresher,
      retry,
      assertUsable,
    }),
    refresh: async () => {
      assertUsable()
      if (owner.ready) await owner.ready
      return refresher.refresh()
    },
    logout: async () => {
      assertUsable()
      if (owner.ready) await owner.ready
      const tokens = owner.tokens
      const error = new AuthError('AUTH_SESSION_EXPIRED', 'Logged out')
      refresher.abort(error)
      // In cookie mode the cookie may hold a session this tab never saw: it is ended all the same.
      if (tokens === null && !config.refreshCookie) return
      const ended = owner.end('logout', error)
      if (config.revocationUrl) {
        const { revocationUrl: url, refreshParams: params, clientAuthentication: client } = config
        const failure = await revoke(tokens, {
          url,
          params,
          client,
          cookie: config.refreshCookie,
          fetch,
        })
        if (failure) onError(failure)
      }
      await ended
    },
    [disposeKey]: () => {
      if (disposed) return
      disposed = true
      owner.dispose()
      refresher.abort(new DOMException('The auth fetch was disposed', 'AbortError'))
    },
  }
  // Not enumerable, so that JSON.stringify(api) or a logger walking the object shows no token.
  Object.defineProperty(api, 'tokens', {
    get: (): TokenSet | null => {
      owner.sync()
      return owner.tokens
    },
  })
  if (login === undefined) return api as AuthFetch
  const logIn = async (credentials?: unknown): Promise<TokenSet> => {
    assertUsable()
    if (owner.ready) await owner.ready
    return refresher.login(credentials)
  }
  return Object.assign(api as AuthFetch, { login: logIn })
}
