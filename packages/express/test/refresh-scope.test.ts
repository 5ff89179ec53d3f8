/**
 * RFC 6749 §6 scope on refresh: a narrower scope gets an access token with just that scope while
 * the session keeps its grant; a broader one is 400 `invalid_scope` and consumes nothing; a replay
 * of the same request answers an equivalent token.
 */
import t from 'tap'
import { startApp, type TokenBody } from './fixtures/app.js'
import { decode } from './fixtures/forge.js'
import { assertRejection } from './fixtures/rejection.js'

const refresh = async (
  app: Awaited<ReturnType<typeof startApp>>,
  refreshToken: string,
  scope?: string,
) =>
  app.post(
    '/auth/refresh',
    new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(scope === undefined ? {} : { scope }),
    }).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' },
  )

t.test(
  'a narrower scope gets a token with just that scope; the session keeps its grant',
  async (t) => {
    const app = await startApp(t)
    const admin = await app.login('admin')
    t.equal(admin.scope, 'read admin')
    const response = await refresh(app, admin.refresh_token, 'read')
    t.equal(response.status, 200)
    const narrow = (await response.json()) as TokenBody
    t.equal(narrow.scope, 'read', 'the response names the scope granted')
    t.equal(decode(narrow.access_token).payload.scope, 'read')
    t.equal((await app.call('/api/admin', narrow.access_token, { method: 'DELETE' })).status, 403)
    t.equal((await app.call('/api/me', narrow.access_token)).status, 200)

    const full = (await (await refresh(app, narrow.refresh_token)).json()) as TokenBody
    t.equal(full.scope, 'read admin', 'no scope asked: the whole grant again')
    t.equal((await app.call('/api/admin', full.access_token, { method: 'DELETE' })).status, 200)
  },
)

t.test('the whole grant, in any order or repeated, is the ordinary token', async (t) => {
  const app = await startApp(t)
  const admin = await app.login('admin')
  const same = (await (
    await refresh(app, admin.refresh_token, 'admin read admin')
  ).json()) as TokenBody
  t.equal(same.scope, 'read admin')
  const payload = decode(same.access_token).payload
  t.equal(payload.scope, 'read admin')
  const plain = (await (await refresh(app, same.refresh_token, '  ')).json()) as TokenBody
  t.equal(plain.scope, 'read admin', 'a blank scope is no scope')
})

t.test('a broader scope is 400 invalid_scope and does not consume the refresh token', async (t) => {
  const app = await startApp(t)
  const alice = await app.login('alice')
  for (const scope of ['admin', 'read admin', 'read "x"']) {
    await assertRejection(t, await refresh(app, alice.refresh_token, scope), {
      status: 400,
      error: 'invalid_scope',
      code: 'ERR_INVALID_SCOPE',
    })
  }
  t.equal((await refresh(app, alice.refresh_token)).status, 200, 'the token still rotates')
  const json = await app.post('/auth/refresh', {
    refresh_token: alice.refresh_token,
    scope: ['read'],
  })
  await assertRejection(t, json, {
    status: 400,
    error: 'invalid_request',
    code: 'ERR_INVALID_REQUEST',
  })
})

t.test('a scope for a session that no longer exists answers as the rotation would', async (t) => {
  const app = await startApp(t)
  const alice = await app.login('alice')
  await app.auth.revoke(alice.refresh_token)
  await assertRejection(t, await refresh(app, alice.refresh_token, 'read'), {
    status: 400,
    error: 'invalid_grant',
    code: 'ERR_REFRESH_INVALID',
  })
})

t.test(
  'a replayed narrowed refresh answers an equivalent token; another scope another jti',
  async (t) => {
    const app = await startApp(t, {
      authenticate: () => ({ sub: 'alice', claims: { scope: 'read write admin' } }),
    })
    const alice = await app.login('alice')
    const first = (await (
      await refresh(app, alice.refresh_token, 'write read')
    ).json()) as TokenBody
    const replay = (await (
      await refresh(app, alice.refresh_token, 'read write')
    ).json()) as TokenBody
    t.equal(replay.refresh_token, first.refresh_token, 'the same current refresh token')
    const a = decode(first.access_token).payload
    const b = decode(replay.access_token).payload
    for (const claim of ['jti', 'iat', 'exp', 'scope', 'gen']) t.same(b[claim], a[claim], claim)
    t.equal(a.scope, 'read write', 'in the order of the grant')

    const other = (await (await refresh(app, alice.refresh_token, 'read')).json()) as TokenBody
    const c = decode(other.access_token).payload
    t.not(c.jti, a.jti, 'a different token has a different jti')
    t.equal(c.iat, a.iat)
    const whole = (await (await refresh(app, alice.refresh_token)).json()) as TokenBody
    t.not(decode(whole.access_token).payload.jti, a.jti, 'the whole grant keeps its own jti')
    t.equal(app.events.filter((event) => event.type === 'refresh_replayed').length, 3)
  },
)

t.test('auth.refresh takes the scope too', async (t) => {
  const app = await startApp(t)
  const admin = await app.login('admin')
  t.equal((await app.auth.refresh(admin.refresh_token, 'admin')).scope, 'admin')
  await t.rejects(app.auth.refresh(admin.refresh_token, 'delete'), { code: 'ERR_INVALID_SCOPE' })
})

t.test('a session granted no scope refuses any scope on refresh', async (t) => {
  const app = await startApp(t)
  const tokens = await app.auth.issue('carol') // issued without claims: no scope at all
  const response = await refresh(app, tokens.refresh_token, 'read')
  t.equal(response.status, 400)
  t.match(await response.json(), { error: 'invalid_scope', code: 'ERR_INVALID_SCOPE' })
  t.equal((await refresh(app, tokens.refresh_token)).status, 200, 'and consumed nothing')
})
