import t from 'tap'
import { LruSessionStore } from '../src/index.js'
import { makeClock, startApp } from './fixtures/app.js'

t.test('the 11th login under a cap of 10 evicts the oldest session', async (t) => {
  const app = await startApp(t, { maxSessionsPerUser: 10 })
  const logins = []
  for (let index = 0; index < 10; index += 1) {
    logins.push(await app.login())
    app.clock.advance(1)
  }
  const eleventh = await app.login()
  const oldest = await app.call('/api/me', logins[0]?.access_token)
  t.equal(oldest.status, 401)
  t.match(await oldest.json(), { code: 'ERR_TOKEN_REVOKED' })
  t.equal(
    (await app.post('/auth/refresh', { refresh_token: logins[0]?.refresh_token })).status,
    400,
  )
  t.equal(
    (await app.call('/api/me', logins[1]?.access_token)).status,
    200,
    'the second-oldest lives',
  )
  t.equal((await app.call('/api/me', eleventh.access_token)).status, 200)
  t.equal((await app.auth.listSessions('alice')).length, 10)
  t.match(
    app.events.filter((event) => event.type === 'evicted'),
    [{ reason: 'session_limit', sub: 'alice' }],
  )
})

t.test('the 11th login under a rejecting cap of 10 is 403 session_limit', async (t) => {
  const app = await startApp(t, { maxSessionsPerUser: 10, onSessionLimit: 'reject' })
  const logins = []
  for (let index = 0; index < 10; index += 1) logins.push(await app.login())
  const eleventh = await app.post('/auth/login', { username: 'alice', password: 'alice-password' })
  t.equal(eleventh.status, 403)
  t.match(await eleventh.json(), { error: 'session_limit', code: 'ERR_SESSION_LIMIT' })
  for (const tokens of logins) t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
  t.equal((await app.login('bob')).token_type, 'Bearer', 'another user is not affected')
  await app.call('/auth/logout', logins[0]?.access_token, { method: 'POST' })
  t.equal((await app.login()).token_type, 'Bearer', 'a freed slot can be used again')
})

t.test('a session evicted for capacity fails closed and is reported', async (t) => {
  const app = await startApp(t, { store: new LruSessionStore({ max: 2 }) })
  const alice = await app.login('alice')
  await app.login('bob')
  await app.login('admin')
  const response = await app.call('/api/me', alice.access_token)
  t.equal(response.status, 401)
  t.match(await response.json(), { code: 'ERR_TOKEN_REVOKED' })
  t.match(
    app.events.filter((event) => event.type === 'evicted'),
    [{ reason: 'capacity', sub: 'alice' }],
  )
  t.same(await app.auth.listSessions('alice'), [], 'the subject index forgot it too')
})

t.test('two createAuth instances never share a default store', async (t) => {
  const one = await startApp(t)
  const two = await startApp(t)
  const tokens = await one.login()
  t.equal((await one.call('/api/me', tokens.access_token)).status, 200)
  const other = await two.call('/api/me', tokens.access_token)
  t.equal(other.status, 401, 'same key, but the session lives in the other instance only')
})

t.test('a full store set to refuse answers 503 at login and logs nobody out', async (t) => {
  const clock = makeClock()
  const app = await startApp(t, {
    store: new LruSessionStore({ max: 2, atCapacity: 'refuse', now: clock }),
    maxSessionsPerUser: 1,
    now: clock,
  })
  const alice = await app.login('alice')
  const bob = await app.login('bob')
  const refused = await app.post('/auth/login', { username: 'admin', password: 'admin-password' })
  t.equal(refused.status, 503)
  t.equal(refused.headers.get('retry-after'), '1')
  t.match(await refused.json(), { error: 'temporarily_unavailable', code: 'ERR_STORE_FULL' })
  for (const tokens of [alice, bob])
    t.equal((await app.call('/api/me', tokens.access_token)).status, 200, 'still signed in')
  t.notOk(app.events.some((event) => event.type === 'evicted'))
  t.equal((await app.login('alice')).token_type, 'Bearer', 'a user at the cap replaces their own')
  clock.advance(86_401)
  t.equal((await app.login('admin')).token_type, 'Bearer', 'expired sessions make room')
})

t.test('atCapacity must be evict or refuse', async (t) => {
  t.throws(() => new LruSessionStore({ atCapacity: 'drop' as 'evict' }), {
    name: 'TypeError',
    message: /^atCapacity/,
  })
})

t.test('capacity evictions are reported at most once a second, with a count', async (t) => {
  const app = await startApp(t, { store: new LruSessionStore({ max: 1 }) })
  for (let login = 0; login < 6; login++) await app.login(login % 2 === 0 ? 'alice' : 'bob')
  app.clock.advance(1)
  await app.login('admin')
  const counts = app.events
    .filter((event) => event.type === 'evicted')
    .map((event) => [event.reason, event.count])
  t.same(counts, [
    ['capacity', 1],
    ['capacity', 5],
  ])
})
