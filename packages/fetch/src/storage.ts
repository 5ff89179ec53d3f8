/**
 * The storages of the main entry point: memory (the default) and Web Storage. `createAuthFetch`
 * reaches its storage only through `StoredTokens` (`stored-tokens.ts`), which serializes the writes,
 * so a storage never sees two at once. Cookie mode's storage is in `tab-memory-storage.ts`.
 *
 * `fileStorage` (Node) lives in its own entry point, `@baton/fetch/file-storage`, so that this
 * entry point never imports a `node:` module and runs unbundled in a browser.
 */
import type { TokenStorage } from './options.js'
import type { TokenSet } from './token-set.js'

/** Keeps the tokens in this JavaScript realm only: they die with the page or the process. */
export function memoryStorage(): TokenStorage {
  let saved: TokenSet | null = null
  return {
    load: () => saved,
    save: (tokens) => {
      saved = tokens
    },
    clear: () => {
      saved = null
    },
  }
}

/** The part of the Web Storage API (`localStorage`, `sessionStorage`) that `webStorage` uses. */
export interface WebStorageLike {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** The part of the Web Locks API (`navigator.locks`) that `webStorage` uses. */
export interface LockManagerLike {
  request<T>(name: string, options: { signal: AbortSignal }, callback: () => Promise<T>): Promise<T>
  /** The names of the locks held now (cookie mode reads its markers there). */
  query?:
    (() => Promise<{ held?: readonly { name?: string | undefined }[] | undefined }>) | undefined
}

/** The part of `BroadcastChannel` that `webStorage` uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  close(): void
}

export interface WebStorageOptions {
  /**
   * The lock under which one client of this storage refreshes while the others wait, so that
   * tabs never refresh twice; `null` for none.
   * @default globalThis.navigator.locks where it exists
   */
  locks?: LockManagerLike | null | undefined
  /**
   * Opens the channel on which each client hands its new tokens (or a logout) to the others, in
   * order with the lock, and which reaches duplicated tabs, whose `sessionStorage` is a copy;
   * `null` for none.
   * @default name => new BroadcastChannel(name) where it exists
   */
  channel?: ((name: string) => BroadcastChannelLike) | null | undefined
  /**
   * Where `storage` events arrive (the `window`), which tell of writes by other tabs; `null` for
   * none. @default globalThis where it has addEventListener
   */
  events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null | undefined
  /**
   * The longest wait for the lock, in **seconds**. A tab that holds it longer (frozen, or in the
   * background mid-refresh) is not waited for: the client refreshes anyway and tells `onError`.
   * @default 10
   */
  lockTimeout?: number | undefined
}

const DEFAULT_LOCK_TIMEOUT = 10

/** What one client posts on the channel: what the storage holds now, and what it replaced. */
interface Message {
  readonly value: string | null
  readonly replaces: string
}

/**
 * Keeps the tokens as JSON under `key` in `localStorage` or `sessionStorage` (or anything with
 * their `getItem`/`setItem`/`removeItem`). Whatever script runs on the page can read them there:
 * that is the price of surviving a reload.
 *
 * Every client (tab, duplicated tab, frame) on the same `key` acts as one: they refresh one at a
 * time under a Web Lock named after the key, and each hands its new tokens to the others on a
 * `BroadcastChannel` before it releases the lock (a `localStorage` write can reach another tab
 * only after the lock does); `storage` events bring in what other tabs wrote otherwise, such as
 * a login or a logout.
 */
