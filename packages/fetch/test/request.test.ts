// How one call is read and sent: the URL memo never lets a stale answer decide where the token
// goes, and every attempt gets headers of its own, snapshotted when the call was made.
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { json, unauthorized } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, REFRESH_URL, tokenServer } from './fixtures/token-server.js'

/** A client whose underlying fetch answers with the Authorization header it was given. */
function echoing() {
  const inits: (RequestInit | undefined)[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    tokens: { accessToken: 'A1' },
    fetch: async (input, init) => {
      inits.push(init)
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}))
      return json({ authorization: headers.get('authorization') })
    },
  })
  const authorizationOf = async (input: string | URL, init?: RequestInit) =>
    ((await (await api.fetch(input, init)).json()) as { authorization: string | null })
      .authorization
  return { api, inits, authorizationOf }
}

t.test('a relative URL is resolved again when the document base changes', async (t) => {
  const { authorizationOf } = echoing()
  const globals = globalThis as { document?: { baseURI: string } }
  t.teardown(() => {
    delete globals.document
  })
  globals.document = { baseURI: `${ORIGIN}/app/` }
  t.equal(await authorizationOf('/api/x'), 'Bearer A1')
  t.equal(await authorizationOf('/api/x'), 'Bearer A1', 'the remembered answer')
  globals.document = { baseURI: 'https://elsewhere.test/app/' }
  t.equal(await authorizationOf('/api/x'), null, 'the same string, now another origin')
  globals.document = { baseURI: `${ORIGIN}/other/` }
  t.equal(await authorizationOf('/api/x'), 'Bearer A1')
})

t.test('many distinct URLs, and very long ones, are each judged on their own', async (t) => {
  const { authorizationOf } = echoing()
  const wrong: string[] = []
  // More distinct strings than the memo holds, ours and others' interleaved, each asked twice.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 300; i++) {
      const ours = i % 2 === 0
      const url = `${ours ? ORIGIN : 'https://elsewhere.test'}/api/item/${i}`
      const expected = ours ? 'Bearer A1' : null
      if ((await authorizationOf(url)) !== expected) wrong.push(url)
    }
  }
  t.same(wrong, [], 'every URL got the token exactly when its origin is ours')
  const long = `/api/${'x'.repeat(5000)}`
  t.equal(await authorizationOf(`${ORIGIN}${long}`), 'Bearer A1')
  t.equal(await authorizationOf(`https://elsewhere.test${long}`), null)
  t.equal(await authorizationOf(`${ORIGIN}${long}`), 'Bearer A1')
})

t.test('a URL-like object is read through its string, as fetch reads it', async (t) => {
  const { authorizationOf } = echoing()
  const ours = { toString: () => API } as unknown as string
  const theirs = { toString: () => 'https://elsewhere.test/api' } as unknown as string
  t.equal(await authorizationOf(ours), 'Bearer A1')
  t.equal(await authorizationOf(theirs), null)
})

t.test('without headers of the caller or a token, their init is passed on as it was', async (t) => {
  const inits: (RequestInit | undefined)[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    fetch: async (_input, init) => {
      inits.push(init)
      return new Response('ok')
    },
  })
  const init = { method: 'GET', cache: 'no-store' as const }
  await api.fetch(API, init)
  await api.fetch(API)
  t.same(inits[0], { method: 'GET', cache: 'no-store' }, 'no session: the same fields')
  t.not(inits[0], init, 'in an object of its own, taken when the call was made')
  t.equal(inits[1], undefined)
})

t.test('each attempt gets headers of its own, taken when the call was made', async (t) => {
  const { server, api, apiHanded } = recordingRetried()

  const headers = new Headers({ 'x-mine': 'before' })
  const pending = api.fetch(API, { headers })
  headers.set('x-mine', 'after')
  t.equal((await pending).status, 200)

  const sent = server.apiCalls()
  t.same(
    sent.map((call) => [
      call.authorization,
      call.headers.get('x-mine'),
      call.headers.get('x-trace'),
    ]),
    [
      ['Bearer A1', 'before', null],
      ['Bearer A2', 'before', null],
    ],
    'the retry carries the new token and the snapshot, not later edits by anyone',
  )
  const apiHeaders = apiHanded().map(({ init }) => init?.headers)
  t.equal(apiHeaders.length, 2)
  t.ok(
    apiHeaders.every((value) => value instanceof Headers),
    'each attempt is handed a Headers',
  )
  t.not(apiHeaders[0], apiHeaders[1], 'two attempts, two objects')
  t.not(apiHeaders[0], headers, 'never the caller’s own object')
})

