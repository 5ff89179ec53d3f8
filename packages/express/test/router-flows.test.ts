import t from 'tap'
import { startApp } from './fixtures/app.js'

t.test('login, call the API, refresh, and call again with the new token', async (t) => {
  const app = await startApp(t)
  const first = await app.login()
  t.equal(first.token_type, 'Bearer')
  t.equal(first.expires_in, 900)
  t.equal(first.refresh_expires_in, 86_400)
  t.equal(first.scope, 'read')

  const me = await app.call('/api/me', first.access_token)
  t.equal(me.status, 200)
  const body = (await me.json()) as { sub: string; scope: string[]; claims: { role: string } }
  t.equal(body.sub, 'alice')
  t.same(body.scope, ['read'])
  t.equal(body.claims.role, 'user')

  app.clock.advance(60)
  const refreshed = await app.post('/auth/refresh', { refresh_token: first.refresh_token })
  t.equal(refreshed.status, 200)
  const second = (await refreshed.json()) as typeof first
  t.not(second.refresh_token, first.refresh_token)
  t.not(second.access_token, first.access_token)
  t.equal((await app.call('/api/me', second.access_token)).status, 200)
})

t.test('a form-encoded login and an RFC 6749 form refresh work like JSON', async (t) => {
  const app = await startApp(t)
  const login = await app.post('/auth/login', 'username=bob&password=bob-password', {
    'content-type': 'application/x-www-form-urlencoded',
  })
  t.equal(login.status, 200)
  t.equal(login.headers.get('cache-control'), 'no-store')
  t.equal(login.headers.get('pragma'), 'no-cache')
  const tokens = (await login.json()) as { refresh_token: string }
  const refresh = await app.post(
    '/auth/refresh',
    `grant_type=refresh_token&refresh_token=${encodeURIComponent(tokens.refresh_token)}`,
    { 'content-type': 'application/x-www-form-urlencoded' },
  )
  t.equal(refresh.status, 200)
  t.equal(refresh.headers.get('cache-control'), 'no-store')
})

t.test('a wrong password is 401 invalid_credentials with a challenge', async (t) => {
  const app = await startApp(t)
  const response = await app.post('/auth/login', { username: 'alice', password: 'nope' })
  t.equal(response.status, 401)
  t.match(response.headers.get('www-authenticate'), /^Bearer realm="https:\/\/issuer.test"$/)
  t.match(await response.json(), { error: 'invalid_credentials', code: 'ERR_INVALID_CREDENTIALS' })
})

t.test('logout kills the access token and the refresh token at once', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  const logout = await app.call('/auth/logout', tokens.access_token, { method: 'POST' })
  t.equal(logout.status, 200)
  t.same(await logout.json(), { revoked: true, sub: 'alice' })
  const me = await app.call('/api/me', tokens.access_token)
  t.equal(me.status, 401)
  t.match(await me.json(), { error: 'invalid_token', code: 'ERR_TOKEN_REVOKED' })
  const refresh = await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(refresh.status, 400)
  t.match(await refresh.json(), { error: 'invalid_grant', code: 'ERR_REFRESH_INVALID' })
})

t.test('logout without credentials is a 401 challenge', async (t) => {
  const app = await startApp(t)
  const response = await app.call('/auth/logout', undefined, { method: 'POST' })
  t.equal(response.status, 401)
  t.equal(response.headers.get('www-authenticate'), 'Bearer realm="https://issuer.test"')
  t.match(await response.json(), { code: 'ERR_NO_CREDENTIALS' })
})

t.test(
  'revoking the refresh token ends the session, and unknown tokens still get 200',
  async (t) => {
    const app = await startApp(t)
    const tokens = await app.login()
    const revoke = await app.post(
      '/auth/revoke',
      `token=${encodeURIComponent(tokens.refresh_token)}&token_type_hint=refresh_token`,
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    )
    t.equal(revoke.status, 200)
    t.equal((await app.call('/api/me', tokens.access_token)).status, 401)
    t.equal((await app.post('/auth/revoke', { token: tokens.refresh_token })).status, 200)
    t.equal((await app.post('/auth/revoke', { token: 'not-a-token-at-all' })).status, 200)
  },
)