export function webStorage(
  storage: WebStorageLike,
  key: string,
  options: WebStorageOptions = {},
): TokenStorage {
  if (
    typeof storage?.getItem !== 'function' ||
    typeof storage.setItem !== 'function' ||
    typeof storage.removeItem !== 'function'
  ) {
    throw new TypeError('webStorage: storage must have getItem, setItem and removeItem')
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('webStorage: key must be a non-empty string')
  }
  const { locks, openChannel, events, lockTimeoutMs } = resolveWebStorageOptions(options)
  const name = `baton:${key}`
  /** The channels of the clients watching this storage (normally one). */
  const channels = new Set<BroadcastChannelLike>()
  /** The access token of what this storage object last read or wrote: what a write replaces. */
  let known: string | undefined
  const remember = (value: string | null): void => {
    known = value === null ? undefined : accessTokenOf(value)
  }
  const announce = (value: string | null): void => {
    const message: Message = { value, replaces: known ?? '' }
    for (const channel of channels) channel.postMessage(message)
  }

  const shared: TokenStorage = {
    load: () => {
      const value = storage.getItem(key)
      remember(value)
      return value
    },
    save: (tokens) => {
      const value = JSON.stringify(tokens)
      storage.setItem(key, value)
      announce(value)
      remember(value)
    },
    clear: () => {
      storage.removeItem(key)
      announce(null)
      remember(null)
    },
    watch: (listener) => {
      const onStorage = (event: Event): void => {
        const { key: changed, storageArea, newValue } = event as StorageEvent
        if (storageArea !== (storage as unknown) || (changed !== null && changed !== key)) return
        // `key` null: the whole storage was cleared.
        const value = changed === null ? null : newValue
        remember(value)
        listener({ value })
      }
      events?.addEventListener('storage', onStorage)
      const channel = openChannel?.(name)
      channel?.addEventListener('message', ({ data }) => {
        const message = data as Partial<Message> | null
        if (typeof message !== 'object' || message === null) return
        const value = typeof message.value === 'string' ? message.value : null
        // Always with `replaces` ('' for nothing): the channel also reaches tabs whose storage
        // is only a copy, which must not take an unrelated session (a login elsewhere).
        const replaces = typeof message.replaces === 'string' ? message.replaces : ''
        listener({ value, replaces })
      })
      if (channel) channels.add(channel)
      return () => {
        events?.removeEventListener('storage', onStorage)
        if (channel) {
          channels.delete(channel)
          channel.close()
        }
      }
    },
  }
  if (locks) shared.lock = lockNamed(locks, name, lockTimeoutMs)
  return shared
}

/** The storage's lock: a Web Lock of this name, given up after `timeoutMs`. */
export function lockNamed(
  locks: LockManagerLike,
  name: string,
  timeoutMs: number,
): NonNullable<TokenStorage['lock']> {
  return (critical, signal) =>
    locks.request(
      name,
      { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
      critical,
    )
}

export function resolveWebStorageOptions(options: WebStorageOptions): {
  locks: LockManagerLike | undefined
  openChannel: ((name: string) => BroadcastChannelLike) | undefined
  events: WebStorageOptions['events']
  lockTimeoutMs: number
} {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('webStorage: options must be an object')
  }
  const platform = globalThis as {
    navigator?: { locks?: LockManagerLike }
    BroadcastChannel?: new (name: string) => BroadcastChannelLike & { unref?: () => void }
    addEventListener?: unknown
  }
  const Channel = platform.BroadcastChannel
  const defaultChannel =
    Channel &&
    ((name: string) => {
      const channel = new Channel(name)
      // In Node, an open channel would keep the process alive.
      channel.unref?.()
      return channel
    })
  const lockTimeout = options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT
  if (typeof lockTimeout !== 'number' || !Number.isFinite(lockTimeout) || lockTimeout < 0) {
    throw new TypeError('webStorage: lockTimeout must be a non-negative number of seconds')
  }
  return {
    locks: options.locks === undefined ? platform.navigator?.locks : (options.locks ?? undefined),
    openChannel: options.channel === undefined ? defaultChannel : (options.channel ?? undefined),
    events:
      options.events === undefined
        ? typeof platform.addEventListener === 'function'
          ? globalThis
          : undefined
        : options.events,
    lockTimeoutMs: lockTimeout * 1000,
  }
}

/** The access token of stored JSON, which names the session it belongs to; else undefined. */
function accessTokenOf(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value) as { accessToken?: unknown }
    return typeof parsed.accessToken === 'string' ? parsed.accessToken : undefined
  } catch {
    return undefined
  }
}
