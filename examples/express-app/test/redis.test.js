// REDIS_URL moves the sessions to @baton/redis-store, against a real redis-server.
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@baton/test-support'
import t from 'tap'
import { SECRET, get, login, startApp } from './fixtures/app.js'
import { spawnNode } from './fixtures/child.js'

t.test('with REDIS_URL the sessions live in Redis and survive a second app instance', async (t) => {
  const redis = await startRedisServer(t)
  const one = await startApp(t, { env: { REDIS_URL: redis.url }, demoTools: true })
  const two = await startApp(t, { env: { REDIS_URL: redis.url } })
  t.equal(one.store, 'redis')
  t.equal((await get(`${one.url}/demo/stats`)).body.store, 'redis')
  t.match((await get(`${one.url}/`)).body, '"store":"redis"')

  const tokens = await login(one.url)
  // Same key, same Redis: the other instance knows the session.
  const me = await get(`${two.url}/api/me`, tokens.access_token)
  t.equal(me.status, 200)
  t.equal(me.body.sub, 'alice')
  const refreshed = await fetch(`${two.url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: tokens.refresh_token }),
  })
  t.equal(refreshed.status, 200)
})

t.test('pnpm start with REDIS_URL says it uses Redis, and works', async (t) => {
  const redis = await startRedisServer(t)
  const server = spawnNode(t, fileURLToPath(new URL('../src/server.js', import.meta.url)), {
    env: { PORT: '0', HOST: '127.0.0.1', BATON_SECRET: SECRET, REDIS_URL: redis.url },
  })
  const [, url] = await server.waitFor(/listening on (http:\/\/\S+) \(sessions in Redis;/)
  const tokens = await login(url)
  t.equal((await get(`${url}/api/me`, tokens.access_token)).body.sub, 'alice')
  server.child.kill('SIGTERM')
  t.equal((await server.exited()).code, 0)
})
