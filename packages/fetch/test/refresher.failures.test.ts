// Behaviour 4: a refused refresh ends the session (after one login attempt, if configured); a
// transient failure keeps the tokens. Every waiter of a refresh gets the same outcome, and
// nothing loops: every test counts the calls.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import type { AuthFetchOptions, SessionEnd } from '../src/options.js'
import { TokenSet } from '../src/token-set.js'
import { json } from './fixtures/scripted-fetch.js'
import { recordingStorage } from './fixtures/recording-storage.js'
import {
  API,
  clientOf,
  REFRESH_URL,
  tokenServer,
  type TokenServer,
} from './fixtures/token-server.js'

function staleClient(options: Partial<AuthFetchOptions> = {}, server: TokenServer = tokenServer()) {
  const storage = recordingStorage(JSON.stringify(server.initial({ accessToken: 'A0' })))
  const ends: SessionEnd[] = []
  const changes: (string | null)[] = []
  const api = clientOf(server, {
    storage,
    onSessionEnd: (end) => ends.push(end),
    onTokens: (tokens) => changes.push(tokens && tokens.accessToken),
    tokens: undefined,
    ...options,
  })
  return { server, api, storage, ends, changes }
}

const invalidGrant = () =>
  json({ error: 'invalid_grant', error_description: 'Revoked', code: 'ERR_REFRESH_REUSED' }, 400)

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`)
  return error
}

t.test(
  'invalid_grant ends the session: cleared, AUTH_SESSION_EXPIRED to every waiter, onSessionEnd once',
  async (t) => {
    const { server, api, storage, ends, changes } = staleClient()
    server.onRefresh = invalidGrant
    const waiters = [
      api.fetch(API),
      api.fetch(API),
      api.fetch(API, { method: 'POST', body: 'x' }),
    ].map(rejection)
    const errors = await Promise.all(waiters)
    t.same(
      errors.map((error) => error.code),
      ['AUTH_SESSION_EXPIRED', 'AUTH_SESSION_EXPIRED', 'AUTH_SESSION_EXPIRED'],
    )
    t.equal(errors[1], errors[0], 'one outcome, shared')
    t.equal(errors[2], errors[0])
    t.same(errors[0]?.cause, {
      status: 400,
      statusText: '',
      url: REFRESH_URL,
      error: 'invalid_grant',
      code: 'ERR_REFRESH_REUSED',
    })
    t.equal(server.refreshCalls().length, 1)
    t.equal(server.apiCalls().length, 3, 'nothing was retried')
    t.equal(api.tokens, null)
    t.same(storage.log, ['load', 'load', 'clear'], 'read again: cleared as it held the dead tokens')
    t.same(changes, [null])
    t.same(ends, [{ reason: 'expired', error: errors[0] }])

    // Afterwards requests go out without a token, and a 401 is simply the answer.
    const anonymous = await api.fetch(API)
    t.equal(anonymous.status, 401)
    t.equal(server.apiCalls().at(-1)?.authorization, null)
    t.equal(server.refreshCalls().length, 1, 'no refresh without a session')
    t.equal(ends.length, 1)
  },
)

t.test('a 401 from the refresh endpoint ends the session too', async (t) => {
  const { server, api, ends } = staleClient()
  server.onRefresh = () => json({ error: 'unauthorized' }, 401)
  const error = await rejection(api.fetch(API))
  t.equal(error.code, 'AUTH_SESSION_EXPIRED')
  t.equal(ends.length, 1)
  t.equal(api.tokens, null)
})

t.test('with login configured, a refused refresh logs in once and the waiters go on', async (t) => {
  const server = tokenServer()
  let logins = 0
  const { api, storage, ends, changes } = staleClient(
    {
      login: async () => {
        logins++
        return server.rotate() as never
      },
    },
    server,
  )
  server.onRefresh = invalidGrant
  const [first, second, post] = await Promise.all([
    api.fetch(API),
    api.fetch(API),
    api.fetch(API, { method: 'POST', body: 'x' }),
  ])
  t.equal(logins, 1)
  t.equal(first?.status, 200)
  t.equal(second?.status, 200)
  t.equal(post?.status, 401, 'a POST still gets its 401 back')
  t.equal(api.tokens?.accessToken, 'A2')
  t.same(
    storage.log,
    ['load', 'load', 'clear', 'save A2'],
    'the dead tokens were cleared before login',
  )
  t.same(changes, [null, 'A2'])
  t.same(ends, [], 'the session went on')
  t.equal(server.refreshCalls().length, 1)
})

t.test('a failed login rejects AUTH_SESSION_EXPIRED and calls onSessionEnd once', async (t) => {
  let logins = 0
  const { server, api, ends } = staleClient({
    login: async () => {
      logins++
      throw Object.assign(new Error('The user closed the dialog'), { status: 499 })
    },
  })
  server.onRefresh = invalidGrant
  const errors = await Promise.all([api.fetch(API), api.fetch(API)].map(rejection))
  t.equal(logins, 1)
  t.equal(errors[0]?.code, 'AUTH_SESSION_EXPIRED')
  t.equal(errors[1], errors[0])
  t.same(errors[0]?.cause, { name: 'Error', message: 'The user closed the dialog', status: 499 })
  t.same(ends, [{ reason: 'login_failed', error: errors[0] }])
  t.equal(api.tokens, null)
})

t.test('a login that resolves to something unusable is a failed login', async (t) => {
  const { server, api, ends } = staleClient({ login: () => ({ token: 'nope' }) as never })
  server.onRefresh = invalidGrant
  const error = await rejection(api.fetch(API))
  t.equal(error.code, 'AUTH_SESSION_EXPIRED')
  t.match(error.cause, { name: 'TypeError', message: /accessToken is missing/ })
  t.same(
    ends.map((end) => end.reason),
    ['login_failed'],
  )
})

t.test('after the session ended, a 401 calls login once for any number of requests', async (t) => {
  const server = tokenServer()
  let logins = 0
  const api = clientOf(server, {
    login: async () => {
      logins++
      return server.rotate() as never
    },
    tokens: undefined,
  })
  const responses = await Promise.all([api.fetch(API), api.fetch(API), api.fetch(API)])
  t.same(
    responses.map((response) => response.status),
    [200, 200, 200],
  )
  t.equal(logins, 1)
  t.same(
    server.apiCalls().map((call) => call.authorization),
    [null, null, null, 'Bearer A2', 'Bearer A2', 'Bearer A2'],
  )
})

t.test(
  'a network error on refresh is AUTH_REFRESH_UNAVAILABLE and the tokens are kept',
  async (t) => {
    const { server, api, storage, ends } = staleClient()
    server.onRefresh = () => {
      throw new TypeError('fetch failed')
    }
    const errors = await Promise.all([api.fetch(API), api.fetch(API)].map(rejection))
    t.equal(errors[0]?.code, 'AUTH_REFRESH_UNAVAILABLE')
    t.equal(errors[1], errors[0])
    t.same(errors[0]?.cause, { name: 'TypeError', message: 'fetch failed' })
    t.equal(api.tokens?.accessToken, 'A0')
    t.equal(api.tokens?.refreshToken, 'R1')
    t.same(storage.log, ['load'], 'the storage was not touched')
    t.same(ends, [])
    t.equal(server.refreshCalls().length, 1)
    t.equal(server.apiCalls().length, 2)
  },
)

t.test(
  '5xx on refresh is AUTH_REFRESH_UNAVAILABLE, once per wave of requests, never a loop',
  async (t) => {
    for (const status of [500, 502, 503]) {
      const { server, api } = staleClient()
      server.onRefresh = () => json({ error: 'server_error' }, status)
      for (let wave = 1; wave <= 3; wave++) {
        const error = await rejection(api.fetch(API))
        t.equal(error.code, 'AUTH_REFRESH_UNAVAILABLE', `${status}, wave ${wave}`)
        t.match(error.cause, { status })
        t.equal(server.refreshCalls().length, wave, 'one refresh per call that needed one')
      }
      t.equal(server.apiCalls().length, 1, 'the refused token was sent once, not again')
      t.equal(api.tokens?.refreshToken, 'R1')
    }
  },
)

t.test('another 400 on refresh (not invalid_grant) keeps the session', async (t) => {
  const { server, api, ends } = staleClient()
  server.onRefresh = () => json({ error: 'invalid_request' }, 400)
  const error = await rejection(api.fetch(API))
  t.equal(error.code, 'AUTH_REFRESH_UNAVAILABLE')
  t.match(error.cause, { status: 400, error: 'invalid_request' })
  t.same(ends, [])
  t.equal(api.tokens?.accessToken, 'A0')
})

t.test('a refresh answer without a usable access_token is AUTH_REFRESH_UNAVAILABLE', async (t) => {
  const answers: [string, () => Response][] = [
    ['no access_token', () => json({ token_type: 'Bearer', refresh_token: 'R9' })],
    ['an empty access_token', () => json({ access_token: '', refresh_token: 'R9' })],
    ['another token type', () => json({ access_token: 'A9', token_type: 'mac' })],
    ['HTML', () => new Response('<html>oops</html>', { status: 200 })],
    ['a JSON array', () => json([1, 2])],
  ]
  for (const [name, answer] of answers) {
    const { server, api, ends } = staleClient()
    server.onRefresh = answer
    const error = await rejection(api.fetch(API))
    t.equal(error.code, 'AUTH_REFRESH_UNAVAILABLE', name)
    t.match(error.cause, { name: 'TypeError', status: 200 })
    t.equal(api.tokens?.refreshToken, 'R1')
    t.same(ends, [])
  }
})

t.test('a refresh answer without refresh_token keeps the old one (RFC 6749 §6)', async (t) => {
  const { server, api } = staleClient()
  server.onRefresh = () => json({ access_token: 'A1', token_type: 'Bearer', expires_in: 60 })
  t.equal((await api.fetch(API)).status, 200)
  t.equal(api.tokens?.accessToken, 'A1')
  t.equal(api.tokens?.refreshToken, 'R1')
  t.equal(api.tokens?.refreshExpiresAt, server.clock() + 86_400_000)
  t.equal(api.tokens?.expiresAt, server.clock() + 60_000)
})

t.test('the refresh grant is form-encoded with refreshParams, or JSON', async (t) => {
  const form = staleClient({ refreshParams: { client_id: 'cli', scope: 'read' } })
  await form.api.fetch(API)
  const formCall = form.server.refreshCalls()[0]
  t.equal(formCall?.method, 'POST')
  t.equal(formCall?.headers.get('content-type'), 'application/x-www-form-urlencoded')
  t.equal(formCall?.headers.get('accept'), 'application/json')
  t.same(Object.fromEntries(new URLSearchParams(formCall?.body)), {
    client_id: 'cli',
    scope: 'read',
    grant_type: 'refresh_token',
    refresh_token: 'R1',
  })
  t.equal(formCall?.authorization, null, 'the access token is not sent to the token endpoint')

  const server = tokenServer()
  server.onRefresh = (call) => {
    const body = JSON.parse(call.body) as Record<string, string>
    return body.refresh_token === server.refresh ? json(server.rotate()) : json({}, 400)
  }
  const { api } = staleClient(
    { refreshEncoding: 'json', refreshParams: { client_id: 'cli' } },
    server,
  )
  t.equal((await api.fetch(API)).status, 200)
  const jsonCall = server.refreshCalls()[0]
  t.equal(jsonCall?.headers.get('content-type'), 'application/json')
  t.same(JSON.parse(jsonCall?.body ?? ''), {
    client_id: 'cli',
    grant_type: 'refresh_token',
    refresh_token: 'R1',
  })
})

t.test('without refreshUrl or refresh, a refused token ends the session', async (t) => {
  const { server, api, ends } = staleClient({ refreshUrl: undefined })
  const error = await rejection(api.fetch(API))
  t.equal(error.code, 'AUTH_SESSION_EXPIRED')
  t.equal(error.cause, undefined)
  t.equal(server.refreshCalls().length, 0)
  t.same(
    ends.map((end) => end.reason),
    ['expired'],
  )
})

t.test(
  'the refresh callback: its answer in any TokenSet form, its errors classified',
  async (t) => {
    const answers: [string, (server: TokenServer) => unknown][] = [
      ['a TokenSet', (server) => TokenSet.parse(server.rotate())],
      ['snake_case', (server) => server.rotate()],
      ['camelCase', (server) => TokenSet.parse(server.rotate()).toJSON()],
    ]
    for (const [name, answer] of answers) {
      const server = tokenServer()
      const seen: string[] = []
      const { api } = staleClient(
        {
          refreshUrl: undefined,
          refresh: async ({ refreshToken, signal }) => {
            seen.push(refreshToken)
            t.type(signal, AbortSignal)
            return answer(server) as never
          },
        },
        server,
      )
      t.equal((await api.fetch(API)).status, 200, name)
      t.same(seen, ['R1'])
      t.equal(api.tokens?.accessToken, 'A2')
    }

    const thrown: [string, unknown, string][] = [
      [
        'status 400',
        Object.assign(new Error('Bad Request'), { status: 400 }),
        'AUTH_SESSION_EXPIRED',
      ],
      [
        'statusCode 401',
        Object.assign(new Error('x'), { statusCode: 401 }),
        'AUTH_SESSION_EXPIRED',
      ],
      [
        'response.status 400',
        Object.assign(new Error('x'), { response: { status: 400 } }),
        'AUTH_SESSION_EXPIRED',
      ],
      ['AuthError', new AuthError('AUTH_SESSION_EXPIRED', 'gone'), 'AUTH_SESSION_EXPIRED'],
      ['status 503', Object.assign(new Error('x'), { status: 503 }), 'AUTH_REFRESH_UNAVAILABLE'],
      ['a TypeError', new TypeError('fetch failed'), 'AUTH_REFRESH_UNAVAILABLE'],
      ['a string', 'boom', 'AUTH_REFRESH_UNAVAILABLE'],
    ]
    for (const [name, error, code] of thrown) {
      const { api } = staleClient({
        refreshUrl: undefined,
        refresh: () => {
          throw error
        },
      })
      t.equal((await rejection(api.fetch(API))).code, code, name)
    }

    const { api } = staleClient({ refreshUrl: undefined, refresh: () => ({ nope: true }) as never })
    t.equal(
      (await rejection(api.fetch(API))).code,
      'AUTH_REFRESH_UNAVAILABLE',
      'an unusable answer',
    )
  },
)

t.test('without a session, a failing login rejects every waiter once', async (t) => {
  const server = tokenServer()
  let logins = 0
  const ends: SessionEnd[] = []
  const api = clientOf(server, {
    onSessionEnd: (end) => ends.push(end),
    login: async () => {
      logins++
      throw new Error('no terminal to ask for a password')
    },
    tokens: undefined,
  })
  const errors = await Promise.all([api.fetch(API), api.fetch(API)].map(rejection))
  t.equal(errors[0]?.code, 'AUTH_SESSION_EXPIRED')
  t.equal(errors[1], errors[0])
  t.equal(logins, 1)
  t.same(
    ends.map((end) => end.reason),
    ['login_failed'],
  )
})
