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
import type { RefreshGrant } from './refresh-grant.js'
import type { FetchFunction } from './request.js'
import type { Session, SessionEndReason } from './session.js'
import { TokenSet, type TokenSetLike } from './token-set.js'

/** What the `login` option receives. */
export interface LoginRequest {
  /** Aborted when the client is disposed or logged out while the login runs. */
  readonly signal: AbortSignal
  /**
   * The fetch beneath this client. Log in with it: a request through `api.fetch` (or through a
   * `globalThis.fetch` replaced by it) would wait for the very login it is part of.
   */
  readonly fetch: FetchFunction
}

export type LoginFunction = (request: LoginRequest) => TokenSetLike | Promise<TokenSetLike>

/**
 * Runs a renewal's critical section. Inside one JavaScript realm the refresher's own
 * single-flight is enough, so the default runs it as is. Cross-tab coordination (DESIGN.md
 * behaviour 10) plugs in here: hold a Web Lock named after the storage key, re-read the storage
 * inside it, and skip the network when another tab has already renewed.
 */
export type Coordinator = <T>(critical: () => Promise<T>) => Promise<T>

type Operation = 'refresh' | 'login'

interface Flight {
  readonly kind: Operation
  readonly epoch: number
  readonly promise: Promise<TokenSet>
}

export interface RefresherOptions {
  session: Session
  grant: RefreshGrant | undefined
  login: LoginFunction | undefined
  /** Handed to the `login` callback. */
  fetch: FetchFunction
  now: () => number
  coordinate?: Coordinator | undefined
}

export class Refresher {
  readonly #session: Session
  readonly #grant: RefreshGrant | undefined
  readonly #login: LoginFunction | undefined
  readonly #fetch: FetchFunction
  readonly #now: () => number
  readonly #coordinate: Coordinator
  #controller = new AbortController()
  #flight: Flight | undefined
  #epoch = 0
  #lastFailure: { readonly epoch: number; readonly error: unknown } | undefined
  #calling = false

  constructor(options: RefresherOptions) {
    this.#session = options.session
    this.#grant = options.grant
    this.#login = options.login
    this.#fetch = options.fetch
    this.#now = options.now
    this.#coordinate = options.coordinate ?? ((critical) => critical())
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
    const current = this.#session.tokens
    if (current !== null && current !== stale) return current
    // Tokens were there when the request left and are gone now, outside any renewal: only a
    // session end clears them, so share that end.
    if (current === null && stale !== null) throw this.#session.endError
    const failure = this.#lastFailure
    if (failure !== undefined && failure.epoch > sentEpoch) throw failure.error
    return this.#start(current === null ? 'login' : 'refresh')
  }

  /** `api.refresh()`: joins the renewal in flight, else refreshes. */
  async refresh(): Promise<TokenSet> {
    if (this.#flight) return this.#flight.promise
    if (this.#session.tokens === null) throw this.#session.endError
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
    // callback that calls back into this client joins it rather than starting another.
    const critical = Promise.resolve().then(() => this.#coordinate(() => this.#renew(kind, signal)))
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
    const stale = this.#session.tokens
    let cause: ResponseSummary | ErrorSummary | undefined
    if (kind === 'refresh') {
      const refreshExpiresAt = stale?.refreshExpiresAt ?? Infinity
      if (this.#grant && stale?.refreshToken !== undefined && refreshExpiresAt > this.#now()) {
        const grant = this.#grant
        const result = await this.#call(() => grant(stale, signal))
        signal.throwIfAborted()
        if (result.outcome === 'tokens') {
          await this.#session.set(result.tokens)
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
      // Refused by the server, or expired, or there is no refresh token: the session is over.
      // Forget the dead tokens before anything else, even if logging in again takes minutes.
      await this.#session.clear()
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
    await this.#session.set(tokens)
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
    await this.#session.end(reason, error)
    throw error
  }
}
