/**
 * `createAuthFetch`: a fetch that attaches the bearer token to requests for the configured
 * origins, renews the tokens once for any number of refused requests, retries what is safe to
 * retry once, and otherwise behaves exactly like the fetch underneath it.
 *
 * One call of `api.fetch` goes:
 * 1. not ours (another origin, or the caller set `Authorization`) → the underlying fetch, untouched;
 * 2. wait for a renewal in flight, or renew first if the access token expires within
 *    `refreshBefore` — then send with the token of the moment, remembering which one it was;
 * 3. a network error or 502/503/504 on a method that may be sent twice → wait, send once more;
 * 4. a 401 → renew (single-flight, see refresher.ts); then a method that may be sent twice is
 *    sent again, once, and anything else gets its 401 back — after the renewal, so that the
 *    caller's next request already carries the new token. A 401 from another origin, reached
 *    by a redirect, refused no token of ours (fetch drops `Authorization` on such a redirect):
 *    it is just the answer.
 *
 * A request that a `login` or `refresh` callback makes before its first `await` goes to the
 * underlying fetch untouched, as in 1: it is part of the renewal that others wait for.
 */
import { abortable, isAbortError } from './abort.js'
import { AuthError, isAuthError, summarizeResponse } from './errors.js'
import { resolveOptions, type AuthFetchOptions } from './options.js'
import { callbackRefreshGrant, httpRefreshGrant } from './refresh-grant.js'
import { Refresher, type LoginFunction } from './refresher.js'
import { describeRequest, UrlReader, type FetchFunction, type OutgoingRequest } from './request.js'
import { retryDelay } from './retry.js'
import { revoke } from './revocation.js'
import { Session } from './session.js'
import type { TokenSet } from './token-set.js'

type Awaitable<T> = T | Promise<T>

export interface AuthFetch {
  /** The global fetch's signature and semantics, with the session's token. Bound: destructure freely. */
  readonly fetch: FetchFunction
  /** The current tokens; `null` when there is no session. */
  readonly tokens: TokenSet | null
  /** Refreshes now (joining a renewal in flight) and resolves to the new tokens. */
  refresh(): Promise<TokenSet>
  /** Forgets the tokens (memory and storage), revokes them at `revocationUrl` if set. */
  logout(): Promise<void>
  /** Aborts a renewal in flight; every later call rejects. */
  [Symbol.dispose](): void
}

export interface AuthFetchWithLogin extends AuthFetch {
  /** Runs the `login` callback (joining a login in flight) and resolves to the new tokens. */
  login(): Promise<TokenSet>
}

/**
 * Where the platform has no `Symbol.dispose` (older browsers), TypeScript's `using` helper
 * looks up `Symbol.for('Symbol.dispose')`.
 */
// Node ≥ 20.19 always defines Symbol.dispose, so the fallback cannot run under test here.
/* c8 ignore next */
const disposeKey: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose')

