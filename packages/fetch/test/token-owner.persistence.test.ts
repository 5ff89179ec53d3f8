// Behaviour 8, the client side: what a client does at start with restored tokens, and how it
// keeps its storage in step. (TokenSet parsing and the storages have their own files.)
import t from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { AuthError } from '../src/errors.js'
import type { AuthFetchOptions } from '../src/options.js'
import { memoryStorage, webStorage } from '../src/storage.js'
import { TokenSet } from '../src/token-set.js'
import { gate, settle } from './fixtures/scripted-fetch.js'
import { recordingStorage, unreadableStorage } from './fixtures/recording-storage.js'
import { API, clientOf, ORIGIN, tokenServer, type TokenServer } from './fixtures/token-server.js'

function restore(saved: (server: TokenServer) => unknown, options: Partial<AuthFetchOptions> = {}) {
  const server = tokenServer()
  const storage = recordingStorage(saved(server))
  const errors: unknown[] = []
  const ends: string[] = []
  const api = clientOf(server, {
    storage,
    onError: (error) => errors.push(error),
    onSessionEnd: (end) => ends.push(end.reason),
    tokens: undefined,
    ...options,
  })
  return { server, api, storage, errors, ends }
}

t.test('a restored valid access token is used without a refresh', async (t) => {
  const { server, api, storage } = restore((server) => JSON.stringify(server.initial()))
  t.equal(api.tokens?.accessToken, 'A1', 'loaded at construction')
  t.equal((await api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 0)
  t.same(storage.log, ['load'])
})

t.test('an expired access token with a valid refresh token makes one refresh first', async (t) => {
  const { server, api, storage } = restore((server) =>
    JSON.stringify(server.initial({ expiresAt: server.clock() - 1000 })),
  )
  const responses = await Promise.all([api.fetch(API), api.fetch(API), api.fetch(API)])
  t.ok(responses.every((response) => response.status === 200))
  t.equal(server.refreshCalls().length, 1)
  t.ok(server.apiCalls().every((call) => call.authorization === 'Bearer A2'))
  t.same(storage.log, ['load', 'save A2'])
  t.same(
    TokenSet.parse(storage.saved).toJSON(),
    api.tokens?.toJSON(),
    'the storage holds the new set',
  )
})

t.test('an expired refresh token ends the session at the first request', async (t) => {
  const { server, api, storage, ends } = restore((server) =>
    JSON.stringify(
      server.initial({ expiresAt: server.clock() - 1000, refreshExpiresAt: server.clock() - 1 }),
    ),
  )
  const error = await api.fetch(API).catch((error: unknown) => error)
  t.type(error, AuthError)
  t.equal((error as AuthError).code, 'AUTH_SESSION_EXPIRED')
  t.same(ends, ['expired'])
  t.same(storage.log, ['load', 'load', 'clear'])
  t.equal(server.calls.length, 0, 'nothing was sent')
})

t.test('an expired refresh token with login configured logs in once', async (t) => {
  let logins = 0
  const server = tokenServer()
  const { api, storage } = restore(
    () =>
      JSON.stringify(
        server.initial({ expiresAt: server.clock() - 1000, refreshExpiresAt: server.clock() - 1 }),
      ),
    {
      fetch: server.fetch,
      login: () => {
        logins++
        return server.rotate() as never
      },
    },
  )
  const responses = await Promise.all([api.fetch(API), api.fetch(API)])
  t.same(
    responses.map((response) => response.status),
    [200, 200],
  )
  t.equal(logins, 1)
  t.same(storage.log, ['load', 'load', 'clear', 'save A2'])
})

t.test('the tokens option wins over the storage, which is not read', async (t) => {
  const server = tokenServer()
  const storage = recordingStorage(JSON.stringify(server.initial({ accessToken: 'stored' })))
  const api = createAuthFetch({
    origins: [ORIGIN],
    fetch: server.fetch,
    storage,
    tokens: new TokenSet(server.initial()),
  })
  t.equal(api.tokens?.accessToken, 'A1')
  t.same(storage.log, [])
  const plain = createAuthFetch({ origins: [ORIGIN], tokens: { access_token: 'snake' } })
  t.equal(plain.tokens?.accessToken, 'snake', 'a plain object is parsed as TokenSet.parse does')
})

t.test(
  'garbage in the storage counts as no tokens and goes to onError, without its content',
  async (t) => {
    for (const saved of ['{"accessToken": 12}', 'eyJhbGciOi-not-json', '[]']) {
      const { api, errors } = restore(() => saved)
      t.equal(api.tokens, null)
      t.equal(errors.length, 1)
      t.type(errors[0], TypeError)
      t.notMatch(String((errors[0] as Error).message), /eyJ/)
    }
    const empty = restore(() => '')
    t.equal(empty.api.tokens, null)
    t.same(empty.errors, [], 'an empty value is simply nothing saved')
  },
)

t.test('a storage that throws or rejects on load counts as no tokens', async (t) => {
  const errors: unknown[] = []
  const failure = new Error('EACCES')
  const throwing = createAuthFetch({
    origins: [ORIGIN],
    storage: unreadableStorage(failure),
    onError: (error) => errors.push(error),
  })
  t.equal(throwing.tokens, null)
  const rejecting = createAuthFetch({
    origins: [ORIGIN],
    storage: { ...memoryStorage(), load: () => Promise.reject(failure) },
    onError: (error) => errors.push(error),
    fetch: async () => new Response('ok'),
  })
  t.equal((await rejecting.fetch(API)).status, 200)
  t.same(errors, [failure, failure])
})

t.test('an asynchronous storage is awaited before the first request', async (t) => {
  const server = tokenServer()
  const loaded = gate<unknown>()
  const api = clientOf(server, {
    refreshUrl: undefined,
    storage: { ...memoryStorage(), load: () => loaded.promise },
    tokens: undefined,
  })
  const pending = api.fetch(API)
  await settle()
  t.equal(server.calls.length, 0)
  t.equal(api.tokens, null, 'not loaded yet')
  loaded.open(server.initial())
  t.equal((await pending).status, 200)
  t.equal(server.apiCalls()[0]?.authorization, 'Bearer A1')
  t.equal(api.tokens?.accessToken, 'A1')
})

t.test('an abort while the storage loads rejects at once', async (t) => {
  const api = createAuthFetch({
    origins: [ORIGIN],
    storage: { ...memoryStorage(), load: () => new Promise(() => undefined) },
  })
  const controller = new AbortController()
  const pending = api.fetch(API, { signal: controller.signal }).catch((error: unknown) => error)
  controller.abort('bye')
  t.equal(await pending, 'bye')
})

t.test('a failed save does not fail the request; it goes to onError', async (t) => {
  const failure = new Error('ENOSPC')
  const server = tokenServer()
  const errors: unknown[] = []
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
    storage: { ...memoryStorage(), save: () => Promise.reject(failure) },
    onError: (error) => errors.push(error),
  })
  t.equal((await api.fetch(API)).status, 200)
  t.same(errors, [failure])
  t.equal(api.tokens?.accessToken, 'A2', 'the new tokens are used all the same')
})

