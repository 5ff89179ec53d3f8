/**
 * The storages of the main entry point: memory (the default) and Web Storage. `createAuthFetch`
 * reaches its storage only through `StoredTokens` (`token-owner.ts`), which serializes the writes, so a storage
 * never sees two at once.
 *
 * `fileStorage` (Node) lives in its own entry point, `@baton/fetch/file-storage`, so that this
 * entry point never imports a `node:` module and runs unbundled in a browser.
 */
import type { TokenSet } from './token-set.js'
import type { TokenStorage } from './options.js'

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
