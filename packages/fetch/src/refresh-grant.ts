/**
 * Trading a refresh token for new tokens, once, and saying what happened:
 *
 * - `tokens`: a usable answer;
 * - `rejected`: the server refused the refresh token for good (RFC 6749 §5.2 `invalid_grant`, or
 *   401), so the session is over;
 * - `client_rejected`: the server refused *the client's* credentials (RFC 6749 §5.2
 *   `invalid_client`): the tokens may be fine, so they are kept, and the app must be told;
 * - `unavailable`: anything else (network error, 5xx, a redirect, an answer without a usable
 *   `access_token`, or one too large), so the tokens are kept and a later request may try again.
 *
 * The request never follows a redirect: fetch would repeat the POST, refresh token and client
 * secret included, to wherever the `Location` points (a 307/308 to another origin received them).
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
import { clientCredentials, type ResolvedClientAuthentication } from './client-authentication.js'
import type { FetchFunction, RefreshFunction } from './options.js'
import { TokenSet } from './token-set.js'

export type GrantResult =
  | { readonly outcome: 'tokens'; readonly tokens: TokenSet }
  | {
      readonly outcome: 'rejected' | 'client_rejected' | 'unavailable'
      readonly cause: ResponseSummary | ErrorSummary
    }

/**
 * The largest token endpoint answer read, in bytes. A token response is a few kilobytes; a larger
 * one is refused as a bad answer before it is buffered (a 300 MB one once peaked at 2.2 GB).
 */
export const MAX_RESPONSE_BYTES = 256 * 1024

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
  readonly clientAuthentication: ResolvedClientAuthentication | undefined
  readonly refresh: RefreshFunction | undefined
  readonly fetch: FetchFunction
  readonly now: () => number
}): RefreshGrant | undefined {
  const { fetch, now } = options
  if (options.refreshUrl) {
    const { refreshUrl: url, refreshEncoding: encoding, refreshParams: params } = options
    const client = options.clientAuthentication
    return httpRefreshGrant({ url, encoding, params, client, fetch, now })
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
  client: ResolvedClientAuthentication | undefined
  fetch: FetchFunction
  now: () => number
}

function httpRefreshGrant(options: HttpGrantOptions): RefreshGrant {
  const { url, encoding, params, client, now } = options
  const fetchFunction = options.fetch
  const credentials = clientCredentials(client)
  const refresh = async (tokens: TokenSet, signal: AbortSignal): Promise<GrantResult> => {
    // canRefresh has checked that there is one.
    const refreshToken = tokens.refreshToken as string
    const secrets = [...secretsOf(tokens), client?.clientSecret]
    const fields = {
      ...params,
      ...credentials.fields,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }
    let response: Response
    try {
      response = await fetchFunction(url, {
        method: 'POST',
        headers: {
          ...credentials.headers,
          accept: 'application/json',
          'content-type':
            encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body: encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
        redirect: 'error',
        signal,
      })
    } catch (error) {
      return { outcome: 'unavailable', cause: summarizeError(error, secrets) }
    }
    const body = await readJson(response, MAX_RESPONSE_BYTES)
    const cause = summarizeResponse(response, url.href, body, secrets)
    // A fetch that hands back the redirect (`redirect` ignored, or 'manual'): not an answer.
    if (response.ok && response.type !== 'opaqueredirect' && !response.redirected) {
      return parseTokens(body, tokens, now, cause)
    }
    if (cause.error === 'invalid_client') return { outcome: 'client_rejected', cause }
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

/**
 * The body as JSON, or `undefined` when it is not JSON, cannot be read at all, or is longer than
 * `limit` bytes (then it is not read further: a hostile answer must not fill the memory).
 */
export async function readJson(response: Response, limit: number): Promise<unknown> {
  const body = response.body
  if (body === null) return undefined
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      length += value.byteLength
      if (length > limit) {
        await reader.cancel()
        return undefined
      }
      chunks.push(value)
    }
    const bytes = new Uint8Array(length)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown
  } catch {
    return undefined
  }
}
