/**
 * Cookie mode (`refreshCookie: true`): the refresh token lives in an `HttpOnly` cookie that only
 * the auth server's router receives (`@baton/express`'s `refreshCookie`) and that no script can
 * read. What every request of that transport sends, what is done with a refresh token a server
 * answers anyway, and what the client says when such a request gets no answer at all.
 */
import { AuthError, isRecord, summarizeError } from './errors.js'

/**
 * What each cookie request (refresh, login, logout) adds: the browser sends and stores the
 * cookie only with `credentials: 'include'` (cross-origin), and the header is what the server's
 * CSRF rule asks for — a cross-site `<form>` cannot send it, and a cross-origin `fetch` that does
 * needs a CORS preflight that only the allowed origins pass.
 */
export const COOKIE_REQUEST = Object.freeze({
  credentials: 'include',
  headers: Object.freeze({ 'x-baton-csrf': '1' }),
} as const)

/**
 * A token answer without its `refresh_token`: in cookie mode no refresh token is ever kept in
 * JavaScript. A server that sends one anyway is not in cookie mode (or answered a body client's
 * request): that goes to `onError`, since its refreshes will find no cookie.
 */
export function withoutRefreshToken(answer: unknown, onError: (error: unknown) => void): unknown {
  if (!isRecord(answer) || answer.refresh_token === undefined) return answer
  const rest: Record<string, unknown> = { ...answer }
  delete rest.refresh_token
  onError(
    new Error(
      'createAuthFetch: the server answered a refresh_token in the body to a refreshCookie client; it was dropped (is refreshCookie on at the server?)',
    ),
  )
  return rest
}

/**
 * A cookie request that failed before any answer (fetch rejected with a `TypeError`). A browser
 * gives the same error for a network failure and for a CORS refusal, so both are named: a
 * transient failure — the session is not ended by it — whose message says what to check. Only
 * origins are shown, never a token.
 */
export function unreachable(url: URL, error: unknown): AuthError<'AUTH_REFRESH_UNAVAILABLE'> {
  return new AuthError('AUTH_REFRESH_UNAVAILABLE', unreachableMessage(url, 'nothing changed'), {
    cause: summarizeError(error, []),
  })
}

/** `outcome` says what the failure left as it was, such as "the session is kept". */
export function unreachableMessage(url: URL, outcome: string): string {
  const page = pageOrigin()
  const failed = `The request to ${url.origin} failed before any answer (${outcome})`
  if (page === url.origin) return `${failed}: a network failure, or the server is down`
  return (
    `${failed}. If the server is up, its CORS setup may not admit this page's origin` +
    `${page === undefined ? '' : ` (${page})`} with credentials: it must answer ` +
    `Access-Control-Allow-Origin: <this page's origin>, Access-Control-Allow-Credentials: true ` +
    `and Access-Control-Allow-Headers including X-Baton-CSRF`
  )
}

/** Whether fetch rejected before any answer, as it does for a network failure or CORS. */
export function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError
}

function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin
  return typeof origin === 'string' ? origin : undefined
}
