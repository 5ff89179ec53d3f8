import t from 'tap'
import { LruSessionStore, type SessionStore } from '../src/index.js'
import { startApp } from './fixtures/app.js'

/**
 * A real LruSessionStore behind a switch: while `broken`, every call fails the way a network
 * store fails (a rejected promise) or hangs (a promise that never settles).
 */
function faultyStore(mode: { broken: false | 'reject' | 'throw' | 'hang' }): SessionStore {
  const inner = new LruSessionStore()
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      if (property === 'onEviction') return value.bind(target) as unknown
      return (...args: unknown[]) => {
        if (mode.broken === 'throw') throw new Error('connection refused: GET baton:secret-session')
        if (mode.broken === 'reject')
          return Promise.reject(new Error('ECONNRESET while reading session'))
        if (mode.broken === 'hang') return new Promise(() => {})
        return Promise.resolve((value as (...inner: unknown[]) => unknown).apply(target, args))
      }
    },
  })
}

for (const broken of ['reject', 'throw', 'hang'] as const) {
  t.test(
    `a store that fails (${broken}) gives 503 temporarily_unavailable, never 401 or 500`,
    async (t) => {
      const mode: { broken: false | typeof broken } = { broken: false }
      const app = await startApp(t, { store: faultyStore(mode), storeTimeout: 0.05, retryAfter: 2 })
      const tokens = await app.login()
      mode.broken = broken
      for (const response of [
        await app.call('/api/me', tokens.access_token),
        await app.post('/auth/refresh', { refresh_token: tokens.refresh_token }),
        await app.post('/auth/login', { username: 'alice', password: 'alice-password' }),
        await app.call('/auth/logout', tokens.access_token, { method: 'POST' }),
      ]) {
        t.equal(response.status, 503)
        t.equal(response.headers.get('retry-after'), '2')
        const body = (await response.json()) as Record<string, unknown>
        t.match(body, { error: 'temporarily_unavailable', code: 'ERR_STORE_UNAVAILABLE' })
        t.notMatch(
          JSON.stringify(body),
          /secret-session|ECONNRESET/,
          'the store’s own message stays inside',
        )
      }
      mode.broken = false
      t.equal(
        (await app.call('/api/me', tokens.access_token)).status,
        200,
        'the session survived the outage',
      )
    },
  )
}

t.test('the cause of a StoreUnavailableError keeps the name and code only', async (t) => {
  const mode: { broken: false | 'reject' } = { broken: false }
  const app = await startApp(t, { store: faultyStore(mode) })
  const tokens = await app.login()
  mode.broken = 'reject'
  const error = await app.auth.verify(tokens.access_token).catch((caught: unknown) => caught)
  t.match(error, { name: 'StoreUnavailableError', status: 503, cause: { name: 'Error' } })
  t.notMatch(JSON.stringify((error as Error).cause), /ECONNRESET/)
})

t.test('a failing touch does not fail the request it rides on', async (t) => {
  const inner = new LruSessionStore()
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'touch') return () => Promise.reject(new Error('touch failed'))
      const value = Reflect.get(target, property, receiver) as unknown
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value
    },
  })
  const app = await startApp(t, { store })
  const tokens = await app.login()
  app.clock.advance(120)
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
})
