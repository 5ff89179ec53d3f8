/** What every group of contract rules shares: the runner, fresh stores, and session makers. */
import { randomBytes } from 'node:crypto'
import type { Session, SessionStore } from '../session-store.js'

/** The part of tap's `Test` the suite uses. */
export interface ContractTest {
  test(name: string, fn: (t: ContractTest) => Promise<void>): unknown
  equal(found: unknown, wanted: unknown, ...message: [] | [string]): unknown
  same(found: unknown, wanted: unknown, ...message: [] | [string]): unknown
  match(found: unknown, pattern: unknown, ...message: [] | [string]): unknown
  ok(value: unknown, ...message: [] | [string]): unknown
  teardown(fn: () => unknown): unknown
}

/** How the suite gets its stores; `S` is your store's class, so `destroyStore` can close it. */
export interface StoreContractOptions<S extends SessionStore = SessionStore> {
  /** A fresh, empty store for each subtest. */
  createStore(): S | Promise<S>
  /** Release a store made by `createStore` (close its connections; nothing for a memory store). */
  destroyStore(store: S): unknown
}

export const SECOND = 1000
export const MINUTE = 60 * SECOND

export interface ContractKit<S extends SessionStore> {
  /** Real time as the base, so a store that also sets real TTLs (Redis) agrees with the `now`s. */
  base: number
  makeSession: (sub: string, overrides?: Partial<Session>) => Session
  uniqueSubject: (label: string) => string
  /** One subtest with a fresh store, released after it. */
  storeTest: (name: string, fn: (t: ContractTest, store: S) => Promise<void>) => void
  /** Creates `session` under a cap of `max`, asserting nothing was evicted. */
  add: (t: ContractTest, store: SessionStore, session: Session, max?: number) => Promise<Session>
  rotateOptions: (
    now: number,
    graceMs?: number,
  ) => { now: number; graceMs: number; refreshTtlMs: number }
}

export function contractKit<S extends SessionStore>(
  t: ContractTest,
  options: StoreContractOptions<S>,
): ContractKit<S> {
  const base = Date.now()
  let counter = 0

  function makeSession(sub: string, overrides: Partial<Session> = {}): Session {
    counter += 1
    return {
      sid: randomBytes(16).toString('base64url'),
      sub,
      claims: { role: 'user', nested: { list: [1, 'two', null] } },
      createdAt: base + counter,
      lastUsedAt: base + counter,
      expiresAt: base + 30 * MINUTE,
      refreshExpiresAt: base + 10 * MINUTE,
      generation: 0,
      rotatedAt: base + counter,
      used: false,
      userAgent: 'contract-test/1.0',
      ...overrides,
    }
  }

  function uniqueSubject(label: string): string {
    return `${label}-${randomBytes(6).toString('hex')}`
  }

  function storeTest(name: string, fn: (t: ContractTest, store: S) => Promise<void>) {
    t.test(name, async (t) => {
      const store = await options.createStore()
      t.teardown(() => options.destroyStore(store))
      await fn(t, store)
    })
  }

  async function add(
    t: ContractTest,
    store: SessionStore,
    session: Session,
    max = 10,
  ): Promise<Session> {
    const result = await store.create(session, {
      maxPerSubject: max,
      policy: 'evict-oldest',
      now: base,
    })
    t.same(result, { ok: true, evicted: [] }, 'created without evicting')
    return session
  }

  const rotateOptions = (now: number, graceMs = 10 * SECOND) => ({
    now,
    graceMs,
    refreshTtlMs: 10 * MINUTE,
  })

  return { base, makeSession, uniqueSubject, storeTest, add, rotateOptions }
}
