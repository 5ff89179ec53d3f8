// The programmatic API on the paths no HTTP test takes: auth.issue() without a request, and
// introspect() while the store is down.
import t from 'tap'
import { createAuth, LruSessionStore, type SessionStore } from '../src/index.js'

const keys = { secret: Buffer.alloc(32, 3).toString('base64') }

t.test('a session issued without a request lists its user agent as null', async (t) => {
  const auth = createAuth({ keys })
  await auth.issue('bob')
  const sessions = await auth.listSessions('bob')
  t.equal(sessions.length, 1)
  t.equal(sessions[0]?.userAgent, null)
  auth.close()
})

t.test(
  'introspect rejects while the store is down rather than calling a token inactive',
  async (t) => {
    const inner = new LruSessionStore()
    let down = false
    // The real store, failing on demand as a network store does: a rejected promise.
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) =>
          down && property !== 'onEviction'
            ? Promise.reject(new Error('ECONNRESET'))
            : (value as (...inner: unknown[]) => unknown).apply(target, args)
      },
    }) as SessionStore
    const auth = createAuth({ keys, store })
    const tokens = await auth.issue('alice')
    down = true
    await t.rejects(auth.introspect(tokens.access_token), {
      name: 'StoreUnavailableError',
      status: 503,
      code: 'ERR_STORE_UNAVAILABLE',
    })
    down = false
    t.match(await auth.introspect(tokens.access_token), { active: true, sub: 'alice' })
    auth.close()
  },
)
