// Cookie mode, the demo's default, over real HTTP: browsers (the requests that send X-Baton-CSRF)
// get the refresh token in an httpOnly cookie; body clients such as the node-cli, on the same
// server, keep getting it in the body. BATON_REFRESH_COOKIE=0 turns the cookie off.
import t from 'tap'
import { get, login, startApp } from './fixtures/app.js'

/** A login as the page sends it: same origin, with the CSRF header. */
async function browserLogin(url) {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, 'x-baton-csrf': '1' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  })
  return {
    status: response.status,
    setCookie: response.headers.getSetCookie(),
    body: await response.json(),
  }
}

const pageConfig = async (url) =>
  JSON.parse(
    /<script type="application\/json" id="config">\s*(.*?)\s*<\/script>/s.exec(
      (await get(`${url}/`)).body,
    )[1],
  )

t.test(
  'by default a browser login sets an httpOnly cookie and no refresh token in the body',
  async (t) => {
    const { url, refreshCookie } = await startApp(t)
    t.equal(refreshCookie, true)
    t.equal((await pageConfig(url)).refreshCookie, true, 'the page is told')
    const { status, setCookie, body } = await browserLogin(url)
    t.equal(status, 200)
    t.notOk('refresh_token' in body, 'no refresh token in the body')
    t.type(body.access_token, 'string')
    t.equal(setCookie.length, 1)
    const [pair, ...attributes] = setCookie[0].split('; ')
    t.match(pair, /^baton_refresh=[^;]+$/)
    t.same(
      attributes.filter((attribute) => !attribute.startsWith('Max-Age=')).sort(),
      ['HttpOnly', 'Path=/auth', 'SameSite=Strict', 'Secure'],
      'HttpOnly, Secure (browsers take it on http://localhost), SameSite=Strict, only for /auth',
    )
    t.equal(
      attributes.find((attribute) => attribute.startsWith('Max-Age=')),
      'Max-Age=86400',
    )

    // The refresh endpoint reads the cookie (what the browser sends back to /auth) and rotates it.
    const refreshed = await fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: { origin: url, 'x-baton-csrf': '1', cookie: pair },
    })
    t.equal(refreshed.status, 200)
    t.notOk('refresh_token' in (await refreshed.json()))
    const [rotated] = refreshed.headers.getSetCookie()
    t.match(rotated, /^baton_refresh=[^;]+;/)
    t.not(rotated.split(';')[0], pair, 'a rotated refresh token')
  },
)

t.test(
  'the same default server gives a body client (no CSRF header) its refresh token in the body',
  async (t) => {
    const { url } = await startApp(t)
    const response = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
    })
    t.equal(response.status, 200)
    t.same(response.headers.getSetCookie(), [], 'no cookie')
    const tokens = await response.json()
    t.type(tokens.refresh_token, 'string')
    const refreshed = await fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    })
    t.equal(refreshed.status, 200)
    t.type((await refreshed.json()).refresh_token, 'string')
  },
)

t.test(
  'BATON_REFRESH_COOKIE=0 turns cookie mode off: the browser gets the body transport',
  async (t) => {
    const { url, refreshCookie } = await startApp(t, { env: { BATON_REFRESH_COOKIE: '0' } })
    t.equal(refreshCookie, false)
    t.equal((await pageConfig(url)).refreshCookie, false, 'the page is told')
    const { status, setCookie, body } = await browserLogin(url)
    t.equal(status, 200)
    t.same(setCookie, [], 'no cookie')
    t.type(body.refresh_token, 'string', 'the refresh token in the body')
    t.equal((await get(`${url}/api/me`, body.access_token)).body.sub, 'alice')
  },
)

t.test(
  'an empty BATON_REFRESH_COOKIE is unset (cookie mode); another value is refused, by name',
  async (t) => {
    t.equal((await startApp(t, { env: { BATON_REFRESH_COOKIE: ' ' } })).refreshCookie, true)
    t.equal((await startApp(t, { env: { BATON_REFRESH_COOKIE: '1' } })).refreshCookie, true)
    await t.rejects(startApp(t, { env: { BATON_REFRESH_COOKIE: 'yes' } }), {
      name: 'TypeError',
      message: /^BATON_REFRESH_COOKIE must be 1 or 0/,
    })
  },
)

t.test('refreshCookie given to createApp wins over the environment', async (t) => {
  const off = await startApp(t, { auth: { refreshCookie: false } })
  t.equal(off.refreshCookie, false)
  t.type((await login(off.url)).refresh_token, 'string')
  const lax = await startApp(t, {
    env: { BATON_REFRESH_COOKIE: '0' },
    auth: { refreshCookie: { sameSite: 'lax' } },
  })
  t.equal(lax.refreshCookie, true)
  t.match((await browserLogin(lax.url)).setCookie[0], 'SameSite=Lax')
})