t.test('revoking an access token, even an expired one, ends its session', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  app.clock.advance(901)
  t.equal((await app.post('/auth/revoke', { token: tokens.access_token })).status, 200)
  const refresh = await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(refresh.status, 400)
  t.equal(app.events.filter((event) => event.type === 'revoked').length, 1)
})

t.test('introspection reports active tokens and inactive ones', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  const access = await app.post('/auth/introspect', { token: tokens.access_token })
  t.equal(access.status, 200)
  t.match(await access.json(), {
    active: true,
    // RFC 7662 §2.2: the RFC 6749 §5.1 type (issue 19; this said 'access_token' before).
    token_type: 'Bearer',
    sub: 'alice',
    scope: 'read',
    iss: 'https://issuer.test',
    aud: 'test-api',
    exp: Number,
    iat: Number,
  })
  const viaHeader = await app.call('/auth/introspect', tokens.access_token, { method: 'POST' })
  t.match(await viaHeader.json(), { active: true, sub: 'alice' })
  const refresh = await app.post('/auth/introspect', { token: tokens.refresh_token })
  // A refresh token has no RFC 6749 §5.1 type, so no token_type (issue 19; it was 'refresh_token').
  t.match(await refresh.json(), { active: true, token_type: undefined, sub: 'alice' })
  t.same(await (await app.post('/auth/introspect', { token: 'garbage' })).json(), { active: false })

  const next = (await (
    await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  ).json()) as { access_token: string }
  const previous = await app.post('/auth/introspect', { token: tokens.refresh_token })
  t.match(await previous.json(), { active: true }, 'the previous token is live inside the grace')
  app.clock.advance(11)
  const unused = await app.post('/auth/introspect', { token: tokens.refresh_token })
  t.match(await unused.json(), { active: true }, 'and after it, while the new pair is unused')
  await app.call('/api/me', next.access_token)
  const stale = await app.post('/auth/introspect', { token: tokens.refresh_token })
  t.same(await stale.json(), { active: false }, 'and inactive after it')

  await app.call('/auth/logout', tokens.access_token, { method: 'POST' })
  t.same(await (await app.post('/auth/introspect', { token: tokens.access_token })).json(), {
    active: false,
  })
  const missing = await app.post('/auth/introspect', {})
  t.equal(missing.status, 400)
  t.match(await missing.json(), { code: 'ERR_INVALID_REQUEST' })
})

t.test('optional auth serves anonymous callers and identified ones', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login('bob')
  t.same(await (await app.call('/api/feed', undefined)).json(), { viewer: null })
  t.same(await (await app.call('/api/feed', tokens.access_token)).json(), { viewer: 'bob' })
})

t.test('the access token expires after accessTtl', async (t) => {
  const app = await startApp(t, { accessTtl: 60, leeway: 0 })
  const tokens = await app.login()
  app.clock.advance(59)
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
  app.clock.advance(1)
  const expired = await app.call('/api/me', tokens.access_token)
  t.equal(expired.status, 401)
  t.match(await expired.json(), { code: 'ERR_TOKEN_EXPIRED' })
})

t.test('without authenticate there is no /login, but issue() starts sessions', async (t) => {
  const app = await startApp(t, { authenticate: undefined })
  const login = await app.post('/auth/login', { username: 'alice', password: 'alice-password' })
  t.equal(login.status, 404)
  const tokens = await app.auth.issue('carol', { scope: ['read', 'write'] })
  t.equal(tokens.scope, 'read write')
  const info = await app.auth.verify(tokens.access_token)
  t.same(info.scope, ['read', 'write'])
  t.equal(info.sub, 'carol')
})

t.test(
  'an authenticate that resolves to a malformed user is an app error, not a session',
  async (t) => {
    const app = await startApp(t, {
      authenticate: () => ({ sub: 42 }) as unknown as { sub: string },
    })
    const response = await app.post('/auth/login', { username: 'alice', password: 'x' })
    t.equal(response.status, 500)
    t.same(await app.auth.listSessions('42'), [])
  },
)
