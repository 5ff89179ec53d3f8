// Behaviour 6: a method that may be sent twice is retried once after a network error or a
// 502/503/504, after 200–500 ms or the server's Retry-After (capped); it composes with the 401
// path. The delay is injected: no test waits in real time.
import t from 'tap'
import type { AuthFetchOptions } from '../src/options.js'
import { json } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function client(options: Partial<AuthFetchOptions> = {}) {
  const server = tokenServer()
  const delays: number[] = []
  const api = clientOf(server, {
    sleep: async (ms) => {
      delays.push(ms)
    },
    ...options,
  })
  return { server, api, delays }
}

/** Answers the first `failures.length` API calls with these, then as the server would. */
function failFirst(server: ReturnType<typeof tokenServer>, ...failures: (() => Response)[]) {
  const answer = server.onApi
  let calls = 0
  server.onApi = (call) => failures[calls++]?.() ?? answer(call)
}

t.test('a network error on a GET is retried once, after 200–500 ms', async (t) => {
  const { server, api, delays } = client()
  failFirst(server, () => {
    throw new TypeError('fetch failed')
  })
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.apiCalls().length, 2)
  t.equal(delays.length, 1)
  t.ok(delays[0]! >= 200 && delays[0]! < 500, `jittered delay ${delays[0]}`)
})

t.test('502, 503 and 504 are retried once, and the discarded body is cancelled', async (t) => {
  for (const status of [502, 503, 504]) {
    const { server, api } = client()
    let cancelled = false
    failFirst(
      server,
      () => new Response(new ReadableStream({ cancel: () => void (cancelled = true) }), { status }),
    )
    t.equal((await api.fetch(API)).status, 200, `${status}`)
    t.equal(server.apiCalls().length, 2)
    t.ok(cancelled, 'the body nobody reads is cancelled')
  }
})

t.test('a second failure is the answer: no third attempt', async (t) => {
  const { server, api } = client()
  failFirst(
    server,
    () => json({}, 503),
    () => json({ second: true }, 503),
  )
  const response = await api.fetch(API)
  t.equal(response.status, 503)
  t.same(await response.json(), { second: true })
  t.equal(server.apiCalls().length, 2)

  const network = client()
  const failure = new TypeError('fetch failed again')
  failFirst(
    network.server,
    () => {
      throw new TypeError('fetch failed')
    },
    () => {
      throw failure
    },
  )
  t.equal(await network.api.fetch(API).catch((error: unknown) => error), failure)
  t.equal(network.server.apiCalls().length, 2)
})

t.test('Retry-After is honoured in seconds or as a date, and capped at 10 s', async (t) => {
  const cases: [string, string, number, Partial<AuthFetchOptions>][] = [
    ['seconds', '3', 3000, {}],
    ['zero', '0', 0, {}],
    ['over the cap', '120', 10_000, {}],
    ['a custom cap', '120', 60_000, { retry: { maxRetryAfter: 60 } }],
    ['garbage', 'soon', -1, {}],
  ]
  for (const [name, value, expected, options] of cases) {
    const { server, api, delays } = client(options)
    failFirst(server, () => json({}, 503, { 'retry-after': value }))
    t.equal((await api.fetch(API)).status, 200, name)
    if (expected >= 0) t.same(delays, [expected], name)
    else t.ok(delays[0]! >= 200 && delays[0]! < 500, `${name} falls back to the default delay`)
  }
  const { server, api, delays } = client()
  const date = new Date(server.clock() + 4000).toUTCString()
  failFirst(server, () => json({}, 503, { 'retry-after': date }))
  await api.fetch(API)
  t.same(delays, [4000], 'an HTTP date, counted from the injected clock')
})

t.test('methods that may not be sent twice are not retried', async (t) => {
  const { server, api, delays } = client()
  failFirst(server, () => json({}, 503))
  t.equal((await api.fetch(API, { method: 'POST', body: 'x' })).status, 503)
  const failure = new TypeError('fetch failed')
  failFirst(server, () => {
    throw failure
  })
  t.equal(
    await api.fetch(API, { method: 'PUT', body: 'x' }).catch((error: unknown) => error),
    failure,
  )
  t.equal(server.apiCalls().length, 2)
  t.same(delays, [])
})

