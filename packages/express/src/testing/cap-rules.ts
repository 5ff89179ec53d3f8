/** The contract's rules for the per-subject cap, enforced atomically with the insert. */
import type { SessionStore } from '../session-store.js'
import { MINUTE, SECOND, type ContractKit } from './contract-kit.js'

export function capRules<S extends SessionStore>(kit: ContractKit<S>): void {
  const { base, makeSession, uniqueSubject, storeTest, add } = kit
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
