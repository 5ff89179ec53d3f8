/**
 * Clients that share one storage (tabs on localStorage, a duplicated tab, processes on one file)
 * act as one: one refresh for all, adopt what the others wrote, a logout everywhere, and the
 * storage cleared only while it holds the tokens that failed. In memory here (see
 * fixtures/shared-backing.ts); in Chromium in browser/, across processes in file-storage.
 */
import t from 'tap'
import type { AuthFetchOptions, SessionEnd, StorageChange } from '../src/options.js'
import { TokenSet } from '../src/token-set.js'
import { sharedBacking } from './fixtures/shared-backing.js'
import { json, settle } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function setup(views: { watch?: boolean; lock?: boolean } = {}) {
  const server = tokenServer()
  const backing = sharedBacking(JSON.stringify(server.initial()))
  const client = (options: Partial<AuthFetchOptions> = {}) => {
    const ends: SessionEnd[] = []
    const changes: (string | null)[] = []
    const errors: unknown[] = []
    const api = clientOf(server, {
      tokens: undefined,
      storage: backing.storage(views),
      onSessionEnd: (end) => ends.push(end),
      onTokens: (tokens) => changes.push(tokens?.accessToken ?? null),
      onError: (error) => errors.push(error),
      ...options,
    })
    return { api, ends, changes, errors }
  }
  return { server, backing, client }
}

t.test('clients that expire together refresh once: the others adopt what it stored', async (t) => {
  for (const watch of [true, false]) {
    const { server, backing, client } = setup({ watch })
    const tabs = [client(), client(), client()]
    server.clock.advance(900)
    const responses = await Promise.all(tabs.map(({ api }) => api.fetch(API)))
    t.same(
      responses.map((response) => response.status),
      [200, 200, 200],
    )
    t.equal(server.refreshCalls().length, 1, `one refresh (watch: ${watch})`)
    t.ok(tabs.every(({ api }) => api.tokens?.accessToken === 'A2'))
    t.equal(TokenSet.parse(backing.value).accessToken, 'A2')
    if (!watch)
      t.same(
        backing.lockLog,
        ['acquire', 'release', 'acquire', 'release'].concat(['acquire', 'release']),
        'each took the lock, and found the new tokens under it',
      )
  }
})

