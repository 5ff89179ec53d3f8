/** RFC 9068 §2.2: every access token names the client it was issued to in `client_id`. */
import t from 'tap'
import { createAuth } from '../src/index.js'
import { startApp } from './fixtures/app.js'
import { GOOD_HEADER, claimsOf, decode, forge } from './fixtures/forge.js'

t.test('access tokens carry client_id: baton by default', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  t.equal(decode(tokens.access_token).payload.client_id, 'baton')
  t.equal((await app.auth.verify(tokens.access_token)).claims.client_id, 'baton')
})

t.test('the clientId option names the client', async (t) => {
  const app = await startApp(t, { clientId: 'web-app' })
  const tokens = await app.login()
  t.equal(decode(tokens.access_token).payload.client_id, 'web-app')
  t.match(await app.auth.introspect(tokens.access_token), { client_id: 'web-app' })
  t.match(await app.auth.introspect(tokens.refresh_token), { client_id: 'web-app' })
})

t.test('a token without client_id (issued before the claim existed) still verifies', async (t) => {
  const app = await startApp(t, { clientId: 'web-app' })
  const tokens = await app.login()
  const older = forge(GOOD_HEADER, claimsOf(tokens.access_token, { client_id: undefined }))
  t.equal((await app.auth.verify(older)).sub, 'alice')
  t.match(await app.auth.introspect(older), { active: true, client_id: 'web-app' })
})

t.test('clientId must be printable text', async (t) => {
  for (const clientId of ['', 42, 'a\nb']) {
    t.throws(() => createAuth({ clientId: clientId as never }), {
      name: 'TypeError',
      message: /^clientId must be/,
    })
  }
})
