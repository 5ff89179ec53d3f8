// Behaviour 1: a drop-in fetch. Every input form fetch takes, every HeadersInit form, HTTP errors
// resolved as Responses; other origins and caller-set Authorization pass through untouched.
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { json, scriptedFetch, unauthorized } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, tokenServer } from './fixtures/token-server.js'

function client() {
  const server = tokenServer()
  const api = clientOf(server)
  return { server, api }
}

t.test('string, URL and Request inputs all carry the token', async (t) => {
  const { server, api } = client()
  for (const input of [API, new URL(API), new Request(API)]) {
    const response = await api.fetch(input)
    t.equal(response.status, 200)
  }
  t.same(
    server.apiCalls().map((call) => call.authorization),
    ['Bearer A1', 'Bearer A1', 'Bearer A1'],
  )
})

t.test('every HeadersInit form is kept, with Authorization added', async (t) => {
  const { server, api } = client()
  const forms: HeadersInit[] = [
    { 'x-one': '1', accept: 'text/plain' },
    [
      ['x-one', '1'],
      ['accept', 'text/plain'],
    ],
    new Headers({ 'x-one': '1', accept: 'text/plain' }),
  ]
  for (const headers of forms) await api.fetch(API, { headers })
  for (const call of server.apiCalls()) {
    t.equal(call.headers.get('x-one'), '1')
    t.equal(call.headers.get('accept'), 'text/plain')
    t.equal(call.authorization, 'Bearer A1')
  }
  t.equal(server.apiCalls().length, 3)
})

t.test("init.headers replaces a Request's headers, as in fetch", async (t) => {
  const { server, api } = client()
  await api.fetch(new Request(API, { headers: { 'x-request': 'r' } }), {
    headers: { 'x-init': 'i' },
  })
  const call = server.apiCalls()[0]
  t.equal(call?.headers.get('x-request'), null)
  t.equal(call?.headers.get('x-init'), 'i')
  t.equal(call?.authorization, 'Bearer A1')
})

t.test('HTTP errors resolve as Responses, like fetch', async (t) => {
  const { server, api } = client()
  server.onApi = (call) => json({ path: call.path }, call.path.endsWith('missing') ? 404 : 500)
  const missing = await api.fetch(`${ORIGIN}/api/missing`)
  t.equal(missing.status, 404)
  t.same(await missing.json(), { path: '/api/missing' })
  t.equal((await api.fetch(API, { method: 'POST', body: '{}' })).status, 500)
})

t.test('the request goes out as the caller wrote it: method, body, options', async (t) => {
  const { server, api } = client()
  await api.fetch(API, { method: 'patch', body: 'patch-body', redirect: 'manual' })
  const call = server.apiCalls()[0]
  t.equal(call?.method, 'patch')
  t.equal(call?.body, 'patch-body')
})

t.test('a request to an origin not in origins never carries the token nor refreshes', async (t) => {
  const { server, api } = client()
  server.onApi = () => unauthorized()
  for (const url of [
    'https://elsewhere.test/api/data',
    'http://api.test/api/data',
    'https://api.test:8443/api/data',
    'https://evil.api.test/api/data',
  ]) {
    const response = await api.fetch(url)
    t.equal(response.status, 401, `${url}: the 401 is the answer`)
  }
  t.ok(server.calls.every((call) => call.authorization === null))
  t.equal(server.refreshCalls().length, 0)
})

t.test(
  'a caller-supplied Authorization is left alone, and its 401 refreshes nothing',
  async (t) => {
    const { server, api } = client()
    server.onApi = () => unauthorized()
    const forms: RequestInit[] = [
      { headers: { Authorization: 'Basic dXNlcjpwYXNz' } },
      { headers: [['authorization', 'Basic dXNlcjpwYXNz']] },
    ]
    for (const init of forms) t.equal((await api.fetch(API, init)).status, 401)
    t.equal((await api.fetch(new Request(API, forms[0]))).status, 401)
    t.same(
      server.apiCalls().map((call) => call.authorization),
      ['Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz'],
    )
    t.equal(server.refreshCalls().length, 0)
  },
)

