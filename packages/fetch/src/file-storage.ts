/**
 * `@baton/fetch/file-storage`: tokens in a JSON file, for Node CLIs and daemons. Its own entry
 * point, so the main one never imports a `node:` module.
 *
 * Writes are atomic: the JSON goes to a new temporary file in the same directory (created with
 * mode 0600, flushed to disk), which is renamed over the old one, and the directory is flushed
 * so that the rename survives a power loss. A crash at any moment leaves either the old file or
 * the new one, never a half-written one; the stray `<file>.<uuid>.tmp` a crash can leave (it may
 * hold a whole token set) is removed by the next save.
 *
 * Processes sharing the file act as one client: one refreshes at a time under `<file>.lock`
 * (created atomically; a lock whose process is gone, or older than `staleLock`, is taken over),
 * and each notices the others' writes before each use (`changed`: one `stat` of the file).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sleep as defaultSleep } from './abort.js'
import type { TokenSet } from './token-set.js'
import type { TokenStorage } from './options.js'

/** Owner read and write only: the file holds a refresh token. */
const FILE_MODE = 0o600
/** A directory we create ourselves is private too. */
const DIRECTORY_MODE = 0o700

export interface FileStorageOptions {
  /**
   * The longest wait for another process's lock, in **seconds**; after it the refresh goes ahead
   * without the lock (and `onError` is told). @default 10
   */
  lockTimeout?: number | undefined
  /**
   * A lock older than this many **seconds** is taken over even if its process still runs (it
   * hangs). A lock whose process is gone is taken over at once. @default 60
   */
  staleLock?: number | undefined
  /** How often a waiting process looks at the lock again, in **milliseconds**. @default 50 */
  lockPollInterval?: number | undefined
  /** The clock, epoch **milliseconds**; tests inject one. @default Date.now */
  now?: (() => number) | undefined
  /** Waits `ms` milliseconds between looks at the lock; tests inject one. @default setTimeout */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
}

/** A `TokenStorage` whose `load` is synchronous and whose writes return promises. */
export interface FileStorage extends TokenStorage {
  /** The file's JSON text, or `null` when there is no file. */
  load(): string | null
  /** Resolves once the new file is in place (renamed over the old one). */
  save(tokens: TokenSet): Promise<void>
  clear(): Promise<void>
  lock<T>(critical: () => Promise<T>, signal: AbortSignal): Promise<T>
  changed(): boolean
}

/** Keeps the tokens in the JSON file at `path` (a path or a `file:` URL). */
export function fileStorage(path: string | URL, options: FileStorageOptions = {}): FileStorage {
  const file = path instanceof URL ? fileURLToPath(path) : path
  if (typeof file !== 'string' || file === '') {
    throw new TypeError('fileStorage: path must be a non-empty string or a file: URL')
  }
  const settings = resolveFileOptions(options)
  const directory = dirname(file)
  /** The file as this process last read or wrote it (`identify`), to notice others' writes. */
  let seen: string | undefined

  return {
    // Synchronous on purpose: it runs at construction, and before a use when the file changed,
    // on a file of a few hundred bytes, and it lets `api.tokens` be right at once.
    load: () => {
      seen = identify(file)
      try {
        return readFileSync(file, 'utf8')
      } catch (error) {
        if (isNotFound(error)) return null
        throw error
      }
    },
    save: async (tokens) => {
      await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE })
      await removeStrayTemporaryFiles(file)
      const temporary = `${file}.${randomUUID()}.tmp`
      const handle = await open(temporary, 'wx', FILE_MODE)
      let written: string
      try {
        try {
          // The mode given to open() is narrowed by the umask; make it exactly 0600.
          await handle.chmod(FILE_MODE)
          await handle.writeFile(JSON.stringify(tokens), 'utf8')
          // Without this, a power loss after the rename can leave an empty file on some file systems.
          await handle.datasync()
          // The rename keeps inode, size and time: this is what the file will look like.
          written = signature(await handle.stat())
        } finally {
          await handle.close()
        }
        await rename(temporary, file)
      } catch (error) {
        await unlink(temporary).catch(() => undefined)
        throw error
      }
      seen = written
      await syncDirectory(directory)
    },
    clear: async () => {
      try {
        await unlink(file)
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
      seen = MISSING
      await syncDirectory(directory)
    },
    changed: () => seen !== undefined && identify(file) !== seen,
    lock: (critical, signal) => withLock(`${file}.lock`, critical, signal, settings),
  }
}

