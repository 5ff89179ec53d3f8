// Every bad option fails at construction with a TypeError that names it.
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { AuthFetchOptions } from '../src/options.js'
import { memoryStorage } from '../src/storage.js'

const ok: AuthFetchOptions = { origins: ['https://api.test'] }

t.test('valid options are accepted', async (t) => {
  const api = createAuthFetch({
    origins: ['https://api.test', new URL('http://127.0.0.1:8080'), 'https://api.test/'],
    refreshUrl: new URL('https://api.test/auth/refresh'),
    refreshEncoding: 'json',
    refreshParams: { client_id: 'cli' },
    login: async () => ({ accessToken: 'a' }),
    revocationUrl: 'https://api.test/auth/revoke',
    storage: memoryStorage(),
    tokens: { accessToken: 'a' },
    refreshBefore: 0,
    retry: { methods: ['GET', 'PUT'], statuses: [429, 503], maxRetryAfter: 0 },
    fetch: async () => new Response(),
    onTokens: () => undefined,
    onSessionEnd: () => undefined,
    onError: () => undefined,
    now: () => Date.now(),
    sleep: async () => undefined,
  })
  t.type(api.fetch, 'function')
  t.ok('login' in api)
  t.notOk('login' in createAuthFetch(ok), 'login() exists only with a login callback')
})

t.test('tokens may be a JSON string, as a storage would hold them', async (t) => {
  const json = JSON.stringify({ access_token: 'A1', token_type: 'Bearer', expires_in: 60 })
  const api = createAuthFetch({ ...ok, tokens: json })
  t.equal(api.tokens?.accessToken, 'A1')
})

t.test('an unknown option is a TypeError naming it, not a silently ignored key', async (t) => {
  const misspelt = { ...ok, refreshBefor: 30 } as AuthFetchOptions
  const error = (() => {
    try {
      createAuthFetch(misspelt)
    } catch (error) {
      return error as Error
    }
    return undefined
  })()
  t.type(error, TypeError)
  t.equal(error?.message, 'createAuthFetch: unknown option "refreshBefor"')
  t.doesNotThrow(
    () => createAuthFetch({ ...ok, refreshUrl: undefined }),
    'a known option given as undefined is no unknown option',
  )
})

