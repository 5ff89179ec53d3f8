/**
 * The client's current tokens, their persistence, and the hooks that watch them. Every change
 * goes through here: it updates memory at once (so the next request uses it), tells `onTokens`,
 * and is written to the storage in order, one write at a time.
 */
import { AuthError } from './errors.js'
import type { TokenStorage } from './storage.js'
import { TokenSet } from './token-set.js'

/**
 * Why the session ended: `expired` (the refresh was rejected, or the refresh token has expired or
 * is missing), `login_failed` (the `login` callback failed), or `logout`.
 */
export type SessionEndReason = 'expired' | 'login_failed' | 'logout'

/** What `onSessionEnd` receives. */
export interface SessionEnd {
  readonly reason: SessionEndReason
  /** The error the waiting requests rejected with; absent for `logout`. */
  readonly error?: AuthError<'AUTH_SESSION_EXPIRED'>
}

export interface SessionHooks {
  storage: TokenStorage
  onTokens: (tokens: TokenSet | null) => void
  onSessionEnd: (end: SessionEnd) => void
  onError: (error: unknown) => void
  now: () => number
}

export class Session {
  readonly #hooks: SessionHooks
  #tokens: TokenSet | null = null
  #writes: Promise<void> = Promise.resolve()
  #endError = new AuthError('AUTH_SESSION_EXPIRED', 'There is no session')

  constructor(hooks: SessionHooks) {
    this.#hooks = hooks
  }

  get tokens(): TokenSet | null {
    return this.#tokens
  }

  /** The error of the last session end (before any session: "There is no session"). */
  get endError(): AuthError<'AUTH_SESSION_EXPIRED'> {
    return this.#endError
  }

  /** Takes tokens given at construction; they are not written back to the storage. */
  restore(tokens: TokenSet): void {
    this.#tokens = tokens
  }

  /**
   * Reads the storage. Unreadable or malformed contents count as no tokens (and go to
   * `onError`): a corrupt file must not stop a client that can log in again.
   */
  load(): Promise<void> | undefined {
    let loaded: unknown
    try {
      loaded = this.#hooks.storage.load()
    } catch (error) {
      this.#hooks.onError(error)
      return undefined
    }
    if (!isThenable(loaded)) {
      this.#apply(loaded)
      return undefined
    }
    return Promise.resolve(loaded).then(
      (value) => this.#apply(value),
      (error: unknown) => this.#hooks.onError(error),
    )
  }

  /** Starts or continues the session with new tokens. */
  async set(tokens: TokenSet): Promise<void> {
    this.#tokens = tokens
    this.#notify(tokens)
    await this.#write(() => this.#hooks.storage.save(tokens))
  }

  /** Forgets the tokens, in memory and in the storage. */
  async clear(): Promise<void> {
    if (this.#tokens === null) return
    this.#tokens = null
    this.#notify(null)
    await this.#write(() => this.#hooks.storage.clear())
  }

  /** Ends the session: forgets the tokens, records why, and tells `onSessionEnd` once. */
  end(reason: SessionEndReason, error: AuthError<'AUTH_SESSION_EXPIRED'>): Promise<void> {
    this.#endError = error
    const cleared = this.clear()
    this.#call(() => this.#hooks.onSessionEnd(reason === 'logout' ? { reason } : { reason, error }))
    return cleared
  }

  #apply(value: unknown): void {
    if (value === null || value === undefined || value === '') return
    try {
      this.#tokens = TokenSet.parse(value, { now: this.#hooks.now })
    } catch (error) {
      this.#hooks.onError(error)
    }
  }

  #notify(tokens: TokenSet | null): void {
    this.#call(() => this.#hooks.onTokens(tokens))
  }

  /** A throwing hook must not leave the session half-changed: its error goes to `onError`. */
  #call(hook: () => unknown): void {
    try {
      const result = hook()
      if (isThenable(result)) Promise.resolve(result).catch(this.#hooks.onError)
    } catch (error) {
      this.#hooks.onError(error)
    }
  }

  /**
   * Writes run one after another, in the order of the changes, and a failed write does not fail
   * the request that caused it: the tokens in memory are good. Its error goes to `onError`.
   */
  #write(operation: () => void | Promise<void>): Promise<void> {
    const write = this.#writes.then(operation).catch(this.#hooks.onError)
    this.#writes = write
    return write
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
