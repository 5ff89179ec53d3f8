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
 * Over HTTP (`refreshUrl`, the RFC 6749 §6 `refresh_token` grant), over HTTP with the refresh
 * token in an `HttpOnly` cookie (`refreshCookie`: the grant needs no refresh token in JavaScript,
 * so it can run with no tokens at all — a new tab), or through the user's `refresh` callback.
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
import {
  COOKIE_REQUEST,
  isNetworkFailure,
  unreachableMessage,
  withoutRefreshToken,
} from './refresh-cookie.js'
import { TokenSet } from './token-set.js'

export type GrantResult =
  | { readonly outcome: 'tokens'; readonly tokens: TokenSet }
  | {
      readonly outcome: 'rejected' | 'client_rejected' | 'unavailable'
      readonly cause: ResponseSummary | ErrorSummary
      /** What to tell the caller instead of the usual sentence (cookie mode: maybe CORS). */
      readonly message?: string
    }

/**
 * The largest token endpoint answer read, in bytes. A token response is a few kilobytes; a larger
 * one is refused as a bad answer before it is buffered (a 300 MB one once peaked at 2.2 GB).
 */
export const MAX_RESPONSE_BYTES = 256 * 1024

/**
 * How this client renews its tokens without logging in again. Only a grant knows what renewing
 * needs: the body and callback grants need a refresh token, the cookie grant none in JavaScript.
 */
export interface RefreshGrant {
  /**
   * Whether `tokens` can be refreshed now (else renewing them means logging in again); `null`:
   * whether a session can be renewed with no tokens in JavaScript at all (only the cookie's can).
   */
  canRefresh(tokens: TokenSet | null): boolean
  /** `tokens` is the set being refreshed (its tokens are blanked out of any error message). */
  refresh(tokens: TokenSet | null, signal: AbortSignal): Promise<GrantResult>
}

