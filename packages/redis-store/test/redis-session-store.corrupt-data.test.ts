import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import type { Test } from 'tap'
import type { RedisStoreError } from '../src/errors.js'
import { keyLayout, subjectTag } from '../src/keys.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { encodeSession } from '../src/session-codec.js'
import { evictOldest, makeSession, rotation, uniqueSubject } from './fixtures/sessions.js'

const server = await startRedisServer(t)
const raw = new Redis(server.port, '127.0.0.1')
t.teardown(() => raw.disconnect())
const keys = keyLayout('baton:')

/** A store whose reports are collected, and a live session of a fresh subject in it. */
async function setup(t: Test) {
  const reports: RedisStoreError[] = []
  const store = new RedisSessionStore({ url: server.url, onError: (error) => reports.push(error) })
  t.teardown(() => store.close())
  const now = Date.now()
  const session = makeSession(uniqueSubject('victim'), now)
  await store.create(session, evictOldest(now))
  const tag = subjectTag(session.sub)
  return { store, reports, now, session, tag, sessionKey: keys.session(tag, session.sid) }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** Each way a session key can hold something that is not one of our sessions. */
const corruptions: [string, (state: Setup) => Promise<unknown>][] = [
  ['a string', ({ sessionKey }) => raw.set(sessionKey, 'not a session')],
  ['a hash without the format mark', ({ sessionKey }) => raw.hdel(sessionKey, 'v')],
  ['a hash with a broken number', ({ sessionKey }) => raw.hset(sessionKey, 'generation', 'one')],
  ['a hash with a NaN', ({ sessionKey }) => raw.hset(sessionKey, 'refreshExpiresAt', 'nan')],
  ['a hash without its data', ({ sessionKey }) => raw.hdel(sessionKey, 'data')],
  // Lua's tonumber reads these; String(n) never writes them.
  [
    'a hash with a padded number',
    ({ sessionKey, session }) => raw.hset(sessionKey, 'createdAt', ` ${session.createdAt}`),
  ],
  ['a hash with a hex number', ({ sessionKey }) => raw.hset(sessionKey, 'generation', '0x1')],
  // The scripts take these for numbers; only the codec sees that String(n) never writes them.
  [
    'a hash with a zero-padded number',
    ({ sessionKey }) => raw.hset(sessionKey, 'generation', '01'),
  ],
  [
    'a hash with unreadable JSON data',
    ({ sessionKey }) => raw.hset(sessionKey, 'data', '{not json'),
  ],
  [
    'a hash whose data has no subject',
    ({ sessionKey }) => raw.hset(sessionKey, 'data', JSON.stringify({ claims: {} })),
  ],
]

for (const [what, corrupt] of corruptions) {
  t.test(`${what} under a session key is no session, is reported and removed`, async (t) => {
    const state = await setup(t)
    const { store, reports, now, session, sessionKey } = state
    await raw.del(sessionKey)
    await raw.hset(sessionKey, ...encodeSession(session))
    await corrupt(state)
    t.equal(await store.get(session.sid, now), undefined)
    t.equal(reports.length, 1)
    t.equal(reports[0]?.code, 'ERR_STORE_CORRUPT_DATA')
    t.notMatch(reports[0]?.message, session.sid, 'the report names no session')
    t.equal(await raw.exists(sessionKey), 0, 'removed')
    t.same(await store.listBySubject(session.sub, now), [], 'and out of the index')
  })
}

t.test('every operation treats a foreign session value as missing', async (t) => {
  const { store, reports, now, session, sessionKey } = await setup(t)
  const spoil = () => raw.set(sessionKey, 'garbage')
  await spoil()
  t.equal((await store.rotate(session.sid, 0, rotation(now))).outcome, 'missing')
  await spoil()
  await store.touch(session.sid, now)
  t.equal(await raw.exists(sessionKey), 0, 'touch removed it rather than writing into it')
  await spoil()
  await store.markUsed(session.sid, 0, now)
  t.equal(await raw.exists(sessionKey), 0, 'markUsed removed it rather than writing into it')
  await spoil()
  t.equal(await store.delete(session.sid), undefined)
  t.equal(reports.length, 4)
})

t.test('a session only the codec finds corrupt is removed wherever it is read', async (t) => {
  const reads: [string, (state: Setup) => Promise<unknown>][] = [
    ['get', async ({ store, session, now }) => store.get(session.sid, now)],
    ['rotate', ({ store, session, now }) => store.rotate(session.sid, 0, rotation(now))],
    ['delete', ({ store, session }) => store.delete(session.sid)],
    ['listBySubject', ({ store, session, now }) => store.listBySubject(session.sub, now)],
  ]
  for (const [name, read] of reads) {
    const state = await setup(t)
    const { reports, session, sessionKey, tag } = state
    await raw.hset(sessionKey, 'data', '{not json')
    const answer = await read(state)
    t.same(
      answer,
      name === 'listBySubject' ? [] : name === 'rotate' ? { outcome: 'missing' } : undefined,
      name,
    )
    t.equal(reports.length, 1, `${name} reports it once`)
    t.equal(await raw.exists(sessionKey), 0, `${name} removes it`)
    t.equal(await raw.zscore(keys.index(tag), session.sid), null, `${name} unindexes it`)
    t.equal(await raw.exists(keys.pointer(session.sid)), 0, `${name} drops its pointer`)
  }
})

t.test('once read, such a session no longer holds a place under the per-user cap', async (t) => {
  const { store, now, session, sessionKey } = await setup(t)
  await raw.hset(sessionKey, 'generation', '01')
  const next = makeSession(session.sub, now)
  const capOfOne = { maxPerSubject: 1, policy: 'reject', now } as const
  t.same(
    await store.create(next, capOfOne),
    { ok: false, reason: 'session_limit' },
    'the scripts alone cannot tell it from a live session',
  )
  t.equal(await store.get(session.sid, now), undefined)
  t.same(await store.create(next, capOfOne), { ok: true, evicted: [] })
})

t.test(
  'foreign or corrupt sessions in a subject index are skipped, reported and dropped',
  async (t) => {
    const { store, reports, now, session, tag } = await setup(t)
    const other = makeSession(uniqueSubject('other'), now)
    // A well-formed session of another subject, filed under this subject's index and tag.
    await raw.hset(keys.session(tag, other.sid), ...encodeSession(other))
    await raw.zadd(keys.index(tag), 1, other.sid)
    const broken = makeSession(session.sub, now)
    await raw.set(keys.session(tag, broken.sid), 'garbage')
    await raw.zadd(keys.index(tag), 2, broken.sid)
    t.same(await store.listBySubject(session.sub, now), [session])
    t.equal(reports.length, 2, 'the foreign session and the garbage')
    t.equal(await raw.exists(keys.session(tag, broken.sid)), 0)
    t.equal(await raw.exists(keys.session(tag, other.sid)), 0)
    t.equal(await raw.zscore(keys.index(tag), other.sid), null)
    reports.length = 0
    await raw.set(keys.session(tag, broken.sid), 'garbage')
    await raw.zadd(keys.index(tag), 2, broken.sid)
    const next = makeSession(session.sub, now)
    t.same(await store.create(next, evictOldest(now, 3)), { ok: true, evicted: [] })
    t.equal(reports.length, 1, 'create reports the garbage it removed')
  },
)

t.test('a subject index that is not a sorted set is replaced', async (t) => {
  const { store, reports, now, session, tag } = await setup(t)
  await raw.set(keys.index(tag), 'garbage')
  t.same(await store.listBySubject(session.sub, now), [], 'its entries are lost, its sessions not')
  t.ok(await store.get(session.sid, now), 'the session itself is still there')
  await raw.set(keys.index(tag), 'garbage')
  const next = makeSession(session.sub, now)
  t.same(await store.create(next, evictOldest(now)), { ok: true, evicted: [] })
  t.same(await store.listBySubject(session.sub, now), [next])
  await raw.set(keys.index(tag), 'garbage')
  t.same(await store.deleteBySubject(session.sub), [])
  t.equal(reports.length, 3)
  await raw.set(keys.index(tag), 'garbage')
  t.ok(await store.delete(next.sid), 'deleting a session tolerates a broken index')
})

/** A second store, reporting into `reports`, that never saw the session: it asks the pointer. */
function storeWithoutRoutes(t: Test, reports: RedisStoreError[]): RedisSessionStore {
  const store = new RedisSessionStore({ url: server.url, onError: (error) => reports.push(error) })
  t.teardown(() => store.close())
  return store
}

t.test('a pointer that does not name a tag is no session, is reported and removed', async (t) => {
  const { reports, now, session } = await setup(t)
  const stranger = storeWithoutRoutes(t, reports)
  await raw.set(keys.pointer(session.sid), 'x}{y')
  t.equal(await stranger.get(session.sid, now), undefined)
  t.equal(reports.length, 1)
  t.equal(await raw.exists(keys.pointer(session.sid)), 0)
})

t.test('a pointer that is not a string is no session, is reported and removed', async (t) => {
  const { reports, now, session } = await setup(t)
  const stranger = storeWithoutRoutes(t, reports)
  const pointer = keys.pointer(session.sid)
  const calls: [string, () => Promise<unknown>][] = [
    ['get', async () => stranger.get(session.sid, now)],
    ['touch', () => stranger.touch(session.sid, now)],
    ['markUsed', () => stranger.markUsed(session.sid, 0, now)],
    ['rotate', () => stranger.rotate(session.sid, 0, rotation(now))],
    ['delete', () => stranger.delete(session.sid)],
  ]
  for (const [name, call] of calls) {
    reports.length = 0
    await raw.del(pointer)
    await raw.rpush(pointer, 'not a tag')
    await call()
    t.equal(reports.length, 1, `${name} reports it`)
    t.equal(await raw.exists(pointer), 0, `${name} removes it`)
  }
})

t.test('by default a report is one console.warn line with the code and no values', async (t) => {
  const store = new RedisSessionStore({ url: server.url })
  t.teardown(() => store.close())
  const warnings = t.capture(console, 'warn', () => {})
  const now = Date.now()
  const session = makeSession(uniqueSubject('warned'), now)
  await store.create(session, evictOldest(now))
  await raw.set(keys.session(subjectTag(session.sub), session.sid), 'garbage')
  t.equal(await store.get(session.sid, now), undefined)
  const lines = warnings().map((call) => call.args.join(' '))
  t.equal(lines.length, 1)
  t.match(lines[0], /^@baton\/redis-store: ERR_STORE_CORRUPT_DATA: /)
  t.notMatch(lines[0], session.sid)
  t.notMatch(lines[0], session.sub)
})

t.test('a throwing onError does not fail the call', async (t) => {
  const store = new RedisSessionStore({
    url: server.url,
    onError: () => {
      throw new Error('logger down')
    },
  })
  t.teardown(() => store.close())
  const now = Date.now()
  const session = makeSession(uniqueSubject('logger'), now)
  await store.create(session, evictOldest(now))
  await raw.set(keys.session(subjectTag(session.sub), session.sid), 'garbage')
  t.equal(await store.get(session.sid, now), undefined)
})
