/**
 * The one owner of the client's tokens: which set is current, when it must be renewed before it is
 * sent, and what to go on with after a renewal failed. Every change goes through here: it updates
 * memory at once (so the next request uses it), tells `onTokens`, and is persisted through
 * `StoredTokens` (`stored-tokens.ts`), the only door to the storage.
 *
 * Nothing here assumes a refresh token: whether a set can be refreshed is the grant's question
 * (`canRefresh`, given by the wiring), so a client whose refresh token never reaches JavaScript (cookie mode) fits.
 *
 * Clients that share one storage (tabs on `localStorage`, a duplicated tab, processes on one
 * file) act as one (DESIGN.md behaviour 10): this owner adopts what the others wrote — when the
 * storage reports a change (`watch`), when it says it may have changed (`changed`, asked on each
 * use), and under the renewal lock, before refreshing (`reload`) — and ends the session when they
 * cleared it.
 */
import { AuthError, isAuthError } from './errors.js'
import type { SessionEnd, SessionEndReason } from './options.js'
import { isThenable, sameTokens, type StoredTokens } from './stored-tokens.js'
import type { TokenSet } from './token-set.js'

/**
 * A token this young is not renewed ahead of time, whatever its lifetime says: with
 * `expires_in: 1` a client would otherwise refresh before nearly every request. (`expires_in: 0`
 * is read as no known expiry, see token-set.ts.) Two seconds, so that a token that has really
 * expired by then — a demo's 2-second token — is still renewed before it is sent.
 */
const MIN_AGE_BEFORE_RENEWAL_MS = 2_000

export interface TokenOwnerOptions {
  readonly stored: StoredTokens
  /** Tokens given at construction: taken as they are, the storage is not read. */
  readonly tokens: TokenSet | undefined
  /**
   * Whether these tokens can be refreshed (`null`: whether a session can be renewed with none in
   * JavaScript, as by a refresh cookie): the refresh grant's question, not the owner's.
   */
  readonly canRefresh: (tokens: TokenSet | null) => boolean
  readonly refreshBeforeMs: number
  readonly onTokens: (tokens: TokenSet | null) => void
  readonly onSessionEnd: (end: SessionEnd) => void
  readonly onError: (error: unknown) => void
  readonly now: () => number
}

export class TokenOwner {
  readonly #options: TokenOwnerOptions
  readonly #stored: StoredTokens
  #tokens: TokenSet | null = null
  /** The last tokens a 401 refused: not worth sending again if their renewal failed. */
  #refused: TokenSet | null = null
  #endError = new AuthError('AUTH_SESSION_EXPIRED', 'There is no session')
  /**
   * Whether this client has heard whether there is a session: tokens (set, loaded, adopted), or
   * an end. Until then, without tokens, a session may still live where JavaScript cannot see it
   * (a refresh cookie): see `mayResume`.
   */
  #settled = false
  readonly #ready: Promise<void> | undefined
  readonly #unwatch: () => void

  constructor(options: TokenOwnerOptions) {
    this.#options = options
    this.#stored = options.stored
    this.#unwatch = this.#stored.watch((change) => this.#onChange(change))
    if (options.tokens) {
      this.#tokens = options.tokens
      return
    }
    const loaded = this.#stored.load()
    if (loaded instanceof Promise) this.#ready = loaded.then((tokens) => this.#adopt(tokens))
    else this.#adopt(loaded)
  }

  /** Stops listening to the other clients of the storage. */
  dispose(): void {
    this.#unwatch()
  }