t.test('a refresh in one client reaches the others without a request of theirs', async (t) => {
  const { server, client } = setup()
  const [one, two] = [client(), client()]
  await one.api.refresh()
  t.equal(two.api.tokens?.accessToken, 'A2', 'adopted from the change')
  t.same(two.changes, ['A2'], 'onTokens was told')
  t.equal((await two.api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 1)
})

t.test('a logout in one client ends the session in the others, without a request', async (t) => {
  const { server, client } = setup()
  const [one, two] = [client(), client()]
  await one.api.logout()
  t.equal(two.api.tokens, null)
  t.same(
    two.ends.map((end) => [end.reason, end.error?.code]),
    [['elsewhere', 'AUTH_SESSION_EXPIRED']],
  )
  t.same(two.changes, [null])
  t.equal(server.calls.length, 0, 'nothing was sent')
  const anonymous = await two.api.fetch(API)
  t.equal(anonymous.status, 401, 'afterwards requests go out without a token')
})

t.test('a failed refresh leaves a session another client stored meanwhile alone', async (t) => {
  const { server, backing, client } = setup({ watch: false })
  const { api, ends } = client()
  const held = server.holdRefreshes()
  server.onRefresh = () => json({ error: 'invalid_grant' }, 400)
  const refreshed = api.refresh().catch((error: unknown) => error)
  await settle()
  const elsewhere = JSON.stringify(new TokenSet({ accessToken: 'B1', refreshToken: 'S1' }))
  backing.value = elsewhere // a login in another tab, while this refresh is refused
  held.open()
  t.match(await refreshed, { code: 'AUTH_SESSION_EXPIRED' })
  t.equal(ends.length, 1)
  t.equal(backing.value, elsewhere, 'not cleared: it holds another session')
})

t.test('a change to a copy of the storage counts only if it replaced our tokens', async (t) => {
  const { server, backing, client } = setup({ watch: true })
  const { api, ends } = client()
  const next = new TokenSet({ accessToken: 'A9', refreshToken: 'R9', issuedAt: server.clock() })
  backing.broadcast({ value: JSON.stringify(next), replaces: 'someone-else' })
  t.equal(api.tokens?.accessToken, 'A1', 'another session, from an unrelated tab: ignored')

  backing.broadcast({ value: JSON.stringify(next), replaces: 'A1' })
  t.equal(api.tokens?.accessToken, 'A9', 'our session, renewed by the duplicate: adopted')
  await settle()
  t.equal(TokenSet.parse(backing.value).accessToken, 'A9', 'and written to our copy')

  backing.broadcast({ value: null, replaces: 'A9' })
  t.equal(api.tokens, null, 'our session, logged out in the duplicate: ended')
  t.same(
    ends.map((end) => end.reason),
    ['elsewhere'],
  )
  await settle()
  t.equal(backing.value, null, 'and cleared from our copy')
})

t.test('a copy that moved on meanwhile is not overwritten', async (t) => {
  const { backing, client } = setup({ watch: true })
  const { api } = client()
  const moved = JSON.stringify(new TokenSet({ accessToken: 'C1' }))
  backing.value = moved
  backing.broadcast({
    value: JSON.stringify(new TokenSet({ accessToken: 'A9' })),
    replaces: 'A1',
  })
  t.equal(api.tokens?.accessToken, 'A9')
  await settle()
  t.equal(backing.value, moved)
})

t.test('garbage or an unchanged value from another client changes nothing', async (t) => {
  const { backing, client } = setup({ watch: true })
  const { api, changes, errors } = client()
  backing.broadcast({ value: backing.value })
  backing.broadcast({ value: '{not json' })
  t.equal(api.tokens?.accessToken, 'A1')
  t.same(changes, [])
  t.equal(errors.length, 1, 'the garbage went to onError')
  await api.logout()
  backing.broadcast({ value: null })
  t.equal(api.tokens, null)
})

t.test('a lock that cannot be had is reported, and the refresh goes ahead', async (t) => {
  const { server, backing } = setup()
  const errors: unknown[] = []
  const timeout = Object.assign(new Error('lock timed out'), { name: 'TimeoutError' })
  const api = clientOf(server, {
    tokens: undefined,
    storage: { ...backing.storage(), lock: () => Promise.reject(timeout) },
    onError: (error) => errors.push(error),
  })
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2')
  t.same(errors, [timeout])
})

t.test('a logout while waiting for the lock does not refresh without it', async (t) => {
  const { server, backing } = setup()
  let waiting!: () => void
  const waited = new Promise<void>((resolve) => (waiting = resolve))
  const api = clientOf(server, {
    tokens: undefined,
    storage: {
      ...backing.storage(),
      lock: (_critical, signal) =>
        new Promise((_resolve, reject) => {
          waiting()
          signal.addEventListener('abort', () => reject(new Error('wait aborted')))
        }),
    },
  })
  const refreshed = api.refresh().catch((error: unknown) => error)
  await waited
  await api.logout()
  t.match(await refreshed, { code: 'AUTH_SESSION_EXPIRED' })
  t.equal(server.refreshCalls().length, 0)
})

t.test('an error of the refresh itself, under the lock, is not run again', async (t) => {
  const { server, client } = setup()
  const { api } = client()
  server.onRefresh = () => json({}, 503)
  t.match(await api.refresh().catch((error: unknown) => error), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
  })
  t.equal(server.refreshCalls().length, 1)
})

t.test('under the lock, older tokens in the storage are not taken', async (t) => {
  const { server, backing, client } = setup({ watch: false })
  const { api } = client()
  backing.value = JSON.stringify(
    new TokenSet({ accessToken: 'OLD', refreshToken: 'R0', issuedAt: server.clock() - 60_000 }),
  )
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2', 'refreshed its own')
  t.equal(server.refreshCalls().length, 1)
})

