/**
 * The retry policy, whole: which calls may be sent twice (a listed method, and a body that can be
 * sent again), how often (once after a refresh, and once after a transient failure), which
 * failures are transient (a network error, or one of the configured statuses), and how long to
 * wait before the transient retry (the response's `Retry-After`, capped, else 200–500 ms).
 */
import { abortable, isAbortError } from './abort.js'
import { discard, type OutgoingRequest } from './request.js'

/** The `retry` option, resolved (`resolve-options.ts`). */
export interface RetryRules {
  readonly methods: ReadonlySet<string>
  readonly statuses: ReadonlySet<number>
  readonly maxRetryAfterMs: number
}

/** What one call of `api.fetch` may still send twice. */
export interface RetryBudget {
  /** Whether the call may be sent again at all: after a refresh, or after a transient failure. */
  readonly resend: boolean
  /** Whether its one transient retry is still unused. */
  transient: boolean
}

/** The default wait is 200–500 ms, jittered so that many clients do not come back in step. */
const MIN_DELAY_MS = 200
const JITTER_MS = 300

export class RetryPolicy {
  readonly #rules: RetryRules
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  readonly #now: () => number
  readonly #random: () => number

  constructor(
    rules: RetryRules,
    sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
    now: () => number,
    random: () => number = Math.random,
  ) {
    this.#rules = rules
    this.#sleep = sleep
    this.#now = now
    this.#random = random
  }

  /** A new call's budget: nothing, or one resend after a refresh and one transient retry. */
  budget(request: OutgoingRequest): RetryBudget {
    const resend = request.replayableBody && this.#rules.methods.has(request.method)
    return { resend, transient: resend }
  }

  /** Sends once, and once more after a transient failure while the budget allows. */
  async send(
    attempt: () => Promise<Response>,
    budget: RetryBudget,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    let response: Response
    try {
      response = await attempt()
    } catch (error) {
      return this.afterFailure(error, attempt, budget, signal)
    }
    return this.retries(response, budget)
      ? this.afterStatus(response, attempt, budget, signal)
      : response
  }

  /**
   * `send`'s steps, for a caller that makes the first attempt itself (`authorized-fetch.ts`, so
   * that a request pays for no async frame of ours between it and its answer). After a failed
   * attempt: the failure again, or the answer of the transient retry when the budget allows.
   */
  async afterFailure(
    error: unknown,
    attempt: () => Promise<Response>,
    budget: RetryBudget,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    if (!budget.transient || signal?.aborted || isAbortError(error)) throw error
    budget.transient = false
    await this.#wait(undefined, signal)
    return attempt()
  }

  /** Whether `response` is a transient failure the budget allows to retry (`afterStatus`). */
  retries(response: Response, budget: RetryBudget): boolean {
    return budget.transient && this.#rules.statuses.has(response.status)
  }

  /** The transient retry after `response`, which nobody will read. */
  async afterStatus(
    response: Response,
    attempt: () => Promise<Response>,
    budget: RetryBudget,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    budget.transient = false
    discard(response)
    await this.#wait(response, signal)
    return attempt()
  }

  #wait(response: Response | undefined, signal: AbortSignal | undefined): Promise<void> {
    const delay = retryDelay(response, this.#rules.maxRetryAfterMs, this.#now(), this.#random)
    return abortable(this.#sleep(delay, signal), signal)
  }
}

/**
 * How long to wait before the transient retry, in milliseconds: the response's `Retry-After`
 * (delta-seconds or an HTTP date, RFC 9110 §10.2.3) up to the cap, else 200–500 ms.
 */
function retryDelay(
  response: Response | undefined,
  maxRetryAfterMs: number,
  now: number,
  random: () => number,
): number {
  const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null, now)
  if (retryAfter !== undefined) return Math.min(retryAfter, maxRetryAfterMs)
  return MIN_DELAY_MS + Math.floor(random() * JITTER_MS)
}

/** Milliseconds from `now`, never negative; `undefined` when absent or unreadable. */
function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
