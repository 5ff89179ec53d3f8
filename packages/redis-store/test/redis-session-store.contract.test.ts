// RedisSessionStore against @baton/express's store contract on a standalone Redis, over three
// kinds of client. The Lua scripts (scripts.ts) are tested here and in the corrupt-data file.
import { sessionStoreContract } from '@baton/express/testing'
import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import { Redis as Redis5 } from 'ioredis-5'
import t from 'tap'
import type { Test } from 'tap'
import type { RedisClient } from '../src/options.js'
import { RedisSessionStore } from '../src/redis-session-store.js'

const server = await startRedisServer(t)

t.test('the store contract, on a client the store makes from a URL (RESP2)', async (t) => {
  const probe = new RedisSessionStore({ url: server.url })
  t.teardown(() => probe.close())
  await probe.get('no-such-session', Date.now()) // connects: the client has no offline queue
  t.match(await protocolOf(probe.client), 'resp=2', 'the client speaks RESP2, as Redis 5 needs')
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ url: server.url }),
    destroyStore: (store) => store.close(),
  })
})

t.test('the store contract, on an ioredis 6 client of your own (RESP3)', async (t) => {
  const client = new Redis(server.port, '127.0.0.1')
  t.teardown(() => client.disconnect())
  t.match(await protocolOf(client), 'resp=3')
  contractOnSharedClient(t, client)
})

t.test('the store contract, on an ioredis 5 client of your own (RESP2)', async (t) => {
  const client = new Redis5(server.port, '127.0.0.1')
  t.teardown(() => client.disconnect())
  t.match(await protocolOf(client), 'resp=2')
  // Another copy of ioredis than the store's, as in an app whose tree resolves ioredis 5: the
  // store takes its client, in types (no cast here) and at run time.
  contractOnSharedClient(t, client)
})

t.test('the store contract, with the local cache on', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ url: server.url, localCache: { max: 100 } }),
    destroyStore: (store) => store.close(),
  })
})

t.test('the store contract, with the local cache on an ioredis 6 client (RESP3)', async (t) => {
  const client = new Redis(server.port, '127.0.0.1')
  t.teardown(() => client.disconnect())
  // Its tracking connection speaks RESP2 whatever the client does: invalidations as messages.
  sessionStoreContract(t, {
    createStore: () =>
      new RedisSessionStore({ client, prefix: `cached-${Math.random()}:`, localCache: {} }),
    destroyStore: (store) => store.close(),
  })
})

/**
 * Several stores on one client, without the route cache: every get and rotate then goes through
 * the sid pointer, as on an instance that never saw the session. A prefix per store keeps the
 * stores apart on one database.
 */
function contractOnSharedClient(t: Test, client: RedisClient): void {
  sessionStoreContract(t, {
    createStore: () =>
      new RedisSessionStore({ client, prefix: `contract-${Math.random()}:`, routeCacheSize: 0 }),
    destroyStore: (store) => store.close(),
  })
}

/** `resp=2` or `resp=3`: the protocol the server says this connection speaks. */
async function protocolOf(client: { call(...args: string[]): Promise<unknown> }): Promise<string> {
  const info = String(await client.call('CLIENT', 'INFO'))
  return /resp=\d/.exec(info)?.[0] ?? info
}
