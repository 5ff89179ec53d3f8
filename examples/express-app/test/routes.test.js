// The app's routes over real HTTP: the page, the vendored @baton/fetch, the API, the demo tools
// and the configuration it reads.
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { SECRET, get, login, startApp } from './fixtures/app.js'

const FETCH_DIST = dirname(fileURLToPath(import.meta.resolve('@baton/fetch')))

t.test('GET / serves the demo page: HTML, the import map and the module script', async (t) => {
  const { url } = await startApp(t, { env: { BATON_ACCESS_TTL: '120' } })
  const { status, headers, body } = await get(`${url}/`)
  t.equal(status, 200)
  t.match(headers.get('content-type'), /^text\/html/)
  t.match(body, /<script type="module" src="\/demo-page\.js"><\/script>/)
  t.match(body, /"@baton\/fetch": "\/vendor\/baton-fetch\/index\.js"/)
  const config = JSON.parse(
    /<script type="application\/json" id="config">\s*(.*?)\s*<\/script>/s.exec(body)[1],
  )
  t.same(config, {
    accessTtl: 120,
    refreshTtl: 86_400,
    demoTools: false,
    store: 'lru',
    refreshCookie: true,
  })
  // The inline import map runs under the CSP only with this response's nonce.
  const nonce = /<script type="importmap" nonce="([^"]+)">/.exec(body)[1]
  t.match(headers.get('content-security-policy'), `script-src 'self' 'nonce-${nonce}'`)
  t.equal(headers.get('cache-control'), 'no-store')
  const again = await get(`${url}/`)
  t.not(/nonce="([^"]+)"/.exec(again.body)[1], nonce, 'a new nonce for every response')
})

t.test("/vendor/baton-fetch serves the package's own built ES modules, all of them", async (t) => {
  const { url } = await startApp(t)
  const seen = new Set()
  const visit = async (file) => {
    if (seen.has(file)) return
    seen.add(file)
    const { status, headers, body } = await get(`${url}/vendor/baton-fetch/${file}`)
    t.equal(status, 200, file)
    t.match(headers.get('content-type'), /^text\/javascript/, file)
    t.equal(body, await readFile(join(FETCH_DIST, file), 'utf8'), `${file} is the shipped file`)
    for (const [, imported] of body.matchAll(/from '\.\/([\w-]+\.js)'/g)) await visit(imported)
  }
  await visit('index.js')
  t.ok(seen.has('create-auth-fetch.js') && seen.size > 5, 'the whole module graph resolves')
  t.notOk(
    [...seen].some((file) => file === 'file-storage.js'),
    'no node: module reaches the page',
  )
})

t.test('the page script and style are served; nothing outside the folders is', async (t) => {
  const { url } = await startApp(t)
  t.equal((await get(`${url}/demo-page.js`)).status, 200)
  t.equal((await get(`${url}/style.css`)).status, 200)
  // Sent byte for byte: fetch's URL parser would turn %2e%2e into .. and resolve it away, and the
  // request would never reach the vendor folder.
  for (const path of [
    '/vendor/baton-fetch/%2e%2e/package.json',
    '/vendor/baton-fetch/..%2fpackage.json',
    '/vendor/baton-fetch/%2e%2e%2fpackage.json',
    '/vendor/baton-fetch/../package.json',
  ]) {
    const response = await rawGet(url, path)
    t.equal(response.status, 404, path)
    t.notMatch(response.body, '@baton/fetch', `${path}: nothing of the package's folder`)
  }
  t.equal((await get(`${url}/vendor/baton-fetch/`)).status, 404)
  const missing = await get(`${url}/nowhere`)
  t.equal(missing.status, 404)
  t.same(missing.body, { error: 'not_found', error_description: 'No such route' })
})

t.test('without REDIS_URL the sessions live in the embedded LRU store', async (t) => {
  const app = await startApp(t, { env: { REDIS_URL: '' } })
  t.equal(app.store, 'lru')
})

