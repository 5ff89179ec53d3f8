/**
 * What trying to break the refresh grant taught: it never follows a redirect, refuses oversized
 * answers, tells a refused *client* from a refused session, authenticates the client when asked,
 * and reads token objects of other libraries. Redirects with the real fetch and two servers on
 * 127.0.0.1 (two origins); the rest with a scripted fetch.
 */
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { MAX_RESPONSE_BYTES } from '../src/refresh-grant.js'
import { MAX_FIELD_LENGTH } from '../src/token-set.js'
import { listen } from './fixtures/listen.js'
import { json } from './fixtures/scripted-fetch.js'
import { API, clientOf, REFRESH_URL, tokenServer } from './fixtures/token-server.js'

const SECRET = 'client-secret-never-shown'

t.test('a refresh redirected to another origin sends it nothing, and fails', async (t) => {
  for (const status of [307, 308]) {
    const received: string[] = []
    const theirs = await listen(t, (req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${body} ${req.headers.authorization ?? ''}`)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ access_token: 'STOLEN', expires_in: 60 }))
      })
    })
    const ours = await listen(t, (req, res) => {
      req.resume()
      res.writeHead(status, { location: `${theirs}/steal` }).end()
    })
    const errors: unknown[] = []
    const api = createAuthFetch({
      origins: [ours],
      refreshUrl: `${ours}/auth/refresh`,
      revocationUrl: `${ours}/auth/revoke`,
      clientAuthentication: { clientId: 'app', clientSecret: SECRET },
      tokens: { accessToken: 'A1', refreshToken: 'R1-secret' },
      onError: (error) => errors.push(error),
    })
    const error = await api.refresh().catch((error: unknown) => error)
    t.match(error, { code: 'AUTH_REFRESH_UNAVAILABLE' }, `${status}: a failed refresh`)
    t.equal(api.tokens?.refreshToken, 'R1-secret', 'the tokens are kept')
    await api.logout()
    t.equal(errors.length, 1, 'the failed revocation went to onError')
    t.same(received, [], `${status}: the other origin received nothing`)
  }
})

t.test('a fetch that hands the redirect back is a failed refresh too', async (t) => {
  const server = tokenServer()
  const redirected = Object.defineProperty(json({ access_token: 'X' }), 'redirected', {
    value: true,
  })
  server.onRefresh = () => redirected
  const api = clientOf(server)
  t.match(await api.refresh().catch((error: unknown) => error), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
  })
  t.equal(server.refreshCalls()[0]?.headers.get('authorization'), null)
})

t.test('the refresh and the revocation ask fetch not to follow redirects', async (t) => {
  const server = tokenServer()
  const modes: RequestRedirect[] = []
  const api = clientOf(server, {
    revocationUrl: `${REFRESH_URL}/../revoke`,
    fetch: (input, init) => {
      modes.push(init?.redirect ?? 'follow')
      return server.fetch(input, init)
    },
  })
  await api.refresh()
  await api.logout()
  t.same(modes, ['error', 'error'])
})

t.test('an oversized answer or token is refused as a bad answer, tokens kept', async (t) => {
  const server = tokenServer()
  const api = clientOf(server)
  server.onRefresh = () =>
    new Response(`{"access_token":"${'a'.repeat(MAX_RESPONSE_BYTES)}"}`, {
      headers: { 'content-type': 'application/json' },
    })
  t.match(await api.refresh().catch((error: unknown) => error), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
  })
  server.onRefresh = () => json({ access_token: 'a'.repeat(MAX_FIELD_LENGTH + 1) })
  const error = await api.refresh().catch((error: unknown) => error)
  t.match(error, { code: 'AUTH_REFRESH_UNAVAILABLE', cause: { status: 200 } })
  server.onRefresh = () => new Response(null, { status: 200 })
  t.match(await api.refresh().catch((error: unknown) => error), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
  })
  t.equal(api.tokens?.accessToken, 'A1')
})

t.test(
  'invalid_client is the client refused, not the session: tokens kept, onError told',
  async (t) => {
    for (const status of [400, 401]) {
      const server = tokenServer()
      const errors: unknown[] = []
      const ends: unknown[] = []
      const api = clientOf(server, {
        onError: (error) => errors.push(error),
        onSessionEnd: (end) => ends.push(end),
      })
      server.onRefresh = () => json({ error: 'invalid_client' }, status)
      const error = await api.refresh().catch((error: unknown) => error)
      t.match(error, { code: 'AUTH_CLIENT_REJECTED', cause: { status, error: 'invalid_client' } })
      t.same(errors, [error], 'onError was told')
      t.same(ends, [])
      t.equal(api.tokens?.accessToken, 'A1', 'the tokens are kept')
      // A request whose token is still good goes on with it.
      server.clock.advance(899)
      t.equal((await api.fetch(API)).status, 200)
    }
  },
)

t.test('client_secret_basic sends the client in a Basic header', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    clientAuthentication: { clientId: 'my app', clientSecret: 'p@ss:word' },
  })
  await api.refresh()
  const call = server.refreshCalls()[0]
  // RFC 6749 §2.3.1: form-encoded parts, then base64.
  t.equal(call?.headers.get('authorization'), `Basic ${btoa('my+app:p%40ss%3Aword')}`)
  t.notMatch(call?.body ?? '', /client_secret/)
})

t.test('client_secret_post sends the client in the body, to the revocation too', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    revocationUrl: 'https://api.test/auth/revoke',
    clientAuthentication: { clientId: 'app', clientSecret: SECRET, method: 'client_secret_post' },
  })
  await api.refresh()
  await api.logout()
  for (const call of [server.refreshCalls()[0], server.to('/auth/revoke')[0]]) {
    const fields = new URLSearchParams(call?.body)
    t.equal(fields.get('client_id'), 'app')
    t.equal(fields.get('client_secret'), SECRET)
    t.equal(call?.headers.get('authorization'), null)
  }
})

t.test('the client secret never appears in an error', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    clientAuthentication: { clientId: 'app', clientSecret: SECRET, method: 'client_secret_post' },
    fetch: () => Promise.reject(new Error(`connect failed for client_secret=${SECRET}`)),
  })
  const error = await api.refresh().catch((error: unknown) => error)
  t.match(error, { code: 'AUTH_REFRESH_UNAVAILABLE' })
  t.notMatch(JSON.stringify((error as Error).cause), SECRET)
})

t.test('a token object of openid-client (expiresIn() beside expires_in) is read', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    refreshUrl: undefined,
    refresh: () => ({
      access_token: 'OIDC1',
      token_type: 'bearer',
      expires_in: 300,
      refresh_token: 'OIDC-R1',
      expiresIn: () => 299,
      claims: () => undefined,
    }),
  })
  const tokens = await api.refresh()
  t.equal(tokens.accessToken, 'OIDC1')
  t.equal(tokens.expiresAt, server.clock() + 300_000)
})