t.test('writes happen in the order of the changes, one at a time', async (t) => {
  const log: string[] = []
  const release: (() => void)[] = []
  const slow = {
    load: () => null,
    save: (tokens: TokenSet) =>
      new Promise<void>((resolve) => {
        log.push(`start ${tokens.accessToken}`)
        release.push(() => {
          log.push(`end ${tokens.accessToken}`)
          resolve()
        })
      }),
    clear: () => {
      log.push('clear')
    },
  }
  const server = tokenServer()
  let logins = 0
  const api = clientOf(server, {
    refreshUrl: undefined,
    storage: slow,
    login: () => ({ accessToken: `L${++logins}` }),
    tokens: undefined,
  })
  // The logout aborts the login that is still saving: catch now, look later.
  const first = api.login().catch((error: unknown) => error)
  await settle()
  const logout = api.logout()
  await settle()
  t.same(log, ['start L1'], 'the clear waits for the save before it')
  release.shift()?.()
  t.match(await first, { code: 'AUTH_SESSION_EXPIRED', message: 'Logged out' })
  await logout
  t.same(log, ['start L1', 'end L1', 'clear'])
})

t.test('webStorage round trip through createAuthFetch', async (t) => {
  const map = new Map<string, string>()
  const fake = {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  }
  const server = tokenServer()
  map.set('baton', JSON.stringify(server.initial({ accessToken: 'A0' })))
  const api = clientOf(server, {
    storage: webStorage(fake, 'baton'),
    tokens: undefined,
  })
  t.equal((await api.fetch(API)).status, 200)
  t.equal(TokenSet.parse(map.get('baton')).accessToken, 'A2')
  await api.logout()
  t.equal(map.has('baton'), false)
})

t.test('refresh(), login() and logout() wait for an asynchronous storage too', async (t) => {
  const server = tokenServer()
  const make = () => {
    const loaded = gate<unknown>()
    const api = clientOf(server, {
      storage: { ...memoryStorage(), load: () => loaded.promise },
      login: () => ({ accessToken: 'L' }),
      tokens: undefined,
    })
    return { api, loaded }
  }
  const refreshing = make()
  const refreshed = refreshing.api.refresh()
  refreshing.loaded.open(server.initial())
  t.equal((await refreshed).accessToken, 'A2', 'refreshed the loaded tokens')

  const loggingIn = make()
  const login = loggingIn.api.login()
  loggingIn.loaded.open(null)
  t.equal((await login).accessToken, 'L')

  const loggingOut = make()
  const logout = loggingOut.api.logout()
  loggingOut.loaded.open(server.initial())
  await logout
  t.equal(loggingOut.api.tokens, null, 'the loaded tokens were the ones logged out')
})
