/**
 * `StoredTokens`, the one door to the `storage` option, and what it shares with its only user, the
 * token owner (`token-owner.ts`): how two token sets are compared, and how a returned promise is
 * told from a value.
 */
import type { StorageChange, TokenStorage } from './options.js'
import { TokenSet } from './token-set.js'

/**
 * The one door to the `storage` option: every read and write of it goes through here. Reads are
 * parsed (garbage counts as nothing saved), writes run one at a time in the order they were asked
 * for, and a failing storage never fails a request: its errors go to `onError`.
 *
 * For clients sharing the storage it also holds the renewal lock (`lock`, or none), the watch of
 * the others' changes, and the conditional writes (`clearIf`, `saveIf`) that leave alone what
 * another client stored meanwhile.
 */
export class StoredTokens {
  readonly #storage: TokenStorage
  readonly #onError: (error: unknown) => void
  readonly #now: () => number
  #writes: Promise<void> = Promise.resolve()
  #pendingWrites = 0

  constructor(storage: TokenStorage, onError: (error: unknown) => void, now: () => number) {
    this.#storage = storage
    this.#onError = onError
    this.#now = now
  }

  /** Whether other clients may share this storage: it can lock, be watched, or say it changed. */
  get shared(): boolean {
    const storage = this.#storage
    return (
      storage.lock !== undefined || storage.watch !== undefined || storage.changed !== undefined
    )
  }

  /**
   * The saved tokens, synchronously when the storage answers synchronously. Unreadable or
   * malformed contents count as no tokens (and go to `onError`): a corrupt file must not stop a
   * client that can log in again.
   */
  load(): TokenSet | null | Promise<TokenSet | null> {
    let loaded: unknown
    try {
      loaded = this.#storage.load()
    } catch (error) {
      this.#onError(error)
      return null
    }
    if (!isThenable(loaded)) return this.parse(loaded) ?? null
    return Promise.resolve(loaded).then(
      (value) => this.parse(value) ?? null,
      (error: unknown) => {
        this.#onError(error)
        return null
      },
    )
  }

  save(tokens: TokenSet): Promise<void> {
    return this.#write(() => this.#storage.save(tokens))
  }

  clear(): Promise<void> {
    return this.#write(() => this.#storage.clear())
  }

  /** Clears the storage only while it still holds `failed` (or nothing readable). */
  clearIf(failed: TokenSet): Promise<void> {
    return this.#write(async () => {
      const held = await this.load()
      if (held === null || sameTokens(held, failed)) await this.#storage.clear()
    })
  }

  /** Writes `next` only while the storage still holds `previous`: it never goes back in time. */
  saveIf(previous: TokenSet, next: TokenSet): Promise<void> {
    return this.#write(async () => {
      if (sameTokens(await this.load(), previous)) await this.#storage.save(next)
    })
  }

  /**
   * Runs `critical` under the storage's lock. A lock that cannot be had (timed out: a tab frozen
   * while holding it, a process that hangs) is reported to `onError`, and `critical` runs anyway:
   * a refresh that might be a second one (which the server answers idempotently) beats a client
   * stuck forever. An error of `critical` itself, or an abort, is not retried.
   */
  async lock<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const storage = this.#storage
    if (storage.lock === undefined) return critical()
    let entered = false
    try {
      return await storage.lock(() => {
        entered = true
        return critical()
      }, signal)
    } catch (error) {
      if (entered || signal.aborted) throw error
      this.#onError(error)
      return critical()
    }
  }

  /** Listens to the changes other clients make; returns a function that stops listening. */
  watch(listener: (change: StorageChange) => void): () => void {
    if (this.#storage.watch === undefined) return () => undefined
    try {
      return this.#storage.watch(listener)
    } catch (error) {
      this.#onError(error)
      return () => undefined
    }
  }

  /** Whether another client may have changed the storage; never while our own writes run. */
  changed(): boolean {
    if (this.#storage.changed === undefined || this.#pendingWrites > 0) return false
    try {
      return this.#storage.changed()
    } catch (error) {
      this.#onError(error)
      return false
    }
  }

  /** Storage contents as tokens: `null` for nothing, `undefined` for garbage (told `onError`). */
  parse(value: unknown): TokenSet | null | undefined {
    if (value === null || value === undefined || value === '') return null
    try {
      return TokenSet.parse(value, { now: this.#now })
    } catch (error) {
      this.#onError(error)
      return undefined
    }
  }

  /**
   * Writes run one after another, in the order of the changes, and a failed write does not fail
   * the request that caused it: the tokens in memory are good. Its error goes to `onError`.
   */
  #write(operation: () => void | Promise<void>): Promise<void> {
    this.#pendingWrites += 1
    const write = this.#writes
      .then(operation)
      .catch(this.#onError)
      .finally(() => {
        this.#pendingWrites -= 1
      })
    this.#writes = write
    return write
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** Whether two sets hold the same tokens (a set read back from the storage is a new object). */
export function sameTokens(a: TokenSet | null, b: TokenSet | null): boolean {
  if (a === null || b === null) return a === b
  return a.accessToken === b.accessToken && a.refreshToken === b.refreshToken
}
