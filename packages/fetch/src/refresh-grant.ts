/**
 * Trading a refresh token for new tokens, once, and saying what happened:
 *
 * - `tokens`: a usable answer;
 * - `rejected`: the server refused the refresh token for good (RFC 6749 §5.2 `invalid_grant`, or
 *   401), so the session is over;
 * - `unavailable`: anything else (network error, 5xx, an answer without a usable `access_token`),
 *   so the tokens are kept and a later request may try again.
 *
 * Either over HTTP (`refreshUrl`, the RFC 6749 §6 `refresh_token` grant) or through the user's
 * `refresh` callback.
 */
import {
  isAuthError,
  secretsOf,
  statusOf,
  summarizeError,
  summarizeResponse,
  type ErrorSummary,
  type ResponseSummary,
} from './errors.js'
import type { FetchFunction } from './request.js'
import { TokenSet, type TokenSetLike } from './token-set.js'

export type GrantResult =
  | { readonly outcome: 'tokens'; readonly tokens: TokenSet }
  | { readonly outcome: 'rejected' | 'unavailable'; readonly cause: ResponseSummary | ErrorSummary }

/** `tokens` is the set being refreshed (its tokens are blanked out of any error message). */
export type RefreshGrant = (tokens: TokenSet, signal: AbortSignal) => Promise<GrantResult>

/** What the `refresh` option receives. */
export interface RefreshRequest {
  readonly refreshToken: string
  /** Aborted when the client is disposed or logged out while the refresh runs. */
  readonly signal: AbortSignal
  /**
   * The fetch beneath this client. Refresh with it: a request through `api.fetch` (or through a
   * `globalThis.fetch` replaced by it) would wait for the very refresh it is part of.
   */
  readonly fetch: FetchFunction
}

export type RefreshFunction = (request: RefreshRequest) => TokenSetLike | Promise<TokenSetLike>

export interface HttpGrantOptions {
  url: URL
  encoding: 'form' | 'json'
  params: Readonly<Record<string, string>>
  fetch: FetchFunction
  now: () => number
}

export function httpRefreshGrant(options: HttpGrantOptions): RefreshGrant {
  const { url, encoding, params, now } = options
  const fetchFunction = options.fetch
  return async (tokens, signal) => {
    const refreshToken = tokens.refreshToken as string
    const fields = { ...params, grant_type: 'refresh_token', refresh_token: refreshToken }
    let response: Response
    try {
      response = await fetchFunction(url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type':
            encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body: encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
        signal,
      })
    } catch (error) {
      return { outcome: 'unavailable', cause: summarizeError(error, secretsOf(tokens)) }
    }
    const body = await readJson(response)
    const cause = summarizeResponse(response, url.href, body, secretsOf(tokens))
    if (response.ok) return parseTokens(body, tokens, now, cause)
    const refused =
      response.status === 401 || (response.status === 400 && cause.error === 'invalid_grant')
    return { outcome: refused ? 'rejected' : 'unavailable', cause }
  }
}

/**
 * The user's callback. It reports a dead refresh token by throwing an error with `status` (or
 * `statusCode`, or `response.status`) 400 or 401, or an `AuthError` `AUTH_SESSION_EXPIRED`; any
 * other error is taken as transient.
 */
export function callbackRefreshGrant(
  refresh: RefreshFunction,
  fetch: FetchFunction,
  now: () => number,
): RefreshGrant {
  return async (tokens, signal) => {
    let answer: unknown
    try {
      answer = await refresh({ refreshToken: tokens.refreshToken as string, signal, fetch })
    } catch (error) {
      const status = statusOf(error)
      const refused = isAuthError(error, 'AUTH_SESSION_EXPIRED') || status === 400 || status === 401
      return {
        outcome: refused ? 'rejected' : 'unavailable',
        cause: summarizeError(error, secretsOf(tokens)),
      }
    }
    return parseTokens(answer, tokens, now)
  }
}

/**
 * An answer without a usable `access_token` is a failed refresh, not an ended session. Without
 * a new refresh token the old one stays valid (RFC 6749 §6: the server MAY issue a new one).
 */
function parseTokens(
  answer: unknown,
  previous: TokenSet,
  now: () => number,
  response?: ResponseSummary,
): GrantResult {
  let next: TokenSet
  try {
    next = TokenSet.parse(answer, { now })
  } catch (error) {
    const summary = summarizeError(error, secretsOf(previous))
    return {
      outcome: 'unavailable',
      cause: response ? { ...summary, status: response.status } : summary,
    }
  }
  if (next.refreshToken === undefined) {
    next = new TokenSet({
      ...next.toJSON(),
      refreshToken: previous.refreshToken,
      refreshExpiresAt: previous.refreshExpiresAt,
    })
  }
  return { outcome: 'tokens', tokens: next }
}

/** The body as JSON, or `undefined` when it is not JSON (or cannot be read at all). */
async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text()) as unknown
  } catch {
    return undefined
  }
}
