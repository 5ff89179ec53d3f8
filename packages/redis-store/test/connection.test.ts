import { freePort, startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { eventually } from './fixtures/eventually.js'
import { evictOldest, makeSession, uniqueSubject } from './fixtures/sessions.js'

const server = await startRedisServer(t)

t.test('a call made before the first connection is up waits for it', async (t) => {
  const store = new RedisSessionStore({ url: server.url })
  t.teardown(() => store.close())
  t.not(store.client.status, 'ready')
  const now = Date.now()
  const session = makeSession(uniqueSubject('early'), now)
  t.same(await store.create(session, evictOldest(now)), { ok: true, evicted: [] })
})

t.test('a lazyConnect client is connected by the first call', async (t) => {
  const client = new Redis(server.port, '127.0.0.1', { lazyConnect: true })
  t.teardown(() => client.disconnect())
  const store = new RedisSessionStore({ client })
  t.equal(client.status, 'wait')
  t.same(await store.listBySubject('nobody', Date.now()), [])
  t.equal(client.status, 'ready')
})

t.test(
  'Redis unreachable from the start: calls reject at the timeout, reported once',
  async (t) => {
    const reports: string[] = []
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeout: 0.2,
      onError: (error) => reports.push(error.code),
    })
    t.teardown(() => store.close())
    const started = performance.now()
    await t.rejects(Promise.resolve(store.get('sid', Date.now())), { code: 'ERR_STORE_TIMEOUT' })
    t.ok(performance.now() - started < 600)
    t.same(reports, ['ERR_STORE_CONNECTION'])
  },
)

t.test('a client that has ended rejects at once with ERR_STORE_UNAVAILABLE', async (t) => {
  const client = new Redis(server.port, '127.0.0.1')
  const store = new RedisSessionStore({ client, commandTimeout: 5 })
  await store.listBySubject('nobody', Date.now())
  client.disconnect()
  await new Promise((resolve) => client.once('end', resolve))
  const started = performance.now()
  await t.rejects(Promise.resolve(store.get('sid', Date.now())), { code: 'ERR_STORE_UNAVAILABLE' })
  t.ok(performance.now() - started < 100, 'without waiting for the timeout')
})

t.test('a client that ends while a call waits for it rejects that call at once', async (t) => {
  // A frozen server accepts the TCP connection and never answers the ready check, so the client
  // sits in `connect` until its owner ends it.
  const frozen = await startRedisServer(t)
  frozen.pause()
  t.teardown(() => frozen.resume())
  // disconnectTimeout: how long ioredis waits for the (frozen) server's side of the close.
  const client = new Redis(frozen.port, '127.0.0.1', { disconnectTimeout: 50 })
  const store = new RedisSessionStore({ client, commandTimeout: 5 })
  const pending = Promise.resolve(store.get('sid', Date.now()))
  await new Promise((resolve) => client.once('connect', resolve))
  const started = performance.now()
  client.disconnect()
  await t.rejects(pending, { code: 'ERR_STORE_UNAVAILABLE' })
  t.ok(performance.now() - started < 1000, 'without waiting for the timeout')
})

t.test(
  'calls waiting for a connection share one pair of client listeners, and leave it',
  async (t) => {
    const store = new RedisSessionStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeout: 0.3,
      onError: () => {},
    })
    t.teardown(() => store.close())
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    t.teardown(() => process.off('warning', onWarning))
    const readyBefore = store.client.listenerCount('ready')
    const calls = Array.from({ length: 20 }, () => Promise.resolve(store.get('sid', Date.now())))
    t.equal(store.client.listenerCount('ready'), readyBefore + 1)
    t.equal(store.client.listenerCount('end'), 1)
    const results = await Promise.allSettled(calls)
    t.ok(results.every((result) => result.status === 'rejected'))
    // Calls that timed out hold nothing: in a long outage, they would otherwise pile up.
    t.equal(
      store.client.listenerCount('ready'),
      readyBefore,
      'the last call to give up removed them',
    )
    t.equal(store.client.listenerCount('end'), 0)
    await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
    t.same(
      warnings.map((warning) => warning.name),
      [],
    )
  },
)

t.test('a call waiting for a connection when close() runs rejects as closed', async (t) => {
  const store = new RedisSessionStore({
    url: `redis://127.0.0.1:${await freePort()}`,
    commandTimeout: 5,
    onError: () => {},
  })
  const pending = Promise.resolve(store.get('sid', Date.now()))
  await store.close()
  await t.rejects(pending, { code: 'ERR_STORE_CLOSED' })
})

t.test(
  'a call waiting between two reconnect attempts when close() runs rejects as closed',
  async (t) => {
    const down = await startRedisServer(t)
    const store = new RedisSessionStore({ url: down.url, commandTimeout: 5, onError: () => {} })
    await store.listBySubject('nobody', Date.now())
    await down.stop()
    await eventually(async () => {
      if (store.client.status !== 'reconnecting') throw new Error(store.client.status)
    })
    const started = performance.now()
    const pending = Promise.resolve(store.get('sid', Date.now()))
    await store.close()
    // ioredis, disconnected while it waits to reconnect, never emits 'end'.
    await t.rejects(pending, { code: 'ERR_STORE_CLOSED' })
    t.ok(performance.now() - started < 1000, 'at once, not at the timeout')
  },
)

t.test('close() ends a client made from a URL and refuses later calls', async (t) => {
  const store = new RedisSessionStore({ url: server.url })
  await store.listBySubject('nobody', Date.now())
  await store.close()
  await new Promise((resolve) => store.client.once('end', resolve))
  t.equal(store.client.status, 'end')
  await t.rejects(Promise.resolve(store.get('sid', Date.now())), { code: 'ERR_STORE_CLOSED' })
})

t.test('close() leaves a client it was given open', async (t) => {
  const client = new Redis(server.port, '127.0.0.1')
  t.teardown(() => client.disconnect())
  const store = new RedisSessionStore({ client })
  await store.close()
  await t.rejects(store.listBySubject('nobody', Date.now()), { code: 'ERR_STORE_CLOSED' })
  t.equal(await client.ping(), 'PONG')
  t.equal(store.client, client)
})

t.test(
  'stores on one client share its scripts; the scripts reload after SCRIPT FLUSH',
  async (t) => {
    const client = new Redis(server.port, '127.0.0.1')
    t.teardown(() => client.disconnect())
    const [a, b] = [
      new RedisSessionStore({ client }),
      new RedisSessionStore({ client, prefix: 'b:' }),
    ]
    const now = Date.now()
    const session = makeSession(uniqueSubject('shared'), now)
    await a.create(session, evictOldest(now))
    await client.script('FLUSH')
    t.same(await a.get(session.sid, now), session, 'EVALSHA fell back to EVAL')
    t.equal(await b.get(session.sid, now), undefined, 'prefixes keep the stores apart')
  },
)
