/**
 * The `SessionStore` contract as a reusable test suite. `LruSessionStore` passes it, and so must
 * every other store (`@baton/redis-store` runs it unchanged, on standalone Redis and on Cluster):
 *
 * ```ts
 * import t from 'tap'
 * import { sessionStoreContract } from '@baton/express/testing'
 * sessionStoreContract(t, { createStore: () => new MyStore(), destroyStore: (store) => store.close() })
 * ```
 *
 * It speaks to the test runner through the few methods below, which tap's `Test` has, so this
 * module imports no test framework and ships in `dist` at no cost to apps that never use it.
 */
import { randomBytes } from 'node:crypto'
import { decideRotation } from '../rotation-rule.js'
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

const SECOND = 1000
const MINUTE = 60 * SECOND

/** Registers one subtest per rule of the contract on `t`. */
export function sessionStoreContract<S extends SessionStore>(
  t: ContractTest,
  options: StoreContractOptions<S>,
): void {
  // Real time as the base, so a store that also sets real TTLs (Redis) agrees with the `now`s here.
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

  storeTest('a created session is returned whole by get', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('alice')))
    t.same(await store.get(session.sid, base), session)
  })

  storeTest('a session without a user agent stays without one', async (t, store) => {
    const { userAgent: _omitted, ...withoutAgent } = makeSession(uniqueSubject('agentless'))
    await add(t, store, withoutAgent)
    const found = await store.get(withoutAgent.sid, base)
    t.same(found, withoutAgent)
    t.equal(found !== undefined && 'userAgent' in found, false)
  })

  storeTest('an unknown sid or subject is nothing', async (t, store) => {
    t.equal(await store.get('no-such-session', base), undefined)
    t.same(await store.listBySubject('no-such-subject', base), [])
    t.same(await store.deleteBySubject('no-such-subject'), [])
  })

  storeTest('subjects with awkward characters are kept apart', async (t, store) => {
    // Unique per run, so a store whose data outlives a crashed run sees no leftovers here.
    const tricky = ['{x}', 'a:b', 'ünïcødé', 'sp ace', '*', '}{'].map((sub) => uniqueSubject(sub))
    for (const sub of tricky) await add(t, store, makeSession(sub))
    for (const sub of tricky) {
      const listed = await store.listBySubject(sub, base)
      t.equal(listed.length, 1, `one session for ${sub}`)
      t.equal(listed[0]?.sub, sub)
    }
    for (const sub of tricky) await store.deleteBySubject(sub)
  })

  storeTest('a session is gone once its refresh expiry has passed', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('expiring')))
    t.equal(await store.get(session.sid, session.refreshExpiresAt), undefined)
    t.equal(
      (await store.rotate(session.sid, 0, rotateOptions(session.refreshExpiresAt + 1))).outcome,
      'missing',
    )
  })

  storeTest(
    'rotating the current generation increments it and extends the refresh life',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('rotor')))
      const now = base + MINUTE
      const result = await store.rotate(session.sid, 0, rotateOptions(now))
      const rotated = {
        ...session,
        generation: 1,
        rotatedAt: now,
        lastUsedAt: now,
        refreshExpiresAt: now + 10 * MINUTE,
      }
      t.same(result, { outcome: 'rotated', session: rotated })
      t.same(await store.get(session.sid, now), rotated)
    },
  )

  storeTest(
    'a rotation never extends the refresh life past the absolute expiry',
    async (t, store) => {
      const session = await add(
        t,
        store,
        makeSession(uniqueSubject('capped'), { expiresAt: base + 5 * MINUTE }),
      )
      const result = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
      t.match(result, { outcome: 'rotated', session: { refreshExpiresAt: base + 5 * MINUTE } })
    },
  )

  storeTest(
    'the previous generation inside the grace replays without rotating',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('replay')))
      const rotated = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
      const replay = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 9 * SECOND))
      t.equal(replay.outcome, 'replayed')
      t.same(
        replay.outcome === 'replayed' && replay.session,
        rotated.outcome === 'rotated' && rotated.session,
      )
      t.equal((await store.get(session.sid, base + MINUTE))?.generation, 1)
    },
  )

  storeTest(
    'the previous generation after the grace is reuse and deletes the session',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('late')))
      await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
      const late = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 10 * SECOND))
      t.equal(late.outcome, 'reused')
      t.equal(late.outcome === 'reused' && late.session.sub, session.sub)
      t.equal(await store.get(session.sid, base + MINUTE), undefined)
      t.same(await store.listBySubject(session.sub, base + MINUTE), [])
    },
  )

  storeTest('with no grace the previous generation is reuse at once', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('nograce')))
    await store.rotate(session.sid, 0, rotateOptions(base + MINUTE, 0))
    t.equal((await store.rotate(session.sid, 0, rotateOptions(base + MINUTE, 0))).outcome, 'reused')
    t.equal(await store.get(session.sid, base + MINUTE), undefined)
  })

  storeTest('an older generation is reuse even inside the grace', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('older')))
    await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
    await store.rotate(session.sid, 1, rotateOptions(base + MINUTE + 1))
    t.equal(
      (await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 2))).outcome,
      'reused',
    )
    t.equal(await store.get(session.sid, base + MINUTE), undefined)
  })

  storeTest('a generation from the future is reuse', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('future')))
    t.equal((await store.rotate(session.sid, 7, rotateOptions(base + MINUTE))).outcome, 'reused')
    t.equal(await store.get(session.sid, base + MINUTE), undefined)
  })

  storeTest('rotate answers what decideRotation, the written rule, decides', async (t, store) => {
    const rotatedAt = base + MINUTE
    const outcomes = { rotate: 'rotated', replay: 'replayed', reuse: 'reused' } as const
    for (const graceMs of [10 * SECOND, 0]) {
      for (const offset of [0, -1, -2, 1]) {
        for (const elapsed of [0, graceMs - 1, graceMs, graceMs + 1]) {
          const session = await add(
            t,
            store,
            makeSession(uniqueSubject('rule'), { generation: 3, rotatedAt }),
          )
          const now = rotatedAt + Math.max(0, elapsed)
          const wanted = outcomes[decideRotation(session, 3 + offset, now, graceMs)]
          const result = await store.rotate(session.sid, 3 + offset, rotateOptions(now, graceMs))
          t.equal(result.outcome, wanted, `generation ${offset}, ${elapsed} ms, grace ${graceMs}`)
        }
      }
    }
  })

  storeTest('an unknown sid does not rotate', async (t, store) => {
    t.equal((await store.rotate('no-such-session', 0, rotateOptions(base))).outcome, 'missing')
  })

  storeTest('50 concurrent rotations of one generation: exactly one rotates', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('stampede')))
    const now = base + MINUTE
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => store.rotate(session.sid, 0, rotateOptions(now))),
    )
    const outcomes = results.map((result) => result.outcome)
    t.equal(outcomes.filter((outcome) => outcome === 'rotated').length, 1)
    t.equal(outcomes.filter((outcome) => outcome === 'replayed').length, 49)
    t.equal((await store.get(session.sid, now))?.generation, 1)
    t.equal((await store.listBySubject(session.sub, now)).length, 1)
  })

  storeTest('touch records use and never revives a missing session', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('toucher')))
    await store.touch(session.sid, base + MINUTE)
    t.equal((await store.get(session.sid, base + MINUTE))?.lastUsedAt, base + MINUTE)
    await store.touch('no-such-session', base)
    t.equal(await store.get('no-such-session', base), undefined)
  })

  storeTest('delete removes the session and returns it once', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('deleted')))
    t.same(await store.delete(session.sid), session)
    t.equal(await store.delete(session.sid), undefined)
    t.equal(await store.get(session.sid, base), undefined)
    t.same(await store.listBySubject(session.sub, base), [])
  })

  storeTest(
    'listBySubject returns only that subject’s live sessions, oldest first',
    async (t, store) => {
      const sub = uniqueSubject('lister')
      const first = await add(t, store, makeSession(sub))
      const second = await add(t, store, makeSession(sub))
      const shortLived = await add(t, store, makeSession(sub, { refreshExpiresAt: base + MINUTE }))
      await add(t, store, makeSession(uniqueSubject('other')))
      t.same(
        (await store.listBySubject(sub, base)).map((session) => session.sid),
        [first.sid, second.sid, shortLived.sid],
      )
      t.same(
        (await store.listBySubject(sub, base + 2 * MINUTE)).map((session) => session.sid),
        [first.sid, second.sid],
      )
    },
  )

  storeTest('deleteBySubject deletes all but the one kept, and nobody else’s', async (t, store) => {
    const sub = uniqueSubject('bulk')
    const keep = await add(t, store, makeSession(sub))
    const goneA = await add(t, store, makeSession(sub))
    const goneB = await add(t, store, makeSession(sub))
    const stranger = await add(t, store, makeSession(uniqueSubject('stranger')))
    const deleted = await store.deleteBySubject(sub, keep.sid)
    t.same([...deleted].sort(), [goneA.sid, goneB.sid].sort())
    t.same(
      (await store.listBySubject(sub, base)).map((session) => session.sid),
      [keep.sid],
    )
    t.ok(await store.get(stranger.sid, base), 'the other subject keeps its session')
    t.same(await store.deleteBySubject(sub), [keep.sid])
    t.same(await store.listBySubject(sub, base), [])
  })

  storeTest('over the cap, evict-oldest removes the oldest sessions', async (t, store) => {
    const sub = uniqueSubject('capped')
    const first = await add(t, store, makeSession(sub), 3)
    const second = await add(t, store, makeSession(sub), 3)
    const third = await add(t, store, makeSession(sub), 3)
    const fourth = makeSession(sub)
    const result = await store.create(fourth, {
      maxPerSubject: 3,
      policy: 'evict-oldest',
      now: base,
    })
    t.same(result, { ok: true, evicted: [first.sid] })
    t.equal(await store.get(first.sid, base), undefined)
    t.same(
      (await store.listBySubject(sub, base)).map((session) => session.sid),
      [second.sid, third.sid, fourth.sid],
    )
  })

  storeTest(
    'over the cap, reject refuses the new session and changes nothing',
    async (t, store) => {
      const sub = uniqueSubject('rejecting')
      const first = await add(t, store, makeSession(sub), 2)
      const second = await add(t, store, makeSession(sub), 2)
      const third = makeSession(sub)
      const result = await store.create(third, { maxPerSubject: 2, policy: 'reject', now: base })
      t.same(result, { ok: false, reason: 'session_limit' })
      t.equal(await store.get(third.sid, base), undefined)
      t.same(
        (await store.listBySubject(sub, base)).map((session) => session.sid),
        [first.sid, second.sid],
      )
    },
  )

  storeTest('expired sessions do not count toward the cap', async (t, store) => {
    const sub = uniqueSubject('stale')
    await add(t, store, makeSession(sub, { refreshExpiresAt: base + SECOND }), 1)
    const later = base + MINUTE
    const fresh = makeSession(sub, { createdAt: later, refreshExpiresAt: later + MINUTE })
    const result = await store.create(fresh, { maxPerSubject: 1, policy: 'reject', now: later })
    t.same(result, { ok: true, evicted: [] })
  })

  storeTest('20 concurrent logins under a cap of 5 leave exactly 5 sessions', async (t, store) => {
    const sub = uniqueSubject('crowd')
    const results = await Promise.all(
      Array.from({ length: 20 }, async () =>
        store.create(makeSession(sub), { maxPerSubject: 5, policy: 'evict-oldest', now: base }),
      ),
    )
    t.equal(results.filter((result) => result.ok).length, 20)
    t.equal((await store.listBySubject(sub, base)).length, 5)
  })

  storeTest('20 concurrent logins under a rejecting cap of 5 admit exactly 5', async (t, store) => {
    const sub = uniqueSubject('queue')
    const results = await Promise.all(
      Array.from({ length: 20 }, async () =>
        store.create(makeSession(sub), { maxPerSubject: 5, policy: 'reject', now: base }),
      ),
    )
    t.equal(results.filter((result) => result.ok).length, 5)
    t.equal((await store.listBySubject(sub, base)).length, 5)
  })
}
