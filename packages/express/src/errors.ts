/**
 * Every failure the package reports is an `AuthError`: it carries the HTTP `status`, the response
 * `headers` (the RFC 6750 `WWW-Authenticate` challenge, `Retry-After`), the RFC 6749/6750 `error`
 * code and a stable machine `code`. Express's default error handler already answers with the
 * right status and challenge from `status` and `headers`; `auth.errorHandler()` adds the JSON body.
 *
 * Messages are fixed sentences: no token, key, password or claim value ever goes into one.
 */

/** Stable machine codes, so clients can tell "expired, refresh" from "revoked, log in". */
export type AuthErrorCode =
  | 'ERR_NO_CREDENTIALS'
  | 'ERR_INVALID_REQUEST'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_WRONG_TOKEN_TYPE'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_INVALID_CREDENTIALS'
  | 'ERR_SESSION_LIMIT'
  | 'ERR_REFRESH_INVALID'
  | 'ERR_REFRESH_REUSED'
  | 'ERR_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_FULL'
  | 'ERR_INVALID_CLIENT'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_ISSUER_UNAVAILABLE'
  | 'ERR_CSRF_ORIGIN'
  | 'ERR_CSRF_HEADER'
  | 'ERR_NO_REFRESH_COOKIE'

/** The wire `error` values: RFC 6749 §5.2, RFC 6750 §3.1, and two of our own for `/login`. */
export type OAuthErrorName =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'invalid_scope'
  | 'invalid_credentials'
  | 'session_limit'
  | 'unauthorized'
  | 'not_found'
  | 'temporarily_unavailable'
  | 'access_denied'

export interface AuthErrorOptions {
  cause?: unknown
  /** The realm of the `WWW-Authenticate` challenge, for errors that carry one. */
  realm?: string
}

/** The base class of every error this package creates. */
export class AuthError extends Error {
  override name = 'AuthError'
  readonly status: number
  readonly statusCode: number
  readonly code: AuthErrorCode
  readonly error: OAuthErrorName
  /** Response headers Express's default handler sets (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Record<string, string>
  /** Express's finalhandler shows the message of errors that set `expose`. */
  readonly expose = true

  constructor(
    status: number,
    error: OAuthErrorName,
    code: AuthErrorCode,
    description: string,
    headers: Record<string, string> = {},
    options: AuthErrorOptions = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause })
    this.status = status
    this.statusCode = status
    this.error = error
    this.code = code
    this.headers = headers
  }

  /** The JSON error body: `{ error, error_description, code }`. */
  toJSON(): { error: OAuthErrorName; error_description: string; code: AuthErrorCode } {
    return { error: this.error, error_description: this.message, code: this.code }
  }
}

/** RFC 6750 §3: a quoted-string parameter; our values never contain quotes or backslashes. */
function challenge(realm: string, params: Record<string, string> = {}): string {
  const parts = [`realm="${realm}"`]
  for (const [name, value] of Object.entries(params)) parts.push(`${name}="${value}"`)
  return `Bearer ${parts.join(', ')}`
}

/** 401 without an `error` attribute: the request carried no bearer credentials (RFC 6750 §3.1). */
export class NoCredentialsError extends AuthError {
  override name = 'NoCredentialsError'
  constructor(realm: string) {
    super(401, 'unauthorized', 'ERR_NO_CREDENTIALS', 'Authentication required', {
      'WWW-Authenticate': challenge(realm),
    })
  }
}

/** 400 `invalid_request`: a malformed Authorization header or request body. */
export class InvalidRequestError extends AuthError {
  override name = 'InvalidRequestError'
  constructor(description: string, realm?: string, code: AuthErrorCode = 'ERR_INVALID_REQUEST') {
    super(
      400,
      'invalid_request',
      code,
      description,
      realm === undefined
        ? {}
        : {
            'WWW-Authenticate': challenge(realm, {
              error: 'invalid_request',
              error_description: description,
            }),
          },
    )
  }
}

/** 401 `invalid_token`: expired, revoked, malformed, forged or otherwise unacceptable. */
export class InvalidTokenError extends AuthError {
  override name = 'InvalidTokenError'
  constructor(
    code: 'ERR_TOKEN_INVALID' | 'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_REVOKED' | 'ERR_WRONG_TOKEN_TYPE',
    description: string,
    realm: string,
  ) {
    super(401, 'invalid_token', code, description, {
      'WWW-Authenticate': challenge(realm, {
        error: 'invalid_token',
        error_description: description,
      }),
    })
  }
}

/** 403 `insufficient_scope` (RFC 6750 §3.1), naming the scope the route needs. */
export class InsufficientScopeError extends AuthError {
  override name = 'InsufficientScopeError'
  constructor(scope: readonly string[], realm: string) {
    const description = 'The access token lacks the scope this resource requires'
    super(403, 'insufficient_scope', 'ERR_INSUFFICIENT_SCOPE', description, {
      'WWW-Authenticate': challenge(realm, {
        error: 'insufficient_scope',
        error_description: description,
        scope: scope.join(' '),
      }),
    })
  }
}

/** 400 `invalid_grant` (RFC 6749 §5.2): an unknown, expired, revoked or reused refresh token. */
export class InvalidGrantError extends AuthError {
  override name = 'InvalidGrantError'
  constructor(
    code: 'ERR_REFRESH_INVALID' | 'ERR_REFRESH_REUSED' | 'ERR_NO_REFRESH_COOKIE',
    description: string,
  ) {
    super(400, 'invalid_grant', code, description)
  }
}

