// Rotation under the faults real deployments meet (issue 16), on the embedded LRU store: a refresh
// response the client never receives, replays, a store that lost writes, a thief with an old
// token. @baton/redis-store runs the same stories against a real, paused and restarted Redis.
import t from 'tap'
import { LruSessionStore, type SessionStore } from '../src/index.js'
import { startApp, type TestApp, type TokenBody } from './fixtures/app.js'

async function refresh(app: TestApp, refreshToken: string) {
  const response = await app.post('/auth/refresh', { refresh_token: refreshToken })
  return {
    status: response.status,
    body: (await response.json()) as TokenBody & { code?: string },
  }
}

const types = (app: TestApp) => app.events.map((event) => event.type)

t.test(
  'a refresh response that never arrived: the retry keeps the session, any time later',
  async (t) => {
    const app = await startApp(t, { accessTtl: 300, refreshTtl: 7200 })
    const first = await app.login()
    const lost = await refresh(app, first.refresh_token) // the client never sees this answer
    t.equal(lost.status, 200)
    app.clock.advance(3600) // an hour: far past the 10 s grace, inside the refresh token's life
    const retry = await refresh(app, first.refresh_token)
    t.equal(retry.status, 200)
    t.equal(retry.body.refresh_token, lost.body.refresh_token, 'the pair it missed')
    t.equal(retry.body.access_token, lost.body.access_token)
    t.equal(retry.body.expires_in, 0, 'whose access token has run out by now')
    const next = await refresh(app, retry.body.refresh_token)
    t.equal(next.status, 200, 'so the client refreshes once more, and is signed in')
    t.equal((await app.call('/api/me', next.body.access_token)).status, 200)
    t.notOk(types(app).includes('refresh_reused'), 'no false theft alarm')
  },
)

t.test('N presentations of the previous token answer one access token', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  await refresh(app, first.refresh_token)
  const answers = new Set<string>()
  const refreshTokens = new Set<string>()
  for (let round = 0; round < 40; round++) {
    app.clock.advance(round % 2) // inside the grace and past it, the generation still unused
    const replay = await refresh(app, first.refresh_token)
    t.equal(replay.status, 200)
    answers.add(replay.body.access_token)
    refreshTokens.add(replay.body.refresh_token)
  }
  t.equal(answers.size, 1, 'one distinct access token')
  t.equal(refreshTokens.size, 1, 'and one refresh token')
})

t.test('a stolen previous token after the client used its new pair ends the session', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  const second = await refresh(app, first.refresh_token)
  t.equal((await app.call('/api/me', second.body.access_token)).status, 200)
  app.clock.advance(11)
  const stolen = await refresh(app, first.refresh_token)
  t.equal(stolen.status, 400)
  t.match(stolen.body, { code: 'ERR_REFRESH_REUSED' })
  t.equal((await app.call('/api/me', second.body.access_token)).status, 401)
  t.equal((await refresh(app, second.body.refresh_token)).status, 400)
  t.ok(types(app).includes('refresh_reused'))
})

t.test('two clients racing inside the grace: one rotation, both signed in', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  const [a, b] = await Promise.all([
    refresh(app, first.refresh_token),
    refresh(app, first.refresh_token),
  ])
  t.equal(a.status, 200)
  t.equal(b.status, 200)
  t.equal(a.body.refresh_token, b.body.refresh_token)
  t.equal((await app.call('/api/me', a.body.access_token)).status, 200)
  app.clock.advance(5)
  t.equal((await refresh(app, first.refresh_token)).status, 200, 'a late racer, inside the grace')
  t.equal((await app.call('/api/me', b.body.access_token)).status, 200)
  t.equal(types(app).filter((type) => type === 'refresh').length, 1)
})

t.test('the first verified access token marks its generation used: one store write', async (t) => {
  const inner = new LruSessionStore()
  let marks = 0
  const store: SessionStore = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property === 'markUsed') {
        return (...args: Parameters<LruSessionStore['markUsed']>) => {
          marks++
          return target.markUsed(...args)
        }
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
  const app = await startApp(t, { store })
  const first = await app.login()
  await Promise.all(Array.from({ length: 10 }, () => app.call('/api/me', first.access_token)))
  for (let call = 0; call < 10; call++) await app.call('/api/me', first.access_token)
  t.equal(marks, 1, 'login: one write however many requests')
  const second = await refresh(app, first.refresh_token)
  await app.call('/api/me', first.access_token)
  t.equal(marks, 1, 'an access token of an older generation marks nothing')
  for (let call = 0; call < 10; call++) await app.call('/api/me', second.body.access_token)
  t.equal(marks, 2, 'one more write for the new generation')
})

t.test('a refresh token newer than the store knows keeps the user signed in', async (t) => {
  const store = new LruSessionStore()
  const app = await startApp(t, { store })
  const first = await app.login()
  const sid = first.refresh_token.split('.')[0] as string
  const snapshot = store.get(sid, app.clock())
  let tokens = first
  for (let round = 0; round < 3; round++) tokens = (await refresh(app, tokens.refresh_token)).body
  // The store loses the last writes: it is back at the login's generation.
  store.delete(sid)
  store.create(snapshot!, { maxPerSubject: 10, policy: 'evict-oldest', now: app.clock() })
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
  const resynced = await refresh(app, tokens.refresh_token)
  t.equal(resynced.status, 200, 'not reuse: the MAC proves we issued it')
  t.match(
    app.events.find((event) => event.type === 'refresh_resynced'),
    { reason: 'store_lost_writes', sub: 'alice', sid },
  )
  t.notOk(types(app).includes('refresh_reused'))
  t.equal((await app.call('/api/me', resynced.body.access_token)).status, 200)
  t.equal((await refresh(app, resynced.body.refresh_token)).status, 200, 'and rotation goes on')
})

t.test('while a markUsed write is in flight, other requests do not repeat it', async (t) => {
  const inner = new LruSessionStore()
  let marks = 0
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  const store: SessionStore = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property === 'markUsed') {
        return async (...args: Parameters<LruSessionStore['markUsed']>) => {
          marks++
          await gate // a slow store: the write has not landed yet
          target.markUsed(...args)
        }
      }
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
  const app = await startApp(t, { store })
  const tokens = await app.login()
  for (let call = 0; call < 5; call++) await app.auth.verify(tokens.access_token)
  t.equal(marks, 1, 'one write in flight, however many verifications')
  release()
  await gate
  await new Promise((resolve) => setImmediate(resolve))
  const sid = tokens.refresh_token.split('.')[0] as string
  t.equal(inner.get(sid, app.clock())?.used, true, 'and it landed')
})
