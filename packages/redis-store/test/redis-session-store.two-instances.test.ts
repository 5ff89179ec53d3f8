// RedisSessionStore shared by two instances of one deployment (two apps, one Redis).
import { startRedisServer } from '@baton/test-support'
import t from 'tap'
import type { Test } from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { startApp } from './fixtures/app.js'
import type { TestApp } from './fixtures/app.js'

const server = await startRedisServer(t)

/** Two instances of one deployment: each its own app, store and connection, one Redis. */
async function twoInstances(t: Test, options: { reuseGrace?: number } = {}) {
  const instance = async (): Promise<TestApp> => {
    const store = new RedisSessionStore({ url: server.url })
    t.teardown(() => store.close())
    return startApp(t, { store, ...options })
  }
  return [await instance(), await instance()] as const
}

async function errorCode(response: Response): Promise<unknown> {
  return ((await response.json()) as { code?: unknown }).code
}

t.test('a login on A is accepted by B', async (t) => {
  const [a, b] = await twoInstances(t)
  const tokens = await a.login()
  const response = await b.get('/api/me', tokens.access_token)
  t.equal(response.status, 200)
  t.same(await response.json(), { sub: 'alice' })
})

t.test('a refresh on B rotates a session made on A, and A takes the new tokens', async (t) => {
  const [a, b] = await twoInstances(t)
  const tokens = await a.login()
  const response = await b.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(response.status, 200)
  const rotated = (await response.json()) as typeof tokens
  t.not(rotated.refresh_token, tokens.refresh_token)
  t.equal((await a.get('/api/me', rotated.access_token)).status, 200)
  const next = await a.post('/auth/refresh', { refresh_token: rotated.refresh_token })
  t.equal(next.status, 200, 'A rotates the token B issued')
})

t.test(
  'a replayed refresh token after the grace revokes the session on both instances at once',
  async (t) => {
    const [a, b] = await twoInstances(t, { reuseGrace: 0 })
    const tokens = await a.login()
    const rotated = (await (
      await b.post('/auth/refresh', { refresh_token: tokens.refresh_token })
    ).json()) as typeof tokens
    for (const app of [a, b]) t.equal((await app.get('/api/me', rotated.access_token)).status, 200)

    const replay = await a.post('/auth/refresh', { refresh_token: tokens.refresh_token })
    t.equal(replay.status, 400)
    t.equal(await errorCode(replay), 'ERR_REFRESH_REUSED')
    t.match(a.events, [{ type: 'login' }, { type: 'refresh_reused', sub: 'alice' }])

    for (const app of [a, b]) {
      for (const token of [tokens.access_token, rotated.access_token]) {
        const response = await app.get('/api/me', token)
        t.equal(response.status, 401, 'every access token of the session is refused')
        t.equal(await errorCode(response), 'ERR_TOKEN_REVOKED')
      }
    }
    const later = await b.post('/auth/refresh', { refresh_token: rotated.refresh_token })
    t.equal(later.status, 400, 'and the current refresh token is dead too')
  },
)

t.test('a logout on A is refused by B at once', async (t) => {
  const [a, b] = await twoInstances(t)
  const tokens = await a.login()
  t.equal((await b.get('/api/me', tokens.access_token)).status, 200, 'B has seen the session')
  const logout = await a.post('/auth/logout', undefined, tokens.access_token)
  t.equal(logout.status, 200)
  const response = await b.get('/api/me', tokens.access_token)
  t.equal(response.status, 401)
  t.equal(await errorCode(response), 'ERR_TOKEN_REVOKED')
  const refresh = await b.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(refresh.status, 400)
})

t.test(
  '50 concurrent refreshes of one token over both instances rotate exactly once',
  async (t) => {
    const [a, b] = await twoInstances(t)
    const tokens = await a.login()
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? a : b).post('/auth/refresh', { refresh_token: tokens.refresh_token }),
      ),
    )
    t.same(
      responses.map((response) => response.status),
      Array.from({ length: 50 }, () => 200),
      'every caller gets an answer: one rotation, 49 replays inside the grace',
    )
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as TokenBody[]
    t.equal(
      new Set(bodies.map((body) => body.refresh_token)).size,
      1,
      'all hold the same new token',
    )
    const events = [...a.events, ...b.events]
    t.equal(events.filter((event) => event.type === 'refresh').length, 1)
    t.equal(events.filter((event) => event.type === 'refresh_replayed').length, 49)
    const next = await b.post('/auth/refresh', { refresh_token: bodies[0]?.refresh_token })
    t.equal(next.status, 200, 'the token they converged on is the live one')
  },
)

t.test('the per-user cap holds across instances', async (t) => {
  const [a, b] = await twoInstances(t)
  const store = new RedisSessionStore({ url: server.url })
  t.teardown(() => store.close())
  const cappedA = await startApp(t, { store, maxSessionsPerUser: 2 })
  const first = await cappedA.login('bob')
  await b.login('bob')
  await cappedA.login('bob')
  for (const app of [a, b, cappedA]) {
    t.equal((await app.get('/api/me', first.access_token)).status, 401, 'the oldest was evicted')
  }
  t.match(
    cappedA.events.filter((event) => event.type === 'evicted'),
    [{ reason: 'session_limit', sub: 'bob', sid: cappedA.events[0]?.sid }],
  )
})

type TokenBody = Awaited<ReturnType<TestApp['login']>>
