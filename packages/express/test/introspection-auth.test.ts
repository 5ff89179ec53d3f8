/**
 * RFC 7662 §2.1: only an authenticated caller may introspect. Without a rule the endpoint does not
 * exist; resource servers authenticate with HTTP Basic or form credentials, or an app's rule of
 * the request admits them; anyone else gets 401 `invalid_client`.
 */
import t from 'tap'
import { createAuth } from '../src/index.js'
import { startApp } from './fixtures/app.js'

const CLIENTS = { 'resource-server': 'a-long-resource-secret', 'odd id+1': 'another-long-secret!' }
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

t.test('without an introspection rule there is no introspection endpoint', async (t) => {
  const app = await startApp(t, { introspection: undefined })
  const tokens = await app.login()
  const response = await app.post('/auth/introspect', { token: tokens.access_token })
  t.equal(response.status, 404)
  t.equal(
    (await app.auth.introspect(tokens.access_token)).active,
    true,
    'the API still answers the app',
  )
})

t.test(
  'an anonymous caller is refused with 401 invalid_client and a Basic challenge',
  async (t) => {
    const app = await startApp(t, { introspection: { clients: CLIENTS } })
    const tokens = await app.login()
    for (const headers of [
      {},
      { authorization: basic('resource-server', 'wrong-secret-of-length') },
      { authorization: basic('unknown', 'a-long-resource-secret') },
      { authorization: 'Basic bm8tY29sb24=' },
      { authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}` },
      { authorization: `Bearer ${tokens.access_token}` },
    ]) {
      const response = await app.post('/auth/introspect', { token: tokens.access_token }, headers)
      t.equal(response.status, 401)
      t.match(await response.json(), { error: 'invalid_client', code: 'ERR_INVALID_CLIENT' })
      t.equal(response.headers.get('www-authenticate'), 'Basic realm="https://issuer.test"')
    }
    t.ok(
      app.events.some(
        (event) => event.type === 'rejected' && event.reason === 'ERR_INVALID_CLIENT',
      ),
    )
  },
)

t.test('a resource server authenticates with HTTP Basic or with form fields', async (t) => {
  const app = await startApp(t, { introspection: { clients: CLIENTS } })
  const tokens = await app.login()
  const viaBasic = await app.post(
    '/auth/introspect',
    { token: tokens.access_token },
    { authorization: basic('odd id+1', 'another-long-secret!') },
  )
  t.equal(viaBasic.status, 200)
  t.match(await viaBasic.json(), {
    active: true,
    token_type: 'Bearer',
    client_id: 'baton',
    sub: 'alice',
  })
  const viaForm = await app.post(
    '/auth/introspect',
    new URLSearchParams({
      token: tokens.refresh_token,
      client_id: 'resource-server',
      client_secret: 'a-long-resource-secret',
    }).toString(),
    { 'content-type': 'application/x-www-form-urlencoded' },
  )
  t.equal(viaForm.status, 200)
  const refresh = (await viaForm.json()) as Record<string, unknown>
  t.equal(refresh.active, true)
  t.notOk('token_type' in refresh, 'a refresh token has no RFC 6749 token type')
})

t.test("an app's rule of the request admits callers, alone or beside clients", async (t) => {
  const app = await startApp(t, {
    introspection: {
      clients: CLIENTS,
      authorize: async (req) => req.get('x-internal') === 'yes',
    },
  })
  const tokens = await app.login()
  const admitted = await app.post(
    '/auth/introspect',
    { token: tokens.access_token },
    { 'x-internal': 'yes' },
  )
  t.equal(admitted.status, 200)
  const refused = await app.post(
    '/auth/introspect',
    { token: tokens.access_token },
    { 'x-internal': 'no' },
  )
  t.equal(refused.status, 401)
  const onlyRule = await startApp(t, { introspection: { authorize: () => 'yes' as never } })
  const truthy = await onlyRule.post('/auth/introspect', { token: tokens.access_token })
  t.equal(truthy.status, 401, 'only true admits, not any truthy value')
})

t.test('bad introspection options are TypeErrors naming the option', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['yes', /introspection must be an object/],
    [[], /introspection must be an object/],
    [{}, /introspection needs clients or authorize/],
    [{ clients: {} }, /introspection needs clients or authorize/],
    [{ secret: 'x' }, /introspection: unknown option "secret"/],
    [{ authorize: true }, /introspection\.authorize must be a function/],
    [{ clients: [] }, /introspection\.clients must be an object/],
    [{ clients: 'rs:secret' }, /introspection\.clients must be an object/],
    [{ clients: { rs: 'short' } }, /each secret must be a string of at least 16/],
    [{ clients: { rs: 42 } }, /each secret must be a string of at least 16/],
    [
      { clients: { 'a:b': 'a-long-resource-secret' } },
      /a client id must be non-empty, without ":"/,
    ],
    [{ clients: { '': 'a-long-resource-secret' } }, /a client id must be non-empty/],
  ]
  for (const [introspection, message] of cases) {
    t.throws(
      () => createAuth({ introspection: introspection as never }),
      { name: 'TypeError', message },
      JSON.stringify(introspection),
    )
  }
})
