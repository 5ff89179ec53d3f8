/**
 * RFC 7009 token revocation, which `logout()` uses so the server forgets the session too.
 * `@baton/express` ends the whole session when any of its tokens is revoked.
 */
import { clientCredentials, type ResolvedClientAuthentication } from './client-authentication.js'
import { secretsOf, summarizeError, summarizeResponse } from './errors.js'
import type { FetchFunction } from './options.js'
import type { TokenSet } from './token-set.js'

export interface RevocationOptions {
  url: URL
  params: Readonly<Record<string, string>>
  client: ResolvedClientAuthentication | undefined
  fetch: FetchFunction
}

/**
 * Revokes the refresh token (else the access token). Resolves in every case: a failure is
 * returned as an error (free of tokens) for `onError`, because the local logout has happened.
 */
export async function revoke(
  tokens: TokenSet,
  options: RevocationOptions,
): Promise<Error | undefined> {
  const fetchFunction = options.fetch
  const [token, hint] =
    tokens.refreshToken === undefined
      ? [tokens.accessToken, 'access_token']
      : [tokens.refreshToken, 'refresh_token']
  const credentials = clientCredentials(options.client)
  const secrets = [...secretsOf(tokens), options.client?.clientSecret]
  const fields = { ...options.params, ...credentials.fields, token, token_type_hint: hint }
  try {
    const response = await fetchFunction(options.url, {
      method: 'POST',
      headers: { ...credentials.headers, 'content-type': 'application/x-www-form-urlencoded' },
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
    return new Error('Revoking the tokens failed', {
      cause: summarizeError(error, secrets),
    })
  }
}
