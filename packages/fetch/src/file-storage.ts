/**
 * `@baton/fetch/file-storage`: tokens in a JSON file, for Node CLIs and daemons. Its own entry
 * point, so the main one never imports a `node:` module.
 *
 * Writes are atomic: the JSON goes to a new temporary file in the same directory (created with
 * mode 0600, flushed to disk), which is then renamed over the old one. A crash at any moment
 * leaves either the old file or the new one, never a half-written one; at worst a stray
 * `<file>.<uuid>.tmp` is left behind, which loading ignores.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TokenSet } from './token-set.js'
import type { TokenStorage } from './options.js'

/** Owner read and write only: the file holds a refresh token. */
const FILE_MODE = 0o600
/** A directory we create ourselves is private too. */
const DIRECTORY_MODE = 0o700

/** A `TokenStorage` whose `load` is synchronous and whose writes return promises. */
export interface FileStorage extends TokenStorage {
  /** The file's JSON text, or `null` when there is no file. */
  load(): string | null
  /** Resolves once the new file is in place (renamed over the old one). */
  save(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
}

/** Keeps the tokens in the JSON file at `path` (a path or a `file:` URL). */
export function fileStorage(path: string | URL): FileStorage {
  const file = path instanceof URL ? fileURLToPath(path) : path
  if (typeof file !== 'string' || file === '') {
    throw new TypeError('fileStorage: path must be a non-empty string or a file: URL')
  }
  return {
    // Synchronous on purpose: it runs once, at construction, on a file of a few hundred bytes,
    // and it lets `api.tokens` be right as soon as `createAuthFetch()` returns.
    load: () => {
      try {
        return readFileSync(file, 'utf8')
      } catch (error) {
        if (isNotFound(error)) return null
        throw error
      }
    },
    save: async (tokens) => {
      await mkdir(dirname(file), { recursive: true, mode: DIRECTORY_MODE })
      const temporary = `${file}.${randomUUID()}.tmp`
      const handle = await open(temporary, 'wx', FILE_MODE)
      try {
        try {
          // The mode given to open() is narrowed by the umask; make it exactly 0600.
          await handle.chmod(FILE_MODE)
          await handle.writeFile(JSON.stringify(tokens), 'utf8')
          // Without this, a power loss after the rename can leave an empty file on some file systems.
          await handle.datasync()
        } finally {
          await handle.close()
        }
        await rename(temporary, file)
      } catch (error) {
        await unlink(temporary).catch(() => undefined)
        throw error
      }
    },
    clear: async () => {
      try {
        await unlink(file)
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    },
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
}