t.test('a storage that says it changed is read again before the next use', async (t) => {
  const { server, backing } = setup()
  let changed = false
  const next = JSON.stringify(
    new TokenSet({ accessToken: 'A7', refreshToken: 'R7', issuedAt: server.clock() }),
  )
  const view = { ...backing.storage({ watch: false, lock: false }), changed: () => changed }
  const api = clientOf(server, { tokens: undefined, storage: view })
  t.equal(api.tokens?.accessToken, 'A1')
  backing.value = next
  t.equal(api.tokens?.accessToken, 'A1', 'not read while it says nothing changed')
  changed = true
  t.equal(api.tokens?.accessToken, 'A7')
  server.onApi = (call) => json({ authorization: call.authorization })
  changed = false
  t.same(await (await api.fetch(API)).json(), { authorization: 'Bearer A7' })
})

t.test('an asynchronous storage that changed is adopted once read', async (t) => {
  const { server, backing } = setup()
  const view = backing.storage({ watch: false, lock: false })
  let changed = false
  const api = clientOf(server, {
    tokens: undefined,
    storage: { ...view, load: async () => view.load(), changed: () => changed },
  })
  await api.refresh()
  backing.value = JSON.stringify(new TokenSet({ accessToken: 'A5', issuedAt: server.clock() }))
  changed = true
  void api.tokens
  changed = false
  await settle()
  t.equal(api.tokens?.accessToken, 'A5')
})

t.test('a storage whose watch or change check throws reports it and goes on', async (t) => {
  const { server, backing } = setup()
  const errors: unknown[] = []
  const failure = new Error('no access')
  const api = clientOf(server, {
    tokens: undefined,
    onError: (error) => errors.push(error),
    storage: {
      ...backing.storage({ lock: false }),
      watch: () => {
        throw failure
      },
      changed: () => {
        throw failure
      },
    },
  })
  t.equal(api.tokens?.accessToken, 'A1')
  t.same(errors, [failure, failure])
})

t.test('a disposed client stops listening to the others', async (t) => {
  const { server, client } = setup()
  const [one, two] = [client(), client()]
  two.api[Symbol.dispose]()
  await one.api.refresh()
  t.same(two.changes, [], 'not told')
  t.equal(server.refreshCalls().length, 1)
})

t.test('a change while this client has no session and gets none is ignored', async (t) => {
  const { backing, client } = setup()
  backing.value = null
  const { api, ends } = client()
  backing.broadcast({ value: null } satisfies StorageChange)
  t.equal(api.tokens, null)
  t.same(ends, [])
})

t.test('under the lock, tokens without issuedAt count as issued at the epoch', async (t) => {
  await t.test('theirs lack it: not newer than ours, so ours refresh', async (t) => {
    const { server, backing, client } = setup({ watch: false })
    const { api } = client()
    backing.value = JSON.stringify(new TokenSet({ accessToken: 'UNDATED', refreshToken: 'R9' }))
    await api.refresh()
    t.equal(api.tokens?.accessToken, 'A2')
    t.equal(server.refreshCalls().length, 1)
  })
  await t.test('ours lack it: any dated tokens another client stored are adopted', async (t) => {
    const server = tokenServer()
    const backing = sharedBacking(JSON.stringify(server.initial({ issuedAt: undefined })))
    const api = clientOf(server, { tokens: undefined, storage: backing.storage({ watch: false }) })
    await api.fetch(API) // loads the undated tokens from the storage
    backing.value = JSON.stringify(
      new TokenSet({ accessToken: 'THEIRS', refreshToken: 'R9', issuedAt: server.clock() }),
    )
    await api.refresh()
    t.equal(api.tokens?.accessToken, 'THEIRS', 'adopted, no refresh')
    t.equal(server.refreshCalls().length, 0)
  })
})