t.test('a call goes where its URL pointed when it was made, even after a wait', async (t) => {
  const server = tokenServer()
  const api = clientOf(server)
  server.clock.advance(900 - 29) // inside refreshBefore: every call waits for the renewal
  const held = server.holdRefreshes()

  // One URL object reused for several calls, as a loop over ids might.
  const url = new URL(`${ORIGIN}/api/items`)
  const pending: Promise<Response>[] = []
  for (const id of ['1', '2', '3']) {
    url.searchParams.set('id', id)
    pending.push(api.fetch(url))
  }
  // A URL object pointed elsewhere after the call returned.
  const other = new URL(`${ORIGIN}/api/profile`)
  pending.push(api.fetch(other))
  other.href = 'https://elsewhere.test/collect'

  held.open()
  const responses = await Promise.all(pending)
  t.same(
    responses.map((response) => response.status),
    [200, 200, 200, 200],
  )
  t.same(
    server
      .apiCalls()
      .map((call) => `${call.url} ${call.authorization}`)
      .sort(),
    [
      `${ORIGIN}/api/items?id=1 Bearer A2`,
      `${ORIGIN}/api/items?id=2 Bearer A2`,
      `${ORIGIN}/api/items?id=3 Bearer A2`,
      `${ORIGIN}/api/profile Bearer A2`,
    ],
  )
  t.notOk(
    server.calls.some((call) => call.url.startsWith('https://elsewhere.test')),
    'nothing went to where the URL was pointed after the call',
  )
})

t.test('a reused init: every attempt sends what the call was made with', async (t) => {
  const encode = (text: string) => new TextEncoder().encode(text)
  const bodies: [string, () => BodyInit, (body: never) => void, RegExp][] = [
    [
      'URLSearchParams',
      () => new URLSearchParams({ n: 'first' }),
      (body: URLSearchParams) => body.set('n', 'second'),
      /^n=first$/,
    ],
    [
      'FormData',
      () => {
        const form = new FormData()
        form.append('n', 'first')
        form.append('file', new File(['file-first'], 'a.txt'))
        return form
      },
      (body: FormData) => {
        body.set('n', 'second')
        body.delete('file')
      },
      /name="n"\r\n\r\nfirst\r\n[\s\S]*filename="a\.txt"[\s\S]*file-first/,
    ],
    [
      'Uint8Array',
      () => encode('first'),
      (body: Uint8Array) => body.set(encode('other')),
      /^first$/,
    ],
    [
      'ArrayBuffer',
      () => encode('first').buffer,
      (body: ArrayBuffer) => new Uint8Array(body).set(encode('other')),
      /^first$/,
    ],
    [
      'DataView',
      () => new DataView(encode('xfirst').buffer, 1),
      (body: DataView) => body.setUint8(0, 0x4f),
      /^first$/,
    ],
  ]
  for (const [kind, make, change, sent] of bodies) {
    const server = tokenServer()
    const api = clientOf(server, { retry: { methods: ['PUT'] } })
    server.clock.advance(900 - 29) // the first attempt waits for a renewal
    const held = server.holdRefreshes()
    let calls = 0
    const answer = server.onApi
    server.onApi = (call) => (++calls === 1 ? unauthorized() : answer(call)) // and is retried

    const init: RequestInit = { method: 'PUT', body: make() }
    const pending = api.fetch(API, init)
    init.method = 'DELETE'
    change(init.body as never)
    held.open()
    t.equal((await pending).status, 200, kind)
    const sentCalls = server.apiCalls()
    t.same(
      sentCalls.map((call) => [call.method, call.authorization]),
      [
        ['PUT', 'Bearer A2'],
        ['PUT', 'Bearer A3'],
      ],
      `${kind}: sent, refused, renewed and sent again as a PUT`,
    )
    for (const call of sentCalls) t.match(call.body, sent, `${kind}: the body as it was`)
  }
})

