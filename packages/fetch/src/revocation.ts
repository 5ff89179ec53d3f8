/**
 * RFC 7009 token revocation, which `logout()` uses so the server forgets the session too.
 * `@baton/express` ends the whole session when any of its tokens is revoked. In cookie mode the
 * token is the cookie: the request names none and goes with the cookie and the CSRF header.
 */
import { clientCredentials, type ResolvedClientAuthentication } from './client-authentication.js'
import { secretsOf, summarizeError, summarizeResponse } from './errors.js'
import type { FetchFunction } from './options.js'
import { COOKIE_REQUEST, isNetworkFailure, unreachableMessage } from './refresh-cookie.js'
import type { TokenSet } from './token-set.js'

export interface RevocationOptions {
  url: URL
  params: Readonly<Record<string, string>>
  client: ResolvedClientAuthentication | undefined
  /** Cookie mode: revoke the cookie's session, not a token of `tokens`. */
  cookie: boolean
  fetch: FetchFunction
}

/**
 * Revokes the refresh token (else the access token; in cookie mode the cookie's session, with
 * `tokens` null or not). Resolves in every case: a failure is returned as an error (free of
 * tokens) for `onError`, because the local logout has happened.
 */
export async function revoke(
  tokens: TokenSet | null,
  options: RevocationOptions,
): Promise<Error | undefined> {
  const fetchFunction = options.fetch
  const credentials = clientCredentials(options.client)
  const secrets = [...secretsOf(tokens), options.client?.clientSecret]
  const fields: Record<string, string> = { ...options.params, ...credentials.fields }
  if (!options.cookie && tokens !== null) {
    const refresh = tokens.refreshToken
    fields.token = refresh ?? tokens.accessToken
    fields.token_type_hint = refresh === undefined ? 'access_token' : 'refresh_token'
  }
  const cookie = options.cookie ? COOKIE_REQUEST : { headers: {} }
  try {
    const response = await fetchFunction(options.url, {
      ...cookie,
      method: 'POST',
      headers: {
        ...credentials.headers,
        ...cookie.headers,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
      // Never repeated to wherever a redirect points: the body is a refresh token.
      redirect: 'error',
    })
    await response.body?.cancel()
    // RFC 7009 §2.2: 200 for every token, even an unknown one.
    if (response.ok) return undefined
    return new Error('Revoking the tokens failed', {
      cause: summarizeResponse(response, options.url.href, undefined, secrets),
    })
  } catch (error) {
    const message =
      options.cookie && isNetworkFailure(error)
        ? `Revoking the session failed. ${unreachableMessage(options.url, 'the server may still hold the session')}`
        : 'Revoking the tokens failed'
    return new Error(message, { cause: summarizeError(error, secrets) })
  }
}
