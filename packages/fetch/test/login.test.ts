/**
 * `api.login(credentials)`: the credentials go to the `login` callback, or as JSON to `loginUrl`
 * (here the real `@baton/express` `/login` on 127.0.0.1), and never into an error.
 */
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { LoginRequest, SessionEnd } from '../src/options.js'
import { PASSWORD, startApp } from './fixtures/express-app.js'
import { json, scriptedFetch } from './fixtures/scripted-fetch.js'

t.test('api.login(credentials) hands the credentials to the login callback', async (t) => {
  const requests: LoginRequest[] = []
  const api = createAuthFetch({
    origins: ['https://api.test'],
    login: (request) => {
      requests.push(request)
      return { access_token: 'A1' }
    },
  })
  await api.login({ username: 'alice', password: 'secret' })
  t.same(requests[0]?.credentials, { username: 'alice', password: 'secret' })
  await api.login()
  t.notOk('credentials' in (requests[1] ?? {}), 'none given, none passed')
})

t.test('loginUrl posts the credentials as JSON, as @baton/express /login takes them', async (t) => {
  const app = await startApp(t)
  const ends: SessionEnd[] = []
  const api = createAuthFetch({
    origins: [app.origin],
    loginUrl: `${app.origin}/auth/login`,
    refreshUrl: `${app.origin}/auth/refresh`,
    now: app.clock,
    onSessionEnd: (end) => ends.push(end),
  })
  const tokens = await api.login({ username: 'alice', password: PASSWORD })
  t.ok(tokens.refreshToken, 'a token response')
  const me = await api.fetch(`${app.origin}/api/me`)
  t.match(await me.json(), { sub: 'alice' })
  t.equal(app.count('login'), 1)

  const refused = await api
    .login({ username: 'alice', password: 'wrong' })
    .catch((error: unknown) => error)
  t.match(refused, { code: 'AUTH_SESSION_EXPIRED', cause: { status: 401 } })
  t.notMatch(JSON.stringify(refused), /wrong/, 'the password is in no error')
  t.same(
    ends.map((end) => end.reason),
    ['login_failed'],
  )
})

t.test('with loginUrl only, the client never logs in by itself', async (t) => {
  const server = scriptedFetch((call) =>
    call.path === '/auth/refresh' ? json({ error: 'invalid_grant' }, 400) : json({}, 401),
  )
  const ends: SessionEnd[] = []
  const api = createAuthFetch({
    origins: ['https://api.test'],
    loginUrl: 'https://api.test/auth/login',
    refreshUrl: 'https://api.test/auth/refresh',
    fetch: server.fetch,
    tokens: { accessToken: 'A1', refreshToken: 'R1' },
    onSessionEnd: (end) => ends.push(end),
  })
  const error = await api.fetch('https://api.test/api').catch((error: unknown) => error)
  t.match(error, { code: 'AUTH_SESSION_EXPIRED' })
  t.same(
    ends.map((end) => end.reason),
    ['expired'],
  )
  t.equal((await api.fetch('https://api.test/api')).status, 401, 'a 401 without a token: no login')
  t.equal(server.to('/auth/login').length, 0)
  const missing = await api.login().catch((error: unknown) => error)
  t.match(missing, { code: 'AUTH_SESSION_EXPIRED', cause: { name: 'TypeError' } })
  t.equal(server.to('/auth/login').length, 0, 'nothing to post without credentials')
})
