// The localCache option on two instances (two stores, their own connections, one Redis): every
// write through A — and every expiry — reaches B's cached copy before B's next get.
import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import { Redis as Redis5 } from 'ioredis-5'
import t from 'tap'
import type { Test } from 'tap'
import type { RedisSessionStoreOptions } from '../src/options.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { eventually } from './fixtures/eventually.js'
import { evictOldest, makeSession, rotation, uniqueSubject } from './fixtures/sessions.js'
import {
  answeredLocally,
  killTrackingConnections,
  nextGetAfterDelete,
  untilCached,
} from './fixtures/tracking.js'

const server = await startRedisServer(t)
const admin = new Redis(server.url)
t.teardown(() => admin.disconnect())

function cachingStore(t: Test, options: Partial<RedisSessionStoreOptions> = {}): RedisSessionStore {
  const store = new RedisSessionStore({ url: server.url, localCache: {}, ...options })
  t.teardown(() => store.close())
  return store
}

/** A on Redis alone, B with the local cache and a session of its own already cached there. */
async function twoInstances(t: Test) {
  const a = new RedisSessionStore({ url: server.url })
  t.teardown(() => a.close())
  const b = cachingStore(t)
  const now = Date.now()
  const session = makeSession(uniqueSubject('cached'), now)
  await a.create(session, evictOldest(now))
  await untilCached(b, session.sid, now)
  return { a, b, session, now }
}

t.test('repeated gets of a session are answered without Redis', async (t) => {
  const { b, session, now } = await twoInstances(t)
  for (let i = 0; i < 5; i++) t.ok(await answeredLocally(b, session.sid, now))
  t.same(await b.get(session.sid, now), session, 'the same session Redis holds')
})

t.test('a cached session is answered synchronously, not as a promise', async (t) => {
  const { b, session, now } = await twoInstances(t)
  const answer = b.get(session.sid, now)
  t.notOk(answer instanceof Promise, 'a value, as LruSessionStore answers')
  t.same(answer, session)
  t.equal(
    b.get(session.sid, session.refreshExpiresAt),
    undefined,
    'past its refresh expiry: missing, at once',
  )
})

t.test('a get the cache cannot answer is a promise of a Redis read', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  const other = makeSession(uniqueSubject('uncached'), now)
  await a.create(other, evictOldest(now))
  const miss = b.get(other.sid, now)
  t.ok(miss instanceof Promise, 'a session not cached yet')
  t.same(await miss, other)
  await a.delete(session.sid)
  const invalidated = b.get(session.sid, now)
  t.ok(invalidated instanceof Promise, 'a session whose write Redis announced')
  t.equal(await invalidated, undefined)
})

t.test('with the tracking connection down, a cached session is read from Redis', async (t) => {
  const { b, session, now } = await twoInstances(t)
  t.equal(await killTrackingConnections(admin), 1)
  // B sees the close on its own time; from then on it answers nothing from memory.
  await eventually(async () => {
    if (!(b.get(session.sid, now) instanceof Promise)) throw new Error('B has not seen the close')
  })
  const answer = b.get(session.sid, now)
  t.ok(answer instanceof Promise)
  t.same(await answer, session, 'answered by Redis')
})

t.test('without localCache (the default) every get goes to Redis', async (t) => {
  const { a, session, now } = await twoInstances(t)
  await a.get(session.sid, now)
  t.notOk(await answeredLocally(a, session.sid, now))
  t.notOk(await answeredLocally(a, session.sid, now))
})

t.test('a cached session past its refresh expiry is missing, as from Redis', async (t) => {
  const { b, session } = await twoInstances(t)
  t.equal(await b.get(session.sid, session.refreshExpiresAt), undefined)
})

t.test('a delete on A is seen by the next get on B', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  await a.delete(session.sid)
  t.equal(await b.get(session.sid, now), undefined)
})

t.test('a rotation on A is seen by the next get on B', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  const result = await a.rotate(session.sid, 0, rotation(now + 1))
  t.equal(result.outcome, 'rotated')
  t.match(await b.get(session.sid, now + 1), { generation: 1, used: false })
})

t.test(
  'a refresh token reuse on A (the session deleted) is seen by the next get on B',
  async (t) => {
    const { a, b, session, now } = await twoInstances(t)
    await a.rotate(session.sid, 0, rotation(now))
    await a.markUsed(session.sid, 1, now)
    t.equal((await a.rotate(session.sid, 0, rotation(now + 60_000, 0))).outcome, 'reused')
    t.equal(await b.get(session.sid, now + 60_000), undefined)
  },
)

