// The session's life around the fetch: refresh(), login(), logout() with RFC 7009 revocation,
// [Symbol.dispose](), and the hooks that watch it.
import t from 'tap'
import type { AuthFetchWithLogin } from '../src/auth-fetch.js'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { AuthError } from '../src/errors.js'
import type { AuthFetchOptions, SessionEnd } from '../src/options.js'
import { memoryStorage } from '../src/storage.js'
import { unreadableStorage } from './fixtures/recording-storage.js'
import { gate, json, settle, until } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, tokenServer, type TokenServer } from './fixtures/token-server.js'

const REVOKE_URL = `${ORIGIN}/auth/revoke`

function client(options: Partial<AuthFetchOptions> = {}, server: TokenServer = tokenServer()) {
  const ends: SessionEnd[] = []
  const changes: (string | null)[] = []
  const errors: unknown[] = []
  const api = clientOf(server, {
    onSessionEnd: (end) => ends.push(end),
    onTokens: (tokens) => changes.push(tokens && tokens.accessToken),
    onError: (error) => errors.push(error),
    ...options,
  }) as AuthFetchWithLogin // typed with login() for the tests that configure one
  return { server, api, ends, changes, errors }
}

t.test('refresh() always refreshes, and joins a refresh in flight', async (t) => {
  const { server, api, changes } = client()
  const first = await api.refresh()
  t.equal(first.accessToken, 'A2')
  t.equal(api.tokens, first)
  const [a, b] = await Promise.all([api.refresh(), api.refresh()])
  t.equal(a, b, 'two calls, one refresh')
  t.equal(a?.accessToken, 'A3')
  t.equal(server.refreshCalls().length, 2)
  t.same(changes, ['A2', 'A3'])
})

t.test('refresh() without a session rejects AUTH_SESSION_EXPIRED', async (t) => {
  const { api } = client({ tokens: undefined })
  await t.rejects(api.refresh(), {
    code: 'AUTH_SESSION_EXPIRED',
    message: 'There is no session',
  })
  const ended = client()
  ended.server.onRefresh = () => json({ error: 'invalid_grant' }, 400)
  const error = await ended.api.refresh().catch((error: unknown) => error)
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.equal(await ended.api.refresh().catch((error: unknown) => error), error, 'the end, again')
})

t.test('login() logs in, joins a login in flight, and waits for a refresh in flight', async (t) => {
  const server = tokenServer()
  const answer = gate()
  let logins = 0
  const { api } = client(
    {
      login: async ({ signal }) => {
        t.type(signal, AbortSignal)
        logins++
        await answer.promise
        return { accessToken: `L${logins}`, refreshToken: 'RL' }
      },
    },
    server,
  )
  const refreshAnswer = server.holdRefreshes()
  const refreshing = api.refresh()
  const first = api.login()
  const second = api.login()
  await settle()
  t.equal(logins, 0, 'the logins wait for the refresh')
  refreshAnswer.open()
  t.equal((await refreshing).accessToken, 'A2')
  await until(() => logins === 1)
  answer.open()
  const [a, b] = await Promise.all([first, second])
  t.equal(a, b)
  t.equal(a.accessToken, 'L1')
  t.equal(logins, 1)
  t.equal(api.tokens?.accessToken, 'L1')

  // A refresh that fails does not stop the login waiting behind it.
  server.onRefresh = () => json({}, 503)
  const failing = api.refresh().catch((error: unknown) => error)
  const third = api.login()
  t.equal(((await failing) as AuthError).code, 'AUTH_REFRESH_UNAVAILABLE')
  t.equal((await third).accessToken, 'L2')
})

t.test('a failed explicit login ends the session', async (t) => {
  const { api, ends } = client({
    login: () => Promise.reject(new Error('wrong password')),
  })
  const error = await api.login().catch((error: unknown) => error)
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.same((error as AuthError).cause, { name: 'Error', message: 'wrong password' })
  t.equal(api.tokens, null)
  t.same(
    ends.map((end) => end.reason),
    ['login_failed'],
  )
})

