import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
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

/**
 * The discipline every store call follows, in one place: refused once the store is closed, run
 * under the deadline, started only when the client is ready, and failing only with a
 * `RedisStoreError`. A client the store made from `url` is also the store's to watch (its
 * connection failures are reported, once per outage) and to end.
 */
export class StoreConnection {
  readonly client: Redis | Cluster
  readonly #ownsClient: boolean
  readonly #timeoutMs: number
  readonly #ready: ReadyGate
  #closed = false
  /** Set by a connection error of an owned client, cleared when it is ready again. */
  #failing = false

  constructor(
    options: { client: Redis | Cluster; ownsClient: boolean; commandTimeoutMs: number },
    report: (error: RedisStoreError) => void,
  ) {
    this.client = options.client
    this.#ownsClient = options.ownsClient
    this.#timeoutMs = options.commandTimeoutMs
    this.#ready = new ReadyGate(this.client)
    if (this.#ownsClient) {
      // Our client, so our listener: without one, ioredis prints every failed reconnect.
      this.client.on('error', (error: unknown) => {
        if (this.#failing) return
        this.#failing = true
        report(
          new RedisStoreError('ERR_STORE_CONNECTION', 'The connection to Redis failed; retrying', {
            cause: error,
          }),
        )
      })
      this.client.on('ready', () => {
        this.#failing = false
      })
    }
  }

  /** One store call: closed check, deadline, readiness, and errors as `RedisStoreError`s. */
  call<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError())
    return withDeadline(this.#timeoutMs, async (signal) => {
      try {
        await this.#ready.wait(signal)
        return await operation(signal)
      } catch (error) {
        // While a dead socket's 'close' event waits in the event loop, ioredis still says
        // 'ready' and rejects commands synchronously. A caller that retries on failure would then
        // spin in microtasks and starve that very event (and every timer) forever: let the event
        // loop turn before any failure settles.
        await yieldToEventLoop()
        // A call in flight when close() ended the client: closed, not a Redis failure.
        if (this.#closed) throw closedError()
        if (error instanceof RedisStoreError) throw error
        throw new RedisStoreError('ERR_STORE_UNAVAILABLE', 'Redis failed the command', {
          cause: error,
        })
      }
    })
  }

  /** Refuses later calls and rejects waiting ones; ends the client only if the store made it. */
  close(): void {
    this.#closed = true
    // Not left to the client's 'end': ioredis disconnected between two reconnect attempts
    // never emits one.
    this.#ready.close(closedError())
    if (this.#ownsClient) this.client.disconnect()
  }
}

function closedError(): RedisStoreError {
  return new RedisStoreError('ERR_STORE_CLOSED', 'The store is closed')
}
