// Rotation under Redis faults (issue 16), over HTTP with @baton/express: a Redis frozen across a
// refresh runs the rotation after the app gave up; a refresh answer that never reached its
// client; a Redis restarted from an older snapshot. No legitimate user may be logged out, and
// a thief with an old token must still be caught.
import { makeClock, startRedisServer } from '@baton/test-support'
import t, { type Test } from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { startApp, type TestApp, type TokenBody } from './fixtures/app.js'
import { eventually } from './fixtures/eventually.js'

/** A real Redis (snapshots only, as Debian configures it), a store on it and an app on a clock. */
async function setup(t: Test) {
  const server = await startRedisServer(t)
  const store = new RedisSessionStore({ url: server.url })
  t.teardown(() => store.close())
  const clock = makeClock(Date.now())
  const app = await startApp(t, { store, now: clock })
  return { server, store, clock, app }
}

const sidOf = (token: TokenBody) => token.refresh_token.split('.')[0] as string
const generationOf = (token: TokenBody) => Number(token.refresh_token.split('.')[1])
const reuseEvents = (app: TestApp) => app.events.filter((event) => event.type === 'refresh_reused')

async function refresh(app: TestApp, token: TokenBody) {
  const response = await app.post('/auth/refresh', { refresh_token: token.refresh_token })
  return { status: response.status, body: (await response.json()) as TokenBody & { code?: string } }
}

t.test(
  'Redis frozen across refreshes: every retry, a minute later, keeps its session',
  async (t) => {
    const server = await startRedisServer(t)
    const store = new RedisSessionStore({ url: server.url, commandTimeout: 0.3 })
    t.teardown(() => store.close())
    const clock = makeClock(Date.now())
    const app = await startApp(t, { store, storeTimeout: 1, now: clock, maxSessionsPerUser: 20 })
    const sessions: TokenBody[] = []
    for (let index = 0; index < 10; index++) sessions.push(await app.login())

    server.pause()
    t.teardown(() => server.resume())
    const during = await Promise.all(sessions.map((tokens) => refresh(app, tokens)))
    t.same(
      during.map((answer) => answer.status),
      Array(10).fill(503),
      'the app gave up: 503, tokens kept',
    )
    server.resume()
    // Redis runs the rotations it had received once it wakes: the late writes under test.
    for (const tokens of sessions) {
      await eventually(async () => {
        const session = await store.get(sidOf(tokens), clock())
        if (session?.generation !== 1) throw new Error('the late rotation has not run yet')
      })
    }

    clock.advance(60) // far past the 10 s grace
    for (const tokens of sessions) {
      const retry = await refresh(app, tokens)
      t.equal(retry.status, 200, 'the retry is answered with the rotation it missed')
      t.equal(generationOf(retry.body), 1)
      t.equal((await app.get('/api/me', retry.body.access_token)).status, 200)
      t.equal((await refresh(app, retry.body)).status, 200, 'and rotation goes on')
    }
    t.same(reuseEvents(app), [], 'no false theft alarm')
  },
)

t.test('a refresh answer lost on the way: the retry gets it, any time later', async (t) => {
  const { clock, app } = await setup(t)
  const first = await app.login()
  const lost = await refresh(app, first)
  clock.advance(600)
  const retries = new Set<string>()
  for (let attempt = 0; attempt < 5; attempt++) {
    const retry = await refresh(app, first)
    t.equal(retry.status, 200)
    t.equal(retry.body.refresh_token, lost.body.refresh_token)
    retries.add(retry.body.access_token)
  }
  t.same([...retries], [lost.body.access_token], 'replays are idempotent: one access token')
  t.same(reuseEvents(app), [])
})

t.test('an old token presented after the client used its new pair is reuse', async (t) => {
  const { store, clock, app } = await setup(t)
  const first = await app.login()
  const second = await refresh(app, first)
  t.equal((await app.get('/api/me', second.body.access_token)).status, 200)
  // markUsed is written in the background of that request: wait until Redis has it.
  await eventually(async () => {
    if ((await store.get(sidOf(first), clock()))?.used !== true) throw new Error('not yet')
  })
  clock.advance(11)
  const stolen = await refresh(app, first)
  t.equal(stolen.status, 400)
  t.match(stolen.body, { code: 'ERR_REFRESH_REUSED' })
  t.equal((await app.get('/api/me', second.body.access_token)).status, 401, 'the session ended')
  t.equal(reuseEvents(app).length, 1)
})

t.test(
  'Redis restarted from an older snapshot: no reuse alarm, the newest token works',
  async (t) => {
    const { server, store, clock, app } = await setup(t)
    let tokens = await app.login()
    tokens = (await refresh(app, tokens)).body
    await app.get('/api/me', tokens.access_token)
    await store.client.call('SAVE') // the last snapshot: generation 1
    for (let round = 0; round < 3; round++) {
      clock.advance(30)
      tokens = (await refresh(app, tokens)).body
      t.equal((await app.get('/api/me', tokens.access_token)).status, 200)
    }
    t.equal(generationOf(tokens), 4)

    await server.stop() // a crash: the writes since the snapshot are lost
    await server.start()
    await eventually(async () => {
      const session = await store.get(sidOf(tokens), clock())
      if (session?.generation !== 1) throw new Error('Redis is not back yet')
    })
    t.equal((await app.get('/api/me', tokens.access_token)).status, 200, 'the session survived')
    const resynced = await refresh(app, tokens)
    t.equal(resynced.status, 200, 'the newest token is authentic: it keeps the user signed in')
    t.equal(generationOf(resynced.body), 5)
    t.match(
      app.events.filter((event) => event.type === 'refresh_resynced'),
      [{ reason: 'store_lost_writes', sid: sidOf(tokens) }],
    )
    t.same(reuseEvents(app), [])
    t.equal((await app.get('/api/me', resynced.body.access_token)).status, 200)
    t.equal((await refresh(app, resynced.body)).status, 200)
  },
)
