/**
 * Every call into the session store goes through a guard: a store that throws, rejects or is
 * slower than `storeTimeout` becomes a 503 `StoreUnavailableError` — never a 401 that would log a
 * user out, and never a request that hangs.
 */
import { StoreUnavailableError } from './errors.js'
import type { Awaitable } from './session-store.js'

export type StoreGuard = <T>(operation: () => Awaitable<T>) => Awaitable<T>

export function createStoreGuard(timeoutMs: number, retryAfterSeconds: number): StoreGuard {
  return <T>(operation: () => Awaitable<T>): Awaitable<T> => {
    let result: Awaitable<T>
    try {
      result = operation()
    } catch (error) {
      throw new StoreUnavailableError(retryAfterSeconds, error)
    }
    // A thenable from another promise library counts as asynchronous too, not as the answer.
    // A synchronous answer stays synchronous, so the LRU store's verifications need no microtask.
    if (!isPromiseLike(result)) return result
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(retryAfterSeconds)), timeoutMs)
    })
    return Promise.race([result, timeout])
      .catch((error: unknown) => {
        throw error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError(retryAfterSeconds, error)
      })
      .finally(() => clearTimeout(timer))
  }
}

function isPromiseLike<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
