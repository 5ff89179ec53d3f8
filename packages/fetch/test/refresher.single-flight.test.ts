// Behaviour 2: the token a request was sent with is remembered; one refresh serves any number of
// concurrent 401s, including a 401 that arrives after that refresh has finished.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { gate, json, until, settle } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, tokenServer } from './fixtures/token-server.js'

/** A client whose access token `A0` the server no longer accepts; `R1` refreshes to `A2`/`R2`. */
function staleClient() {
  const server = tokenServer()
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
  })
  return { server, api }
}

/** Holds the server's answer to the second request that carries the stale `A0` until opened. */
function holdSecondStaleAnswer(server: ReturnType<typeof staleClient>['server']) {
  const secondAnswer = gate()
  const answer = server.onApi
  let staleCalls = 0
  server.onApi = async (call) => {
    if (call.authorization === 'Bearer A0' && ++staleCalls === 2) await secondAnswer.promise
    return answer(call)
  }
  return secondAnswer
}

t.test(
  '100 concurrent 401s make exactly one refresh, and all 100 are retried with the new token',
  async (t) => {
    const { server, api } = staleClient()
    const firstAnswers = gate()
    const answer = server.onApi
    server.onApi = async (call) => {
      if (call.authorization === 'Bearer A0') await firstAnswers.promise
      return answer(call)
    }
    const refreshAnswer = server.holdRefreshes()

    const results = Promise.all(Array.from({ length: 100 }, () => api.fetch(API)))
    await until(() => server.apiCalls().length === 100)
    firstAnswers.open()
    await until(() => server.refreshCalls().length === 1)
    await settle()
    t.equal(server.refreshCalls().length, 1, 'every 401 joined the one refresh in flight')
    t.equal(server.apiCalls().length, 100, 'nothing was retried before the refresh settled')
    refreshAnswer.open()

    const responses = await results
    t.equal(server.refreshCalls().length, 1)
    t.same(
      responses.map((response) => response.status),
      Array(100).fill(200),
    )
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as {
      token: string
    }[]
    t.ok(bodies.every((body) => body.token === 'A2'))
    const authorizations = server.apiCalls().map((call) => call.authorization)
    t.same(authorizations.slice(0, 100), Array(100).fill('Bearer A0'))
    t.same(authorizations.slice(100), Array(100).fill('Bearer A2'))
    t.equal(api.tokens?.accessToken, 'A2')
    t.equal(api.tokens?.refreshToken, 'R2')
  },
)

t.test(
  'a stale 401 that arrives after the refresh finished retries with the new token, no second refresh',
  async (t) => {
    const { server, api } = staleClient()
    const secondAnswer = holdSecondStaleAnswer(server)

    const first = api.fetch(API)
    const second = api.fetch(API)
    await until(() => server.apiCalls().length >= 2)
    const firstResponse = await first
    t.equal(firstResponse.status, 200)
    t.equal(server.refreshCalls().length, 1, 'the first 401 refreshed, and that refresh is over')

    secondAnswer.open()
    const secondResponse = await second
    t.equal(secondResponse.status, 200)
    t.same(await secondResponse.json(), { token: 'A2', path: '/api/data' })
    t.same(
      server.calls.map((call) => (call.path === '/auth/refresh' ? 'refresh' : call.authorization)),
      ['Bearer A0', 'Bearer A0', 'refresh', 'Bearer A2', 'Bearer A2'],
    )
  },
)

t.test(
  'a request sent while a refresh is in flight waits for it and goes out with the new token',
  async (t) => {
    const { server, api } = staleClient()
    const refreshAnswer = server.holdRefreshes()
    const first = api.fetch(API)
    await until(() => server.refreshCalls().length === 1)
    const later = api.fetch(`${ORIGIN}/api/later`)
    await settle()
    t.equal(server.apiCalls().length, 1, 'the later request has not gone out with the dead token')
    refreshAnswer.open()
    t.equal((await first).status, 200)
    t.equal((await later).status, 200)
    t.same(
      server.apiCalls().map((call) => `${call.path} ${call.authorization}`),
      ['/api/data Bearer A0', '/api/data Bearer A2', '/api/later Bearer A2'],
    )
  },
)

t.test(
  'a stale 401 after a failed refresh shares that failure instead of refreshing again',
  async (t) => {
    const { server, api } = staleClient()
    const secondAnswer = holdSecondStaleAnswer(server)
    server.onRefresh = () => json({ error: 'temporarily_unavailable' }, 503)

    // Both settle before the test looks at them: catch now so neither rejection goes unhandled.
    const first = api.fetch(API).catch((error: unknown) => error)
    const second = api.fetch(API).catch((error: unknown) => error)
    await until(() => server.apiCalls().length === 2)
    const firstError = await first
    t.type(firstError, AuthError)
    t.equal((firstError as AuthError).code, 'AUTH_REFRESH_UNAVAILABLE')
    secondAnswer.open()
    t.equal(await second, firstError, 'the same outcome, not a second attempt')
    t.equal(server.refreshCalls().length, 1)
    t.equal(api.tokens?.accessToken, 'A0', 'the tokens are kept')

    // A request sent after the failure may try again, and this time the server is back.
    server.onRefresh = () => json(server.rotate())
    const third = await api.fetch(API)
    t.equal(third.status, 200)
    t.equal(api.tokens?.accessToken, 'A2')
    t.same(
      server.calls.map((call) => (call.path === '/auth/refresh' ? 'refresh' : call.authorization)),
      ['Bearer A0', 'Bearer A0', 'refresh', 'refresh', 'Bearer A2'],
      'the refused token is not sent a third time: the later request refreshes first',
    )
  },
)
