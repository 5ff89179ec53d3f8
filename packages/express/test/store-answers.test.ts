import type { NextFunction, Request, Response } from 'express'
import t from 'tap'
import { LruSessionStore, type SessionStore } from '../src/index.js'
import { startApp } from './fixtures/app.js'

/**
 * A store may answer a call with a value, a native promise or another library's thenable
 * (`Awaitable` in the contract). `auth.required()` must give the same answers for all three, and
 * with a store that answers synchronously it must not wait for the microtask queue.
 */
type Answer = 'value' | 'promise' | 'thenable'

/** A thenable that is not a native Promise, as some promise libraries make. */
function thenable<T>(settle: () => T): PromiseLike<T> {
  return {
    then<R1 = T, R2 = never>(
      onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
      onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
    ): PromiseLike<R1 | R2> {
      return new Promise<T>((resolve, reject) => {
        setImmediate(() => {
          try {
            resolve(settle())
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)))
          }
        })
      }).then(onFulfilled, onRejected)
    },
  }
}

/** A real LruSessionStore whose every answer comes back as `answer` says. */
function answering(answer: Answer, inner = new LruSessionStore()): SessionStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      const method = (value as (...args: unknown[]) => unknown).bind(target)
      if (property === 'onEviction' || answer === 'value') return method
      return (...args: unknown[]) =>
        answer === 'promise'
          ? Promise.resolve().then(() => method(...args))
          : thenable(() => method(...args))
    },
  })
}

function fakeRequest(token: string): Request {
  return { headers: { authorization: `Bearer ${token}` } } as unknown as Request
}

for (const answer of ['value', 'promise', 'thenable'] as const) {
  t.test(`a store answering with a ${answer}: the same answers over HTTP`, async (t) => {
    const app = await startApp(t, { store: answering(answer) })
    const tokens = await app.login()
    const me = await app.call('/api/me', tokens.access_token)
    t.equal(me.status, 200)
    t.match(await me.json(), { sub: 'alice' })
    t.equal((await app.call('/api/admin', tokens.access_token, { method: 'DELETE' })).status, 403)

    t.equal((await app.call('/auth/logout', tokens.access_token, { method: 'POST' })).status, 200)
    const after = await app.call('/api/me', tokens.access_token)
    t.equal(after.status, 401, 'logout takes effect at once')
    t.match(await after.json(), { code: 'ERR_TOKEN_REVOKED' })
    t.match(
      app.events.filter((event) => event.type === 'rejected'),
      [{ reason: 'ERR_INSUFFICIENT_SCOPE' }, { reason: 'ERR_TOKEN_REVOKED' }],
      'each refusal is reported once',
    )
  })
}

t.test('with a synchronous store, required() calls next() before it returns', async (t) => {
  const app = await startApp(t, { store: answering('value') })
  const tokens = await app.login()
  const middleware = app.auth.required()

  const calls: unknown[][] = []
  const req = fakeRequest(tokens.access_token)
  middleware(req, {} as Response, ((...args: unknown[]) => calls.push(args)) as NextFunction)
  t.same(calls, [[]], 'next() was called once, with no error, synchronously')
  t.match((req as Request & { auth: unknown }).auth, { sub: 'alice' })

  const refused: unknown[][] = []
  middleware(
    fakeRequest(`${tokens.access_token}x`),
    {} as Response,
    ((...args: unknown[]) => refused.push(args)) as NextFunction,
  )
  t.match(refused, [[{ name: 'InvalidTokenError', status: 401 }]], 'a refusal is synchronous too')
})

t.test('with an asynchronous store, required() calls next() once the store answers', async (t) => {
  for (const answer of ['promise', 'thenable'] as const) {
    const app = await startApp(t, { store: answering(answer) })
    const tokens = await app.login()
    const middleware = app.auth.required()
    const req = fakeRequest(tokens.access_token)
    const done = new Promise<unknown[]>((resolve) => {
      middleware(req, {} as Response, ((...args: unknown[]) => resolve(args)) as NextFunction)
    })
    t.notOk('auth' in req, `${answer}: nothing is decided before the store answers`)
    t.same(await done, [], `${answer}: next() without an error`)
    t.match((req as Request & { auth: unknown }).auth, { sub: 'alice' })
  }
})

t.test('a store whose thenable rejects gives 503, not 401 or 500', async (t) => {
  const inner = new LruSessionStore()
  let broken = false
  const store = new Proxy(answering('value', inner), {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property !== 'get' || typeof value !== 'function') return value
      return (...args: unknown[]) =>
        broken
          ? thenable(() => {
              throw new Error('connection reset')
            })
          : (value as (...inner: unknown[]) => unknown)(...args)
    },
  })
  const app = await startApp(t, { store, retryAfter: 3 })
  const tokens = await app.login()
  broken = true
  const response = await app.call('/api/me', tokens.access_token)
  t.equal(response.status, 503)
  t.equal(response.headers.get('retry-after'), '3')
  t.match(await response.json(), { code: 'ERR_STORE_UNAVAILABLE' })
  broken = false
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
})
