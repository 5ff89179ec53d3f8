import express from 'express'
import t from 'tap'
import { createAuth } from '../src/index.js'
import { SECRET, serve, startApp } from './fixtures/app.js'
import {
  cookieLogin,
  CSRF,
  postWithCookie,
  sameOrigin,
  setCookie,
} from './fixtures/cookie-client.js'

t.test(
  'a cookie login sets an HttpOnly, Secure, SameSite=Strict cookie on the mount path',
  async (t) => {
    const app = await startApp(t, { refreshCookie: true })
    const { response, body } = await cookieLogin(app)
    t.match(setCookie(response), {
      name: 'baton_refresh',
      path: '/auth',
      maxAge: 86_400,
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
    })
    t.notOk('domain' in (setCookie(response) ?? {}), 'a host-only cookie')
    t.type(body.access_token, 'string')
    t.equal(body.refresh_expires_in, 86_400)
    t.notOk('refresh_token' in body, 'no refresh token in the body of a cookie client')
  },
)

t.test(
  'refresh by cookie rotates it, answers no refresh token, and logout clears it',
  async (t) => {
    const app = await startApp(t, { refreshCookie: true })
    const { cookie: first } = await cookieLogin(app)
    app.clock.advance(60)

    const refreshed = await postWithCookie(app, '/auth/refresh', first, sameOrigin(app))
    t.equal(refreshed.status, 200)
    const rotated = setCookie(refreshed)
    t.match(rotated, { path: '/auth', maxAge: 86_400, httpOnly: true, secure: true })
    t.not(rotated?.value, first, 'the cookie changes')
    const body = (await refreshed.json()) as Record<string, unknown>
    t.notOk('refresh_token' in body)
    t.equal((await app.call('/api/me', body.access_token as string)).status, 200)

    const logout = await postWithCookie(app, '/auth/logout', rotated?.value, sameOrigin(app))
    t.equal(logout.status, 200)
    t.same(await logout.json(), { revoked: true, sub: 'alice' })
    t.match(setCookie(logout), { value: '', maxAge: 0, path: '/auth' })
    t.equal((await app.call('/api/me', body.access_token as string)).status, 401)
    t.match(
      app.events.map((event) => event.type),
      ['login', 'refresh', 'logout'],
    )
  },
)

t.test('a reused refresh cookie ends the session and clears the cookie', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie: first } = await cookieLogin(app)
  const second = setCookie(await postWithCookie(app, '/auth/refresh', first, sameOrigin(app)))
  const third = setCookie(
    await postWithCookie(app, '/auth/refresh', second?.value, sameOrigin(app)),
  )
  // Two generations old: a stolen copy, whatever the grace.
  const reused = await postWithCookie(app, '/auth/refresh', first, sameOrigin(app))
  t.equal(reused.status, 400)
  t.match(await reused.json(), { error: 'invalid_grant', code: 'ERR_REFRESH_REUSED' })
  t.match(setCookie(reused), { value: '', maxAge: 0 })
  const after = await postWithCookie(app, '/auth/refresh', third?.value, sameOrigin(app))
  t.equal(after.status, 400, 'the session is over')
  t.match(setCookie(after), { maxAge: 0 })
})

t.test('an unknown refresh cookie is answered invalid_grant and cleared', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const response = await postWithCookie(app, '/auth/refresh', 'not-a-token', sameOrigin(app))
  t.equal(response.status, 400)
  t.match(await response.json(), { code: 'ERR_REFRESH_INVALID' })
  t.match(setCookie(response), { maxAge: 0 })
})

t.test('a refusal that does not end the session keeps the cookie', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie } = await cookieLogin(app)
  const response = await postWithCookie(
    app,
    '/auth/refresh',
    cookie,
    sameOrigin(app),
    'scope=admin',
  )
  t.equal(response.status, 400)
  t.match(await response.json(), { code: 'ERR_INVALID_SCOPE' })
  t.equal(setCookie(response), undefined)
  t.equal((await postWithCookie(app, '/auth/refresh', cookie, sameOrigin(app))).status, 200)
})

t.test(
  'logout with a cookie whose session is gone clears it and answers invalid_grant',
  async (t) => {
    const app = await startApp(t, { refreshCookie: true })
    const { cookie } = await cookieLogin(app)
    t.equal((await postWithCookie(app, '/auth/logout', cookie, sameOrigin(app))).status, 200)
    for (const stale of [cookie, 'not-a-token']) {
      const again = await postWithCookie(app, '/auth/logout', stale, sameOrigin(app))
      t.equal(again.status, 400)
      t.match(await again.json(), { error: 'invalid_grant', code: 'ERR_REFRESH_INVALID' })
      t.match(setCookie(again), { maxAge: 0 })
    }
  },
)

t.test('revoke by cookie ends the session and clears the cookie', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie } = await cookieLogin(app)
  const revoke = await postWithCookie(app, '/auth/revoke', cookie, sameOrigin(app))
  t.equal(revoke.status, 200)
  t.same(await revoke.json(), {})
  t.match(setCookie(revoke), { maxAge: 0 })
  t.equal((await postWithCookie(app, '/auth/refresh', cookie, sameOrigin(app))).status, 400)
})

