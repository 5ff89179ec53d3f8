// Behaviour 3: after a refresh, only the methods that may be sent twice are retried, exactly
// once, and only with a body that can be replayed; anything else gets its 401 back.
import t from 'tap'
import type { AuthFetchOptions } from '../src/options.js'
import { AuthError } from '../src/errors.js'
import { settle, until } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function staleClient(options: Partial<AuthFetchOptions> = {}) {
  const server = tokenServer()
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
    ...options,
  })
  return { server, api }
}

const WITH_POST = { retry: { methods: ['GET', 'HEAD', 'OPTIONS', 'POST'] } }

t.test('GET, HEAD and OPTIONS are retried once with the new token', async (t) => {
  for (const method of ['GET', 'HEAD', 'OPTIONS']) {
    const { server, api } = staleClient()
    const response = await api.fetch(API, { method })
    t.equal(response.status, 200, method)
    t.same(
      server.apiCalls().map((call) => `${call.method} ${call.authorization}`),
      [`${method} Bearer A0`, `${method} Bearer A2`],
    )
    t.equal(server.refreshCalls().length, 1)
  }
})

t.test(
  'a retried request refused again rejects AUTH_REFRESH_FAILED caused by the first 401',
  async (t) => {
    const { server, api } = staleClient()
    let refusals = 0
    server.onApi = () =>
      new Response('{}', { status: 401, statusText: ++refusals === 1 ? 'first' : 'second' })

    const error = await api.fetch(API).catch((error: unknown) => error)
    t.type(error, AuthError)
    t.equal((error as AuthError).code, 'AUTH_REFRESH_FAILED')
    t.same((error as AuthError).cause, { status: 401, statusText: 'first', url: API })
    t.equal(server.apiCalls().length, 2, 'retried exactly once')
    t.equal(server.refreshCalls().length, 1, 'and refreshed exactly once')
    t.notMatch(JSON.stringify((error as AuthError).cause), /A0|A2|R1|R2/)
  },
)

for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) {
  t.test(`${method} is not retried: its 401 comes back after the refresh settled`, async (t) => {
    const { server, api } = staleClient()
    const refreshAnswer = server.holdRefreshes()
    let settled = false
    const pending = api.fetch(API, { method, body: method === 'DELETE' ? null : 'payload' })
    void pending.then(() => (settled = true))
    await until(() => server.refreshCalls().length === 1)
    await settle()
    t.equal(settled, false, 'the 401 waits for the refresh')
    refreshAnswer.open()

    const response = await pending
    t.equal(response.status, 401)
    t.match(await response.json(), { error: 'invalid_token' }, 'its body is intact, not cancelled')
    t.equal(server.apiCalls().length, 1, 'sent once')
    t.equal(api.tokens?.accessToken, 'A2')

    const next = await api.fetch(API, { method })
    t.equal(next.status, 200)
    t.equal(server.apiCalls()[1]?.authorization, 'Bearer A2', 'the next call carries the new token')
    t.equal(server.refreshCalls().length, 1)
  })
}

t.test('retry.methods can allow POST: a replayable body is sent again, whole', async (t) => {
  const form = new FormData()
  form.set('field', 'form-value')
  const bodies: [string, () => BodyInit, string][] = [
    ['a string', () => 'text-value', 'text-value'],
    ['URLSearchParams', () => new URLSearchParams({ q: 'search-value' }), 'q=search-value'],
    ['a Blob', () => new Blob(['blob-value']), 'blob-value'],
    ['a Uint8Array', () => new TextEncoder().encode('bytes-value'), 'bytes-value'],
    ['FormData', () => form, 'form-value'],
  ]
  for (const [name, body, expected] of bodies) {
    const { server, api } = staleClient(WITH_POST)
    const response = await api.fetch(API, { method: 'POST', body: body() })
    t.equal(response.status, 200, name)
    const sent = server.apiCalls().map((call) => call.body)
    t.equal(sent.length, 2, `${name} was sent twice`)
    t.ok(
      sent.every((text) => text.includes(expected)),
      `${name} carried its whole body both times`,
    )
  }
})

t.test('a ReadableStream body is never replayed, even when POST may be', async (t) => {
  const { server, api } = staleClient(WITH_POST)
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('streamed-value'))
      controller.close()
    },
  })
  const response = await api.fetch(API, {
    method: 'POST',
    body: stream,
    duplex: 'half',
  } as RequestInit)
  t.equal(response.status, 401, 'the 401 comes back')
  t.same(
    server.apiCalls().map((call) => call.body),
    ['streamed-value'],
    'sent once, never again empty',
  )
  t.equal(server.refreshCalls().length, 1)
  t.equal(api.tokens?.accessToken, 'A2')
})

t.test('a Request with a body is replayed from a clone when POST may be', async (t) => {
  const { server, api } = staleClient(WITH_POST)
  const request = new Request(API, {
    method: 'POST',
    body: 'request-value',
    headers: { 'x-trace': 'kept' },
  })
  const response = await api.fetch(request)
  t.equal(response.status, 200)
  t.same(
    server.apiCalls().map((call) => [call.body, call.headers.get('x-trace'), call.authorization]),
    [
      ['request-value', 'kept', 'Bearer A0'],
      ['request-value', 'kept', 'Bearer A2'],
    ],
  )
})

t.test('a Request with a body is sent once when POST may not be sent twice', async (t) => {
  const { server, api } = staleClient()
  const response = await api.fetch(new Request(API, { method: 'POST', body: 'request-value' }))
  t.equal(response.status, 401)
  t.same(
    server.apiCalls().map((call) => call.body),
    ['request-value'],
  )
})

t.test('a GET Request is retried from a clone', async (t) => {
  const { server, api } = staleClient()
  const response = await api.fetch(new Request(API, { headers: { accept: 'application/json' } }))
  t.equal(response.status, 200)
  t.same(
    server.apiCalls().map((call) => call.headers.get('accept')),
    ['application/json', 'application/json'],
  )
})

t.test('retry: false sends nothing twice: a GET gets its 401 back after the refresh', async (t) => {
  const { server, api } = staleClient({ retry: false })
  const response = await api.fetch(API)
  t.equal(response.status, 401)
  t.equal(server.apiCalls().length, 1)
  t.equal(server.refreshCalls().length, 1)
  const next = await api.fetch(API)
  t.equal(next.status, 200)
  t.equal(server.apiCalls()[1]?.authorization, 'Bearer A2')
})

t.test('method names are compared without regard to case', async (t) => {
  const { server, api } = staleClient({ retry: { methods: ['get', 'patch'] } })
  t.equal((await api.fetch(API, { method: 'patch', body: 'x' })).status, 200)
  t.same(
    server.apiCalls().map((call) => call.method),
    ['patch', 'patch'],
    "the caller's spelling is what is sent",
  )
})