  /**
   * Before a use: adopts what another client wrote to a storage that cannot report changes
   * itself (a file), when it says it may have changed. Writes of this client still on their
   * way are not mistaken for such a change.
   */
  sync(): void {
    if (!this.#stored.changed()) return
    const loaded = this.#stored.load()
    if (loaded instanceof Promise) {
      void loaded.then((value) => this.#onChange({ value }))
    } else {
      this.#onChange({ value: loaded })
    }
  }

  /**
   * Under the renewal lock, before refreshing: the tokens another client stored since, if they
   * are newer than ours (then adopted), else `null`. Only for a storage others may share: a
   * private one holds nothing we do not know, or older tokens than the ones given at start.
   */
  async reload(): Promise<TokenSet | null> {
    if (!this.#stored.shared) return null
    const loaded = await this.#stored.load()
    const current = this.#tokens
    if (loaded === null || sameTokens(loaded, current)) return null
    if (current !== null && (loaded.issuedAt ?? 0) < (current.issuedAt ?? 0)) return null
    this.#settled = true
    this.#tokens = loaded
    this.#notify(loaded)
    return loaded
  }

  /** Runs `critical` while no other client of the storage runs its own renewal. */
  exclusive<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.#stored.lock(critical, signal)
  }

  /** The current tokens; `null` when there is no session. */
  get tokens(): TokenSet | null {
    return this.#tokens
  }

  /** While an asynchronous storage is read at start: settles when it has been. */
  get ready(): Promise<void> | undefined {
    return this.#ready
  }

  /**
   * Whether the client should renew before sending without tokens: it has none, has not yet
   * heard whether there is a session, and the grant can renew one without tokens (the cookie
   * grant: a new tab or a reload resumes the session with one refresh).
   */
  mayResume(): boolean {
    return this.#tokens === null && !this.#settled && this.#options.canRefresh(null)
  }

  /** The error of the last session end (before any session: "There is no session"). */
  get endError(): AuthError<'AUTH_SESSION_EXPIRED'> {
    return this.#endError
  }

  /**
   * Whether `tokens` must be renewed before they are sent: a 401 refused them, or the access
   * token expires within `refreshBefore` — unless they cannot be refreshed and still work, since
   * a renewal that cannot refresh would end the session while the access token is good.
   */
  mustRenew(tokens: TokenSet): boolean {
    if (tokens === this.#refused) return true
    const now = this.#options.now()
    if (this.#renewAt(tokens) > now) return false
    return this.#options.canRefresh(tokens) || expiresAt(tokens) <= now
  }

  /** A 401 refused these tokens. */
  refuse(tokens: TokenSet): void {
    this.#refused = tokens
  }

  /**
   * After a renewal failed for a transient reason (or because the token endpoint refused the
   * client itself, which says nothing of the tokens): the tokens that can still be sent (not
   * refused, not expired), else the failure, shared.
   */
  usableAfter(error: unknown): TokenSet {
    const current = this.#tokens
    if (
      !(
        isAuthError(error, 'AUTH_REFRESH_UNAVAILABLE') || isAuthError(error, 'AUTH_CLIENT_REJECTED')
      ) ||
      current === null ||
      current === this.#refused ||
      expiresAt(current) <= this.#options.now()
    ) {
      throw error
    }
    return current
  }

  /** Starts or continues the session with new tokens. */
  async set(tokens: TokenSet): Promise<void> {
    this.#settled = true
    this.#tokens = tokens
    this.#notify(tokens)
    await this.#stored.save(tokens)
  }

  /**
   * Forgets the tokens that failed, in memory and in the storage — there only while it still
   * holds them: another client may have stored a newer session since (a login in another tab).
   */
  async clear(): Promise<void> {
    const tokens = this.#tokens
    if (tokens === null) return
    this.#tokens = null
    this.#notify(null)
    await this.#stored.clearIf(tokens)
  }

  /**
   * Ends the session: forgets the tokens, records why, and tells `onSessionEnd` once. A logout
   * clears the storage whatever it holds: it ends the session for every client sharing it.
   */
  end(reason: SessionEndReason, error: AuthError<'AUTH_SESSION_EXPIRED'>): Promise<void> {
    // A logout forgets what a 401 refused, too: whatever comes next starts clean.
    if (reason === 'logout') this.#refused = null
    this.#settled = true
    this.#endError = error
    const cleared = reason === 'logout' ? this.#forget() : this.clear()
    this.#call(() =>
      this.#options.onSessionEnd(reason === 'logout' ? { reason } : { reason, error }),
    )
    return cleared
  }

  async #forget(): Promise<void> {
    this.#tokens = null
    this.#notify(null)
    await this.#stored.clear()
  }

  /** Takes tokens read from the storage at start; they are not written back. */
  #adopt(tokens: TokenSet | null): void {
    if (tokens !== null) this.#tokens = tokens
  }

  /**
   * Another client changed the storage. Its tokens replace ours (no refresh needed); a cleared
   * storage ends our session too, without a request. A change to a copy of the storage (see
   * `StorageChange.replaces`) counts only if it replaced our tokens, and is then written to our
   * copy too, so that a reload of this tab does not bring the replaced tokens back.
   */
  #onChange(change: { readonly value: unknown; readonly replaces?: string | undefined }): void {
    const current = this.#tokens
    if (change.replaces !== undefined && change.replaces !== current?.accessToken) return
    const tokens = this.#stored.parse(change.value)
    // Garbage another client wrote says nothing about the session.
    if (tokens === undefined) return
    // Another client's word settles it: its tokens, or its logout (then no refresh is worth it).
    this.#settled = true
    if (sameTokens(tokens, current)) return
    if (tokens === null) {
      // current is not null here: sameTokens(null, null) returned above.
      this.#endError = new AuthError('AUTH_SESSION_EXPIRED', 'The session ended in another client')
      this.#tokens = null
      this.#notify(null)
      this.#call(() => this.#options.onSessionEnd({ reason: 'elsewhere', error: this.#endError }))
      if (change.replaces !== undefined) void this.#stored.clearIf(current as TokenSet)
      return
    }
    this.#tokens = tokens
    this.#notify(tokens)
    if (change.replaces !== undefined && current !== null) {
      void this.#stored.saveIf(current, tokens)
    }
  }

  /**
   * When to renew ahead: `refreshBefore` early, but never earlier than half-way through the
   * token's life — with a lifetime shorter than the window, every request would refresh — nor
   * sooner than `MIN_AGE_BEFORE_RENEWAL_MS` after issue. Tokens of unknown age (handed over
   * without `issuedAt`) are renewed `refreshBefore` early, as configured.
   */
  #renewAt(tokens: TokenSet): number {
    const expiry = expiresAt(tokens)
    const { refreshBeforeMs } = this.#options
    if (tokens.issuedAt === undefined) return expiry - refreshBeforeMs
    const lifetime = expiry - tokens.issuedAt
    const ahead = Math.min(refreshBeforeMs, lifetime / 2)
    // (A negative lifetime is no lifetime a server gave: no floor for it.)
    const earliest = lifetime >= 0 ? tokens.issuedAt + MIN_AGE_BEFORE_RENEWAL_MS : -Infinity
    return Math.max(expiry - ahead, earliest)
  }

  #notify(tokens: TokenSet | null): void {
    this.#call(() => this.#options.onTokens(tokens))
  }

  /** A throwing hook must not leave the tokens half-changed: its error goes to `onError`. */
  #call(hook: () => unknown): void {
    try {
      const result = hook()
      if (isThenable(result)) Promise.resolve(result).catch(this.#options.onError)
    } catch (error) {
      this.#options.onError(error)
    }
  }
}

function expiresAt(tokens: TokenSet): number {
  return tokens.expiresAt ?? Infinity
}
