/**
 * The verifier against tokens whose signature and claims are fine but whose session is not:
 * revoked, evicted, unknown or someone else's — and claims that try to reach Object.prototype.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { LruSessionStore } from '../src/index.js'
import { startApp } from './fixtures/app.js'
import { GOOD_HEADER, claimsOf, decode, forge, forgeRaw } from './fixtures/forge.js'
import { assertInvalidToken, assertRejection } from './fixtures/rejection.js'

const sidOf = (token: string) => decode(token).payload.sid as string

t.test('a token whose session was ended by POST /auth/logout is refused as revoked', async (t) => {
  const app = await startApp(t)
  const { access_token } = await app.login('alice')
  t.equal((await app.call('/auth/logout', access_token, { method: 'POST' })).status, 200)
  await assertInvalidToken(t, await app.call('/api/me', access_token), 'ERR_TOKEN_REVOKED')
})

t.test('a second logout with the same token is refused as revoked', async (t) => {
  const app = await startApp(t)
  const { access_token } = await app.login('alice')
  await app.call('/auth/logout', access_token, { method: 'POST' })
  await assertInvalidToken(
    t,
    await app.call('/auth/logout', access_token, { method: 'POST' }),
    'ERR_TOKEN_REVOKED',
  )
})

t.test('a token whose session was ended by auth.revokeSession is refused as revoked', async (t) => {
  const app = await startApp(t)
  const { access_token } = await app.login('alice')
  t.equal(await app.auth.revokeSession(sidOf(access_token)), true)
  await assertInvalidToken(t, await app.call('/api/me', access_token), 'ERR_TOKEN_REVOKED')
})

t.test('revoking the refresh token at /auth/revoke ends its access token too', async (t) => {
  const app = await startApp(t)
  const { access_token, refresh_token } = await app.login('alice')
  t.equal((await app.post('/auth/revoke', { token: refresh_token })).status, 200)
  await assertInvalidToken(t, await app.call('/api/me', access_token), 'ERR_TOKEN_REVOKED')
})

t.test('a token whose session the LRU store evicted is refused as revoked', async (t) => {
  const app = await startApp(t, { store: new LruSessionStore({ max: 2 }) })
  const first = await app.login('alice')
  const second = await app.login('bob')
  const third = await app.login('admin')
  await assertInvalidToken(t, await app.call('/api/me', first.access_token), 'ERR_TOKEN_REVOKED')
  t.equal((await app.call('/api/me', second.access_token)).status, 200, 'bob is still in')
  t.equal((await app.call('/api/me', third.access_token)).status, 200, 'admin is still in')
  const evicted = app.events.filter((event) => event.type === 'evicted')
  t.equal(evicted.length, 1)
  t.match(evicted[0], { reason: 'capacity', sub: 'alice', sid: sidOf(first.access_token) })
})

t.test('the refresh token of an evicted session is refused too', async (t) => {
  const app = await startApp(t, { store: new LruSessionStore({ max: 2 }) })
  const first = await app.login('alice')
  await app.login('bob')
  await app.login('admin')
  await assertRejection(
    t,
    await app.post('/auth/refresh', { refresh_token: first.refresh_token }),
    {
      status: 400,
      error: 'invalid_grant',
      code: 'ERR_REFRESH_INVALID',
    },
  )
})

t.test('a validly signed token naming another user’s session is refused', async (t) => {
  const app = await startApp(t)
  const alice = await app.login('alice')
  const bob = await app.login('bob')
  const stolen = forge(GOOD_HEADER, claimsOf(alice.access_token, { sid: sidOf(bob.access_token) }))
  await assertInvalidToken(t, await app.call('/api/me', stolen), 'ERR_TOKEN_REVOKED')
  t.equal((await app.call('/api/me', bob.access_token)).status, 200, 'bob’s session is intact')
  t.equal((await app.call('/api/me', alice.access_token)).status, 200, 'alice’s too')
})

t.test(
  'a validly signed token claiming another sub for one’s own session is refused',
  async (t) => {
    const app = await startApp(t)
    const alice = await app.login('alice')
    await app.login('admin')
    const raised = forge(GOOD_HEADER, claimsOf(alice.access_token, { sub: 'admin' }))
    await assertInvalidToken(t, await app.call('/api/me', raised), 'ERR_TOKEN_REVOKED')
  },
)

t.test('a validly signed token naming a session that never existed is refused', async (t) => {
  const app = await startApp(t)
  const alice = await app.login('alice')
  const sid = randomBytes(16).toString('base64url')
  const invented = forge(GOOD_HEADER, claimsOf(alice.access_token, { sid }))
  await assertInvalidToken(t, await app.call('/api/me', invented), 'ERR_TOKEN_REVOKED')
})

t.test('claims named __proto__, constructor and prototype', async (t) => {
  const app = await startApp(t)
  const { access_token } = await app.login('alice')
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()
  const hostile =
    ',"__proto__":{"polluted":"yes","scope":"admin"}' +
    ',"constructor":{"prototype":{"polluted":"yes"}}' +
    ',"prototype":{"polluted":"yes"}' +
    ',"nested":{"__proto__":{"polluted":"yes"}}'
  /** A validly signed token for alice's live session with the hostile members in its payload. */
  const tokenWith = (claims: Record<string, unknown>) => {
    const text = JSON.stringify(claims)
    return forgeRaw(JSON.stringify(GOOD_HEADER), text.slice(0, -1) + hostile + '}')
  }
  const assertUnpolluted = (t: Test) => {
    t.equal(({} as Record<string, unknown>).polluted, undefined, '({}).polluted')
    t.equal((Object.prototype as Record<string, unknown>).scope, undefined, 'no scope inherited')
    t.same(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore)
  }

  t.test('are accepted on a valid token but copied into no claim', async (t) => {
    const response = await app.call('/api/me', tokenWith(claimsOf(access_token)))
    t.equal(response.status, 200)
    const body = (await response.json()) as { claims: Record<string, unknown>; scope: string[] }
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      t.notOk(Object.hasOwn(body.claims, name), `no ${name} claim`)
    }
    t.same(body.scope, ['read'])
    assertUnpolluted(t)
  })

  t.test('leave the programmatic claims a plain object', async (t) => {
    const info = await app.auth.verify(tokenWith(claimsOf(access_token)))
    t.equal(Object.getPrototypeOf(info.claims), Object.prototype)
    t.same(
      Object.keys(info.claims).filter((name) =>
        ['__proto__', 'constructor', 'prototype'].includes(name),
      ),
      [],
    )
    t.equal(info.claims.polluted, undefined)
    assertUnpolluted(t)
  })

  t.test('cannot grant a scope the token lacks', async (t) => {
    const token = tokenWith(claimsOf(access_token, { scope: undefined }))
    await assertRejection(t, await app.call('/api/admin', token, { method: 'DELETE' }), {
      status: 403,
      error: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
      scope: 'admin',
    })
    assertUnpolluted(t)
  })

  t.test('in the header set nothing either', async (t) => {
    const header =
      JSON.stringify(GOOD_HEADER).slice(0, -1) + ',"__proto__":{"crit":["x"],"polluted":"yes"}}'
    const response = await app.call(
      '/api/me',
      forgeRaw(header, JSON.stringify(claimsOf(access_token))),
    )
    t.equal(response.status, 200)
    assertUnpolluted(t)
  })
})
