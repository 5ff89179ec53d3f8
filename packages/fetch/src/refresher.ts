/**
 * Single-flight renewal of the session: however many requests need fresh tokens at once, one
 * refresh (or one login) runs, and every waiter gets its outcome.
 *
 * It also settles the stale-401 race (axios-auth-refresh #123/#307, ky #587). Each request
 * remembers the tokens it was sent with and the `epoch` (how many renewals had started) at that
 * moment. When its 401 arrives:
 * - a renewal in flight → join it;
 * - the tokens have changed since → use the current ones, no refresh;
 * - the session ended since → the same `AUTH_SESSION_EXPIRED` as everyone else;
 * - a renewal that started after the request was sent has failed → the same error, no new try;
 * - otherwise → start one.
 */
import { abortable } from './abort.js'
import {
  AuthError,
  secretsOf,
  summarizeError,
  type ErrorSummary,
  type ResponseSummary,
} from './errors.js'
import type { FetchFunction, LoginFunction, SessionEndReason } from './options.js'
import { canRefresh, type RefreshGrant } from './refresh-grant.js'
import type { TokenOwner } from './token-owner.js'
import { TokenSet } from './token-set.js'

type Operation = 'refresh' | 'login'

interface Flight {
  readonly kind: Operation
  readonly epoch: number
  readonly promise: Promise<TokenSet>
}

export interface RefresherOptions {
  owner: TokenOwner
  grant: RefreshGrant | undefined
  login: LoginFunction | undefined
  /** Handed to the `login` callback. */
  fetch: FetchFunction
  now: () => number
}

export class Refresher {
  readonly #owner: TokenOwner
  readonly #grant: RefreshGrant | undefined
  readonly #login: LoginFunction | undefined
  readonly #fetch: FetchFunction
  readonly #now: () => number
  #controller = new AbortController()
  #flight: Flight | undefined
  #epoch = 0
  #lastFailure: { readonly epoch: number; readonly error: unknown } | undefined
  #calling = false

  constructor(options: RefresherOptions) {
    this.#owner = options.owner
    this.#grant = options.grant
    this.#login = options.login
    this.#fetch = options.fetch
    this.#now = options.now
  }

  /** How many renewals have started. A request records it when it is sent. */
  get epoch(): number {
    return this.#epoch
  }

  /**
   * Whether a `refresh` or `login` callback is running its synchronous part (up to its first
   * `await`) right now: a request it makes then is its own, not one to hold for this renewal.
   */
  get calling(): boolean {
    return this.#calling
  }

  /** The renewal in flight, if any. */
  get pending(): Promise<TokenSet> | undefined {
    return this.#flight?.promise
  }

  /**
   * Fresh tokens for a request that was sent with `stale` (null: without a token) at
   * `sentEpoch` and refused, or whose tokens are about to expire. See the file comment.
   */
  async renew(stale: TokenSet | null, sentEpoch: number): Promise<TokenSet> {
    if (this.#flight) return this.#flight.promise
    const current = this.#owner.tokens
    if (current !== null && current !== stale) return current
    // Tokens were there when the request left and are gone now, outside any renewal: only a
    // session end clears them, so share that end.
    if (current === null && stale !== null) throw this.#owner.endError
    const failure = this.#lastFailure
    if (failure !== undefined && failure.epoch > sentEpoch) throw failure.error
    return this.#start(current === null ? 'login' : 'refresh')
  }

  /** `api.refresh()`: joins the renewal in flight, else refreshes. */
  async refresh(): Promise<TokenSet> {
    if (this.#flight) return this.#flight.promise
    if (this.#owner.tokens === null) throw this.#owner.endError
    return this.#start('refresh')
  }

  /** `api.login()`: joins a login in flight, else waits for a refresh in flight, then logs in. */
  async login(): Promise<TokenSet> {
    while (this.#flight) {
      if (this.#flight.kind === 'login') return this.#flight.promise
      await this.#flight.promise.catch(() => undefined)
    }
    return this.#start('login')
  }

  /**
   * Ends the renewal in flight (logout, dispose): its waiters reject with `reason` at once and
   * whatever it still produces is dropped.
   */
  abort(reason: unknown): void {
    this.#controller.abort(reason)
    this.#controller = new AbortController()
  }

  #start(kind: Operation): Promise<TokenSet> {
    const epoch = ++this.#epoch
    const signal = this.#controller.signal
    // Started a microtask later, so that the flight is in place before any callback runs: a
    // callback that calls back into this client joins it rather than starting another. This is
    // the critical section that clients sharing one storage will run under a lock (DESIGN.md
    // behaviour 10), re-reading the storage first through the token owner.
    const critical = Promise.resolve().then(() => this.#renew(kind, signal))
    const promise = abortable(critical, signal)
      .catch((error: unknown) => {
        this.#lastFailure = { epoch, error }
        throw error
      })
      .finally(() => {
        if (this.#flight?.epoch === epoch) this.#flight = undefined
      })
    this.#flight = { kind, epoch, promise }
    return promise
  }

  async #renew(kind: Operation, signal: AbortSignal): Promise<TokenSet> {
    const stale = this.#owner.tokens
    let cause: ResponseSummary | ErrorSummary | undefined
    if (kind === 'refresh') {
      if (stale !== null && canRefresh(this.#grant, stale)) {
        const grant = this.#grant
        const result = await this.#call(() => grant.refresh(stale, signal))
        signal.throwIfAborted()
        if (result.outcome === 'tokens') {
          await this.#owner.set(result.tokens)
          return result.tokens
        }
        if (result.outcome === 'unavailable') {
          throw new AuthError(
            'AUTH_REFRESH_UNAVAILABLE',
            'The tokens could not be refreshed now; they are kept',
            { cause: result.cause },
          )
        }
        cause = result.cause
      }
      // Refused by the server, or the grant cannot refresh these tokens: the session is over.
      // Forget the dead tokens before anything else, even if logging in again takes minutes.
      await this.#owner.clear()
      signal.throwIfAborted()
    }
    if (this.#login === undefined) return this.#end('expired', 'The session has expired', cause)
    let answer: unknown
    try {
      const login = this.#login
      answer = await this.#call(() => login({ signal, fetch: this.#fetch }))
    } catch (error) {
      signal.throwIfAborted()
      return this.#end('login_failed', 'Logging in failed', summarizeError(error, secretsOf(stale)))
    }
    signal.throwIfAborted()
    let tokens: TokenSet
    try {
      tokens = TokenSet.parse(answer, { now: this.#now })
    } catch (error) {
      return this.#end('login_failed', 'Logging in failed', summarizeError(error, secretsOf(stale)))
    }
    await this.#owner.set(tokens)
    return tokens
  }

  /** Runs a callback's synchronous part with `calling` set. */
  #call<T>(callback: () => T): T {
    this.#calling = true
    try {
      return callback()
    } finally {
      this.#calling = false
    }
  }

  async #end(
    reason: SessionEndReason,
    message: string,
    cause: ResponseSummary | ErrorSummary | undefined,
  ): Promise<never> {
    const error = new AuthError('AUTH_SESSION_EXPIRED', message, cause ? { cause } : {})
    await this.#owner.end(reason, error)
    throw error
  }
}
