/**
 * The client `createAuthFetch` returns. Types only, like `options.ts`: the implementation is
 * `create-auth-fetch.ts`.
 */
import type { FetchFunction } from './options.js'
import type { TokenSet } from './token-set.js'

export interface AuthFetch {
  /** The global fetch's signature and semantics, with the session's token. Bound: destructure freely. */
  readonly fetch: FetchFunction
  /** The current tokens; `null` when there is no session. */
  readonly tokens: TokenSet | null
  /** Refreshes now (joining a renewal in flight) and resolves to the new tokens. */
  refresh(): Promise<TokenSet>
  /** Forgets the tokens (memory and storage), revokes them at `revocationUrl` if set. */
  logout(): Promise<void>
  /** Aborts a renewal in flight; every later call rejects. */
  [Symbol.dispose](): void
}

export interface AuthFetchWithLogin extends AuthFetch {
  /**
   * Logs in (joining a login in flight) and resolves to the new tokens: the `login` callback gets
   * `credentials`, or they are posted as JSON to `loginUrl`.
   */
  login(credentials?: unknown): Promise<TokenSet>
}