t.test('markUsed and touch on A are seen by the next get on B', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  await a.markUsed(session.sid, 0, now + 1)
  t.match(await b.get(session.sid, now + 1), { used: true })
  await untilCached(b, session.sid, now + 1)
  await a.touch(session.sid, now + 2)
  t.match(await b.get(session.sid, now + 2), { lastUsedAt: now + 2 })
})

t.test('deleteBySubject on A is seen by the next get on B', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  t.same(await a.deleteBySubject(session.sub), [session.sid])
  t.equal(await b.get(session.sid, now), undefined)
})

t.test('an eviction by a login on A is seen by the next get on B', async (t) => {
  const { a, b, session, now } = await twoInstances(t)
  const result = await a.create(makeSession(session.sub, now + 1), evictOldest(now + 1, 1))
  t.match(result, { ok: true, evicted: [session.sid] })
  t.equal(await b.get(session.sid, now + 1), undefined)
})

t.test('a session Redis expires leaves the cache', async (t) => {
  const { b, session, now } = await twoInstances(t)
  await admin.pexpire(`baton:{${tagOf(session.sub)}}:session:${session.sid}`, 1)
  // Redis expires the key on its own time (its next access or sweep), then announces it.
  await eventually(async () => {
    if ((await b.get(session.sid, now)) !== undefined) throw new Error('still cached')
  })
  t.equal(await b.get(session.sid, now), undefined)
})

t.test('a write through the same store is seen by its next get at once', async (t) => {
  const b = cachingStore(t)
  const now = Date.now()
  const session = makeSession(uniqueSubject('own'), now)
  await b.create(session, evictOldest(now))
  await untilCached(b, session.sid, now)
  await b.rotate(session.sid, 0, rotation(now + 1))
  t.match(await b.get(session.sid, now + 1), { generation: 1 })
  await untilCached(b, session.sid, now + 1)
  await b.delete(session.sid)
  t.equal(await b.get(session.sid, now + 1), undefined)
})

t.test('under a client keyPrefix, writes still reach the cache', async (t) => {
  const client = new Redis(server.url, { keyPrefix: 'app:' })
  t.teardown(() => client.disconnect())
  const a = new RedisSessionStore({ client })
  const b = new RedisSessionStore({ client, localCache: {} })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  t.equal(await nextGetAfterDelete(a, b, 'key-prefix'), undefined)
})

t.test('on an ioredis 5 client of your own, writes reach the cache', async (t) => {
  const client = new Redis5(server.url)
  t.teardown(() => client.disconnect())
  const a = new RedisSessionStore({ client })
  const b = new RedisSessionStore({ client, localCache: {} })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  t.equal(await nextGetAfterDelete(a, b, 'ioredis-5'), undefined)
})

t.test('a healthy tracking connection keeps the cache across heartbeats', async (t) => {
  // A heartbeat every 50 ms (commandTimeout): a PING whose PONG were missed would restart the
  // connection and empty the cache, and the next get would go to Redis.
  const b = cachingStore(t, { commandTimeout: 0.05 })
  const now = Date.now()
  const session = makeSession(uniqueSubject('heartbeat'), now)
  await b.create(session, evictOldest(now))
  await untilCached(b, session.sid, now)
  const pings = await pingCalls()
  await eventually(async () => {
    if ((await pingCalls()) < pings + 3) throw new Error('fewer than three heartbeats yet')
  })
  t.ok(await answeredLocally(b, session.sid, now))
})

t.test('a flush of the database empties the cache', async (t) => {
  const { b, session, now } = await twoInstances(t)
  await admin.flushall()
  // Unlike a write, Redis announces a flush after answering it: not before B's next get.
  await eventually(async () => {
    if ((await b.get(session.sid, now)) !== undefined) throw new Error('still cached')
  })
  t.equal(await b.get(session.sid, now), undefined)
})

t.test('the cache keeps at most localCache.max sessions', async (t) => {
  const a = new RedisSessionStore({ url: server.url })
  t.teardown(() => a.close())
  const b = cachingStore(t, { localCache: { max: 2 } })
  const now = Date.now()
  const sessions = [1, 2, 3].map(() => makeSession(uniqueSubject('bounded'), now))
  for (const session of sessions) await a.create(session, evictOldest(now))
  const [first, second, third] = sessions.map((session) => session.sid) as [string, string, string]
  await untilCached(b, first, now)
  await b.get(second, now)
  await b.get(third, now)
  t.notOk(await answeredLocally(b, first, now), 'the least recently used went to Redis')
  t.ok(await answeredLocally(b, third, now), 'the most recent is still cached')
})

