// Against the real @baton/express on 127.0.0.1:0, with the real global fetch: login, expiry by
// the server's clock, a stampede that the server sees as one refresh, rotation, and logout.
import t from 'tap'
import type { AuthFetchWithLogin } from '../src/auth-fetch.js'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { AuthError } from '../src/errors.js'
import type { AuthFetchOptions, SessionEnd } from '../src/options.js'
import { TokenSet } from '../src/token-set.js'
import { startApp, type RunningApp } from './fixtures/express-app.js'

function client(app: RunningApp, options: Partial<AuthFetchOptions> = {}) {
  const ends: SessionEnd[] = []
  let logins = 0
  const api = createAuthFetch({
    origins: [app.origin],
    refreshUrl: `${app.origin}/auth/refresh`,
    revocationUrl: `${app.origin}/auth/revoke`,
    login: async () => {
      logins++
      return app.login()
    },
    onSessionEnd: (end) => ends.push(end),
    ...options,
  }) as AuthFetchWithLogin
  return { api, ends, logins: () => logins }
}

const me = (app: RunningApp) => `${app.origin}/api/me`

t.test('the first request logs in, and the API knows the user', async (t) => {
  const app = await startApp(t)
  const { api, logins } = client(app)
  const response = await api.fetch(me(app))
  t.equal(response.status, 200)
  t.match(await response.json(), { sub: 'alice' })
  t.equal(logins(), 1, 'the anonymous 401 called login() once')
  t.equal(app.count('login'), 1)
  t.equal(api.tokens?.tokenType, 'Bearer')
})

t.test(
  'an access token expired by the server clock is refreshed once and the request retried',
  async (t) => {
    const app = await startApp(t)
    const { api } = client(app)
    await api.login()
    const before = api.tokens
    app.clock.advance(66) // past the 60 s access TTL and the 5 s leeway
    const response = await api.fetch(me(app))
    t.equal(response.status, 200)
    t.equal(app.count('refresh'), 1)
    t.not(api.tokens?.accessToken, before?.accessToken)
    t.equal(app.count('rejected'), 1, 'the server refused the expired token once')
  },
)

t.test('a 50-request stampede on an expired token is one refresh on the server', async (t) => {
  const app = await startApp(t)
  const { api } = client(app)
  await api.login()
  app.clock.advance(66) // past the 60 s access TTL and the 5 s leeway
  const responses = await Promise.all(Array.from({ length: 50 }, () => api.fetch(me(app))))
  t.same(
    responses.map((response) => response.status),
    Array(50).fill(200),
  )
  const bodies = (await Promise.all(responses.map((response) => response.json()))) as {
    sub: string
  }[]
  t.ok(bodies.every((body) => body.sub === 'alice'))
  t.equal(app.count('refresh'), 1, 'one rotation')
  t.equal(app.count('refresh_replayed'), 0, 'not even a replay inside the grace')
  t.equal(app.count('refresh_reused'), 0)
})

t.test('the server rotates the refresh token and accepts each new one', async (t) => {
  const app = await startApp(t)
  const { api } = client(app)
  await api.login()
  const seen = new Set([api.tokens?.refreshToken])
  for (let round = 1; round <= 3; round++) {
    app.clock.advance(66) // past the 60 s access TTL and the 5 s leeway
    t.equal((await api.fetch(me(app))).status, 200, `round ${round}`)
    t.notOk(seen.has(api.tokens?.refreshToken), 'a new refresh token')
    seen.add(api.tokens?.refreshToken)
  }
  t.equal(app.count('refresh'), 3)
  t.equal(app.count('refresh_reused'), 0)
  t.equal(app.count('login'), 1)
})

t.test(
  'a proactive refresh on a shared clock never shows the server an expired token',
  async (t) => {
    const app = await startApp(t)
    const { api } = client(app, { now: app.clock })
    await api.login()
    app.clock.advance(45) // 15 s left, inside refreshBefore (30 s)
    t.equal((await api.fetch(me(app))).status, 200)
    t.equal(app.count('refresh'), 1)
    t.equal(app.count('rejected'), 0)
  },
)

t.test('logout() revokes the session on the server and forgets it in the client', async (t) => {
  const app = await startApp(t)
  const ends: SessionEnd[] = []
  const tokens = TokenSet.parse(await app.login())
  const loggedIn = createAuthFetch({
    origins: [app.origin],
    refreshUrl: `${app.origin}/auth/refresh`,
    revocationUrl: `${app.origin}/auth/revoke`,
    tokens,
    onSessionEnd: (end) => ends.push(end),
  })
  t.equal((await loggedIn.fetch(me(app))).status, 200)
  await loggedIn.logout()
  t.equal(loggedIn.tokens, null)
  t.same(
    ends.map((end) => end.reason),
    ['logout'],
  )
  t.equal(app.count('revoked'), 1)

  // The old tokens are dead on the server, not just forgotten.
  const direct = await fetch(me(app), {
    headers: { authorization: `Bearer ${tokens.accessToken}` },
  })
  t.equal(direct.status, 401)
  const refresh = await fetch(`${app.origin}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken ?? '',
    }),
  })
  t.equal(refresh.status, 400)
  t.match(await refresh.json(), { error: 'invalid_grant' })

  // And the client goes on without a token: its 401 is the answer.
  t.equal((await loggedIn.fetch(me(app))).status, 401)
})

t.test('a session ended on the server (POST /auth/logout) ends the client session', async (t) => {
  const app = await startApp(t)
  const ends: SessionEnd[] = []
  const session = createAuthFetch({
    origins: [app.origin],
    refreshUrl: `${app.origin}/auth/refresh`,
    tokens: await app.login(),
    onSessionEnd: (end) => ends.push(end),
  })
  const logout = await session.fetch(`${app.origin}/auth/logout`, { method: 'POST' })
  t.equal(logout.status, 200)
  t.match(await logout.json(), { revoked: true, sub: 'alice' })
  t.equal(app.count('logout'), 1)

  const error = await session.fetch(me(app)).catch((error: unknown) => error)
  t.type(error, AuthError)
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.match((error as AuthError).cause, { status: 400, error: 'invalid_grant' })
  t.same(
    ends.map((end) => end.reason),
    ['expired'],
  )
  t.equal(session.tokens, null)
})