/**
 * A client whose first call to the API is refused (so a GET is sent twice: with A1, then with
 * A2), and whose underlying fetch records what it was handed and then edits the headers, as a
 * tracing wrapper might.
 */
function recordingRetried(options: { tokens?: boolean; retry?: { methods: string[] } } = {}) {
  const server = tokenServer()
  const handed: { input: string | URL | Request; init: RequestInit | undefined }[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    refreshUrl: REFRESH_URL,
    now: server.clock,
    ...(options.tokens === false ? {} : { tokens: server.initial() }),
    ...(options.retry ? { retry: options.retry } : {}),
    fetch: async (input, init) => {
      handed.push({ input, init })
      const response = await server.fetch(input, init)
      if (init?.headers instanceof Headers) init.headers.set('x-trace', 'edited')
      return response
    },
  })
  let calls = 0
  const answer = server.onApi
  server.onApi = (call) => (++calls === 1 ? unauthorized() : answer(call))
  const apiHanded = () =>
    handed.filter(({ input }) => (input instanceof Request ? input.url : String(input)) === API)
  return { server, api, apiHanded }
}

t.test('with no headers of the caller, each attempt gets a Headers of its own', async (t) => {
  for (const init of [undefined, { cache: 'no-store' as const }]) {
    const { server, api, apiHanded } = recordingRetried()
    t.equal((await api.fetch(API, init)).status, 200)
    const handed = apiHanded()
    t.same(
      handed.map(({ input, init }) => [
        input,
        init?.headers instanceof Headers ? [...init.headers] : init?.headers,
      ]),
      [
        [
          API,
          [
            ['authorization', 'Bearer A1'],
            ['x-trace', 'edited'],
          ],
        ],
        [
          API,
          [
            ['authorization', 'Bearer A2'],
            ['x-trace', 'edited'],
          ],
        ],
      ],
      'a Headers with the token each time, edited by the fetch beneath after it was sent',
    )
    t.not(handed[0]?.init?.headers, handed[1]?.init?.headers, 'two attempts, two objects')
    t.same(
      server.apiCalls().map((call) => [call.authorization, call.headers.get('x-trace')]),
      [
        ['Bearer A1', null],
        ['Bearer A2', null],
      ],
      'an edit to one attempt’s headers never reaches the next',
    )
    t.equal(handed[1]?.init?.cache, init?.cache, 'the rest of init goes with it')
  }
})

t.test('a plain object of headers is taken when the call was made', async (t) => {
  const { server, api, apiHanded } = recordingRetried()
  let version = 'before'
  const headers: Record<string, string> = {
    'x-mine': 'before',
    'x-object': { toString: () => `object-${version}` } as unknown as string,
  }
  const pending = api.fetch(API, { headers })
  headers['x-mine'] = 'after'
  version = 'after'
  t.equal((await pending).status, 200)
  t.same(
    server
      .apiCalls()
      .map((call) => [
        call.authorization,
        call.headers.get('x-mine'),
        call.headers.get('x-object'),
        call.headers.get('x-trace'),
      ]),
    [
      ['Bearer A1', 'before', 'object-before', null],
      ['Bearer A2', 'before', 'object-before', null],
    ],
    'both attempts carry the headers as they were, and no edit of the fetch beneath',
  )
  const handed = apiHanded().map(({ init }) => init?.headers)
  t.ok(
    handed.every((sent) => sent instanceof Headers),
    'the fetch beneath gets a Headers',
  )
  t.same(Object.keys(headers), ['x-mine', 'x-object'], 'the caller’s object is not changed')
})

t.test('a plain object of headers without a session is passed on as a copy', async (t) => {
  const { api, apiHanded } = recordingRetried({ tokens: false })
  const headers = { 'x-mine': '1' }
  t.equal((await api.fetch(API, { headers })).status, 401)
  const [first] = apiHanded()
  t.ok(first?.init?.headers instanceof Headers)
  t.same(
    [...new Headers(first?.init?.headers)],
    [
      ['x-mine', '1'],
      ['x-trace', 'edited'],
    ],
  )
  t.same(headers, { 'x-mine': '1' }, 'the caller’s object is not changed')
})

