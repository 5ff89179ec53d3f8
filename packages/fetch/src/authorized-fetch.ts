/**
 * One call of `api.fetch`, from the caller's arguments to the answer:
 * 1. not ours (another origin, or the caller set `Authorization`) → the underlying fetch, untouched;
 * 2. wait for a renewal in flight, or renew first when the token owner says so (the access token
 *    expires within `refreshBefore`) — then send with the token of the moment, remembering which
 *    one it was;
 * 3. a network error or 502/503/504 on a call that may be sent twice → wait, send once more
 *    (`retry.ts`);
 * 4. a 401 → renew (single-flight, see refresher.ts); then a call that may be sent twice is sent
 *    again, once, and anything else gets its 401 back — after the renewal, so that the caller's
 *    next request already carries the new token. A 401 from another origin, reached by a
 *    redirect, refused no token of ours (fetch drops `Authorization` on such a redirect): it is
 *    just the answer.
 *
 * A request that a `login` or `refresh` callback makes before its first `await` goes to the
 * underlying fetch untouched, as in 1: it is part of the renewal that others wait for.
 */
import { abortable } from './abort.js'
import { AuthError, isAuthError, summarizeResponse } from './errors.js'
import type { FetchFunction } from './options.js'
import type { Refresher } from './refresher.js'
import { describeRequest, discard, UrlReader } from './request.js'
import type { RetryPolicy } from './retry.js'
import type { TokenOwner } from './token-owner.js'
import type { TokenSet } from './token-set.js'

type Awaitable<T> = T | Promise<T>

export interface AuthorizedFetchParts {
  readonly origins: ReadonlySet<string>
  /** Whether a 401 to a request sent without a token may start a login. */
  readonly canLogin: boolean
  readonly fetch: FetchFunction
  readonly owner: TokenOwner
  readonly refresher: Refresher
  readonly retry: RetryPolicy
  /** Throws once the client has been disposed. */
  readonly assertUsable: () => void
}

export function authorizedFetch(parts: AuthorizedFetchParts): FetchFunction {
  const { origins, canLogin, owner, refresher, retry, assertUsable } = parts
  const baseFetch = parts.fetch
  const urls = new UrlReader()

  /**
   * The tokens to send with: step 2 above. Synchronous in the common case — no load, renewal
   * or login in flight and tokens not about to expire — so that a request pays no extra
   * microtask turns for its bookkeeping.
   */
  const tokensToSend = (signal: AbortSignal | undefined): Awaitable<TokenSet | null> => {
    const ready = owner.ready
    if (ready) return abortable(ready, signal).then(() => currentTokens(signal))
    return currentTokens(signal)
  }

  const currentTokens = (signal: AbortSignal | undefined): Awaitable<TokenSet | null> => {
    // Another process may have rotated the tokens in a shared file since: adopt them first.
    owner.sync()
    const pending = refresher.pending
    const resuming = owner.mayResume()
    if (pending) return recovering(abortable(pending, signal), signal, resuming)
    const tokens = owner.tokens
    if (tokens === null) {
      // Cookie mode, a new tab: the cookie may hold a session; one refresh finds out.
      if (!resuming) return null
      return recovering(abortable(refresher.renew(null, refresher.epoch), signal), signal, true)
    }
    if (!owner.mustRenew(tokens)) return tokens
    return recovering(abortable(refresher.renew(tokens, refresher.epoch), signal), signal, false)
  }

  /**
   * A renewal's tokens, or after its failure the tokens the owner says to go on with. When it
   * was resuming a session that turned out not to exist, the request goes without a token.
   */
  const recovering = (
    renewal: Promise<TokenSet>,
    signal: AbortSignal | undefined,
    resuming: boolean,
  ): Promise<TokenSet | null> =>
    renewal.catch((error: unknown) => {
      if (signal?.aborted) throw error
      if (resuming && isAuthError(error, 'AUTH_SESSION_EXPIRED')) return null
      return owner.usableAfter(error)
    })

  /** Whether the response came from the request's own origin, redirects or not. */
  const answeredBy = (response: Response, origin: string): boolean =>
    !response.redirected || urls.read(response.url)?.origin === origin

  return async (input, init) => {
    assertUsable()
    if (refresher.calling) return baseFetch(input, init)
    const request = describeRequest(urls, input, init)
    if (request === undefined || !origins.has(request.origin) || request.hasAuthorization) {
      return baseFetch(input, init)
    }
    // As fetch does: an aborted call rejects before anything happens (not even a refresh).
    request.signal?.throwIfAborted()
    const budget = retry.budget(request)
    const send = (tokens: TokenSet | null): Promise<Response> =>
      retry.send(() => baseFetch(...request.attempt(tokens, budget.resend)), budget, request.signal)

    const next = tokensToSend(request.signal)
    const sentWith = next instanceof Promise ? await next : next
    const sentEpoch = refresher.epoch
    // `send(sentWith)`, its steps taken here: the common call then awaits the underlying fetch
    // directly, with no async frame (a promise and a turn) of the retry policy's in between.
    const first = (): Promise<Response> => baseFetch(...request.attempt(sentWith, budget.resend))
    let response: Response
    try {
      response = await first()
    } catch (error) {
      response = await retry.afterFailure(error, first, budget, request.signal)
    }
    if (retry.retries(response, budget)) {
      response = await retry.afterStatus(response, first, budget, request.signal)
    }
    // Without a session and without a way to start one, a 401 is just the answer.
    if (
      response.status !== 401 ||
      (sentWith === null && !canLogin) ||
      !answeredBy(response, request.origin)
    ) {
      return response
    }

    if (sentWith !== null) owner.refuse(sentWith)
    let fresh: TokenSet
    try {
      fresh = await abortable(refresher.renew(sentWith, sentEpoch), request.signal)
    } catch (error) {
      discard(response)
      throw error
    }
    if (!budget.resend) return response

    discard(response)
    const retried = await send(fresh)
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
}
