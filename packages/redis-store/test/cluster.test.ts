import { sessionStoreContract } from '@baton/express/testing'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { startRedisCluster } from './fixtures/redis-cluster.js'

const cluster = await startRedisCluster(t)

t.test('the store contract, on a 3-master Redis Cluster', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client }),
  })
})

t.test('the store contract, on Cluster without the route cache', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client: cluster.client, routeCacheSize: 0 }),
  })
})