t.test('each bad option is named in its TypeError', async (t) => {
  const cases: [string, Partial<Record<keyof AuthFetchOptions, unknown>> | null, RegExp][] = [
    ['options', null, /options must be an object/],
    ['no origins', { origins: undefined }, /origins must be a non-empty array/],
    ['empty origins', { origins: [] }, /origins must be a non-empty array/],
    ['an origin with a path', { origins: ['https://api.test/v1'] }, /origins/],
    ['an origin with a query', { origins: ['https://api.test/?a=1'] }, /origins/],
    ['an origin with credentials', { origins: ['https://user:pw@api.test'] }, /origins/],
    ['an opaque origin', { origins: ['data:text/plain,x'] }, /origins/],
    ['a relative origin', { origins: ['/api'] }, /origins/],
    ['an origin that is no string', { origins: [42] }, /origins/],
    [
      'both refresh modes',
      { refreshUrl: 'https://a.test/r', refresh: () => ({}) },
      /refreshUrl or refresh, not both/,
    ],
    ['refreshUrl', { refreshUrl: 'ftp://api.test/refresh' }, /refreshUrl must be an http\(s\) URL/],
    ['refreshUrl garbage', { refreshUrl: 'not a url' }, /refreshUrl must be/],
    ['revocationUrl', { revocationUrl: 5 }, /revocationUrl must be an http\(s\) URL/],
    ['refreshEncoding', { refreshEncoding: 'xml' }, /refreshEncoding must be 'form' or 'json'/],
    [
      'refreshParams',
      { refreshParams: 'client_id=x' },
      /refreshParams must be an object of strings/,
    ],
    ['refreshParams array', { refreshParams: [] }, /refreshParams must be an object/],
    ['refreshParams null', { refreshParams: null }, /refreshParams must be an object/],
    [
      'refreshParams value',
      { refreshParams: { client_id: 1 } },
      /refreshParams must be an object of strings/,
    ],
    [
      'refreshParams grant_type',
      { refreshParams: { grant_type: 'password' } },
      /refreshParams cannot set grant_type/,
    ],
    ['refresh', { refresh: 'yes' }, /refresh must be a function/],
    ['login', { login: {} }, /login must be a function/],
    ['storage', { storage: {} }, /storage must have load, save and clear/],
    ['storage null', { storage: null }, /storage must have/],
    [
      'tokens',
      { tokens: { refreshToken: 'r' } },
      /tokens: TokenSet\.parse: accessToken is missing/,
    ],
    [
      'refreshBefore',
      { refreshBefore: -1 },
      /refreshBefore must be a non-negative number of seconds/,
    ],
    ['refreshBefore NaN', { refreshBefore: NaN }, /refreshBefore/],
    ['refreshBefore string', { refreshBefore: '30' }, /refreshBefore/],
    ['retry', { retry: true }, /retry must be an object or false/],
    ['retry null', { retry: null }, /retry must be an object or false/],
    [
      'retry.methods',
      { retry: { methods: 'GET' } },
      /retry\.methods must be an array of HTTP method names/,
    ],
    ['retry.methods entry', { retry: { methods: ['GET POST'] } }, /retry\.methods/],
    ['retry.statuses', { retry: { statuses: 503 } }, /retry\.statuses must be an array/],
    ['retry.statuses 401', { retry: { statuses: [401] } }, /401 is the refresh's/],
    ['retry.statuses 200', { retry: { statuses: [200] } }, /retry\.statuses/],
    ['retry.statuses float', { retry: { statuses: [503.5] } }, /retry\.statuses/],
    ['retry.maxRetryAfter', { retry: { maxRetryAfter: -1 } }, /retry\.maxRetryAfter must be/],
    ['fetch', { fetch: 'fetch' }, /fetch must be a function/],
    ['onTokens', { onTokens: 1 }, /onTokens must be a function/],
    ['onSessionEnd', { onSessionEnd: 1 }, /onSessionEnd must be a function/],
    ['onError', { onError: 1 }, /onError must be a function/],
    ['now', { now: 1 }, /now must be a function/],
    ['sleep', { sleep: 1 }, /sleep must be a function/],
    ['both login modes', { login: () => ({}), loginUrl: '/login' }, /loginUrl or login/],
    ['loginUrl', { loginUrl: 'ftp://a.test/' }, /loginUrl must be an http\(s\) URL/],
    ['clientAuthentication', { clientAuthentication: 'x' }, /clientAuthentication\.clientId/],
    [
      'clientAuthentication.clientSecret',
      { clientAuthentication: { clientId: 'a', clientSecret: '' } },
      /clientAuthentication\.clientSecret must be a non-empty string/,
    ],
    [
      'clientAuthentication.method',
      { clientAuthentication: { clientId: 'a', clientSecret: 'b', method: 'private_key_jwt' } },
      /clientAuthentication\.method must be 'client_secret_basic' or 'client_secret_post'/,
    ],
  ]
  for (const [name, options, message] of cases) {
    t.throws(
      () => createAuthFetch(options === null ? (null as never) : ({ ...ok, ...options } as never)),
      { name: 'TypeError', message },
      name,
    )
  }
})

t.test('a tokens option error never shows the token', async (t) => {
  const tokens = { accessToken: 'a', refreshToken: { secret: 'r-secret' } }
  const error = (() => {
    try {
      createAuthFetch({ ...ok, tokens: tokens as never })
    } catch (error) {
      return error as Error
    }
    return undefined
  })()
  t.type(error, TypeError)
  t.match(error?.message, /refreshToken must be a string/)
  t.notMatch(error?.message, /r-secret/)
})

t.test('relative URLs in options resolve against the document in a browser', async (t) => {
  const globals = globalThis as { document?: unknown }
  globals.document = { baseURI: 'https://app.test/page' }
  t.teardown(() => void delete globals.document)
  const calls: string[] = []
  const api = createAuthFetch({
    origins: ['/'],
    refreshUrl: '/auth/refresh',
    tokens: { accessToken: 'A0', refreshToken: 'R0' },
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      calls.push(`${url} ${new Headers(init?.headers).get('authorization')}`)
      return url.endsWith('/auth/refresh')
        ? Response.json({ access_token: 'A1' })
        : new Response(null, { status: calls.length === 1 ? 401 : 200 })
    },
  })
  t.equal((await api.fetch('/api/me')).status, 200)
  t.same(calls, [
    // Resolved when the call was made, as the browser's fetch would have resolved it then.
    'https://app.test/api/me Bearer A0',
    'https://app.test/auth/refresh null',
    'https://app.test/api/me Bearer A1',
  ])
})
