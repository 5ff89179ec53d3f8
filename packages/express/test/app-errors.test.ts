import t from 'tap'
import { createAuth, LruSessionStore, type SessionStore } from '../src/index.js'
import { SECRET, startApp } from './fixtures/app.js'

t.test(
  'an authenticate that throws goes to the app’s error handler, and the server serves on',
  async (t) => {
    const app = await startApp(t, {
      authenticate: () => {
        // A non-Error throw, as some libraries do: it must still reach the app, not crash us.
        throw 'database is down' // eslint-disable-line @typescript-eslint/only-throw-error
      },
    })
    const response = await app.post('/auth/login', {
      username: 'alice',
      password: 'alice-password',
    })
    t.equal(response.status, 500)
    t.equal((await app.post('/auth/refresh', { refresh_token: 'x' })).status, 400, 'still serving')
  },
)

t.test('required() refuses scopes that are not RFC 6749 scope tokens', async (t) => {
  const auth = createAuth({ keys: { secret: SECRET } })
  const scopeTokens = /^auth\.required: scope must be scope tokens/
  t.throws(() => auth.required({ scope: 'a"b' }), { name: 'TypeError', message: scopeTokens })
  t.throws(() => auth.required({ scope: [5 as unknown as string] }), { message: scopeTokens })
  t.type(auth.required({ scope: 'read write' }), 'function')
})

t.test('required() and optional() refuse options they would ignore, naming them', async (t) => {
  const auth = createAuth({ keys: { secret: SECRET } })
  const given = (value: unknown) => value as Parameters<typeof auth.required>[0]
  // Each of these once made a scope-free middleware: an admin route open to every user.
  t.throws(() => auth.required(given('admin')), {
    name: 'TypeError',
    message: /^auth\.required: options must be an object, such as \{ scope: "admin" \}$/,
  })
  t.throws(() => auth.required(given(['admin'])), { message: /options must be an object/ })
  t.throws(() => auth.required(given({ scopes: 'admin' })), {
    message: /^auth\.required: unknown option "scopes"$/,
  })
  t.throws(() => auth.required(given({ scope: 5 })), {
    message: /^auth\.required: scope must be a string or an array of strings$/,
  })
  t.throws(() => (auth.optional as (options: unknown) => unknown)({ scope: 'admin' }), {
    name: 'TypeError',
    message: /^auth\.optional takes no options$/,
  })
  for (const fine of [undefined, {}, { scope: [] }, { scope: '' }, { scope: ['read', 'write'] }]) {
    t.type(auth.required(given(fine)), 'function')
  }
})

t.test('auth.verify() refuses what is not a string as an invalid token', async (t) => {
  const auth = createAuth({ keys: { secret: SECRET } })
  // `auth.verify(req.query.access_token)`: absent, repeated (?t=a&t=b) or nested (?t[x]=1).
  for (const token of [undefined, null, ['a', 'b'], { x: '1' }, 42]) {
    await t.rejects(auth.verify(token as unknown as string), {
      name: 'InvalidTokenError',
      status: 401,
      code: 'ERR_TOKEN_INVALID',
    })
  }
})

t.test('issue refuses a subject or claims of the wrong type', async (t) => {
  const auth = createAuth({ keys: { secret: SECRET } })
  await t.rejects(auth.issue(42 as unknown as string), { name: 'TypeError', message: /^sub / })
  await t.rejects(auth.issue('alice', null as unknown as Record<string, unknown>), {
    message: /^claims /,
  })
})

t.test('a store that rejects with a non-Error is still a 503 with a harmless cause', async (t) => {
  const inner = new LruSessionStore()
  let broken = false
  const store: SessionStore = {
    get: (sid, now) => (broken ? Promise.reject('socket closed') : inner.get(sid, now)), // eslint-disable-line @typescript-eslint/prefer-promise-reject-errors
    create: (session, options) => inner.create(session, options),
    rotate: (sid, generation, options) => inner.rotate(sid, generation, options),
    touch: (sid, now) => inner.touch(sid, now),
    markUsed: (sid, generation, now) => inner.markUsed(sid, generation, now),
    delete: (sid) => inner.delete(sid),
    listBySubject: (sub, now) => inner.listBySubject(sub, now),
    deleteBySubject: (sub, except) => inner.deleteBySubject(sub, except),
  }
  const auth = createAuth({ keys: { secret: SECRET }, store })
  const tokens = await auth.issue('alice')
  auth.close() // a store without onEviction: nothing to unsubscribe from, and no error
  broken = true
  const error = await auth.verify(tokens.access_token).catch((caught: unknown) => caught)
  t.match(error, { code: 'ERR_STORE_UNAVAILABLE', cause: { name: 'string' } })
})

t.test('a store error keeps its name and code as the cause, not its message', async (t) => {
  const inner = new LruSessionStore()
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'get') {
        return () =>
          Promise.reject(
            Object.assign(new Error('ECONNRESET reading baton:s:abc'), { code: 'ECONNRESET' }),
          )
      }
      const value = Reflect.get(target, property, receiver) as unknown
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value
    },
  })
  const auth = createAuth({ keys: { secret: SECRET }, store })
  const tokens = await auth.issue('alice')
  const error = await auth.verify(tokens.access_token).catch((caught: unknown) => caught)
  t.same((error as Error).cause, { name: 'Error', code: 'ECONNRESET' })
})
