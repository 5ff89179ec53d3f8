import type { Cluster, Redis } from 'ioredis'
import { RedisStoreError } from './errors.js'

/**
 * Every store call runs under one deadline, `commandTimeout`, which covers waiting for a
 * (re)connection and every round trip of the call. Waiting here instead of in an ioredis offline
 * queue matters: a queued command is still sent after its caller has given up, so a rotation or
 * a delete the caller saw fail could happen later. Here, a call that times out sends nothing
 * more: a call of several round trips checks the deadline's signal before each command.
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

/**
 * The next `ready` of a client that is not ready, shared by every call waiting for it: one pair
 * of listeners per outage, however many requests wait (one pair per call would trip Node's
 * `MaxListenersExceededWarning` at ten).
 */
const nextReady = new WeakMap<Redis | Cluster, Promise<void>>()

/**
 * Resolves when `client` can take a command: at once when it is connected, or when it has not
 * started to connect yet (`lazyConnect`: the first command connects it); otherwise on its next
 * `ready`. Rejects if the client ends for good, or with the signal's reason when it aborts.
 */
export function whenReady(client: Redis | Cluster, signal: AbortSignal): Promise<void> {
  const { status } = client
  if (status === 'ready' || status === 'wait') return Promise.resolve()
  if (status === 'end') return Promise.reject(ended())
  let ready = nextReady.get(client)
  if (ready === undefined) {
    ready = new Promise<void>((resolve, reject) => {
      const settle = (error?: RedisStoreError): void => {
        client.off('ready', onReady)
        client.off('end', onEnd)
        nextReady.delete(client)
        if (error === undefined) resolve()
        else reject(error)
      }
      const onReady = (): void => settle()
      const onEnd = (): void => settle(ended())
      client.on('ready', onReady)
      client.on('end', onEnd)
    })
    // Every waiter may have given up (its deadline) before the client ends: not unhandled.
    ready.catch(() => {})
    nextReady.set(client, ready)
  }
  return new Promise((resolve, reject) => {
    // withDeadline aborts with its timeout error.
    const onAbort = (): void => reject(signal.reason as RedisStoreError)
    signal.addEventListener('abort', onAbort, { once: true })
    ready.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function ended(): RedisStoreError {
  return new RedisStoreError('ERR_STORE_UNAVAILABLE', 'The Redis client has ended')
}
