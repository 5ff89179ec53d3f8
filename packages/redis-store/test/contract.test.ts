import { sessionStoreContract } from '@baton/express/testing'
import { Redis } from 'ioredis'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import type { SessionStore } from '@baton/express'
import { startRedisServer } from './fixtures/redis-server.js'

const server = await startRedisServer(t)

t.test('the store contract, on a client the store makes from a URL', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ url: server.url }),
    destroyStore,
  })
})

t.test('the store contract, on a shared client without the route cache', async (t) => {
  const client = new Redis(server.port, '127.0.0.1')
  t.teardown(() => client.disconnect())
  sessionStoreContract(t, {
    // Every get and rotate then goes through the sid pointer, as on an instance that never saw
    // the session; a prefix per store keeps the stores apart on one database.
    createStore: () =>
      new RedisSessionStore({ client, prefix: `contract-${Math.random()}:`, routeCacheSize: 0 }),
    destroyStore,
  })
})

/** Closes the store: ends a client it made from a URL, leaves a shared client open. */
function destroyStore(store: SessionStore): Promise<void> {
  return (store as RedisSessionStore).close()
}