t.test('the demo users log in; anyone else gets 401 invalid_credentials', async (t) => {
  const { url } = await startApp(t)
  for (const user of ['alice', 'bob']) {
    const tokens = await login(url, user)
    const me = await get(`${url}/api/me`, tokens.access_token)
    t.equal(me.status, 200)
    t.equal(me.body.sub, user)
    t.type(me.body.sid, 'string')
    t.equal(me.body.claims.name, user === 'alice' ? 'Alice' : 'Bob')
    t.equal(me.headers.get('cache-control'), 'no-store')
  }
  for (const [username, password] of [
    ['alice', 'bob-password'],
    ['carol', 'carol-password'],
    ['Alice', 'alice-password'],
  ]) {
    const response = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    })
    t.equal(response.status, 401, `${username}/${password}`)
    t.equal((await response.json()).error, 'invalid_credentials')
  }
})

t.test('GET /api/me requires a token: 401 with a Bearer challenge, JSON error body', async (t) => {
  const { url } = await startApp(t)
  const anonymous = await get(`${url}/api/me`)
  t.equal(anonymous.status, 401)
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer realm=/)
  const forged = await get(`${url}/api/me`, 'a.b.c')
  t.equal(forged.status, 401)
  t.match(forged.body, { error: 'invalid_token', code: String })
})

t.test('BATON_* variables configure the auth', async (t) => {
  const { url, settings } = await startApp(t, {
    env: {
      BATON_ACCESS_TTL: '120',
      BATON_REFRESH_TTL: '600',
      BATON_ISSUER: 'https://demo.example',
      BATON_AUDIENCE: 'demo-api',
      BATON_MAX_SESSIONS: '1',
      BATON_REUSE_GRACE: '0',
    },
  })
  t.same(settings, { accessTtl: 120, refreshTtl: 600, leeway: 5 })
  const first = await login(url)
  t.equal(first.expires_in, 120)
  t.equal(first.refresh_expires_in, 600)
  const me = await get(`${url}/api/me`, first.access_token)
  t.equal(me.body.claims.iss, 'https://demo.example')
  t.equal(me.body.claims.aud, 'demo-api')
  // BATON_MAX_SESSIONS=1: a second login evicts the first session.
  await login(url)
  t.equal((await get(`${url}/api/me`, first.access_token)).status, 401)
  // BATON_REUSE_GRACE=0: once the new pair is used, the previous refresh token is dead at once,
  // and reusing it ends all.
  const second = await login(url)
  const rotated = await refresh(url, second.refresh_token)
  t.equal(rotated.status, 200)
  t.equal((await get(`${url}/api/me`, rotated.body.access_token)).status, 200)
  t.equal((await refresh(url, second.refresh_token)).status, 400)
})

t.test('BATON_PASSPHRASE and BATON_SALT sign tokens another app with them accepts', async (t) => {
  const env = {
    BATON_SECRET: '',
    BATON_PASSPHRASE: 'correct horse battery staple',
    BATON_SALT: 'baton-demo',
  }
  const one = await startApp(t, { env })
  const two = await startApp(t, { env })
  const tokens = await login(one.url)
  // The sessions are per instance, so the other app refuses the token as revoked, not as forged.
  const elsewhere = await get(`${two.url}/api/me`, tokens.access_token)
  t.equal(elsewhere.status, 401)
  t.equal(elsewhere.body.code, 'ERR_TOKEN_REVOKED')
  const otherKey = await startApp(t, { env: { BATON_SECRET: SECRET.replace(/^./, 'A') } })
  t.not((await get(`${otherKey.url}/api/me`, tokens.access_token)).body.code, 'ERR_TOKEN_REVOKED')
})

t.test('a bad BATON_* variable fails createApp with a message naming it', async (t) => {
  await t.rejects(startApp(t, { env: { BATON_ACCESS_TTL: 'soon' } }), /BATON_ACCESS_TTL/)
})

t.test('no other site can move the demo clock: it takes JSON only', async (t) => {
  const { url } = await startApp(t, { demoTools: true })
  // What any page may send cross-site without a CORS preflight: no body, a form, text/plain.
  const simple = [
    {},
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'seconds=5' },
    { headers: { 'content-type': 'text/plain' }, body: '{"seconds": 5}' },
    { headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: 'x' },
  ]
  for (const init of simple) {
    const response = await fetch(`${url}/demo/clock/advance`, { method: 'POST', ...init })
    t.equal(response.status, 415, JSON.stringify(init))
    t.equal(response.headers.get('access-control-allow-origin'), null)
  }
  t.match((await get(`${url}/demo/stats`)).body, { clockOffsetSeconds: 0 }, 'nothing moved')
})

