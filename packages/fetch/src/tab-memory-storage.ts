/**
 * Cookie mode's storage: the access token in this tab's memory only, shared with the other tabs of
 * the origin by the Web Lock and `BroadcastChannel` machinery of `webStorage` (`storage.ts`).
 */
import type { TokenStorage } from './options.js'
import {
  lockNamed,
  resolveWebStorageOptions,
  type BroadcastChannelLike,
  type WebStorageOptions,
} from './storage.js'

/**
 * Cookie mode's storage (not exported: `createAuthFetch` makes it from `refreshUrl`): the tokens
 * — only an access token and its expiry, never a refresh token — live in this tab's memory and
 * nowhere else, and are shared with the other tabs of the origin on the same `key` as
 * `webStorage` shares them (a Web Lock and a `BroadcastChannel`, named `baton:<key>`): one tab
 * refreshes under the lock and hands the result to the others on the channel, so that a tab
 * that waited adopts it instead of refreshing again. A tab's memory is its own (there is no copy
 * to guard, as a duplicated tab's `sessionStorage` is), so every message is taken as it comes.
 *
 * Unlike `localStorage`, memory cannot be re-read under the lock, and a channel message may reach
 * a tab after the lock does (each travels its own way). So each save also takes a Web Lock named
 * after it (`baton:<key>:saved:<time>:<random>`, held until the tab saves again or closes), before the
 * renewal lock is released: the lock manager is one place, so a tab that then gets the renewal
 * lock sees that marker in `navigator.locks.query()`, and waits for the message it names (at most
 * `lockTimeout`) before it runs its own renewal. Without Web Locks (Node) there is no lock: the
 * client's own single flight remains.
 */
export function tabMemoryStorage(key: string, options: WebStorageOptions = {}): TokenStorage {
  const { locks, openChannel, lockTimeoutMs } = resolveWebStorageOptions(options)
  const name = `baton:${key}`
  const markerPrefix = `${name}:saved:`
  const channels = new Set<BroadcastChannelLike>()
  let saved: string | null = null
  /** The saves this tab has made or heard of, by id; and who waits to hear of one. */
  const heard = new Set<string>()
  const waiting = new Set<() => void>()
  let releaseMarker = (): void => undefined

  const hear = (id: string): void => {
    heard.add(id)
    // Only saves newer than a renewal's start matter: the oldest can go.
    if (heard.size > MAX_HEARD) heard.delete(heard.values().next().value as string)
    for (const wake of waiting) wake()
  }
  /** When the newest save (or clear) this tab made or heard of was made: older news is stale. */
  let latest = 0
  const publish = (value: string | null, id: string): void => {
    saved = value
    latest = timeOf(id)
    hear(id)
    for (const channel of channels) channel.postMessage({ value, id })
  }
  /** Holds the marker of the save `id` (and lets go of the previous one) once it is granted. */
  const mark = (id: string): Promise<void> | void => {
    releaseMarker()
    if (!locks) return undefined
    return new Promise<void>((granted) => {
      const held = new Promise<void>((release) => (releaseMarker = release))
      void locks.request(
        `${markerPrefix}${id}`,
        { signal: new AbortController().signal },
        async () => {
          granted()
          await held
        },
      )
    })
  }
  /**
   * Under the renewal lock: waits for the messages of the saves other tabs made since this tab
   * asked for the lock (their markers are held), at most `lockTimeoutMs`.
   */
  const catchUp = async (since: number, signal: AbortSignal): Promise<void> => {
    const held = (await locks?.query?.())?.held ?? []
    const missed = held.flatMap((lock) => {
      const marker = markerOf(lock.name, markerPrefix)
      return marker !== undefined && marker.time >= since && !heard.has(marker.id)
        ? [marker.id]
        : []
    })
    if (missed.length === 0) return
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(lockTimeoutMs)])
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (!timeout.aborted && missed.some((id) => !heard.has(id))) return
        waiting.delete(check)
        timeout.removeEventListener('abort', check)
        resolve()
      }
      waiting.add(check)
      timeout.addEventListener('abort', check)
    })
  }

  const shared: TokenStorage = {
    load: () => saved,
    save: (tokens) => {
      const id = `${preciseNow()}:${Math.random().toString(36).slice(2)}`
      publish(JSON.stringify(tokens), id)
      return mark(id)
    },
    clear: () => {
      releaseMarker()
      publish(null, `${preciseNow()}:cleared`)
    },
    watch: (listener) => {
      const channel = openChannel?.(name)
      if (channel === undefined) return () => undefined
      const onMessage = (event: { data: unknown }): void => {
        const message = event.data as { value?: unknown; id?: unknown } | null
        if (typeof message !== 'object' || message === null || typeof message.id !== 'string') {
          return
        }
        hear(message.id)
        // Two tabs that saved at once hear each other: the older save changes nothing.
        const time = timeOf(message.id)
        if (time < latest) return
        latest = time
        saved = typeof message.value === 'string' ? message.value : null
        // A newer save than ours: our marker no longer names the newest tokens.
        releaseMarker()
        listener({ value: saved })
      }
      channel.addEventListener('message', onMessage)
      channels.add(channel)
      return () => {
        channels.delete(channel)
        channel.close()
      }
    },
  }
  if (locks) {
    const lock = lockNamed(locks, name, lockTimeoutMs)
    shared.lock = (critical, signal) => {
      const since = preciseNow()
      return lock(async () => {
        await catchUp(since, signal)
        return critical()
      }, signal)
    }
  }
  return shared
}

const MAX_HEARD = 64

/** The save a marker lock names (`<prefix><time>:<random>`), else undefined. */
function markerOf(
  name: string | undefined,
  prefix: string,
): { readonly time: number; readonly id: string } | undefined {
  if (name?.startsWith(prefix) !== true) return undefined
  const id = name.slice(prefix.length)
  const time = timeOf(id)
  return Number.isNaN(time) ? undefined : { time, id }
}

/**
 * Now, in epoch milliseconds with a fraction: two tabs that save within one millisecond (a login
 * and a refresh) must still be told apart by time.
 */
function preciseNow(): number {
  return performance.timeOrigin + performance.now()
}

/** The time (epoch milliseconds) of a save's id, `<time>:<random>`; NaN for another shape. */
function timeOf(id: string): number {
  return Number(id.slice(0, id.indexOf(':')))
}
