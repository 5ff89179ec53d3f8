/**
 * The `loginUrl` option: `api.login(credentials)` posts the credentials as JSON, the way
 * `@baton/express`'s `/login` takes them (`{ username, password }`), and reads the RFC 6749 §5.1
 * token response. Without credentials (a login the client would start by itself) there is
 * nothing to post: the client does not log in on its own with only a `loginUrl`.
 *
 * In cookie mode the login goes with the cookie and the CSRF header (the server then sets the
 * refresh cookie), a refresh token in the answer is dropped, and a login that got no answer is a
 * transient `AUTH_REFRESH_UNAVAILABLE` that names CORS, not a refused login.
 */
import { summarizeResponse } from './errors.js'
import type { LoginFunction } from './options.js'
import {
  COOKIE_REQUEST,
  isNetworkFailure,
  unreachable,
  withoutRefreshToken,
} from './refresh-cookie.js'
import { MAX_RESPONSE_BYTES, readJson } from './refresh-grant.js'
import type { TokenSetLike } from './token-set.js'

export function loginWithUrl(
  url: URL,
  cookie: { readonly onError: (error: unknown) => void } | undefined,
): LoginFunction {
  return async ({ credentials, signal, fetch }) => {
    if (typeof credentials !== 'object' || credentials === null) {
      throw new TypeError('login: credentials must be an object, such as { username, password }')
    }
    const transport = cookie === undefined ? { headers: {} } : COOKIE_REQUEST
    let response: Response
    try {
      response = await fetch(url, {
        ...transport,
        method: 'POST',
        headers: {
          ...transport.headers,
          accept: 'application/json',
          'content-type': 'application/json',
        },
        body: JSON.stringify(credentials),
        // The password must not follow a redirect to wherever it points.
        redirect: 'error',
        signal,
      })
    } catch (error) {
      if (cookie !== undefined && isNetworkFailure(error)) throw unreachable(url, error)
      throw error
    }
    const body = await readJson(response, MAX_RESPONSE_BYTES)
    if (!response.ok) {
      // The status is what the caller branches on (401 wrong password, 403 session limit).
      const cause = summarizeResponse(response, url.href, body)
      throw Object.assign(new Error('The login was refused'), { status: response.status, cause })
    }
    // Checked by TokenSet.parse, as every login's answer is.
    return (cookie === undefined ? body : withoutRefreshToken(body, cookie.onError)) as TokenSetLike
  }
}
