// The `start` entry (src/server.js) as a child process: the port it prints, the environment it
// honours, and a clean stop.
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { freePort } from '@baton/test-support'
import t from 'tap'
import { SECRET, get, login } from './fixtures/app.js'
import { spawnNode } from './fixtures/child.js'

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url))
const LISTENING = /listening on (http:\/\/\S+) \(sessions in ([^;)]+)/

const start = (t, env) =>
  spawnNode(t, SERVER, {
    env: { PORT: '0', HOST: '127.0.0.1', BATON_SECRET: SECRET, REDIS_URL: undefined, ...env },
  })

t.test('start prints its URL, honours PORT=0 and BATON_*, and stops on SIGTERM', async (t) => {
  const server = start(t, {
    BATON_ACCESS_TTL: '42',
    BATON_REFRESH_TTL: '4200',
    BATON_ISSUER: 'https://start.example',
    BATON_DEMO_TOOLS: undefined,
  })
  const [, url, store] = await server.waitFor(LISTENING)
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(store, 'the embedded LRU store')
  t.match(server.stdout, '; cookie mode)', 'cookie mode by default')
  const tokens = await login(url)
  t.equal(tokens.expires_in, 42)
  t.equal(tokens.refresh_expires_in, 4200)
  t.equal(
    (await get(`${url}/api/me`, tokens.access_token)).body.claims.iss,
    'https://start.example',
  )
  t.equal((await get(`${url}/demo/stats`)).status, 404, 'no demo tools unless asked for')

  server.child.kill('SIGTERM')
  t.same(await server.exited(), { code: 0, signal: null })
  t.notMatch(server.stderr, /Warning/, 'a key was given: no random-key warning')
})

t.test('BATON_DEMO_TOOLS=1 mounts the demo routes, and says so', async (t) => {
  const server = start(t, { BATON_DEMO_TOOLS: '1' })
  const [, url] = await server.waitFor(LISTENING)
  t.match(server.stdout, 'demo tools ON: never in production')
  t.equal((await get(`${url}/demo/stats`)).status, 200)
  server.child.kill('SIGINT')
  t.equal((await server.exited()).code, 0)
})

t.test('BATON_REFRESH_COOKIE=0 says it serves the body transport', async (t) => {
  const server = start(t, { BATON_REFRESH_COOKIE: '0' })
  const [, url] = await server.waitFor(LISTENING)
  t.match(server.stdout, '(sessions in the embedded LRU store; body transport)')
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, 'x-baton-csrf': '1' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  })
  t.type((await response.json()).refresh_token, 'string', 'even a browser gets it in the body')
  server.child.kill('SIGTERM')
  t.equal((await server.exited()).code, 0)
})

t.test('without HOST it listens on every interface and prints localhost', async (t) => {
  const server = start(t, { HOST: undefined })
  const [, url] = await server.waitFor(LISTENING)
  t.match(url, /^http:\/\/localhost:\d+$/)
  const port = new URL(url).port
  t.equal((await get(`http://127.0.0.1:${port}/api/me`)).status, 401)
  server.child.kill('SIGTERM')
  t.equal((await server.exited()).code, 0)
})

t.test('a bad PORT or BATON_* variable stops it with a message, status 1', async (t) => {
  for (const env of [{ PORT: 'eighty' }, { PORT: '70000' }, { BATON_REFRESH_TTL: 'a day' }]) {
    const server = start(t, env)
    t.equal((await server.exited()).code, 1, JSON.stringify(env))
    t.match(server.stderr, /^Could not start: (PORT|BATON_REFRESH_TTL)/)
  }
})

t.test('with REDIS_URL, a failed start still ends the process (no Redis left open)', async (t) => {
  // Nothing listens there: the store's client would keep reconnecting for ever.
  const redis = `redis://127.0.0.1:${await freePort()}`
  const busy = createServer()
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => busy.close(resolve)))
  const cases = [
    [{ PORT: 'eighty' }, /^Could not start: PORT/],
    [{ BATON_ACCESS_TTL: '0' }, /^Could not start: accessTtl/],
    [{ PORT: String(busy.address().port) }, /EADDRINUSE/],
  ]
  for (const [env, message] of cases) {
    const server = start(t, { REDIS_URL: redis, ...env })
    t.equal((await server.exited()).code, 1, JSON.stringify(env))
    t.match(server.stderr, message)
  }
})

t.test('a port in use stops it with a message, status 1', async (t) => {
  const busy = createServer()
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => busy.close(resolve)))
  const server = start(t, { PORT: String(busy.address().port) })
  t.equal((await server.exited()).code, 1)
  t.match(server.stderr, 'EADDRINUSE')
})