export function createAuthFetch(
  options: AuthFetchOptions & { login: LoginFunction },
): AuthFetchWithLogin
export function createAuthFetch(options: AuthFetchOptions): AuthFetch
export function createAuthFetch(options: AuthFetchOptions): AuthFetch | AuthFetchWithLogin {
  const config = resolveOptions(options)
  const { now, retry } = config
  const baseFetch = config.fetch
  const session = new Session(config)
  let ready: Promise<void> | undefined
  if (config.tokens) session.restore(config.tokens)
  else ready = session.load()

  const grant = config.refreshUrl
    ? httpRefreshGrant({
        url: config.refreshUrl,
        encoding: config.refreshEncoding,
        params: config.refreshParams,
        fetch: baseFetch,
        now,
      })
    : config.refresh && callbackRefreshGrant(config.refresh, baseFetch, now)
  const refresher = new Refresher({ session, grant, login: config.login, fetch: baseFetch, now })
  const urls = new UrlReader()

  /** The last tokens a 401 refused: not worth sending again if their renewal failed. */
  let refused: TokenSet | null = null
  let disposed = false

  const assertUsable = (): void => {
    if (disposed) throw new TypeError('createAuthFetch: this client has been disposed')
  }

  const expiresAt = (tokens: TokenSet): number => tokens.expiresAt ?? Infinity

  /**
   * When to renew ahead: `refreshBefore` early, but never earlier than half-way through the
   * token's life — with a lifetime shorter than the window, every request would refresh.
   */
  const renewAt = (tokens: TokenSet): number => {
    const expiry = expiresAt(tokens)
    return expiry - Math.min(config.refreshBefore, (expiry - tokens.issuedAt) / 2)
  }

  /** Tokens that can still be sent after a renewal failed for a transient reason. */
  const stillUsable = (tokens: TokenSet | null): tokens is TokenSet =>
    tokens !== null && tokens !== refused && expiresAt(tokens) > now()

  const canRefresh = (tokens: TokenSet): boolean =>
    grant !== undefined &&
    tokens.refreshToken !== undefined &&
    (tokens.refreshExpiresAt ?? Infinity) > now()

  /** After a failed renewal: keep going with tokens that still work, else share the failure. */
  const afterFailure = (error: unknown, signal: AbortSignal | undefined): TokenSet => {
    const current = session.tokens
    if (
      signal?.aborted ||
      !isAuthError(error, 'AUTH_REFRESH_UNAVAILABLE') ||
      !stillUsable(current)
    ) {
      throw error
    }
    return current
  }

  /**
   * The tokens to send with: step 2 above. Synchronous in the common case — no load, renewal
   * or login in flight and tokens not about to expire — so that a request pays no extra
   * microtask turns for its bookkeeping.
   */
  const tokensToSend = (signal: AbortSignal | undefined): Awaitable<TokenSet | null> => {
    if (ready) return abortable(ready, signal).then(() => currentTokens(signal))
    return currentTokens(signal)
  }

  const currentTokens = (signal: AbortSignal | undefined): Awaitable<TokenSet | null> => {
    const pending = refresher.pending
    if (pending) return recovering(abortable(pending, signal), signal)
    const tokens = session.tokens
    if (tokens === null) return null
    // Tokens a 401 refused (their renewal failed) are renewed before sending, not sent again.
    if (tokens !== refused) {
      if (renewAt(tokens) > now()) return tokens
      // Expiring soon. A renewal that cannot refresh would end the session: not while the
      // access token still works.
      if (!canRefresh(tokens) && expiresAt(tokens) > now()) return tokens
    }
    return recovering(abortable(refresher.renew(tokens, refresher.epoch), signal), signal)
  }

  /** A renewal's tokens, or after its failure the tokens to go on with (a closure only here). */
  const recovering = (
    renewal: Promise<TokenSet>,
    signal: AbortSignal | undefined,
  ): Promise<TokenSet> => renewal.catch((error: unknown) => afterFailure(error, signal))

  /** Whether the response came from the request's own origin, redirects or not. */
  const answeredBy = (response: Response, origin: string): boolean =>
    !response.redirected || urls.read(response.url)?.origin === origin

  const wait = (response: Response | undefined, signal: AbortSignal | undefined): Promise<void> =>
    abortable(config.sleep(retryDelay(response, retry, now(), Math.random), signal), signal)

  /** Sends once, and once more after a transient failure while `budget.transient` allows: step 3. */
  const send = async (
    request: OutgoingRequest,
    tokens: TokenSet | null,
    replay: boolean,
    budget: { transient: boolean },
  ): Promise<Response> => {
    const attempt = (): Promise<Response> => baseFetch(...request.attempt(tokens, replay))
    let response: Response
    try {
      response = await attempt()
    } catch (error) {
      if (!budget.transient || request.signal?.aborted || isAbortError(error)) throw error
      budget.transient = false
      await wait(undefined, request.signal)
      return attempt()
    }
    if (!budget.transient || !retry.statuses.has(response.status)) return response
    budget.transient = false
    discard(response)
    await wait(response, request.signal)
    return attempt()
  }

  const authFetch: FetchFunction = async (input, init) => {
    assertUsable()
    if (refresher.calling) return baseFetch(input, init)
    const request = describeRequest(urls, input, init)
    if (request === undefined || !config.origins.has(request.origin) || request.hasAuthorization) {
      return baseFetch(input, init)
    }
    // As fetch does: an aborted call rejects before anything happens (not even a refresh).
    request.signal?.throwIfAborted()
    const replay = request.replayableBody && retry.methods.has(request.method)
    const budget = { transient: replay }

    const next = tokensToSend(request.signal)
    const sentWith = next instanceof Promise ? await next : next
    const sentEpoch = refresher.epoch
    const response = await send(request, sentWith, replay, budget)
    // Without a session and without a way to start one, a 401 is just the answer.
    if (
      response.status !== 401 ||
      (sentWith === null && config.login === undefined) ||
      !answeredBy(response, request.origin)
    ) {
      return response
    }

    if (sentWith !== null) refused = sentWith
    let fresh: TokenSet
    try {
      fresh = await abortable(refresher.renew(sentWith, sentEpoch), request.signal)
    } catch (error) {
      discard(response)
      throw error
    }
    if (!replay) return response

    discard(response)
    const retried = await send(request, fresh, replay, budget)
    if (retried.status !== 401 || !answeredBy(retried, request.origin)) return retried
    discard(retried)
    throw new AuthError(
      'AUTH_REFRESH_FAILED',
      'The request was refused again with renewed tokens',
      {
        cause: summarizeResponse(response, request.href, undefined, [
          sentWith?.accessToken,
          fresh.accessToken,
        ]),
      },
    )
  }

  const api = {
    fetch: authFetch,
    refresh: async () => {
      assertUsable()
      if (ready) await ready
      return refresher.refresh()
    },
    logout: async () => {
      assertUsable()
      if (ready) await ready
      const tokens = session.tokens
      const error = new AuthError('AUTH_SESSION_EXPIRED', 'Logged out')
      refresher.abort(error)
      if (tokens === null) return
      refused = null
      const ended = session.end('logout', error)
      if (config.revocationUrl) {
        const failure = await revoke(tokens, {
          url: config.revocationUrl,
          params: config.refreshParams,
          fetch: baseFetch,
        })
        if (failure) config.onError(failure)
      }
      await ended
    },
    [disposeKey]: () => {
      if (disposed) return
      disposed = true
      refresher.abort(new DOMException('The auth fetch was disposed', 'AbortError'))
    },
  }
  // Not enumerable, so that JSON.stringify(api) or a logger walking the object shows no token.
  Object.defineProperty(api, 'tokens', { get: () => session.tokens })
  if (config.login === undefined) return api as AuthFetch
  const login = async (): Promise<TokenSet> => {
    assertUsable()
    if (ready) await ready
    return refresher.login()
  }
  return Object.assign(api as AuthFetch, { login })
}

/** A response nobody will read: cancel its body so the connection is released at once. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined)
}
