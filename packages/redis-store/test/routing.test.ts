import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import { keyLayout, subjectTag } from '../src/keys.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { MINUTE, evictOldest, makeSession, rotation, uniqueSubject } from './fixtures/sessions.js'

const server = await startRedisServer(t)
const raw = new Redis(server.port, '127.0.0.1')
t.teardown(() => raw.disconnect())
const keys = keyLayout('baton:')

function store(options: { routeCacheSize?: number } = {}): RedisSessionStore {
  const created = new RedisSessionStore({ url: server.url, ...options })
  t.teardown(() => created.close())
  return created
}

t.test('a store that never saw a session finds it through the sid pointer', async (t) => {
  const [a, b] = [store(), store()]
  const now = Date.now()
  const session = makeSession(uniqueSubject('pointer'), now)
  await a.create(session, evictOldest(now))
  t.same(await b.get(session.sid, now), session)
  await b.touch(session.sid, now + MINUTE)
  t.equal((await a.get(session.sid, now))?.lastUsedAt, now + MINUTE, 'touched through the pointer')
  t.equal((await b.rotate(session.sid, 0, rotation(now + MINUTE))).outcome, 'rotated')
  t.equal((await a.get(session.sid, now + MINUTE))?.generation, 1, 'a sees b’s rotation at once')
})

t.test(
  'a revocation through one store takes effect at once in another that cached the route',
  async (t) => {
    const [a, b] = [store(), store()]
    const now = Date.now()
    const session = makeSession(uniqueSubject('revoked'), now)
    await a.create(session, evictOldest(now))
    t.ok(await b.get(session.sid, now), 'b has the route cached now')
    await a.delete(session.sid)
    t.equal(await b.get(session.sid, now), undefined)
    t.equal((await b.rotate(session.sid, 0, rotation(now))).outcome, 'missing')
  },
)

t.test('a cached route to a session that is gone falls back to the pointer', async (t) => {
  const [a, b] = [store(), store()]
  const now = Date.now()
  const first = makeSession(uniqueSubject('first'), now)
  await a.create(first, evictOldest(now))
  t.ok(await a.get(first.sid, now), 'a caches the route to the first subject')
  // Only possible by hand (sids are 128-bit random), but the cache must still never be trusted
  // over the pointer: the same sid, now under another subject.
  await raw.del(keys.session(subjectTag(first.sub), first.sid), keys.pointer(first.sid))
  const second = makeSession(uniqueSubject('second'), now, { sid: first.sid })
  await b.create(second, evictOldest(now))
  t.same(await a.get(first.sid, now), second)
  t.same(await a.get(first.sid, now), second, 'and the new route is cached')
})

t.test('a session Redis has expired is missing even while its pointer lives', async (t) => {
  const a = store()
  const now = Date.now()
  const session = makeSession(uniqueSubject('expired'), now)
  await a.create(session, evictOldest(now))
  t.ok(await a.get(session.sid, now))
  await raw.del(keys.session(subjectTag(session.sub), session.sid))
  t.equal(await raw.exists(keys.pointer(session.sid)), 1)
  t.equal(await a.get(session.sid, now), undefined)
  t.equal(await a.get(session.sid, now), undefined, 'also once the route left the cache')
  t.same(await a.listBySubject(session.sub, now), [])
  t.equal(await raw.exists(keys.index(subjectTag(session.sub))), 0, 'the dead index entry is gone')
})

t.test('every way a session ends removes its sid pointer', async (t) => {
  const a = store()
  const now = Date.now()
  const sub = uniqueSubject('pointers')
  const pointerExists = async (sid: string) => (await raw.exists(keys.pointer(sid))) === 1

  const deleted = makeSession(sub, now)
  await a.create(deleted, evictOldest(now))
  t.ok(await pointerExists(deleted.sid))
  await a.delete(deleted.sid)
  t.notOk(await pointerExists(deleted.sid), 'delete')

  const evicted = makeSession(sub, now)
  await a.create(evicted, evictOldest(now, 1))
  await a.create(makeSession(sub, now + 1, { createdAt: now + 1 }), evictOldest(now, 1))
  t.notOk(await pointerExists(evicted.sid), 'eviction')

  const refused = makeSession(sub, now)
  t.same(await a.create(refused, { maxPerSubject: 1, policy: 'reject', now }), {
    ok: false,
    reason: 'session_limit',
  })
  t.notOk(await pointerExists(refused.sid), 'a refused login')

  const reused = makeSession(uniqueSubject('reuse'), now)
  await a.create(reused, evictOldest(now))
  await a.rotate(reused.sid, 0, rotation(now, 0))
  await a.markUsed(reused.sid, 1, now)
  t.equal((await a.rotate(reused.sid, 0, rotation(now, 0))).outcome, 'reused')
  t.notOk(await pointerExists(reused.sid), 'reuse detection')

  const bulk = [makeSession(sub, now + 2), makeSession(sub, now + 3)]
  for (const session of bulk) await a.create(session, evictOldest(now))
  await a.deleteBySubject(sub)
  for (const session of bulk) t.notOk(await pointerExists(session.sid), 'deleteBySubject')
  t.equal(await raw.exists(keys.index(subjectTag(sub))), 0, 'an emptied index is deleted')
})

