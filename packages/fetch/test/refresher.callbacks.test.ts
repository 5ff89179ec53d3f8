// The `login` and `refresh` callbacks: they get the fetch beneath the client, and a request one
// of them makes through the client itself — as it does once `globalThis.fetch` is replaced by
// `api.fetch` — is the renewal's own, not a request to hold until the renewal is done.
import t from 'tap'
import type { AuthFetch, AuthFetchWithLogin } from '../src/auth-fetch.js'
import type { TokenResponse } from '../src/token-set.js'
import { json, settle } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, REFRESH_URL, tokenServer } from './fixtures/token-server.js'

const LOGIN_URL = `${ORIGIN}/auth/login`

/** The token response a callback hands back. */
const tokensOf = async (response: Response): Promise<TokenResponse> =>
  (await response.json()) as TokenResponse

/** The refresh grant's request, as `refreshUrl` would send it. */
const grant = (refreshToken: string): RequestInit => ({
  method: 'POST',
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
})

/** A server whose `POST /auth/login` answers a fresh pair, as the refresh endpoint does. */
function loginServer() {
  const server = tokenServer()
  const answer = server.onApi
  server.onApi = (call) => (call.path === '/auth/login' ? json(server.rotate()) : answer(call))
  return server
}

t.test('both callbacks are handed the fetch beneath the client', async (t) => {
  const server = loginServer()
  const handed: unknown[] = []
  const api = clientOf(server, {
    refreshUrl: undefined,
    tokens: server.initial({ accessToken: 'A0' }),
    refresh: async ({ refreshToken, fetch }) => {
      handed.push(fetch)
      return tokensOf(await fetch(REFRESH_URL, grant(refreshToken)))
    },
    login: async ({ fetch }) => {
      handed.push(fetch)
      return tokensOf(await fetch(LOGIN_URL, { method: 'POST' }))
    },
  })
  t.equal((await api.fetch(API)).status, 200, 'refused, refreshed, retried')
  await api.login()
  t.equal(handed.length, 2)
  t.ok(
    handed.every((fetch) => fetch === server.fetch),
    'the underlying fetch itself',
  )
  t.same(
    server.calls.map((call) => `${call.path} ${call.authorization}`),
    ['/api/data Bearer A0', '/auth/refresh null', '/api/data Bearer A2', '/auth/login null'],
    'the callbacks’ own requests carry no token',
  )
})

t.test('a login that calls api.fetch before its first await is not held for itself', async (t) => {
  const server = loginServer()
  let logins = 0
  const api: AuthFetchWithLogin = clientOf(server, {
    refreshUrl: undefined,
    login: async () => {
      logins++
      // As `fetch(…)` reads once `globalThis.fetch = api.fetch`.
      return tokensOf(await api.fetch(LOGIN_URL, { method: 'POST' }))
    },
    tokens: undefined,
  })
  const responses = await Promise.all([api.fetch(API), api.fetch(API), api.login()])
  t.same(
    responses.slice(0, 2).map((response) => (response as Response).status),
    [200, 200],
  )
  t.equal(logins, 1, 'one login for the two 401s and the explicit call')
  t.equal(server.to('/auth/login').length, 1)
  t.equal(server.to('/auth/login')[0]?.authorization, null)
})

t.test('a refresh that calls api.fetch before its first await makes one refresh', async (t) => {
  const server = tokenServer()
  let refreshes = 0
  const api: AuthFetch = clientOf(server, {
    refreshUrl: undefined,
    tokens: server.initial({ accessToken: 'A0' }),
    refresh: async ({ refreshToken }) => {
      refreshes++
      return tokensOf(await api.fetch(REFRESH_URL, grant(refreshToken)))
    },
  })
  const responses = await Promise.all(Array.from({ length: 10 }, () => api.fetch(API)))
  t.ok(responses.every((response) => response.status === 200))
  t.equal(refreshes, 1)
  t.equal(server.refreshCalls().length, 1)
  t.equal(server.refreshCalls()[0]?.authorization, null, 'the refresh request carries no token')
})

t.test('a callback calling back into the client joins the renewal in flight', async (t) => {
  const server = tokenServer()
  let inner: Promise<unknown> | undefined
  const api: AuthFetch = clientOf(server, {
    refreshUrl: undefined,
    refresh: async ({ refreshToken, fetch }) => {
      inner ??= api.refresh() // synchronously, before anything is awaited
      return tokensOf(await fetch(REFRESH_URL, grant(refreshToken)))
    },
  })
  const outer = await api.refresh()
  await settle()
  t.equal(server.refreshCalls().length, 1, 'no second refresh started from inside the first')
  t.equal(await inner, outer, 'the inner call got the same tokens')
})