t.test(
  'logout() forgets the tokens, revokes the refresh token, and calls onSessionEnd',
  async (t) => {
    const server = tokenServer()
    const revoked: string[] = []
    const answer = server.onApi
    server.onApi = (call) => {
      if (call.path === '/auth/revoke') {
        revoked.push(call.body)
        return new Response(null, { status: 200 })
      }
      return answer(call)
    }
    const storage = memoryStorage()
    const { api, ends, changes } = client(
      { revocationUrl: REVOKE_URL, refreshParams: { client_id: 'cli' }, storage },
      server,
    )
    await api.logout()
    t.equal(api.tokens, null)
    t.equal(storage.load(), null)
    t.same(changes, [null])
    t.same(ends, [{ reason: 'logout' }])
    t.same(
      revoked.map((body) => Object.fromEntries(new URLSearchParams(body))),
      [{ client_id: 'cli', token: 'R1', token_type_hint: 'refresh_token' }],
    )
    t.equal(server.to('/auth/revoke')[0]?.authorization, null)

    // Afterwards: requests go out without a token; a second logout does nothing.
    await api.fetch(API)
    t.equal(server.apiCalls().at(-1)?.authorization, null)
    await api.logout()
    t.equal(ends.length, 1)
    t.equal(server.to('/auth/revoke').length, 1)
  },
)

t.test('logout() revokes the access token when there is no refresh token', async (t) => {
  const server = tokenServer()
  server.onApi = () => new Response('{}')
  const { api } = client(
    { revocationUrl: REVOKE_URL, tokens: server.initial({ refreshToken: undefined }) },
    server,
  )
  await api.logout()
  t.same(Object.fromEntries(new URLSearchParams(server.to('/auth/revoke')[0]?.body)), {
    token: 'A1',
    token_type_hint: 'access_token',
  })
})

t.test(
  'a failed revocation still logs out locally and goes to onError, free of tokens',
  async (t) => {
    for (const [name, answer] of [
      ['a 500', () => json({ error: 'server_error' }, 500)],
      [
        'a network error',
        () => {
          throw new TypeError('fetch failed for R1')
        },
      ],
    ] as const) {
      const server = tokenServer()
      server.onApi = answer
      const { api, errors } = client({ revocationUrl: REVOKE_URL }, server)
      await api.logout()
      t.equal(api.tokens, null, name)
      t.equal(errors.length, 1)
      t.match(errors[0], { message: 'Revoking the tokens failed' })
      t.notMatch(JSON.stringify((errors[0] as Error).cause), /R1|A1/)
    }
  },
)

t.test('logout() during a refresh: the waiters reject, the late tokens are dropped', async (t) => {
  const server = tokenServer()
  const refreshAnswer = server.holdRefreshes()
  const { api, changes } = client({ tokens: server.initial({ accessToken: 'A0' }) }, server)
  const waiting = api.fetch(API).catch((error: unknown) => error)
  const refreshing = api.refresh().catch((error: unknown) => error)
  await until(() => server.refreshCalls().length === 1)
  await api.logout()
  const error = await waiting
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.equal((error as AuthError).message, 'Logged out')
  t.equal(await refreshing, error)
  refreshAnswer.open()
  await settle()
  t.equal(api.tokens, null, 'the refresh that finished after logout did not bring the session back')
  t.same(changes, [null])
})

t.test('logout() while a login runs: the login is dropped', async (t) => {
  const answer = gate()
  const { api } = client({
    tokens: undefined,
    login: async () => {
      await answer.promise
      return { accessToken: 'late' }
    },
  })
  const login = api.login().catch((error: unknown) => error)
  await settle()
  await api.logout()
  t.match(await login, { code: 'AUTH_SESSION_EXPIRED', message: 'Logged out' })
  answer.open()
  await settle()
  t.equal(api.tokens, null)

  const failing = gate()
  const other = client({
    tokens: undefined,
    login: async () => {
      await failing.promise
      throw new Error('too late anyway')
    },
  })
  const pending = other.api.login().catch((error: unknown) => error)
  await settle()
  await other.api.logout()
  failing.open()
  t.match(await pending, { message: 'Logged out' })
  await settle()
  t.same(other.ends, [], 'no session ended: there was none')
})

