// Two @baton/express apps, each on a RedisSessionStore with the local cache, one Redis: a
// revocation on A is refused by B's very next request, though B had the session cached.
import { startRedisServer } from '@baton/test-support'
import t from 'tap'
import type { Test } from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { startApp } from './fixtures/app.js'
import type { TestApp, TokenBody } from './fixtures/app.js'
import { eventually } from './fixtures/eventually.js'
import { readsOf } from './fixtures/tracking.js'

const server = await startRedisServer(t)

interface Instance {
  app: TestApp
  store: RedisSessionStore
}

async function twoInstances(t: Test, options: { reuseGrace?: number } = {}) {
  const instance = async (): Promise<Instance> => {
    const store = new RedisSessionStore({ url: server.url, localCache: {} })
    t.teardown(() => store.close())
    return { app: await startApp(t, { store, ...options }), store }
  }
  return [await instance(), await instance()] as const
}

/** Resolves once `instance` accepts `token` without asking Redis: the session is in its cache. */
async function untilAcceptedLocally(t: Test, instance: Instance, token: string): Promise<void> {
  await eventually(async () => {
    t.equal((await instance.app.get('/api/me', token)).status, 200)
    const reads = readsOf(instance.store)
    t.equal((await instance.app.get('/api/me', token)).status, 200)
    if (readsOf(instance.store) !== reads) throw new Error('not cached yet')
  })
}

async function errorCode(response: Response): Promise<unknown> {
  return ((await response.json()) as { code?: unknown }).code
}

t.test('a request whose session is cached sends Redis no command at all', async (t) => {
  const [a, b] = await twoInstances(t)
  const tokens = await a.app.login()
  // By then the first verification's markUsed has been written and the session read back.
  await untilAcceptedLocally(t, b, tokens.access_token)
  const client = b.store.client as unknown as { sendCommand: (...args: unknown[]) => unknown }
  const send = client.sendCommand.bind(client)
  const sent: unknown[] = []
  client.sendCommand = (...args) => {
    sent.push(args[0])
    return send(...args)
  }
  t.teardown(() => {
    client.sendCommand = send
  })
  for (let i = 0; i < 5; i++) t.equal((await b.app.get('/api/me', tokens.access_token)).status, 200)
  t.same(sent, [], 'no get, markUsed or touch went to Redis')
  await b.store.get('a-sid-not-cached', Date.now())
  t.ok(sent.length > 0, 'while a read the cache cannot answer is seen going out')
})

t.test('a logout on A is refused by the next request on B', async (t) => {
  const [a, b] = await twoInstances(t)
  const tokens = await a.app.login()
  await untilAcceptedLocally(t, b, tokens.access_token)
  t.equal((await a.app.post('/auth/logout', undefined, tokens.access_token)).status, 200)
  const response = await b.app.get('/api/me', tokens.access_token)
  t.equal(response.status, 401)
  t.equal(await errorCode(response), 'ERR_TOKEN_REVOKED')
})

t.test('a refresh token reuse on A revokes the session on B at once', async (t) => {
  const [a, b] = await twoInstances(t, { reuseGrace: 0 })
  const tokens = await a.app.login()
  const rotated = (await (
    await a.app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  ).json()) as TokenBody
  await untilAcceptedLocally(t, b, rotated.access_token)
  const replay = await a.app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  t.equal(await errorCode(replay), 'ERR_REFRESH_REUSED')
  const response = await b.app.get('/api/me', rotated.access_token)
  t.equal(response.status, 401)
  t.equal(await errorCode(response), 'ERR_TOKEN_REVOKED')
})

t.test(
  'a refresh on A is seen by B: the new token is accepted, the rotation is final',
  async (t) => {
    const [a, b] = await twoInstances(t, { reuseGrace: 0 })
    const tokens = await a.app.login()
    await untilAcceptedLocally(t, b, tokens.access_token)
    const rotated = (await (
      await a.app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
    ).json()) as TokenBody
    // B must see the new generation, not its cached copy: verifying it marks the generation used.
    t.equal((await b.app.get('/api/me', rotated.access_token)).status, 200)
    await eventually(async () => {
      const replay = await a.app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
      t.equal(await errorCode(replay), 'ERR_REFRESH_REUSED', 'the old refresh token is now reuse')
    })
  },
)
