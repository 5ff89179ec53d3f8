/** The wire shapes the endpoints and the programmatic API answer with. Types only. */

/** An RFC 6749 §5.1 token response, as `/login`, `/refresh` and `issue()` answer. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  /** Seconds. */
  expires_in: number
  refresh_token: string
  /** Seconds. */
  refresh_expires_in: number
  scope?: string
}

/** One of a user's sessions, as `GET /sessions` and `listSessions()` show it. Times in epoch seconds. */
export interface SessionInfo {
  sid: string
  createdAt: number
  lastUsedAt: number
  userAgent: string | null
  current: boolean
}

/**
 * An RFC 7662 introspection response. `token_type` (RFC 6749 §5.1) is `Bearer` for an access
 * token and absent for a refresh token, which has no such type.
 */
export type IntrospectionResponse =
  | {
      active: true
      token_type?: 'Bearer'
      client_id: string
      sub: string
      sid: string
      exp: number
      iat: number
      iss: string
      aud: string
      scope?: string
    }
  | { active: false }

/** What `/logout` answers. */
export interface LogoutResponse {
  revoked: true
  sub: string
}