t.test('Authorization is recognised in any case, and only it', async (t) => {
  const seen: (RequestInit | undefined)[] = []
  const api = createAuthFetch({
    origins: [ORIGIN],
    tokens: { accessToken: 'A1' },
    fetch: async (_input, init) => {
      seen.push(init)
      return json({ authorization: new Headers(init?.headers).get('authorization') })
    },
  })
  const mine = { headers: { AUTHORIZATION: 'Basic dXNlcjpwYXNz' } }
  await api.fetch(API, mine)
  t.equal(seen[0], mine, 'the caller’s own Authorization: passed through untouched')
  for (const name of ['x-authorization', 'authorizatio', 'authorization-x']) {
    const response = await api.fetch(API, { headers: { [name]: 'v' } })
    t.same(await response.json(), { authorization: 'Bearer A1' }, `${name} is not Authorization`)
  }
})

t.test('a plain object of headers is read as fetch reads it', async (t) => {
  const { server, api } = recordingRetried()
  // Names that differ only in case, a number, spaces around a value, a field named __proto__.
  const headers = JSON.parse(
    '{"X-Twice": "1", "x-twice": "2", "x-number": 5, "x-spaced": "  v  ", "__proto__": "p"}',
  ) as Record<string, string>
  t.equal((await api.fetch(API, { headers })).status, 200)
  const asFetchReadsThem = [...new Request(API, { headers }).headers]
  const sent = server
    .apiCalls()
    .map((call) => [...call.headers].filter(([name]) => name !== 'authorization'))
  t.same(sent, [asFetchReadsThem, asFetchReadsThem])
  t.same(
    asFetchReadsThem.map(([name]) => name),
    ['x-number', 'x-spaced', 'x-twice'],
    'what fetch makes of them (it ignores __proto__)',
  )
})

t.test('headers fetch refuses are refused at once, as fetch refuses them', async (t) => {
  const { api, apiHanded } = recordingRetried()
  const invalid = [
    { 'x-symbol': Symbol('not a string') as unknown as string },
    { 'bad name': 'v' },
    { 'x-line': 'a\nb' },
  ]
  for (const headers of invalid) {
    await t.rejects(fetch(API, { headers }), TypeError, 'fetch itself refuses it')
    await t.rejects(api.fetch(API, { headers }), TypeError, 'and so does api.fetch')
  }
  t.same(apiHanded(), [], 'nothing reached the fetch beneath, so nothing was retried')
})

t.test('a Request without a body is sent as it is on every attempt', async (t) => {
  const { server, api, apiHanded } = recordingRetried()
  const request = new Request(API, { headers: { 'x-mine': 'r' } })
  t.equal((await api.fetch(request)).status, 200)
  const handed = apiHanded()
  t.equal(handed.length, 2)
  t.ok(
    handed.every(({ input }) => input === request),
    'no clone: only a body is used up by sending',
  )
  t.ok(handed.every(({ init }) => init?.headers instanceof Headers))
  t.same(
    server
      .apiCalls()
      .map((call) => [call.authorization, call.headers.get('x-mine'), call.headers.get('x-trace')]),
    [
      ['Bearer A1', 'r', null],
      ['Bearer A2', 'r', null],
    ],
  )
  t.equal(request.headers.get('authorization'), null, 'the caller’s Request carries no token')
})

t.test('a Request with a body is sent from a clone, and again on the retry', async (t) => {
  const { server, api, apiHanded } = recordingRetried({ retry: { methods: ['PUT'] } })
  const request = new Request(API, { method: 'PUT', body: 'the body' })
  t.equal((await api.fetch(request)).status, 200)
  const handed = apiHanded()
  t.equal(handed.length, 2)
  t.ok(
    handed.every(({ input }) => input !== request),
    'clones, so that the caller’s body is still there for the retry',
  )
  t.same(
    server.apiCalls().map((call) => [call.method, call.body, call.authorization]),
    [
      ['PUT', 'the body', 'Bearer A1'],
      ['PUT', 'the body', 'Bearer A2'],
    ],
  )
})