t.test('a body client on a cookie-mode server keeps the body transport', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const login = await app.post('/auth/login', { username: 'bob', password: 'bob-password' })
  t.equal(setCookie(login), undefined, 'a login without the CSRF header sets no cookie')
  const tokens = (await login.json()) as { access_token: string; refresh_token: string }
  t.type(tokens.refresh_token, 'string')

  // A token in the body makes it a body client, whatever cookie comes along.
  const refresh = await postWithCookie(
    app,
    '/auth/refresh',
    'some-cookie',
    {},
    `refresh_token=${encodeURIComponent(tokens.refresh_token)}`,
  )
  t.equal(refresh.status, 200)
  t.equal(setCookie(refresh), undefined)
  const rotated = (await refresh.json()) as typeof tokens
  t.type(rotated.refresh_token, 'string')

  const revoke = await postWithCookie(app, '/auth/revoke', 'some-cookie', {}, 'token=unknown')
  t.equal(revoke.status, 200)
  t.equal(setCookie(revoke), undefined)

  // A bearer logout is the bearer's; the cookie is not read, nor cleared.
  const logout = await app.call('/auth/logout', rotated.access_token, {
    method: 'POST',
    headers: { cookie: 'baton_refresh=some-cookie', ...CSRF },
  })
  t.equal(logout.status, 200)
  t.equal(setCookie(logout), undefined)

  const noToken = await postWithCookie(app, '/auth/refresh', undefined, { origin: app.base })
  t.equal(noToken.status, 400, 'no body token and no cookie: the body transport refuses as before')
  t.match(await noToken.json(), { code: 'ERR_INVALID_REQUEST' })
})

t.test('without refreshCookie the cookie and the CSRF header are ignored', async (t) => {
  const app = await startApp(t, { refreshCookie: false })
  const login = await app.post(
    '/auth/login',
    { username: 'alice', password: 'alice-password' },
    sameOrigin(app),
  )
  t.equal(setCookie(login), undefined)
  t.type(((await login.json()) as { refresh_token: unknown }).refresh_token, 'string')
  const refresh = await postWithCookie(app, '/auth/refresh', 'x', sameOrigin(app))
  t.equal(refresh.status, 400)
  t.match(await refresh.json(), { code: 'ERR_INVALID_REQUEST' })
})

t.test('the cookie options shape the cookie', async (t) => {
  const app = await startApp(t, {
    refreshCookie: {
      name: 'rt',
      path: '/auth/refresh',
      sameSite: 'lax',
      secure: false,
      domain: 'app.test',
    },
  })
  const login = await app.post(
    '/auth/login',
    { username: 'alice', password: 'alice-password' },
    sameOrigin(app),
  )
  const cookie = setCookie(login)
  t.match(cookie, { name: 'rt', path: '/auth/refresh', sameSite: 'lax', domain: 'app.test' })
  t.notOk(cookie?.secure)
  const refresh = await fetch(`${app.base}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: `rt=${cookie?.value}`, ...sameOrigin(app) },
  })
  t.equal(refresh.status, 200)
  t.match(setCookie(refresh), { name: 'rt', path: '/auth/refresh' })
})

t.test('a router mounted at the root scopes the cookie to /', async (t) => {
  const auth = createAuth({
    keys: { secret: SECRET },
    refreshCookie: true,
    authenticate: () => ({ sub: 'alice' }),
  })
  const app = express()
  app.use(auth.router())
  const base = await serve(t, app, auth)
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, ...CSRF },
    body: JSON.stringify({ username: 'alice', password: 'x' }),
  })
  t.equal(login.status, 200)
  t.match(setCookie(login), { path: '/' })
})

t.test('an empty refresh cookie or only other cookies count as no cookie', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  for (const cookie of ['baton_refresh=', 'theme=dark']) {
    const response = await fetch(`${app.base}/auth/refresh`, {
      method: 'POST',
      headers: { cookie, ...sameOrigin(app) },
    })
    t.equal(response.status, 400, cookie)
    t.match(await response.json(), { error: 'invalid_grant', code: 'ERR_NO_REFRESH_COOKIE' })
    t.equal(setCookie(response), undefined)
  }
})

t.test(
  'a cookie client without the cookie is told invalid_grant ERR_NO_REFRESH_COOKIE',
  async (t) => {
    const app = await startApp(t, { refreshCookie: true })
    const refresh = await postWithCookie(
      app,
      '/auth/refresh',
      undefined,
      sameOrigin(app),
      'grant_type=refresh_token',
    )
    t.equal(refresh.status, 400)
    t.match(await refresh.json(), { error: 'invalid_grant', code: 'ERR_NO_REFRESH_COOKIE' })
    t.equal(setCookie(refresh), undefined, 'no cookie to clear')
    // Without the header it is a body client that forgot its token, as before.
    const body = await postWithCookie(
      app,
      '/auth/refresh',
      undefined,
      {},
      'grant_type=refresh_token',
    )
    t.equal(body.status, 400)
    t.match(await body.json(), { error: 'invalid_request' })
  },
)

t.test(
  'a cookie client revoking without the cookie is answered 200: nothing to revoke',
  async (t) => {
    const app = await startApp(t, { refreshCookie: true })
    const revoke = await postWithCookie(app, '/auth/revoke', undefined, sameOrigin(app))
    t.equal(revoke.status, 200)
    t.same(await revoke.json(), {})
    t.equal(setCookie(revoke), undefined)
    const body = await postWithCookie(app, '/auth/revoke', undefined, {})
    t.equal(body.status, 400, 'a body client must still name its token')
  },
)

t.test(
  'without refreshCookie the CSRF header does not turn a refresh into a grant refusal',
  async (t) => {
    const app = await startApp(t)
    const refresh = await postWithCookie(app, '/auth/refresh', undefined, sameOrigin(app))
    t.equal(refresh.status, 400)
    t.match(await refresh.json(), { error: 'invalid_request' })
    const revoke = await postWithCookie(app, '/auth/revoke', undefined, sameOrigin(app))
    t.equal(revoke.status, 400)
  },
)
