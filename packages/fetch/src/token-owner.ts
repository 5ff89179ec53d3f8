/**
 * The one owner of the client's tokens: which set is current, when it must be renewed before it is
 * sent, and what to go on with after a renewal failed. Every change goes through here: it updates
 * memory at once (so the next request uses it), tells `onTokens`, and is persisted through
 * `StoredTokens` (below), the only door to the storage.
 *
 * Nothing here assumes a refresh token: whether a set can be refreshed is the grant's question
 * (`canRefresh`, given by the wiring), so a client whose refresh token never reaches JavaScript (cookie mode) fits.
 * Adopting what another client sharing the storage wrote will be `adopt(await stored.load())`.
 */
import { AuthError, isAuthError } from './errors.js'
import type { SessionEnd, SessionEndReason } from './options.js'
import { TokenSet } from './token-set.js'
import type { TokenStorage } from './options.js'

export interface TokenOwnerOptions {
  readonly stored: StoredTokens
  /** Tokens given at construction: taken as they are, the storage is not read. */
  readonly tokens: TokenSet | undefined
  /** Whether these tokens can be refreshed: the refresh grant's question, not the owner's. */
  readonly canRefresh: (tokens: TokenSet) => boolean
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
  readonly #ready: Promise<void> | undefined

  constructor(options: TokenOwnerOptions) {
    this.#options = options
    this.#stored = options.stored
    if (options.tokens) {
      this.#tokens = options.tokens
      return
    }
    const loaded = this.#stored.load()
    if (loaded instanceof Promise) this.#ready = loaded.then((tokens) => this.#adopt(tokens))
    else this.#adopt(loaded)
  }

  /** The current tokens; `null` when there is no session. */
  get tokens(): TokenSet | null {
    return this.#tokens
  }

  /** While an asynchronous storage is read at start: settles when it has been. */
  get ready(): Promise<void> | undefined {
    return this.#ready
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
   * After a renewal failed for a transient reason: the tokens that can still be sent (not
   * refused, not expired), else the failure, shared.
   */
  usableAfter(error: unknown): TokenSet {
    const current = this.#tokens
    if (
      !isAuthError(error, 'AUTH_REFRESH_UNAVAILABLE') ||
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
    this.#tokens = tokens
    this.#notify(tokens)
    await this.#stored.save(tokens)
  }

  /** Forgets the tokens, in memory and in the storage. */
  async clear(): Promise<void> {
    if (this.#tokens === null) return
    this.#tokens = null
    this.#notify(null)
    await this.#stored.clear()
  }

  /** Ends the session: forgets the tokens, records why, and tells `onSessionEnd` once. */
  end(reason: SessionEndReason, error: AuthError<'AUTH_SESSION_EXPIRED'>): Promise<void> {
    // A logout forgets what a 401 refused, too: whatever comes next starts clean.
    if (reason === 'logout') this.#refused = null
    this.#endError = error
    const cleared = this.clear()
    this.#call(() =>
      this.#options.onSessionEnd(reason === 'logout' ? { reason } : { reason, error }),
    )
    return cleared
  }

  /** Takes tokens read from the storage; they are not written back. */
  #adopt(tokens: TokenSet | null): void {
    if (tokens !== null) this.#tokens = tokens
  }

  /**
   * When to renew ahead: `refreshBefore` early, but never earlier than half-way through the
   * token's life — with a lifetime shorter than the window, every request would refresh.
   */
  #renewAt(tokens: TokenSet): number {
    const expiry = expiresAt(tokens)
    return expiry - Math.min(this.#options.refreshBeforeMs, (expiry - tokens.issuedAt) / 2)
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

/**
 * The one door to the `storage` option: every read and write of it goes through here. Reads are
 * parsed (garbage counts as nothing saved), writes run one at a time in the order they were asked
 * for, and a failing storage never fails a request: its errors go to `onError`.
 *
 * Clients that share one storage (tabs, processes) will re-read it here before refreshing, and
 * clear it only while it still holds the tokens that failed: both are questions for this door.
 */
export class StoredTokens {
  readonly #storage: TokenStorage
  readonly #onError: (error: unknown) => void
  readonly #now: () => number
  #writes: Promise<void> = Promise.resolve()

  constructor(storage: TokenStorage, onError: (error: unknown) => void, now: () => number) {
    this.#storage = storage
    this.#onError = onError
    this.#now = now
  }

  /**
   * The saved tokens, synchronously when the storage answers synchronously. Unreadable or
   * malformed contents count as no tokens (and go to `onError`): a corrupt file must not stop a
   * client that can log in again.
   */
  load(): TokenSet | null | Promise<TokenSet | null> {
    let loaded: unknown
    try {
      loaded = this.#storage.load()
    } catch (error) {
      this.#onError(error)
      return null
    }
    if (!isThenable(loaded)) return this.#parse(loaded)
    return Promise.resolve(loaded).then(
      (value) => this.#parse(value),
      (error: unknown) => {
        this.#onError(error)
        return null
      },
    )
  }

  save(tokens: TokenSet): Promise<void> {
    return this.#write(() => this.#storage.save(tokens))
  }

  clear(): Promise<void> {
    return this.#write(() => this.#storage.clear())
  }

  #parse(value: unknown): TokenSet | null {
    if (value === null || value === undefined || value === '') return null
    try {
      return TokenSet.parse(value, { now: this.#now })
    } catch (error) {
      this.#onError(error)
      return null
    }
  }

  /**
   * Writes run one after another, in the order of the changes, and a failed write does not fail
   * the request that caused it: the tokens in memory are good. Its error goes to `onError`.
   */
  #write(operation: () => void | Promise<void>): Promise<void> {
    const write = this.#writes.then(operation).catch(this.#onError)
    this.#writes = write
    return write
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