t.test('a read on B racing a delete on A does not put the session back', async (t) => {
  const a = new RedisSessionStore({ url: server.url })
  t.teardown(() => a.close())
  // B's own client, so the test can hold the answer of one read (a gate, not a timer).
  const client = new Redis(server.url)
  t.teardown(() => client.disconnect())
  const b = new RedisSessionStore({ client, localCache: {} })
  t.teardown(() => b.close())
  const now = Date.now()
  const sub = uniqueSubject('race')
  const cached = makeSession(sub, now)
  const racing = makeSession(sub, now)
  for (const session of [cached, racing]) await a.create(session, evictOldest(now))
  await untilCached(b, cached.sid, now)

  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let held!: () => void
  const holding = new Promise<void>((resolve) => (held = resolve))
  const scripts = client as unknown as Record<string, (...args: string[]) => Promise<unknown>>
  const get = scripts.batonSessionGet!.bind(client)
  scripts.batonSessionGet = async (...args) => {
    const reply = await get(...args)
    if (args.includes(racing.sid)) {
      held()
      await gate
    }
    return reply
  }

  const read = b.get(racing.sid, now) // Redis answers it before the delete; B holds the answer
  await holding
  // One script deletes both, so one invalidation message names both keys: once B has dropped
  // `cached`, it has seen the invalidation of `racing` too, while the read was in flight.
  t.same((await a.deleteBySubject(sub)).sort(), [cached.sid, racing.sid].sort())
  await eventually(async () => {
    if (!(await answeredLocally(b, cached.sid, now))) return
    throw new Error('B has not seen the invalidation yet')
  })
  release()
  t.same(await read, racing, 'the read answers what Redis answered it')
  t.equal(await b.get(racing.sid, now), undefined, 'but it was not kept: the next get asks Redis')
})

t.test(
  'fails closed: with the tracking connection killed, no revoked session is accepted',
  async (t) => {
    const { a, b, now } = await twoInstances(t)
    const sessions = Array.from({ length: 20 }, () => makeSession(uniqueSubject('kill'), now))
    for (const session of sessions) await a.create(session, evictOldest(now))
    // Traffic on B throughout: once a revocation has returned, no get of that session may pass.
    let stop = false
    const accepted: string[] = []
    const revoked = new Set<string>()
    const traffic = (async () => {
      while (!stop) {
        for (const session of sessions) {
          const wasRevoked = revoked.has(session.sid)
          const answer = await Promise.resolve(b.get(session.sid, now)).catch(() => undefined)
          if (wasRevoked && answer !== undefined) accepted.push(session.sid)
        }
      }
    })()
    let killed = 0
    for (const session of sessions) {
      // As soon as B's tracking connection is back (ioredis reconnects it), kill it again.
      await eventually(async () => {
        if ((await killTrackingConnections(admin)) === 0) throw new Error('not reconnected yet')
      })
      killed++
      await a.delete(session.sid)
      revoked.add(session.sid)
      t.equal(await b.get(session.sid, now), undefined, 'the next get on B refuses it')
    }
    stop = true
    await traffic
    t.equal(killed, sessions.length, 'the tracking connection was killed once per revocation')
    t.same(accepted, [], 'no revoked session was accepted by the traffic either')

    const fresh = makeSession(uniqueSubject('after'), now)
    await a.create(fresh, evictOldest(now))
    await untilCached(b, fresh.sid, now)
    t.pass('the cache resumes once tracking is back')
    await a.delete(fresh.sid)
    t.equal(await b.get(fresh.sid, now), undefined, 'and invalidations work again')
  },
)

t.test('a closed store refuses even a cached session', async (t) => {
  const { b, session, now } = await twoInstances(t)
  await b.close()
  const answer = b.get(session.sid, now)
  t.ok(answer instanceof Promise, 'not answered from memory')
  await t.rejects(Promise.resolve(answer), { code: 'ERR_STORE_CLOSED' })
})

/** How many PINGs Redis has answered (every connection's). */
async function pingCalls(): Promise<number> {
  const stats = await admin.info('commandstats')
  return Number(/^cmdstat_ping:calls=(\d+)/m.exec(stats)?.[1] ?? 0)
}

/** The subject's hash tag, as keys.ts makes it. */
function tagOf(sub: string): string {
  return `u${Buffer.from(sub, 'utf8').toString('base64url')}`
}
