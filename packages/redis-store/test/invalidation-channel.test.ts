// The tracking connection on its own: setup refused, Redis down at start, a connection that goes
// silent, and closes or kills in the middle of a setup (held there by gates, not timers).
import { once } from 'node:events'
import { freePort, launchRedisServer, startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import type { Test } from 'tap'
import type { RedisStoreError } from '../src/errors.js'
import { InvalidationChannel } from '../src/invalidation-channel.js'
import { LocalSessionCache } from '../src/local-cache.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { eventually } from './fixtures/eventually.js'
import { evictOldest, makeSession, uniqueSubject } from './fixtures/sessions.js'
import { untilCached } from './fixtures/tracking.js'

const server = await startRedisServer(t)

/** Whether the cache takes fills, i.e. the channel has confirmed tracking. */
function isTracking(cache: LocalSessionCache): boolean {
  const fill = cache.begin('probe')
  cache.finish(fill, undefined)
  return fill !== undefined
}

/** A gate: `held` resolves when the code under test reaches it, which then waits for `release`. */
function gate() {
  let release!: () => void
  const opened = new Promise<void>((resolve) => (release = resolve))
  let reached!: () => void
  const held = new Promise<void>((resolve) => (reached = resolve))
  return { release, held, pass: () => (reached(), opened) }
}

/**
 * A channel over a client whose tracking connection holds the answer of its first `method` call
 * (`client` for CLIENT ID, `subscribe`) at a gate.
 */
function gatedChannel(t: Test, method: 'client' | 'subscribe') {
  const client = new Redis(server.url)
  t.teardown(() => client.disconnect())
  const { release, held, pass } = gate()
  let connection!: Redis
  const duplicate = client.duplicate.bind(client)
  client.duplicate = (override) => {
    connection = duplicate(override)
    const calls = connection as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    const original = calls[method]!.bind(connection)
    let first = true
    calls[method] = async (...args) => {
      const reply = await original(...args)
      if (first) {
        first = false
        await pass()
      }
      return reply
    }
    return connection
  }
  const cache = new LocalSessionCache(10)
  const reports: RedisStoreError[] = []
  const channel = new InvalidationChannel(client, 'gated:{', cache, 1000, (error) =>
    reports.push(error),
  )
  t.teardown(() => channel.close())
  return { channel, cache, reports, release, held, connection: () => connection }
}

t.test('Redis refusing CLIENT TRACKING is reported, and every get goes to Redis', async (t) => {
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  await admin.call('ACL', 'SETUSER', 'no-tracking', 'on', '>pw', '~*', '&*', '+@all', '-client')
  const reports: RedisStoreError[] = []
  const store = new RedisSessionStore({
    url: server.url.replace('redis://', 'redis://no-tracking:pw@'),
    localCache: {},
    onError: (error) => reports.push(error),
  })
  t.teardown(() => store.close())
  await eventually(async () => {
    if (reports.length === 0) throw new Error('not reported yet')
  })
  t.match(reports, [{ code: 'ERR_STORE_TRACKING' }])
  t.notMatch(reports[0]?.message, /no-tracking|pw/, 'no credential in the message')
  const now = Date.now()
  const session = makeSession(uniqueSubject('refused'), now)
  await store.create(session, evictOldest(now))
  t.same(await store.get(session.sid, now), session, 'the store works without its cache')
})

t.test('a store made while Redis is down uses its cache once Redis is up', async (t) => {
  const port = await freePort()
  const store = new RedisSessionStore({
    url: `redis://127.0.0.1:${port}`,
    localCache: {},
    commandTimeout: 0.2,
    onError: () => {},
  })
  t.teardown(() => store.close())
  const now = Date.now()
  await t.rejects(Promise.resolve(store.get('any-sid', now)), { name: 'RedisStoreError' })
  const late = await launchRedisServer({ port })
  t.teardown(() => late.close())
  const session = makeSession(uniqueSubject('late'), now)
  await eventually(() => store.create(session, evictOldest(now)))
  await untilCached(store, session.sid, now)
  t.pass('the cache answers once tracking is set up')
})

t.test(
  'a tracking connection that stops answering is dropped: no get is answered from the cache',
  async (t) => {
    const frozen = await launchRedisServer()
    t.teardown(() => frozen.close())
    const store = new RedisSessionStore({
      url: frozen.url,
      localCache: {},
      commandTimeout: 0.1,
      onError: () => {},
    })
    t.teardown(() => store.close())
    const now = Date.now()
    const session = makeSession(uniqueSubject('frozen'), now)
    await store.create(session, evictOldest(now))
    await untilCached(store, session.sid, now)

    // A frozen Redis (as a partition would look): the socket stays open, nothing is announced.
    frozen.pause()
    t.teardown(() => frozen.resume())
    await eventually(async () => {
      const answer = await Promise.resolve(store.get(session.sid, now)).catch(
        (error: RedisStoreError) => error,
      )
      if (!(answer instanceof Error)) throw new Error('still answered from the cache')
    })
    await t.rejects(Promise.resolve(store.get(session.sid, now)), { code: 'ERR_STORE_TIMEOUT' })

    frozen.resume()
    await untilCached(store, session.sid, now)
    t.pass('the cache resumes once Redis answers again')
  },
)

t.test('a channel closed while setting up never turns tracking on', async (t) => {
  const { channel, cache, reports, release, held } = gatedChannel(t, 'subscribe')
  await held
  channel.close()
  release()
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(isTracking(cache))
  t.same(reports, [])
})

t.test(
  'a connection killed while setting up reports nothing and tracks on the next one',
  async (t) => {
    const { cache, reports, release, held, connection } = gatedChannel(t, 'client')
    await held
    const admin = new Redis(server.url)
    t.teardown(() => admin.disconnect())
    const closed = once(connection(), 'close')
    await admin.client('KILL', 'ID', String(await connection().client('ID')))
    await closed
    release()
    await eventually(async () => {
      if (!isTracking(cache)) throw new Error('not tracking yet')
    })
    t.same(reports, [], 'the setup that failed with its connection is not reported')
  },
)