t.test('logout() while a refresh is ending the session: no login starts afterwards', async (t) => {
  const server = tokenServer()
  const cleared = gate()
  let logins = 0
  const storage = {
    ...memoryStorage(),
    clear: () => cleared.promise,
  }
  server.onRefresh = () => json({ error: 'invalid_grant' }, 400)
  const { api } = client(
    {
      tokens: server.initial({ accessToken: 'A0' }),
      storage,
      login: () => {
        logins++
        return { accessToken: 'L' }
      },
    },
    server,
  )
  const pending = api.fetch(API).catch((error: unknown) => error)
  await until(() => server.refreshCalls().length === 1)
  await settle()
  const logout = api.logout()
  cleared.open()
  await logout
  t.match(await pending, { message: 'Logged out' })
  t.equal(logins, 0)
})

t.test('dispose aborts a refresh in flight and makes every later call reject', async (t) => {
  const server = tokenServer()
  const { api } = client({ tokens: server.initial({ accessToken: 'A0' }) }, server)
  server.onRefresh = () => new Promise(() => undefined) // a refresh that never answers
  const pending = api.fetch(API).catch((error: unknown) => error)
  await until(() => server.refreshCalls().length === 1)
  api[Symbol.dispose]()
  api[Symbol.dispose]()
  t.match(await pending, { name: 'AbortError' })
  await t.rejects(api.fetch(API), { name: 'TypeError', message: /disposed/ })
  await t.rejects(api.refresh(), TypeError)
  await t.rejects(api.logout(), TypeError)
})

t.test('using declarations dispose the client', async (t) => {
  const server = tokenServer()
  let outside: ReturnType<typeof createAuthFetch> | undefined
  {
    using api = clientOf(server, {
      refreshUrl: undefined,
    })
    outside = api
    t.equal((await api.fetch(API)).status, 200)
  }
  await t.rejects(outside.fetch(API), TypeError)
})

t.test('a hook that throws goes to onError; the session is unharmed', async (t) => {
  const failure = new Error('listener bug')
  const { api, errors } = client({
    tokens: tokenServer().initial({ accessToken: 'A0' }),
    onTokens: () => {
      throw failure
    },
    onSessionEnd: () => Promise.reject(failure) as never,
  })
  t.equal((await api.fetch(API)).status, 200)
  t.equal(api.tokens?.accessToken, 'A2')
  await api.logout()
  await settle()
  t.same(errors, [failure, failure, failure])
})

t.test(
  'onError defaults to reportError where it exists, and an onError that throws is dropped',
  async (t) => {
    const reported: unknown[] = []
    const globals = globalThis as { reportError?: (error: unknown) => void }
    globals.reportError = (error) => reported.push(error)
    t.teardown(() => void delete globals.reportError)
    const failure = new Error('storage broke')
    const api = createAuthFetch({
      origins: [ORIGIN],
      storage: unreadableStorage(failure),
    })
    t.equal(api.tokens, null)
    t.same(reported, [failure])

    delete globals.reportError
    t.doesNotThrow(
      () =>
        createAuthFetch({
          origins: [ORIGIN],
          storage: unreadableStorage(failure),
        }),
      'no reportError: ignored',
    )
    t.doesNotThrow(() =>
      createAuthFetch({
        origins: [ORIGIN],
        storage: unreadableStorage(failure),
        onError: () => {
          throw new Error('onError bug')
        },
      }),
    )
  },
)

t.test('login() is exposed only when a login callback is configured', async (t) => {
  const { api } = client()
  t.equal((api as { login?: unknown }).login, undefined)
  t.notOk('login' in api)
})

t.test('a 401 that arrives after logout shares the logout, and does not log in', async (t) => {
  const server = tokenServer()
  const answer = gate()
  server.onApi = async () => {
    await answer.promise
    return new Response(null, { status: 401 })
  }
  let logins = 0
  const { api } = client({ login: () => ({ accessToken: `L${++logins}` }) }, server)
  const pending = api.fetch(API).catch((error: unknown) => error)
  await until(() => server.apiCalls().length === 1)
  await api.logout()
  answer.open()
  t.match(await pending, { code: 'AUTH_SESSION_EXPIRED', message: 'Logged out' })
  t.equal(logins, 0)
  t.equal(server.refreshCalls().length, 0)
})
