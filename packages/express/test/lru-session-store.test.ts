import t from 'tap'
import { LruSessionStore } from '../src/lru-session-store.js'
import { sessionStoreContract } from '../src/testing/store-contract.js'

t.test('the store contract', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new LruSessionStore({ max: 1000 }),
    destroyStore: () => {}, // nothing to release: the store is garbage once unreferenced
  })
})

t.test('bad options fail at construction, naming the option', async (t) => {
  t.throws(() => new LruSessionStore({ max: 0 }), { name: 'TypeError', message: /^max / })
  t.throws(() => new LruSessionStore({ max: 1.5 }), { message: /^max / })
  t.throws(() => new LruSessionStore({ now: 'soon' as unknown as () => number }), {
    message: /^now /,
  })
})

t.test('size counts sessions, and the bound holds with the subject index in step', async (t) => {
  let clock = 1_000_000
  const store = new LruSessionStore({ max: 3, now: () => clock })
  const evicted: string[] = []
  const stop = store.onEviction((notice) => evicted.push(`${notice.sub}/${notice.reason}`))
  const session = (sid: string, sub: string) => ({
    sid,
    sub,
    claims: {},
    createdAt: clock,
    lastUsedAt: clock,
    expiresAt: clock + 60_000,
    refreshExpiresAt: clock + 60_000,
    generation: 0,
    rotatedAt: clock,
    used: false,
  })
  const options = { maxPerSubject: 10, policy: 'evict-oldest' as const, now: clock }
  for (const [sid, sub] of [
    ['a', 'u1'],
    ['b', 'u1'],
    ['c', 'u2'],
    ['d', 'u3'],
  ] as const) {
    store.create(session(sid, sub), options)
  }
  t.equal(store.size, 3)
  t.same(evicted, ['u1/capacity'])
  t.same(
    store.listBySubject('u1', clock).map((item) => item.sid),
    ['b'],
  )
  stop()
  store.create(session('e', 'u4'), options)
  t.same(evicted, ['u1/capacity'], 'an unsubscribed listener hears nothing')
  clock += 61_000
  t.same(store.listBySubject('u2', clock), [], 'expired on the store’s clock')
  t.equal(store.delete('c'), undefined, 'and already gone')
})
