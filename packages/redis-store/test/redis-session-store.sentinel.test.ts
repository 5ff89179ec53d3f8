import { sessionStoreContract } from '@baton/express/testing'
import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { nextGetAfterDelete } from './fixtures/tracking.js'

// Behind Sentinel the client asks a sentinel where the master is; the store neither knows nor
// cares. A real master and a real sentinel, on loopback.
const master = await startRedisServer(t)
const sentinel = await startRedisServer(t, { sentinelFor: master.port })
const client = new Redis({
  sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
  name: 'mymaster',
})
t.teardown(() => client.disconnect())

t.test('the store contract, on a master found through Sentinel', async (t) => {
  sessionStoreContract(t, {
    createStore: () => new RedisSessionStore({ client, prefix: `sentinel-${Math.random()}:` }),
    destroyStore: (store) => store.close(),
  })
})

t.test(
  'with localCache, its tracking connection finds the master through Sentinel too',
  async (t) => {
    const a = new RedisSessionStore({ client, prefix: 'sentinel-cached:' })
    const b = new RedisSessionStore({ client, prefix: 'sentinel-cached:', localCache: {} })
    t.teardown(() => Promise.all([a.close(), b.close()]))
    const answer = await nextGetAfterDelete(a, b, 'sentinel')
    t.equal(answer, undefined, 'a delete on A is seen by the next get on B')
  },
)
