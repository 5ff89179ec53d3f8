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
import type { FetchFunction, RefreshFunction } from './options.js'
import { TokenSet } from './token-set.js'

export type GrantResult =
  | { readonly outcome: 'tokens'; readonly tokens: TokenSet }
  | { readonly outcome: 'rejected' | 'unavailable'; readonly cause: ResponseSummary | ErrorSummary }

/**
 * How this client renews its tokens without logging in again. Only a grant knows what renewing
 * needs: these two need a refresh token, a cookie grant (cookie mode) would need none in JavaScript.
 */
export interface RefreshGrant {
  /** Whether `tokens` can be refreshed now (else renewing them means logging in again). */
  canRefresh(tokens: TokenSet): boolean
  /** `tokens` is the set being refreshed (its tokens are blanked out of any error message). */
  refresh(tokens: TokenSet, signal: AbortSignal): Promise<GrantResult>
}

/** The grant the options ask for: `refreshUrl`, the `refresh` callback, or none. */
export function refreshGrantOf(options: {
  readonly refreshUrl: URL | undefined
  readonly refreshEncoding: 'form' | 'json'
  readonly refreshParams: Readonly<Record<string, string>>
  readonly refresh: RefreshFunction | undefined
  readonly fetch: FetchFunction
  readonly now: () => number
}): RefreshGrant | undefined {
  const { fetch, now } = options
  if (options.refreshUrl) {
    const { refreshUrl: url, refreshEncoding: encoding, refreshParams: params } = options
    return httpRefreshGrant({ url, encoding, params, fetch, now })
  }
  return options.refresh && callbackRefreshGrant(options.refresh, fetch, now)
}

/**
 * Whether `tokens` can be refreshed now; without a grant (no `refreshUrl`, no `refresh`) never, so
 * that a refused or expired token ends the session (or logs in again).
 */
export function canRefresh(
  grant: RefreshGrant | undefined,
  tokens: TokenSet,
): grant is RefreshGrant {
  return grant !== undefined && grant.canRefresh(tokens)
}

/** A refresh token that has not expired: what both grants below need. */
function hasLiveRefreshToken(tokens: TokenSet, now: () => number): boolean {
  return tokens.refreshToken !== undefined && (tokens.refreshExpiresAt ?? Infinity) > now()
}

interface HttpGrantOptions {
  url: URL
  encoding: 'form' | 'json'
  params: Readonly<Record<string, string>>
  fetch: FetchFunction
  now: () => number
}

function httpRefreshGrant(options: HttpGrantOptions): RefreshGrant {
  const { url, encoding, params, now } = options
  const fetchFunction = options.fetch
  const refresh = async (tokens: TokenSet, signal: AbortSignal): Promise<GrantResult> => {
    // canRefresh has checked that there is one.
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
  return { canRefresh: (tokens) => hasLiveRefreshToken(tokens, now), refresh }
}

/**
 * The user's callback. It reports a dead refresh token by throwing an error with `status` (or
 * `statusCode`, or `response.status`) 400 or 401, or an `AuthError` `AUTH_SESSION_EXPIRED`; any
 * other error is taken as transient.
 */
function callbackRefreshGrant(
  callback: RefreshFunction,
  fetch: FetchFunction,
  now: () => number,
): RefreshGrant {
  const refresh = async (tokens: TokenSet, signal: AbortSignal): Promise<GrantResult> => {
    let answer: unknown
    try {
      // canRefresh has checked that there is a refresh token.
      answer = await callback({ refreshToken: tokens.refreshToken as string, signal, fetch })
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
  return { canRefresh: (tokens) => hasLiveRefreshToken(tokens, now), refresh }
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