interface FileSettings {
  readonly lockTimeoutMs: number
  readonly staleLockMs: number
  readonly pollMs: number
  readonly now: () => number
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

function resolveFileOptions(options: FileStorageOptions): FileSettings {
  const seconds = (value: unknown, fallback: number, name: string): number => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`fileStorage: ${name} must be a non-negative number`)
    }
    return value
  }
  const fn = <T>(value: T | undefined, fallback: T, name: string): T => {
    if (value === undefined) return fallback
    if (typeof value !== 'function') throw new TypeError(`fileStorage: ${name} must be a function`)
    return value
  }
  return {
    lockTimeoutMs: seconds(options.lockTimeout, 10, 'lockTimeout') * 1000,
    staleLockMs: seconds(options.staleLock, 60, 'staleLock') * 1000,
    pollMs: seconds(options.lockPollInterval, 50, 'lockPollInterval'),
    now: fn(options.now, Date.now, 'now'),
    sleep: fn(options.sleep, defaultSleep, 'sleep'),
  }
}

/** What the lock file holds: who took it, and when. */
interface LockOwner {
  readonly pid: number
  readonly at: number
  readonly nonce: string
}

/** The error a lock that cannot be had in time rejects with. */
export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError'
  readonly code = 'ERR_LOCK_TIMEOUT'
}

/**
 * Runs `critical` while holding the lock file. The file is complete from its first moment (it is
 * written under another name and hard-linked into place, which fails if the lock exists), so a
 * reader never sees a half-written owner.
 */
async function withLock<T>(
  lockFile: string,
  critical: () => Promise<T>,
  signal: AbortSignal,
  settings: FileSettings,
): Promise<T> {
  const { now, sleep, pollMs, lockTimeoutMs, staleLockMs } = settings
  await mkdir(dirname(lockFile), { recursive: true, mode: DIRECTORY_MODE })
  const owner: LockOwner = { pid: process.pid, at: now(), nonce: randomUUID() }
  const candidate = `${lockFile}.${owner.nonce}.tmp`
  await writeNew(candidate, JSON.stringify(owner))
  const deadline = now() + lockTimeoutMs
  try {
    for (;;) {
      signal.throwIfAborted()
      try {
        await link(candidate, lockFile)
        break
      } catch (error) {
        if (!isExisting(error)) throw error
      }
      const holder = await readLock(lockFile)
      if (holder === undefined || isStale(holder, now(), staleLockMs)) {
        await takeOver(lockFile, holder)
        continue
      }
      if (now() >= deadline) throw new LockTimeoutError('Another process held the token file lock')
      await sleep(pollMs, signal)
    }
  } finally {
    await unlink(candidate).catch(() => undefined)
  }
  try {
    return await critical()
  } finally {
    // Only our own lock: if it was taken over meanwhile (we hung), it is no longer ours.
    if ((await readLock(lockFile))?.nonce === owner.nonce) await unlink(lockFile).catch(() => {})
  }
}

/** The lock's owner; `undefined` when the lock is gone or unreadable (then it is removed). */
async function readLock(lockFile: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(lockFile, 'utf8')) as Partial<LockOwner>
    if (
      typeof owner.pid === 'number' &&
      typeof owner.at === 'number' &&
      typeof owner.nonce === 'string'
    ) {
      return owner as LockOwner
    }
  } catch {
    // Unreadable or gone: the caller retries the link, which settles which.
  }
  return undefined
}

function isStale(owner: LockOwner, now: number, staleLockMs: number): boolean {
  return now - owner.at >= staleLockMs || !isAlive(owner.pid)
}

/** Whether a process runs with `pid` (on this host: the lock file is local). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes a stale lock — only the one judged stale: between reading it and removing it another
 * process may have taken it over already, and its fresh lock must stay.
 */
async function takeOver(lockFile: string, stale: LockOwner | undefined): Promise<void> {
  const current = await readLock(lockFile)
  if (current?.nonce === stale?.nonce) await unlink(lockFile).catch(() => undefined)
}

async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', FILE_MODE)
  try {
    await handle.writeFile(text, 'utf8')
  } finally {
    await handle.close()
  }
}

/** `<file>.<uuid>.tmp` files a killed save left behind: each may hold a whole token set. */
async function removeStrayTemporaryFiles(file: string): Promise<void> {
  const prefix = `${basename(file)}.`
  const stray = /^[0-9a-f-]{36}\.tmp$/
  const names = await readdir(dirname(file))
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && stray.test(name.slice(prefix.length)))
      .map((name) => unlink(join(dirname(file), name)).catch(() => undefined)),
  )
}

/**
 * Flushes the directory, so that the rename (or unlink) itself is on disk: without it a power
 * loss can bring the old file back. Some platforms (Windows) cannot open a directory: skipped.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle
  try {
    handle = await open(directory, 'r')
  } catch {
    return
  }
  try {
    await handle.sync()
  } catch {
    // Some file systems refuse fsync on a directory (EINVAL): nothing more to do.
  } finally {
    await handle.close()
  }
}

const MISSING = 'missing'

/** The file's identity as of now: inode, size and modification time; `MISSING` when absent. */
function identify(file: string): string {
  try {
    return signature(statSync(file))
  } catch (error) {
    if (isNotFound(error)) return MISSING
    throw error
  }
}

function signature(stats: { ino: number; size: number; mtimeMs: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT'
}

function isExisting(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST'
}
