/**
 * Sending a request a second time: which requests may be sent twice, and how long to wait
 * before a transient retry (a network error or a 502/503/504).
 */

export interface RetryOptions {
  /**
   * The methods this client may send twice: retried once after a refresh, and once after a
   * transient failure. Compared case-insensitively. Other methods get the 401 `Response` back.
   * @default ['GET', 'HEAD', 'OPTIONS']
   */
  methods?: readonly string[] | undefined
  /** The statuses retried once, after a delay, for those methods; `[]` for none. @default [502, 503, 504] */
  statuses?: readonly number[] | undefined
  /** The longest `Retry-After` waited for, in seconds; a longer one is cut to this. @default 10 */
  maxRetryAfter?: number | undefined
}

export interface RetryPolicy {
  readonly methods: ReadonlySet<string>
  readonly statuses: ReadonlySet<number>
  /** Milliseconds. */
  readonly maxRetryAfter: number
}

export const DEFAULT_RETRY_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS']
export const DEFAULT_RETRY_STATUSES: readonly number[] = [502, 503, 504]
export const DEFAULT_MAX_RETRY_AFTER = 10

/** The default wait is 200–500 ms, jittered so that many clients do not come back in step. */
const MIN_DELAY_MS = 200
const JITTER_MS = 300

/**
 * How long to wait before the transient retry, in milliseconds: the response's `Retry-After`
 * (delta-seconds or an HTTP date, RFC 9110 §10.2.3) up to the cap, else 200–500 ms.
 */
export function retryDelay(
  response: Response | undefined,
  policy: RetryPolicy,
  now: number,
  random: () => number,
): number {
  const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null, now)
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfter)
  return MIN_DELAY_MS + Math.floor(random() * JITTER_MS)
}

/** Milliseconds from `now`, never negative; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