t.test(
  'sessions, pointers and indexes carry Redis TTLs, relative to the caller’s now',
  async (t) => {
    const a = store()
    const now = Date.now()
    const session = makeSession(uniqueSubject('ttl'), now, { refreshExpiresAt: now + MINUTE })
    const tag = subjectTag(session.sub)
    await a.create(session, evictOldest(now))
    const near = (found: number, wanted: number) => found > wanted - 5_000 && found <= wanted
    t.ok(near(await raw.pttl(keys.session(tag, session.sid)), MINUTE), 'session: refresh life')
    t.ok(near(await raw.pttl(keys.pointer(session.sid)), 30 * MINUTE), 'pointer: absolute life')
    t.ok(near(await raw.pttl(keys.index(tag)), MINUTE), 'index: its longest session')
    await a.rotate(session.sid, 0, rotation(now))
    t.ok(near(await raw.pttl(keys.session(tag, session.sid)), 10 * MINUTE), 'a rotation extends it')
    t.ok(near(await raw.pttl(keys.index(tag)), 10 * MINUTE), 'and the index with it')
    await a.create(
      makeSession(session.sub, now, { refreshExpiresAt: now + MINUTE }),
      evictOldest(now),
    )
    t.ok(near(await raw.pttl(keys.index(tag)), 10 * MINUTE), 'a shorter session never shortens it')
    // A caller whose clock runs ahead (an injected test clock) still gets its full TTL.
    t.equal((await a.rotate(session.sid, 1, rotation(now + 5 * MINUTE))).outcome, 'rotated')
    t.ok(
      near(await raw.pttl(keys.session(tag, session.sid)), 10 * MINUTE),
      'TTL = expiry − caller now',
    )
  },
)

t.test('a session already dead when stored gets the shortest TTL and is not live', async (t) => {
  const a = store()
  const now = Date.now()
  const session = makeSession(uniqueSubject('stillborn'), now, { refreshExpiresAt: now - 1 })
  t.same(await a.create(session, evictOldest(now)), { ok: true, evicted: [] })
  t.equal(await a.get(session.sid, now), undefined)
})

t.test('a client keyPrefix is honoured by the scripts too', async (t) => {
  const client = new Redis(server.port, '127.0.0.1', { keyPrefix: 'tenant-a:' })
  t.teardown(() => client.disconnect())
  const a = new RedisSessionStore({ client })
  const now = Date.now()
  const sub = uniqueSubject('prefixed')
  const sessions = [makeSession(sub, now), makeSession(sub, now + 1, { createdAt: now + 1 })]
  for (const session of sessions) await a.create(session, evictOldest(now, 1))
  t.same(await a.listBySubject(sub, now), [sessions[1]], 'the cap saw the first session')
  t.equal(await raw.exists(`tenant-a:${keys.index(subjectTag(sub))}`), 1)
  t.same(await a.deleteBySubject(sub), [sessions[1]?.sid])
})

t.test('subjects that are not well-formed Unicode are kept apart', async (t) => {
  const a = store()
  const now = Date.now()
  // UTF-8 would turn both lone surrogates into U+FFFD.
  const subjects = ['\uD800', '\uDC00', '\uFFFD', '']
  t.equal(new Set(subjects.map(subjectTag)).size, subjects.length)
  for (const sub of subjects) await a.create(makeSession(sub, now), evictOldest(now))
  for (const sub of subjects) {
    const listed = await a.listBySubject(sub, now)
    t.equal(listed.length, 1)
    t.equal(listed[0]?.sub, sub)
  }
  for (const sub of subjects) t.equal((await a.deleteBySubject(sub)).length, 1)
})

t.test('a pointer lookup Redis refuses is a failure, not a missing session', async (t) => {
  // An ACL user who may do everything but GET: the lookup of an uncached route is refused.
  await raw.call('ACL', 'SETUSER', 'no-get', 'on', '>no-get-password', '~*', '&*', '+@all', '-get')
  t.teardown(() => raw.call('ACL', 'DELUSER', 'no-get'))
  const refused = new RedisSessionStore({
    url: `redis://no-get:no-get-password@127.0.0.1:${server.port}`,
  })
  t.teardown(() => refused.close())
  const error = await Promise.resolve(refused.get('an-uncached-sid', Date.now())).catch(
    (caught: unknown) => caught,
  )
  t.match(error, { name: 'RedisStoreError', code: 'ERR_STORE_UNAVAILABLE' })
  t.match((error as Error).cause, { message: /NOPERM/ })
})
