import type { Cluster, Redis } from 'ioredis'
import { RedisStoreError } from './errors.js'

/**
 * Every store call runs under one deadline, `commandTimeout`, which covers waiting for a
 * (re)connection and every round trip of the call. Waiting here instead of in an ioredis offline
 * queue matters: a queued command is still sent after its caller has given up, so a rotation or
 * a delete the caller saw fail could happen later. Here, a call that times out sends nothing.
 */

/** Runs `operation` with an AbortSignal that fires at the deadline; rejects then with a timeout. */
export async function withDeadline<T>(
  timeoutMs: number,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new RedisStoreError('ERR_STORE_TIMEOUT', 'Redis did not answer in time'))
    }, timeoutMs)
  })
  try {
    return await Promise.race([operation(controller.signal), expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Resolves when `client` can take a command: at once when it is connected, or when it has not
 * started to connect yet (`lazyConnect`: the first command connects it); otherwise on its next
 * `ready`. Rejects if the client ends for good, or (quietly: the deadline already answered the
 * caller) when `signal` aborts.
 */
export function whenReady(client: Redis | Cluster, signal: AbortSignal): Promise<void> {
  const { status } = client
  if (status === 'ready' || status === 'wait') return Promise.resolve()
  if (status === 'end') return Promise.reject(ended())
  return new Promise((resolve, reject) => {
    const settle = (error?: RedisStoreError): void => {
      client.off('ready', onReady)
      client.off('end', onEnd)
      signal.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onReady = (): void => settle()
    const onEnd = (): void => settle(ended())
    const onAbort = (): void =>
      settle(new RedisStoreError('ERR_STORE_TIMEOUT', 'Redis did not answer in time'))
    client.on('ready', onReady)
    client.on('end', onEnd)
    signal.addEventListener('abort', onAbort)
  })
}

function ended(): RedisStoreError {
  return new RedisStoreError('ERR_STORE_UNAVAILABLE', 'The Redis client has ended')
}
