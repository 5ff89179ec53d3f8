import type { Cluster, Redis } from 'ioredis'
import { RedisStoreError } from './errors.js'

/**
 * Every store call runs under one deadline, `commandTimeout`, which covers waiting for a
 * (re)connection and every round trip of the call. Waiting here instead of in an ioredis offline
 * queue matters: a queued command is still sent after its caller has given up, so a rotation or
 * a delete the caller saw fail could happen later. Here, a call that times out sends no more
 * writes: a call of several round trips checks the deadline's signal before the command that
 * changes a session (only clean-up of garbage may still go out).
 */

/**
 * Runs `operation` with an AbortSignal that fires at the deadline, its reason the timeout error;
 * rejects then with that error.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new RedisStoreError('ERR_STORE_TIMEOUT', 'Redis did not answer in time')
      controller.abort(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    return await Promise.race([operation(controller.signal), expired])
  } finally {
    clearTimeout(timer)
  }
}

interface Waiter {
  resolve(): void
  reject(error: RedisStoreError): void
}

/**
 * The calls of one store waiting for its client to be ready. They share one pair of client
 * listeners (one pair per call would trip Node's `MaxListenersExceededWarning` at ten waiting
 * calls), added by the first waiter and removed with the last; a call that gives up (its
 * deadline) leaves at once, so an outage holds nothing of the calls that timed out in it.
 */
export class ReadyGate {
  readonly #client: Redis | Cluster
  readonly #waiters = new Set<Waiter>()

  constructor(client: Redis | Cluster) {
    this.#client = client
  }

  /**
   * Resolves when the client can take a command: at once when it is connected, or when it has
   * not started to connect yet (`lazyConnect`: the first command connects it); otherwise on its
   * next `ready`. Rejects if the client ends for good, when `close` is called, or with the
   * signal's reason when it aborts.
   */
  wait(signal: AbortSignal): Promise<void> {
    const { status } = this.#client
    if (status === 'ready' || status === 'wait') return Promise.resolve()
    if (status === 'end') return Promise.reject(ended())
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      // withDeadline aborts with its timeout error.
      const onAbort = (): void => {
        this.#leave(waiter)
        reject(signal.reason as RedisStoreError)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      if (this.#waiters.size === 0) {
        this.#client.on('ready', this.#onReady)
        this.#client.on('end', this.#onEnd)
      }
      this.#waiters.add(waiter)
    })
  }

  /** Rejects every waiting call with `error` (the store is closing). */
  close(error: RedisStoreError): void {
    this.#settle((waiter) => waiter.reject(error))
  }

  readonly #onReady = (): void => this.#settle((waiter) => waiter.resolve())
  readonly #onEnd = (): void => this.#settle((waiter) => waiter.reject(ended()))

  #settle(each: (waiter: Waiter) => void): void {
    const waiters = [...this.#waiters]
    for (const waiter of waiters) this.#leave(waiter)
    for (const waiter of waiters) each(waiter)
  }

  #leave(waiter: Waiter): void {
    this.#waiters.delete(waiter)
    if (this.#waiters.size > 0) return
    this.#client.off('ready', this.#onReady)
    this.#client.off('end', this.#onEnd)
  }
}

function ended(): RedisStoreError {
  return new RedisStoreError('ERR_STORE_UNAVAILABLE', 'The Redis client has ended')
}