/** The grant the options ask for: `refreshUrl` (with the cookie or not), `refresh`, or none. */
export function refreshGrantOf(options: {
  readonly refreshUrl: URL | undefined
  readonly refreshCookie: boolean
  readonly refreshEncoding: 'form' | 'json'
  readonly refreshParams: Readonly<Record<string, string>>
  readonly clientAuthentication: ResolvedClientAuthentication | undefined
  readonly refresh: RefreshFunction | undefined
  readonly fetch: FetchFunction
  readonly onError: (error: unknown) => void
  readonly now: () => number
}): RefreshGrant | undefined {
  const { fetch, now } = options
  if (options.refreshUrl) {
    const { refreshUrl: url, refreshEncoding: encoding, refreshParams: params } = options
    if (options.refreshCookie) {
      return cookieRefreshGrant({ url, encoding, params, fetch, now, onError: options.onError })
    }
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
  tokens: TokenSet | null,
): grant is RefreshGrant {
  return grant !== undefined && grant.canRefresh(tokens)
}

/** A refresh token that has not expired: what the body and callback grants need. */
function hasLiveRefreshToken(tokens: TokenSet | null, now: () => number): tokens is TokenSet {
  return (
    tokens !== null &&
    tokens.refreshToken !== undefined &&
    (tokens.refreshExpiresAt ?? Infinity) > now()
  )
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
  const { encoding, params, client, now } = options
  const credentials = clientCredentials(client)
  const refresh = async (tokens: TokenSet | null, signal: AbortSignal): Promise<GrantResult> => {
    // canRefresh has checked that there is a refresh token.
    const previous = tokens as TokenSet
    const fields = {
      ...params,
      ...credentials.fields,
      grant_type: 'refresh_token',
      refresh_token: previous.refreshToken as string,
    }
    return postGrant(options, {
      init: { headers: credentials.headers, body: encode(fields, encoding), signal },
      secrets: [...secretsOf(previous), client?.clientSecret],
      parse: (body, cause) => parseTokens(body, previous, now, cause),
    })
  }
  return { canRefresh: (tokens) => hasLiveRefreshToken(tokens, now), refresh }
}

/**
 * The refresh token is the cookie: the request carries none, and goes with the cookie and the
 * CSRF header. It can always be tried — JavaScript cannot see whether the cookie exists; the
 * server answers `invalid_grant` when it does not (not logged in). A refresh token in the answer
 * is dropped (`withoutRefreshToken`). A request that fails before any answer may be a CORS
 * refusal, and its error says so.
 */
function cookieRefreshGrant(
  options: Omit<HttpGrantOptions, 'client'> & { onError: (error: unknown) => void },
): RefreshGrant {
  const { url, encoding, params, now, onError } = options
  const refresh = async (tokens: TokenSet | null, signal: AbortSignal): Promise<GrantResult> =>
    postGrant(options, {
      init: {
        ...COOKIE_REQUEST,
        body: encode({ ...params, grant_type: 'refresh_token' }, encoding),
        signal,
      },
      secrets: secretsOf(tokens),
      parse: (body, cause) => parseTokens(withoutRefreshToken(body, onError), null, now, cause),
      failed: (error) =>
        isNetworkFailure(error) ? unreachableMessage(url, 'the session is kept') : undefined,
    })
  return { canRefresh: () => true, refresh }
}

function encode(fields: Record<string, string>, encoding: 'form' | 'json'): string {
  return encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString()
}

/**
 * One POST to the token endpoint and what its answer means (see the file comment). `failed`
 * names a request that got no answer, when there is more to say than the error itself.
 */
async function postGrant(
  options: Pick<HttpGrantOptions, 'url' | 'encoding' | 'fetch'>,
  request: {
    init: RequestInit & { headers: Readonly<Record<string, string>>; signal: AbortSignal }
    secrets: readonly (string | undefined)[]
    parse: (body: unknown, cause: ResponseSummary) => GrantResult
    failed?: (error: unknown) => string | undefined
  },
): Promise<GrantResult> {
  const { url, encoding } = options
  // Called unbound: a browser's fetch refuses any other `this` than the window.
  const fetchFunction = options.fetch
  const { init, secrets } = request
  let response: Response
  try {
    response = await fetchFunction(url, {
      ...init,
      method: 'POST',
      headers: {
        ...init.headers,
        accept: 'application/json',
        'content-type':
          encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      },
      redirect: 'error',
    })
  } catch (error) {
    const cause = summarizeError(error, secrets)
    const message = request.failed?.(error)
    return message === undefined
      ? { outcome: 'unavailable', cause }
      : { outcome: 'unavailable', cause, message }
  }
  const body = await readJson(response, MAX_RESPONSE_BYTES)
  const cause = summarizeResponse(response, url.href, body, secrets)
  // A fetch that hands back the redirect (`redirect` ignored, or 'manual'): not an answer.
  if (response.ok && response.type !== 'opaqueredirect' && !response.redirected) {
    return request.parse(body, cause)
  }
  if (cause.error === 'invalid_client') return { outcome: 'client_rejected', cause }
  const refused =
    response.status === 401 || (response.status === 400 && cause.error === 'invalid_grant')
  return { outcome: refused ? 'rejected' : 'unavailable', cause }
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
  const refresh = async (tokens: TokenSet | null, signal: AbortSignal): Promise<GrantResult> => {
    let answer: unknown
    try {
      // canRefresh has checked that there is a refresh token.
      const refreshToken = (tokens as TokenSet).refreshToken as string
      answer = await callback({ refreshToken, signal, fetch })
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
 * a new refresh token the old one stays valid (RFC 6749 §6: the server MAY issue a new one);
 * `previous` null: there is none to keep (cookie mode).
 */
function parseTokens(
  answer: unknown,
  previous: TokenSet | null,
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
  if (next.refreshToken === undefined && previous !== null) {
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
