/**
 * Every failure this package reports itself is an `AuthError` with a stable literal `code`.
 * Programmer mistakes (a bad option, a malformed `TokenSet`) are plain `TypeError`s instead.
 *
 * Nothing that could hold a credential is ever kept: a message is a fixed sentence, and a `cause`
 * is a summary — of a response (status, URL, the OAuth `error` code) or of a thrown error (name,
 * message with every known token blanked out, status) — never the original object, because the
 * errors of HTTP clients and user callbacks often carry the request, its headers and its body.
 */

/**
 * - `AUTH_REFRESH_FAILED`: a request retried with fresh tokens was refused (401) again.
 * - `AUTH_SESSION_EXPIRED`: the session is over — the refresh was rejected, the refresh token has
 *   expired or is missing, or logging in again failed — and the tokens are cleared.
 * - `AUTH_REFRESH_UNAVAILABLE`: the refresh could not be done right now (network error, 5xx, a
 *   redirect, an unusable or oversized answer); the tokens are kept and a later request may try
 *   again.
 * - `AUTH_CLIENT_REJECTED`: the token endpoint refused the client's own credentials (RFC 6749
 *   §5.2 `invalid_client`): a configuration error. The tokens are kept and `onError` is told.
 */
export type AuthErrorCode =
  | 'AUTH_REFRESH_FAILED'
  | 'AUTH_SESSION_EXPIRED'
  | 'AUTH_REFRESH_UNAVAILABLE'
  | 'AUTH_CLIENT_REJECTED'

/** What an `AuthError` keeps of an HTTP response. */
export interface ResponseSummary {
  readonly status: number
  readonly statusText: string
  readonly url: string
  /** The RFC 6749 §5.2 `error` of an OAuth error body, such as `invalid_grant`. */
  readonly error?: string
  /** The machine `code` of an error body, such as `ERR_REFRESH_REUSED` from `@baton/express`. */
  readonly code?: string
}

/** What an `AuthError` keeps of a thrown error (a network failure or a user callback's error). */
export interface ErrorSummary {
  readonly name: string
  /** The error's message, with every token this client knows replaced by `[redacted]`. */
  readonly message: string
  /** The HTTP status the error carried (`status`, `statusCode` or `response.status`), if any. */
  readonly status?: number
}

export class AuthError<Code extends AuthErrorCode = AuthErrorCode> extends Error {
  override readonly name = 'AuthError'
  readonly code: Code
  declare readonly cause?: ResponseSummary | ErrorSummary | undefined

  constructor(code: Code, message: string, options?: { cause?: ResponseSummary | ErrorSummary }) {
    super(message, options)
    this.code = code
  }
}

export function isAuthError<Code extends AuthErrorCode>(
  value: unknown,
  code?: Code,
): value is AuthError<Code> {
  return value instanceof AuthError && (code === undefined || value.code === code)
}

/** `error` and `code` are short ASCII identifiers; anything else is not copied. */
const IDENTIFIER = /^[\w.:-]{1,100}$/

/**
 * `url` stands in for `response.url`, which is empty on a `Response` not made by fetch. The
 * server's own words (`statusText`, the body's `error` and `code`) are kept only when free of
 * `secrets`: a careless server may echo the token it was sent.
 */
export function summarizeResponse(
  response: Response,
  url: string,
  body?: unknown,
  secrets: readonly (string | undefined)[] = [],
): ResponseSummary {
  const safe = (text: string): boolean => !secrets.some((secret) => secret && text.includes(secret))
  const summary: { -readonly [K in keyof ResponseSummary]: ResponseSummary[K] } = {
    status: response.status,
    statusText: safe(response.statusText) ? response.statusText : '[redacted]',
    url: response.url || url,
  }
  if (isRecord(body)) {
    const { error, code } = body
    if (typeof error === 'string' && IDENTIFIER.test(error) && safe(error)) summary.error = error
    if (typeof code === 'string' && IDENTIFIER.test(code) && safe(code)) summary.code = code
  }
  return Object.freeze(summary)
}

const MAX_MESSAGE_LENGTH = 500

export function summarizeError(
  error: unknown,
  secrets: readonly (string | undefined)[],
): ErrorSummary {
  const redact = (text: string): string => {
    let result = text
    for (const secret of secrets) {
      if (secret) result = result.split(secret).join('[redacted]')
    }
    return result.slice(0, MAX_MESSAGE_LENGTH)
  }
  if (!isRecord(error)) {
    return Object.freeze({ name: 'Error', message: redact(String(error)) })
  }
  const name = typeof error.name === 'string' ? redact(error.name) : 'Error'
  const message = typeof error.message === 'string' ? redact(error.message) : ''
  const status = statusOf(error)
  return Object.freeze(status === undefined ? { name, message } : { name, message, status })
}

/** The HTTP status an error carries, as fetch wrappers spell it (ofetch, ky, axios, got). */
export function statusOf(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined
  const response = isRecord(error.response) ? error.response.status : undefined
  for (const candidate of [error.status, error.statusCode, response]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate
  }
  return undefined
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * The tokens an error message must never show. Typed by shape rather than as `TokenSet`, so that
 * this file imports nothing and every other file may import it.
 */
export function secretsOf(
  tokens: { readonly accessToken: string; readonly refreshToken: string | undefined } | null,
): (string | undefined)[] {
  return tokens === null ? [] : [tokens.accessToken, tokens.refreshToken]
}