t.test('pass-through calls hand the very same arguments to the underlying fetch', async (t) => {
  const seen: unknown[][] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    fetch: async (...args) => {
      seen.push(args)
      return new Response('ok')
    },
  })
  const init = { headers: { authorization: 'Bearer mine' } }
  await api.fetch(API, init)
  await api.fetch('https://elsewhere.test/')
  t.equal(seen[0]?.[0], API)
  t.equal(seen[0]?.[1], init)
  t.same(seen[1], ['https://elsewhere.test/', undefined])
})

t.test('an unparseable URL is left to the underlying fetch to reject', async (t) => {
  const api = createAuthFetch({ origins: [ORIGIN], fetch: globalThis.fetch })
  await t.rejects(api.fetch('not a url'), TypeError)
  await t.rejects(api.fetch('/relative'), TypeError)
})

t.test('api.fetch is bound: it works destructured and assigned', async (t) => {
  const { server, api } = client()
  const { fetch } = api
  t.equal((await fetch(API)).status, 200)
  const holder = { fetch: api.fetch }
  t.equal((await holder.fetch(API)).status, 200)
  t.equal(server.apiCalls().length, 2)
})

t.test('the underlying fetch is called without a receiver, as browsers require', async (t) => {
  const receivers: unknown[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    tokens: { accessToken: 'A1' },
    fetch: function (this: unknown) {
      receivers.push(this)
      return Promise.resolve(new Response('ok'))
    },
  })
  await api.fetch(API)
  await api.fetch('https://elsewhere.test/')
  t.same(receivers, [undefined, undefined])
})

t.test('the default underlying fetch is globalThis.fetch as it was at construction', async (t) => {
  const original = globalThis.fetch
  const calls: string[] = []
  globalThis.fetch = async (input) => {
    calls.push(input instanceof Request ? input.url : input.toString())
    return new Response('ok')
  }
  t.teardown(() => {
    globalThis.fetch = original
  })
  const api = createAuthFetch({ origins: [ORIGIN], tokens: { accessToken: 'A1' } })
  // The recipe "replace globalThis.fetch": no infinite recursion.
  globalThis.fetch = api.fetch
  t.equal(await (await fetch(API)).text(), 'ok')
  t.same(calls, [API])
})

t.test('relative URLs resolve against the document, or the worker location', async (t) => {
  const scripted = scriptedFetch((call) => json({ authorization: call.authorization }))
  const api = createAuthFetch({
    origins: [ORIGIN],
    tokens: { accessToken: 'A1' },
    fetch: (input, init) => scripted.fetch(new URL(input as string, ORIGIN), init),
  })
  const globals = globalThis as { document?: unknown; location?: unknown }
  t.teardown(() => {
    delete globals.document
    delete globals.location
  })
  globals.document = { baseURI: `${ORIGIN}/app/` }
  t.same(await (await api.fetch('/api/doc')).json(), { authorization: 'Bearer A1' })
  delete globals.document
  globals.location = { href: 'https://elsewhere.test/worker.js' }
  t.same(await (await api.fetch('/api/worker')).json(), { authorization: null })
})

t.test('a Request from another fetch implementation is read by its shape', async (t) => {
  const seen: unknown[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    tokens: { accessToken: 'A1' },
    fetch: async (input, init) => {
      seen.push(input, new Headers(init?.headers).get('authorization'))
      return new Response('ok')
    },
  })
  const native = new Request(API, { method: 'DELETE', headers: { 'x-a': '1' } })
  const foreign = {
    url: native.url,
    method: native.method,
    headers: native.headers,
    signal: native.signal,
    clone: () => foreign,
  }
  await api.fetch(foreign as unknown as Request)
  t.equal(seen[0], foreign)
  t.equal(seen[1], 'Bearer A1')
})

t.test('an AsyncIterable body (Node fetch accepts one) is never replayed', async (t) => {
  const server = tokenServer()
  const api = clientOf(server, {
    retry: { methods: ['POST'] },
  })
  const answer = server.onApi
  let calls = 0
  server.onApi = (call) => (++calls === 1 ? unauthorized() : answer(call))
  async function* chunks() {
    yield new TextEncoder().encode('iterated')
  }
  const response = await api.fetch(API, {
    method: 'POST',
    body: chunks() as unknown as BodyInit,
    duplex: 'half',
  } as RequestInit)
  t.equal(response.status, 401)
  t.same(
    server.apiCalls().map((call) => call.body),
    ['iterated'],
  )
  t.equal(server.refreshCalls().length, 1)
})