t.test('the demo routes do not exist unless demoTools is on', async (t) => {
  const { url } = await startApp(t)
  t.equal((await get(`${url}/demo/stats`)).status, 404)
  const advance = await fetch(`${url}/demo/clock/advance`, { method: 'POST' })
  t.equal(advance.status, 404)
})

t.test('advancing the demo clock expires access tokens, not refresh tokens', async (t) => {
  const { url } = await startApp(t, { demoTools: true })
  const tokens = await login(url)
  const before = await get(`${url}/demo/stats`)
  t.match(before.body, {
    counts: { login: 1, refresh: 0 },
    clockOffsetSeconds: 0,
    settings: { accessTtl: 900, refreshTtl: 86_400, leeway: 5, expireAccessTokens: 906 },
    store: 'lru',
  })
  t.equal(before.body.recent[0].type, 'login')

  const advanced = await post(`${url}/demo/clock/advance`, {})
  t.equal(advanced.status, 200)
  t.match(advanced.body, { advancedSeconds: 906, clockOffsetSeconds: 906 })
  const expired = await get(`${url}/api/me`, tokens.access_token)
  t.equal(expired.status, 401)
  t.equal(expired.body.code, 'ERR_TOKEN_EXPIRED')

  const refreshed = await refresh(url, tokens.refresh_token)
  t.equal(refreshed.status, 200)
  t.equal((await get(`${url}/api/me`, refreshed.body.access_token)).status, 200)
  const after = await get(`${url}/demo/stats`)
  t.match(after.body.counts, { login: 1, refresh: 1, rejected: 1 })

  const further = await post(`${url}/demo/clock/advance`, { seconds: 90_000 })
  t.equal(further.body.clockOffsetSeconds, 90_906)
  t.equal((await refresh(url, refreshed.body.refresh_token)).status, 400, 'past refreshTtl')
})

t.test('POST /demo/clock/advance refuses what is not a positive number of seconds', async (t) => {
  const { url } = await startApp(t, { demoTools: true })
  for (const seconds of [0, -5, '60', null, 1e12]) {
    const response = await post(`${url}/demo/clock/advance`, { seconds })
    t.equal(response.status, 400, JSON.stringify(seconds))
    t.equal(response.body.error, 'invalid_request')
  }
  for (const body of [[1], { secs: 5 }, 'x']) {
    const response = await post(`${url}/demo/clock/advance`, body)
    t.equal(response.status, 400, JSON.stringify(body))
  }
  t.match((await get(`${url}/demo/stats`)).body, { clockOffsetSeconds: 0 }, 'nothing moved')
  const malformed = await fetch(`${url}/demo/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"seconds":',
  })
  t.equal(malformed.status, 400)
  t.same(await malformed.json(), {
    error: 'invalid_request',
    error_description: 'The request could not be read',
  })
  t.equal((await get(`${url}/demo/stats`)).body.clockOffsetSeconds, 0)
})

t.test('an unexpected error is a JSON 500 without details, and is logged', async (t) => {
  const logged = t.capture(console, 'error')
  const { url } = await startApp(t, {
    auth: {
      authenticate: () => {
        throw new Error('the user directory is down')
      },
    },
  })
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  })
  t.equal(response.status, 500)
  t.same(await response.json(), {
    error: 'server_error',
    error_description: 'Something went wrong',
  })
  t.match(logged()[0].args[0].message, 'the user directory is down')
})

t.test('onEvent given to createApp still receives the events', async (t) => {
  const events = []
  const { url } = await startApp(t, { auth: { onEvent: (event) => events.push(event.type) } })
  await login(url)
  t.same(events, ['login'])
})

function refresh(url, refreshToken) {
  return post(`${url}/auth/refresh`, { refresh_token: refreshToken })
}

/** GET with the path exactly as given (no URL normalization), for traversal attempts. */
function rawGet(url, path) {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode, body }))
    })
    request.on('error', reject)
    request.end()
  })
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: await response.json() }
}
