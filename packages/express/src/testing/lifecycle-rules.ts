/** The contract's rules for storing, reading, touching, listing and deleting sessions. */
import type { SessionStore } from '../session-store.js'
import { MINUTE, type ContractKit } from './contract-kit.js'

export function lifecycleRules<S extends SessionStore>(kit: ContractKit<S>): void {
  const { base, makeSession, uniqueSubject, storeTest, add, rotateOptions } = kit
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
}
