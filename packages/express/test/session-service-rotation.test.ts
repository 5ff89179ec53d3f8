import t from 'tap'
import { startApp, type TestApp, type TokenBody } from './fixtures/app.js'

async function refresh(app: TestApp, refreshToken: string) {
  const response = await app.post('/auth/refresh', { refresh_token: refreshToken })
  return {
    status: response.status,
    body: (await response.json()) as TokenBody & { code?: string; error?: string },
  }
}

t.test(
  'the previous refresh token inside the grace returns the current pair without rotating',
  async (t) => {
    const app = await startApp(t)
    const first = await app.login()
    const second = await refresh(app, first.refresh_token)
    app.clock.advance(9)
    const again = await refresh(app, first.refresh_token)
    t.equal(again.status, 200)
    t.equal(again.body.refresh_token, second.body.refresh_token, 'the same current refresh token')
    t.equal(again.body.access_token, second.body.access_token, 'and the same access token')
    t.equal((await app.call('/api/me', again.body.access_token)).status, 200)
    t.same(
      app.events.map((event) => event.type),
      ['login', 'refresh', 'refresh_replayed'],
    )
    // The current token still rotates normally afterwards.
    const third = await refresh(app, second.body.refresh_token)
    t.equal(third.status, 200)
    t.not(third.body.refresh_token, second.body.refresh_token)
  },
)

t.test(
  'once the new pair is used, the previous refresh token after the grace revokes the session',
  async (t) => {
    const app = await startApp(t)
    const first = await app.login()
    const second = await refresh(app, first.refresh_token)
    t.equal((await app.call('/api/me', second.body.access_token)).status, 200, 'the client used it')
    app.clock.advance(10)
    const reused = await refresh(app, first.refresh_token)
    t.equal(reused.status, 400)
    t.match(reused.body, { error: 'invalid_grant', code: 'ERR_REFRESH_REUSED' })
    const me = await app.call('/api/me', second.body.access_token)
    t.equal(me.status, 401, 'the live access token of the session dies too')
    t.match(await me.json(), { code: 'ERR_TOKEN_REVOKED' })
    t.equal(
      (await refresh(app, second.body.refresh_token)).status,
      400,
      'and the current refresh token',
    )
    t.match(
      app.events.find((event) => event.type === 'refresh_reused'),
      { sub: 'alice' },
    )
  },
)

t.test('any older refresh token revokes the session, even inside the grace', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  const second = await refresh(app, first.refresh_token)
  const third = await refresh(app, second.body.refresh_token)
  const reused = await refresh(app, first.refresh_token)
  t.equal(reused.status, 400)
  t.match(reused.body, { code: 'ERR_REFRESH_REUSED' })
  t.equal((await app.call('/api/me', third.body.access_token)).status, 401)
})

t.test(
  'with reuseGrace 0 the previous token is reuse as soon as the new pair is used',
  async (t) => {
    const app = await startApp(t, { reuseGrace: 0 })
    const first = await app.login()
    const second = await refresh(app, first.refresh_token)
    t.equal((await refresh(app, first.refresh_token)).status, 200, 'unused: a replay')
    t.equal((await app.call('/api/me', second.body.access_token)).status, 200)
    t.match((await refresh(app, first.refresh_token)).body, { code: 'ERR_REFRESH_REUSED' })
  },
)

t.test('a refresh token expires refreshTtl after its issue', async (t) => {
  const app = await startApp(t, { accessTtl: 60, refreshTtl: 120 })
  const first = await app.login()
  app.clock.advance(100)
  const second = await refresh(app, first.refresh_token)
  t.equal(second.status, 200, 'the idle timeout restarts with each rotation')
  t.equal(second.body.refresh_expires_in, 120)
  app.clock.advance(120)
  const late = await refresh(app, second.body.refresh_token)
  t.equal(late.status, 400)
  t.match(late.body, { error: 'invalid_grant', code: 'ERR_REFRESH_INVALID' })
})

t.test('no refresh outlives sessionMaxAge', async (t) => {
  const app = await startApp(t, { accessTtl: 60, refreshTtl: 100, sessionMaxAge: 250 })
  let tokens = await app.login()
  for (let round = 0; round < 2; round += 1) {
    app.clock.advance(90)
    const next = await refresh(app, tokens.refresh_token)
    t.equal(next.status, 200)
    tokens = next.body
  }
  t.equal(tokens.refresh_expires_in, 70, 'capped by the absolute end of the session')
  app.clock.advance(70)
  t.equal((await refresh(app, tokens.refresh_token)).status, 400)
})

t.test('50 concurrent refreshes with one token: exactly one rotation, one session', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  const results = await Promise.all(
    Array.from({ length: 50 }, () => refresh(app, first.refresh_token)),
  )
  t.ok(
    results.every((result) => result.status === 200),
    'every caller gets a pair',
  )
  const refreshTokens = new Set(results.map((result) => result.body.refresh_token))
  t.equal(refreshTokens.size, 1, 'all of them the same current refresh token')
  t.equal(app.events.filter((event) => event.type === 'refresh').length, 1, 'one rotation')
  t.equal(app.events.filter((event) => event.type === 'refresh_replayed').length, 49)
  const sessions = await app.auth.listSessions('alice')
  t.equal(sessions.length, 1, 'the session was not split in two')
  for (const result of results.slice(0, 5)) {
    t.equal((await app.call('/api/me', result.body.access_token)).status, 200)
  }
})

t.test('a forged or tampered refresh token is invalid_grant and revokes nothing', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  const [sid, generation, mac] = tokens.refresh_token.split('.') as [string, string, string]
  const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A')
  for (const forged of [
    `${sid}.${generation}.${flipped}`,
    `${sid}.1.${mac}`,
    `${sid}.${generation}`,
    'x.y.z',
  ]) {
    const result = await refresh(app, forged)
    t.equal(result.status, 400)
    t.match(result.body, { error: 'invalid_grant', code: 'ERR_REFRESH_INVALID' })
  }
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200, 'the session lives on')
})
