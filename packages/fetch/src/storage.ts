/**
 * Where a client keeps its tokens between runs. `createAuthFetch` loads once, at construction,
 * and saves after every change; it serializes its writes, so a storage never sees two at once.
 *
 * `fileStorage` (Node) lives in its own entry point, `@baton/fetch/file-storage`, so that this
 * entry point never imports a `node:` module and runs unbundled in a browser.
 */
import type { TokenSet } from './token-set.js'

/** Each method may return a value or a Promise. */
export interface TokenStorage {
  /**
   * The saved tokens: anything `TokenSet.parse` reads (its JSON string, a plain object, a
   * `TokenSet`), or `null`/`undefined` when nothing is saved.
   */
  load(): unknown
  save(tokens: TokenSet): void | Promise<void>
  clear(): void | Promise<void>
}

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

/**
 * Keeps the tokens as JSON under `key` in `localStorage` or `sessionStorage` (or anything with
 * their `getItem`/`setItem`/`removeItem`). Whatever script runs on the page can read them there:
 * that is the price of surviving a reload.
 */
export function webStorage(storage: WebStorageLike, key: string): TokenStorage {
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
  return {
    load: () => storage.getItem(key),
    save: (tokens) => storage.setItem(key, JSON.stringify(tokens)),
    clear: () => storage.removeItem(key),
  }
}
