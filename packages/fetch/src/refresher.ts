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
 *
 * Clients sharing one storage (tabs, processes) renew as one (DESIGN.md behaviour 10): a refresh
 * runs under the storage's lock, and first re-reads the storage. A client that waited for the
 * lock while another refreshed finds the new tokens there — or already has them, handed over by
 * the storage's channel before the lock was released, since a `localStorage` write can reach
 * another tab after the lock does — and adopts them without a refresh of its own.
 */
import { abortable } from './abort.js'
import {
  AuthError,
  isAuthError,
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

/** What a refresh under the lock ended with when it produced no tokens: the session is over. */
interface Refused {
  readonly cause: ResponseSummary | ErrorSummary | undefined
}

export interface RefresherOptions {
  owner: TokenOwner
  grant: RefreshGrant | undefined
  /** The `login` callback, or the `loginUrl` poster. */
  login: LoginFunction | undefined
  /** Whether `login` may run without credentials, when a refresh cannot renew the session. */
  autoLogin: boolean
  /** Handed to the `login` callback. */
  fetch: FetchFunction
  onError: (error: unknown) => void
  now: () => number
}

export class Refresher {
  readonly #owner: TokenOwner
  readonly #grant: RefreshGrant | undefined
  readonly #login: LoginFunction | undefined
  readonly #autoLogin: boolean
  readonly #fetch: FetchFunction
  readonly #onError: (error: unknown) => void
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
    this.#autoLogin = options.autoLogin
    this.#fetch = options.fetch
    this.#onError = options.onError
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
    // Without tokens, a grant that needs none (the cookie's) resumes the session; else log in.
    return this.#start(current === null && !canRefresh(this.#grant, null) ? 'login' : 'refresh')
  }

  /**
   * `api.refresh()`: joins the renewal in flight, else refreshes — without tokens only with a
   * grant that needs none (cookie mode: whether the cookie holds a session, the server says).
   */
  async refresh(): Promise<TokenSet> {
    if (this.#flight) return this.#flight.promise
    if (this.#owner.tokens === null && !canRefresh(this.#grant, null)) throw this.#owner.endError
    return this.#start('refresh')
  }

  /**
   * `api.login(credentials)`: joins a login in flight, else waits for a refresh in flight, then
   * logs in with `credentials`.
   */
  async login(credentials?: unknown): Promise<TokenSet> {
    while (this.#flight) {
      if (this.#flight.kind === 'login') return this.#flight.promise
      await this.#flight.promise.catch(() => undefined)
    }
    return this.#start('login', credentials)
  }

  /**
   * Ends the renewal in flight (logout, dispose): its waiters reject with `reason` at once and
   * whatever it still produces is dropped.
   */
  abort(reason: unknown): void {
    this.#controller.abort(reason)
    this.#controller = new AbortController()
  }

  #start(kind: Operation, credentials?: unknown): Promise<TokenSet> {
    const epoch = ++this.#epoch
    const signal = this.#controller.signal
    // Started a microtask later, so that the flight is in place before any callback runs: a
    // callback that calls back into this client joins it rather than starting another.
    const critical = Promise.resolve().then(() => this.#renew(kind, signal, credentials))
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

  async #renew(kind: Operation, signal: AbortSignal, credentials: unknown): Promise<TokenSet> {
    const stale = this.#owner.tokens
    let cause: ResponseSummary | ErrorSummary | undefined
    if (kind === 'refresh') {
      const outcome = await this.#owner.exclusive(() => this.#refreshShared(stale, signal), signal)
      if (outcome instanceof TokenSet) return outcome
      cause = outcome.cause
    }
    const login = this.#login
    if (login === undefined || (kind === 'refresh' && !this.#autoLogin)) {
      return this.#end('expired', 'The session has expired', cause)
    }
    let answer: unknown
    try {
      const request = credentials === undefined ? {} : { credentials }
      answer = await this.#call(() => login({ ...request, signal, fetch: this.#fetch }))
    } catch (error) {
      signal.throwIfAborted()
      // A login that could not be tried (cookie mode: no answer, maybe CORS) ends nothing.
      if (kind === 'login' && isAuthError(error, 'AUTH_REFRESH_UNAVAILABLE')) throw error
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

  /**
   * The critical section, under the storage's lock: adopt what another client stored since this
   * renewal started (no refresh), else refresh and store the result before the lock is released.
   * A refusal forgets the dead tokens — in the storage only while it still holds them — and
   * resolves to why, so that logging in again (which may take minutes) runs outside the lock.
   */
  async #refreshShared(stale: TokenSet | null, signal: AbortSignal): Promise<TokenSet | Refused> {
    signal.throwIfAborted()
    const adopted = await this.#owner.reload()
    const current = this.#owner.tokens
    if (adopted !== null || (current !== null && current !== stale)) return current as TokenSet
    let cause: ResponseSummary | ErrorSummary | undefined
    // `current` may be null: a grant that needs no tokens (the cookie's) resumes a session.
    if (canRefresh(this.#grant, current)) {
      const grant = this.#grant
      const result = await this.#call(() => grant.refresh(current, signal))
      signal.throwIfAborted()
      if (result.outcome === 'tokens') {
        await this.#owner.set(result.tokens)
        return result.tokens
      }
      if (result.outcome === 'unavailable') {
        throw new AuthError(
          'AUTH_REFRESH_UNAVAILABLE',
          result.message ?? 'The tokens could not be refreshed now; they are kept',
          { cause: result.cause },
        )
      }
      if (result.outcome === 'client_rejected') {
        // The client's own credentials are wrong: a configuration error the app must hear of,
        // not a reason to end a session that may be fine.
        const error = new AuthError(
          'AUTH_CLIENT_REJECTED',
          "The token endpoint refused this client's credentials; the tokens are kept",
          { cause: result.cause },
        )
        this.#onError(error)
        throw error
      }
      cause = result.cause
    }
    // Refused by the server, or the grant cannot refresh these tokens: the session is over.
    // Forget the dead tokens before anything else, even if logging in again takes minutes.
    await this.#owner.clear()
    signal.throwIfAborted()
    return { cause }
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
