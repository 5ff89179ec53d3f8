import { sessionStoreContract } from '@baton/express/testing'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import type { SessionStore } from '@baton/express'
import { startRedisCluster } from './fixtures/redis-cluster.js'

const cluster = await startRedisCluster(t)

t.test('the store contract, on a 3-master Redis Cluster', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client }),
    destroyStore,
  })
})

t.test('the store contract, on Cluster without the route cache', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client, routeCacheSize: 0 }),
    destroyStore,
  })
})

/** Closes the store: ends a client it made from a URL, leaves a shared client open. */
function destroyStore(store: SessionStore): Promise<void> {
  return (store as RedisSessionStore).close()
}
