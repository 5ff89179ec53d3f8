/**
 * Every failure the store reports is a `RedisStoreError` with a stable literal `code`. Messages
 * are fixed sentences: no session id, subject, claim or key ever goes into one, so the errors can
 * be logged as they are. The underlying ioredis error, when there is one, is the `cause`; it may
 * quote a command's arguments, so log it only where session ids may be seen.
 *
 * `@baton/express` turns every rejection of a store call into a 503 `temporarily_unavailable`
 * (`StoreUnavailableError`) and keeps only the cause's `name` and `code`.
 */

export type RedisStoreErrorCode =
  /** A call did not finish within `commandTimeout` (Redis down, paused, or unreachable). */
  | 'ERR_STORE_TIMEOUT'
  /** Redis failed a command or the connection is gone; see `cause`. */
  | 'ERR_STORE_UNAVAILABLE'
  /** The store was closed with `close()`. */
  | 'ERR_STORE_CLOSED'
  /** Reported through `onError` only: a value under the prefix was not ours; treated as missing. */
  | 'ERR_STORE_CORRUPT_DATA'
  /** Reported through `onError` only: the connection of a store-owned client failed. */
  | 'ERR_STORE_CONNECTION'
  /** Reported through `onError` only: Redis refused `CLIENT TRACKING`; `localCache` is bypassed. */
  | 'ERR_STORE_TRACKING'

export class RedisStoreError extends Error {
  override name = 'RedisStoreError'
  readonly code: RedisStoreErrorCode

  constructor(code: RedisStoreErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.code = code
  }
}