t.test('an underlying fetch that throws instead of rejecting counts as rejecting', async (t) => {
  const server = tokenServer()
  const failure = new TypeError('thrown, not rejected')
  let throwNext = 0
  const { api } = client({
    fetch: (input, init) => {
      if (throwNext > 0) {
        throwNext--
        throw failure
      }
      return server.fetch(input, init)
    },
    tokens: server.initial(),
  })
  throwNext = 1
  t.equal((await api.fetch(API)).status, 200, 'a GET is retried once, as after a network error')
  throwNext = 1
  const post = api.fetch(API, { method: 'POST', body: 'x' })
  t.type(post, Promise, 'the call still returns a promise')
  t.equal(await post.catch((error: unknown) => error), failure, 'a POST rejects with it')
  t.equal(server.apiCalls().length, 1, 'only the GET retry reached the server')
})

t.test('statuses: [] and retry: false turn the transient retry off', async (t) => {
  for (const retry of [{ statuses: [] }, false] as const) {
    const { server, api } = client({ retry })
    failFirst(server, () => json({}, 503))
    t.equal((await api.fetch(API)).status, 503)
    t.equal(server.apiCalls().length, 1)
  }
  const { server, api } = client({ retry: { statuses: [500] } })
  failFirst(server, () => json({}, 500))
  t.equal((await api.fetch(API)).status, 200, 'other statuses can be chosen')
})

t.test('a 503 and then a 401: retried, refreshed, retried again', async (t) => {
  const { server, api, delays } = client({ tokens: tokenServer().initial({ accessToken: 'A0' }) })
  failFirst(server, () => json({}, 503))
  t.equal((await api.fetch(API)).status, 200)
  t.same(
    server.calls.map((call) => `${call.path} ${call.authorization ?? ''}`.trim()),
    ['/api/data Bearer A0', '/api/data Bearer A0', '/auth/refresh', '/api/data Bearer A2'],
  )
  t.equal(delays.length, 1)
})

t.test('a 401, then a 503 on the retry: the transient retry still has its one go', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
    sleep: async () => undefined,
  })
  const answer = server.onApi
  let calls = 0
  server.onApi = (call) => (++calls === 2 ? json({}, 503) : answer(call))
  t.equal((await api.fetch(API)).status, 200)
  t.same(
    server.apiCalls().map((call) => call.authorization),
    ['Bearer A0', 'Bearer A2', 'Bearer A2'],
  )
  t.equal(server.refreshCalls().length, 1)
})

t.test('a 401, then a network error on the retry: that too has its one transient go', async (t) => {
  const server = tokenServer()
  const delays: number[] = []
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
    sleep: async (ms) => {
      delays.push(ms)
    },
  })
  const answer = server.onApi
  let calls = 0
  server.onApi = (call) => {
    if (++calls === 2) throw new TypeError('fetch failed')
    return answer(call)
  }
  t.equal((await api.fetch(API)).status, 200)
  t.same(
    server.apiCalls().map((call) => call.authorization),
    ['Bearer A0', 'Bearer A2', 'Bearer A2'],
  )
  t.equal(server.refreshCalls().length, 1)
  t.equal(delays.length, 1, 'after the one delay')
})

t.test('an abort during the delay rejects at once with the reason', async (t) => {
  const controller = new AbortController()
  const { server, api } = client({
    sleep: (_ms, signal) => {
      t.equal(signal, controller.signal, 'the sleep gets the caller signal')
      controller.abort(new Error('user left'))
      return new Promise(() => undefined) // a sleep that never ends on its own
    },
  })
  failFirst(server, () => json({}, 503))
  const error = await api.fetch(API, { signal: controller.signal }).catch((error: unknown) => error)
  t.match(error, { message: 'user left' })
  t.equal(server.apiCalls().length, 1)
})

t.test('an aborted fetch is not retried', async (t) => {
  const { server, api, delays } = client()
  const abort = new DOMException('The operation was aborted', 'AbortError')
  failFirst(server, () => {
    throw abort
  })
  t.equal(await api.fetch(API).catch((error: unknown) => error), abort)
  t.equal(server.apiCalls().length, 1)
  t.same(delays, [])
})

t.test('without an injected sleep the real timer is used (a 0 s Retry-After)', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    refreshUrl: undefined,
  })
  failFirst(server, () => json({}, 503, { 'retry-after': '0' }))
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.apiCalls().length, 2)
})
