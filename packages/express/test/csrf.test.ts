import t from 'tap'
import { startApp } from './fixtures/app.js'
import {
  cookieLogin,
  CROSS_SITE,
  CSRF,
  postWithCookie,
  sameOrigin,
  setCookie,
} from './fixtures/cookie-client.js'

for (const path of ['/auth/refresh', '/auth/logout', '/auth/revoke']) {
  t.test(
    `a cross-site form POST with the cookie to ${path} is refused and ends nothing`,
    async (t) => {
      const app = await startApp(t, { refreshCookie: true })
      const { cookie } = await cookieLogin(app)
      const forged = await postWithCookie(app, path, cookie, CROSS_SITE, 'grant_type=refresh_token')
      t.equal(forged.status, 403)
      const body = await forged.text()
      t.match(JSON.parse(body), { error: 'access_denied', code: 'ERR_CSRF_ORIGIN' })
      t.notOk(body.includes(cookie), 'no token in the refusal')
      t.notOk(/access_token|refresh_token/.test(body))
      t.equal(setCookie(forged), undefined, 'the cookie is left alone')
      t.match(
        app.events.map((event) => event.type),
        ['login', 'rejected'],
      )
      // The session was not touched: its current cookie still rotates.
      t.equal((await postWithCookie(app, '/auth/refresh', cookie, sameOrigin(app))).status, 200)
    },
  )
}

t.test('an allowed origin without the custom header is refused', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie } = await cookieLogin(app)
  const response = await postWithCookie(app, '/auth/refresh', cookie, { origin: app.base })
  t.equal(response.status, 403)
  t.match(await response.json(), { code: 'ERR_CSRF_HEADER' })
})

t.test('without Origin only Sec-Fetch-Site: same-origin vouches for the request', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie } = await cookieLogin(app)
  for (const site of [undefined, 'same-site', 'cross-site', 'none']) {
    const refused = await postWithCookie(
      app,
      '/auth/refresh',
      cookie,
      site === undefined ? CSRF : { 'sec-fetch-site': site, ...CSRF },
    )
    t.equal(refused.status, 403, `Sec-Fetch-Site: ${site}`)
    t.match(await refused.json(), { code: 'ERR_CSRF_ORIGIN' })
  }
  const admitted = await postWithCookie(app, '/auth/refresh', cookie, {
    'sec-fetch-site': 'same-origin',
    ...CSRF,
  })
  t.equal(admitted.status, 200)
})

t.test('an opaque or foreign Origin is refused by default', async (t) => {
  const app = await startApp(t, { refreshCookie: true })
  const { cookie } = await cookieLogin(app)
  for (const origin of ['null', 'http://127.0.0.1:1', 'http://localhost']) {
    const refused = await postWithCookie(app, '/auth/refresh', cookie, { origin, ...CSRF })
    t.equal(refused.status, 403, origin)
  }
})

t.test('refreshCookie.origins lists the origins allowed, and only those', async (t) => {
  const app = await startApp(t, { refreshCookie: { origins: ['https://app.example.com'] } })
  const login = await app.post(
    '/auth/login',
    { username: 'alice', password: 'alice-password' },
    { origin: 'https://app.example.com', ...CSRF },
  )
  t.equal(login.status, 200)
  const cookie = setCookie(login)?.value
  const own = await postWithCookie(app, '/auth/refresh', cookie, sameOrigin(app))
  t.equal(own.status, 403, 'the own origin is not implied once a list is given')
  const listed = await postWithCookie(app, '/auth/refresh', cookie, {
    origin: 'https://app.example.com',
    ...CSRF,
  })
  t.equal(listed.status, 200)
})

t.test(
  'a cookie login from a foreign origin is refused before the password is checked',
  async (t) => {
    let checked = 0
    const app = await startApp(t, {
      refreshCookie: true,
      authenticate: () => {
        checked++
        return { sub: 'alice' }
      },
    })
    const response = await app.post(
      '/auth/login',
      { username: 'alice', password: 'alice-password' },
      { origin: 'https://evil.example', ...CSRF },
    )
    t.equal(response.status, 403)
    t.match(await response.json(), { code: 'ERR_CSRF_ORIGIN' })
    t.equal(setCookie(response), undefined)
    t.equal(checked, 0)
    t.notOk(app.events.some((event) => event.type === 'login'))
  },
)