/** 400 `unsupported_grant_type` (RFC 6749 §5.2): `/refresh` only speaks `refresh_token`. */
export class UnsupportedGrantTypeError extends AuthError {
  override name = 'UnsupportedGrantTypeError'
  constructor() {
    super(
      400,
      'unsupported_grant_type',
      'ERR_UNSUPPORTED_GRANT_TYPE',
      'Only the refresh_token grant is supported',
    )
  }
}

/**
 * 401 `invalid_client` (RFC 6749 §5.2): the caller of `/introspect` is not an admitted resource
 * server. The challenge names HTTP Basic, the scheme clients authenticate with.
 */
export class InvalidClientError extends AuthError {
  override name = 'InvalidClientError'
  constructor(realm: string) {
    super(401, 'invalid_client', 'ERR_INVALID_CLIENT', 'Client authentication failed', {
      'WWW-Authenticate': `Basic realm="${realm}"`,
    })
  }
}

/**
 * 400 `invalid_scope` (RFC 6749 §6): a refresh asked for a scope the session was never granted.
 * A narrower scope is fine; a broader one is this.
 */
export class InvalidScopeError extends AuthError {
  override name = 'InvalidScopeError'
  constructor(description = 'The requested scope exceeds the scope granted') {
    super(400, 'invalid_scope', 'ERR_INVALID_SCOPE', description)
  }
}

/** 401 from `/login`: the username or password is wrong. HTTP requires a challenge with a 401. */
export class InvalidCredentialsError extends AuthError {
  override name = 'InvalidCredentialsError'
  constructor(realm: string) {
    super(401, 'invalid_credentials', 'ERR_INVALID_CREDENTIALS', 'Invalid username or password', {
      'WWW-Authenticate': challenge(realm),
    })
  }
}

/** 403 from `/login` under `onSessionLimit: 'reject'`: the user already has the most sessions. */
export class SessionLimitError extends AuthError {
  override name = 'SessionLimitError'
  constructor() {
    super(403, 'session_limit', 'ERR_SESSION_LIMIT', 'Too many active sessions for this user')
  }
}

/**
 * 403 `access_denied`: a request the refresh cookie would authenticate came from an origin that is
 * not allowed (`ERR_CSRF_ORIGIN`) or without the `X-Baton-CSRF` header (`ERR_CSRF_HEADER`). Nothing
 * was read from the cookie and no session was touched.
 */
export class CsrfError extends AuthError {
  override name = 'CsrfError'
  constructor(code: 'ERR_CSRF_ORIGIN' | 'ERR_CSRF_HEADER') {
    super(
      403,
      'access_denied',
      code,
      code === 'ERR_CSRF_ORIGIN'
        ? 'The request origin is not allowed to use the refresh cookie'
        : 'The request lacks the X-Baton-CSRF header the refresh cookie requires',
    )
  }
}

/** 404 from the sessions endpoints: no such session among the caller's. */
export class SessionNotFoundError extends AuthError {
  override name = 'SessionNotFoundError'
  constructor() {
    super(404, 'not_found', 'ERR_SESSION_NOT_FOUND', 'No such session')
  }
}

/**
 * 503 `temporarily_unavailable`: the session store failed or timed out. The verifier fails closed
 * but not with a 401, so a client does not throw away a good session because the store blinked.
 */
export class StoreUnavailableError extends AuthError {
  override name = 'StoreUnavailableError'
  constructor(retryAfter: number, cause?: unknown) {
    super(
      503,
      'temporarily_unavailable',
      'ERR_STORE_UNAVAILABLE',
      'The session store is unavailable; try again shortly',
      { 'Retry-After': String(retryAfter) },
      { cause: sanitizeCause(cause) },
    )
  }
}

/**
 * 503 from `/login` when the session store is full and set to refuse new sessions rather than
 * evict idle ones (`LruSessionStore({ atCapacity: 'refuse' })`): nobody is logged out; try later.
 */
export class StoreFullError extends AuthError {
  override name = 'StoreFullError'
  constructor(retryAfter: number) {
    super(
      503,
      'temporarily_unavailable',
      'ERR_STORE_FULL',
      'The session store is full; try again shortly',
      { 'Retry-After': String(retryAfter) },
    )
  }
}

/**
 * 503 from the downstream verifier (`@baton/express/verifier`) when the issuer's JWKS or
 * introspection endpoint failed or timed out: the token may be good, so this is not a 401 that
 * would make the client throw its session away.
 */
export class IssuerUnavailableError extends AuthError {
  override name = 'IssuerUnavailableError'
  constructor(retryAfter: number, cause?: unknown) {
    super(
      503,
      'temporarily_unavailable',
      'ERR_ISSUER_UNAVAILABLE',
      'The token could not be checked with its issuer; try again shortly',
      { 'Retry-After': String(retryAfter) },
      { cause: sanitizeCause(cause) },
    )
  }
}

/**
 * A store's own error may quote a command and its arguments (a session id, a claim): keep only
 * its name and code, never its message.
 */
function sanitizeCause(cause: unknown): unknown {
  if (cause === undefined) return undefined
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return { name: cause.name, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { name: typeof cause }
}
