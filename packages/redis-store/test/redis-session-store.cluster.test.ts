import { sessionStoreContract } from '@baton/express/testing'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { keyLayout, subjectTag } from '../src/keys.js'
import { startRedisCluster } from './fixtures/redis-cluster.js'
import { evictOldest, makeSession, rotation, uniqueSubject } from './fixtures/sessions.js'

const cluster = await startRedisCluster(t)

t.test('the store contract, on a 3-master Redis Cluster', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client }),
    destroyStore: (store) => store.close(),
  })
})

t.test('the store contract, on Cluster without the route cache', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client, routeCacheSize: 0 }),
    destroyStore: (store) => store.close(),
  })
})

t.test('every key of a subject lives in one slot, whatever the subject', async (t) => {
  const store = new RedisSessionStore({ client: cluster.client })
  const node = cluster.client.nodes('master')[0]
  const slot = async (key: string) => Number(await node?.cluster('KEYSLOT', key))
  const keys = keyLayout(store.prefix)
  for (const sub of ['alice', '{alice}', '}{', '{}', '', 'a{b}c', uniqueSubject('x')]) {
    const tag = subjectTag(sub)
    const slots = new Set([await slot(keys.index(tag)), await slot(keys.session(tag, 'any-sid'))])
    t.equal(slots.size, 1, `one slot for ${JSON.stringify(sub)}`)
  }
  t.not(
    await slot(keys.index(subjectTag('{alice}'))),
    await slot(keys.index(subjectTag('alice'))),
    'a braced subject does not borrow another subject’s tag',
  )
})

t.test('subjects spread over all three masters, and each one’s calls work there', async (t) => {
  const store = new RedisSessionStore({ client: cluster.client })
  const now = Date.now()
  const owners = new Set<string>()
  for (let index = 0; index < 24; index += 1) {
    const session = makeSession(uniqueSubject('spread'), now)
    await store.create(session, evictOldest(now))
    const key = keyLayout(store.prefix).index(subjectTag(session.sub))
    const slot = Number(await cluster.client.nodes('master')[0]?.cluster('KEYSLOT', key))
    owners.add(String(cluster.client.slots[slot]?.[0]))
    t.equal(await cluster.client.exists(key), 1)
    t.same(await store.listBySubject(session.sub, now), [session])
  }
  t.equal(owners.size, 3)
})

t.test(
  'scripts reload on every node after SCRIPT FLUSH (EVALSHA falls back to EVAL)',
  async (t) => {
    const store = new RedisSessionStore({ client: cluster.client })
    const now = Date.now()
    const sessions = Array.from({ length: 12 }, () => makeSession(uniqueSubject('flushed'), now))
    for (const session of sessions) await store.create(session, evictOldest(now))
    await Promise.all(cluster.client.nodes('master').map((node) => node.script('FLUSH')))
    for (const session of sessions) {
      t.equal((await store.rotate(session.sid, 0, rotation(now))).outcome, 'rotated')
    }
  },
)
