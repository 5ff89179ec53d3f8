// Behaviour 5: an access token that expires within `refreshBefore` is refreshed before the
// request goes out — single-flight too — and a renewal that would only end the session waits
// until the token has actually expired.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import type { AuthFetchOptions } from '../src/options.js'
import type { TokenResponse, TokenSetInit } from '../src/token-set.js'
import { json } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function client(
  tokens: (server: ReturnType<typeof tokenServer>) => TokenSetInit | TokenResponse,
  options: Partial<AuthFetchOptions> = {},
) {
  const server = tokenServer()
  const api = clientOf(server, {
    tokens: tokens(server),
    ...options,
  })
  return { server, api }
}

t.test(
  'a token expiring within refreshBefore is refreshed first, once for all requests',
  async (t) => {
    const { server, api } = client((server) => server.initial())
    server.clock.advance(900 - 29) // 29 s left, inside the default 30
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.fetch(API)))
    t.ok(responses.every((response) => response.status === 200))
    t.equal(server.refreshCalls().length, 1)
    t.ok(
      server.apiCalls().every((call) => call.authorization === 'Bearer A2'),
      'no request went out with the old token',
    )
    t.equal(server.calls[0]?.path, '/auth/refresh')
  },
)

t.test('a token outside refreshBefore is used as is', async (t) => {
  const { server, api } = client((server) => server.initial())
  server.clock.advance(900 - 31)
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 0)
  t.equal(server.apiCalls()[0]?.authorization, 'Bearer A1')
})

t.test('refreshBefore is configurable; 0 refreshes only an expired token', async (t) => {
  const { server, api } = client((server) => server.initial(), { refreshBefore: 0 })
  server.clock.advance(899)
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 0)
  server.clock.advance(1)
  // The server still takes A1 here; what matters is that the client renewed first.
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 1)
  t.equal(server.apiCalls()[1]?.authorization, 'Bearer A2')

  const early = client((server) => server.initial(), { refreshBefore: 120 })
  early.server.clock.advance(900 - 119)
  await early.api.fetch(API)
  t.equal(early.server.refreshCalls().length, 1)
})

t.test('a proactive refresh that fails transiently sends the still-valid token', async (t) => {
  const { server, api } = client((server) => server.initial())
  server.onRefresh = () => json({}, 503)
  server.clock.advance(900 - 10)
  const responses = await Promise.all([api.fetch(API), api.fetch(API)])
  t.same(
    responses.map((response) => response.status),
    [200, 200],
  )
  t.equal(server.refreshCalls().length, 1)
  t.same(
    server.apiCalls().map((call) => call.authorization),
    ['Bearer A1', 'Bearer A1'],
  )
})

t.test(
  'an expired token whose refresh fails transiently rejects AUTH_REFRESH_UNAVAILABLE',
  async (t) => {
    const { server, api } = client((server) => server.initial())
    server.onRefresh = () => json({}, 503)
    server.clock.advance(901)
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.type(error, AuthError)
    t.equal((error as AuthError).code, 'AUTH_REFRESH_UNAVAILABLE')
    t.equal(server.apiCalls().length, 0, 'a request with a dead token is not sent')
    t.equal(api.tokens?.accessToken, 'A1', 'the tokens are kept')
  },
)

t.test(
  'without a refresh token, an expiring token is used until it expires, then the session ends',
  async (t) => {
    const ends: string[] = []
    const { server, api } = client((server) => server.initial({ refreshToken: undefined }), {
      onSessionEnd: (end) => ends.push(end.reason),
    })
    server.clock.advance(900 - 5)
    t.equal((await api.fetch(API)).status, 200)
    t.equal(server.apiCalls()[0]?.authorization, 'Bearer A1')
    server.clock.advance(5)
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
    t.same(ends, ['expired'])
    t.equal(server.refreshCalls().length, 0)
  },
)

t.test('an expired refresh token is not sent: the session ends, or login runs', async (t) => {
  const { server, api } = client((server) =>
    server.initial({
      expiresAt: server.clock() + 10_000,
      refreshExpiresAt: server.clock() + 5_000,
    }),
  )
  server.clock.advance(6)
  t.equal((await api.fetch(API)).status, 200, 'the access token still works')
  server.clock.advance(5)
  const error = await api.fetch(API).catch((error: unknown) => error)
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.equal(server.refreshCalls().length, 0)

  let logins = 0
  const withLogin = client(
    (server) =>
      server.initial({ expiresAt: server.clock() - 1, refreshExpiresAt: server.clock() - 1 }),
    {
      login: () => {
        logins++
        return withLogin.server.rotate() as never
      },
    },
  )
  t.equal((await withLogin.api.fetch(API)).status, 200)
  t.equal(logins, 1)
  t.equal(withLogin.server.refreshCalls().length, 0)
})

t.test('a refresh token without a known expiry is refreshable', async (t) => {
  const { server, api } = client((server) => server.initial({ refreshExpiresAt: undefined }))
  server.clock.advance(900 - 5)
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 1)
})

t.test(
  'a token that lives less than twice refreshBefore is renewed half-way, not at every request',
  async (t) => {
    const { server, api } = client((server) =>
      server.initial({ expiresAt: server.clock() + 20_000 }),
    )
    server.clock.advance(9) // 11 s left of 20: inside 30 s, but not yet half-way
    await api.fetch(API)
    t.equal(server.refreshCalls().length, 0)
    server.clock.advance(2) // 9 s left: past half-way
    await api.fetch(API)
    t.equal(server.refreshCalls().length, 1)
  },
)

t.test('a refresh token with refresh_expires_in: 0 is still used to refresh', async (t) => {
  const { server, api } = client((server) => ({
    access_token: server.access,
    expires_in: 60,
    refresh_token: server.refresh,
    refresh_expires_in: 0,
  }))
  server.clock.advance(60)
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 1, 'refreshed before sending, not ended')
  t.equal(server.apiCalls()[0]?.authorization, 'Bearer A2')
})

t.test('expires_in: 0 is no known expiry: no refresh before every request', async (t) => {
  const { server, api } = client((server) => ({
    access_token: server.access,
    expires_in: 0,
    refresh_token: server.refresh,
  }))
  for (let request = 0; request < 5; request++) await api.fetch(API)
  t.equal(server.refreshCalls().length, 0, 'not renewed ahead: the 401 will say when')
  t.ok(server.apiCalls().every((call) => call.authorization === 'Bearer A1'))
})

t.test('a tiny lifetime is renewed at most once per few seconds', async (t) => {
  const { server, api } = client((server) => ({
    access_token: server.access,
    expires_in: 1,
    refresh_token: server.refresh,
  }))
  await api.fetch(API)
  server.clock.advance(1)
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 0, 'one second old, though past its half-life: not yet')
  server.clock.advance(1)
  await api.fetch(API)
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 1, 'two seconds old: once, and not again at once')
})

t.test('tokens restored without issuedAt honour refreshBefore as configured', async (t) => {
  const { server, api } = client(
    (server) => server.initial({ issuedAt: undefined, expiresAt: server.clock() + 20_000 }),
    { refreshBefore: 15 },
  )
  server.clock.advance(4) // 16 s left
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 0)
  server.clock.advance(2) // 14 s left: inside 15 s, before the half-life it would assume
  await api.fetch(API)
  t.equal(server.refreshCalls().length, 1, 'renewed 15 s ahead, not at an assumed half-life')
})
