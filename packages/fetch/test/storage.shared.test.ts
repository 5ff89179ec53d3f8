/**
 * `webStorage` shared by tabs, in Node with the platform's pieces faked (fixtures/web-platform.ts)
 * and Node's own BroadcastChannel; the same in real Chromium in browser/.
 */
import t, { type Test } from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { AuthFetchOptions, SessionEnd } from '../src/options.js'
import { webStorage, type WebStorageLike, type WebStorageOptions } from '../src/storage.js'
import { TokenSet } from '../src/token-set.js'
import { until } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'
import { fakeLocks, fakeStorage, storageEvent } from './fixtures/web-platform.js'

let channelNumber = 0

function tabs(t: Test) {
  const server = tokenServer()
  const locks = fakeLocks()
  const events = new EventTarget()
  // A channel name of its own per test: Node's BroadcastChannel reaches the whole process.
  const key = `tokens-${++channelNumber}`
  const tab = (
    storage: WebStorageLike,
    options: Partial<AuthFetchOptions> = {},
    shared: WebStorageOptions = {},
  ) => {
    const ends: SessionEnd[] = []
    const errors: unknown[] = []
    const api = clientOf(server, {
      tokens: undefined,
      storage: webStorage(storage, key, { locks, events, ...shared }),
      onSessionEnd: (end) => ends.push(end),
      onError: (error) => errors.push(error),
      ...options,
    })
    t.teardown(() => api[Symbol.dispose]())
    return { api, ends, errors }
  }
  const seeded = (): ReturnType<typeof fakeStorage> => {
    const storage = fakeStorage()
    storage.setItem(key, JSON.stringify(server.initial()))
    return storage
  }
  return { server, locks, events, key, tab, seeded }
}

t.test('tabs on one localStorage refresh once, under a Web Lock named for the key', async (t) => {
  const { server, locks, key, tab, seeded } = tabs(t)
  const local = seeded()
  const [one, two] = [tab(local), tab(local)]
  server.clock.advance(900)
  const statuses = await Promise.all([one.api.fetch(API), two.api.fetch(API)])
  t.same(
    statuses.map((response) => response.status),
    [200, 200],
  )
  t.equal(server.refreshCalls().length, 1)
  t.same(locks.requests, [`baton:${key}`, `baton:${key}`])
})

t.test('a storage event brings in what another tab wrote: a login, a logout', async (t) => {
  const { server, events, key, tab } = tabs(t)
  const local = fakeStorage()
  const { api, ends } = tab(local)
  t.equal(api.tokens, null)
  const login = JSON.stringify(server.initial())
  local.setItem(key, login)
  events.dispatchEvent(storageEvent(fakeStorage(), key, login))
  events.dispatchEvent(storageEvent(local, 'another-key', login))
  t.equal(api.tokens, null, 'not for this storage or key: ignored')
  events.dispatchEvent(storageEvent(local, key, login))
  t.equal(api.tokens?.accessToken, 'A1', 'a login in another tab')
  events.dispatchEvent(storageEvent(local, null, null))
  t.equal(api.tokens, null, 'localStorage.clear() in another tab')
  t.same(
    ends.map((end) => end.reason),
    ['elsewhere'],
  )
})

t.test('a duplicated tab (a copy of sessionStorage) follows its original', async (t) => {
  const { server, tab, key, seeded } = tabs(t)
  const original = seeded()
  const duplicate = seeded()
  const unrelated = fakeStorage()
  unrelated.setItem(key, JSON.stringify(new TokenSet({ accessToken: 'OTHER', issuedAt: 1e12 })))
  const [one, two, three] = [tab(original), tab(duplicate), tab(unrelated)]
  await one.api.refresh()
  await until(() => two.api.tokens?.accessToken === 'A2')
  await until(() => duplicate.getItem(key)?.includes('A2') ?? false)
  t.pass('the duplicate adopted the rotation and wrote it to its own copy')
  t.equal(three.api.tokens?.accessToken, 'OTHER', 'an unrelated tab keeps its own session')
  t.equal((await two.api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 1)

  await one.api.logout()
  await until(() => two.api.tokens === null)
  t.same(
    two.ends.map((end) => end.reason),
    ['elsewhere'],
  )
  await until(() => duplicate.getItem(key) === null)
  t.equal(three.api.tokens?.accessToken, 'OTHER')
})

t.test('a message that is not ours is ignored', async (t) => {
  const { tab, key, seeded } = tabs(t)
  const { api } = tab(seeded())
  const channel = new BroadcastChannel(`baton:${key}`)
  channel.postMessage(null)
  channel.postMessage({ value: 5 })
  channel.postMessage({ value: null, replaces: 'A1' })
  await until(() => api.tokens === null)
  t.pass('only the last, a logout of our session, counted')
  channel.close()
})

t.test('a lock held too long is given up: reported, and the refresh goes ahead', async (t) => {
  const { server, key, seeded } = tabs(t)
  const local = seeded()
  const errors: unknown[] = []
  const locks = fakeLocks()
  let release!: () => void
  void locks.request(`baton:${key}`, { signal: new AbortController().signal }, () => {
    return new Promise<void>((resolve) => (release = resolve)) // a frozen tab
  })
  const api = createAuthFetch({
    origins: ['https://api.test'],
    refreshUrl: 'https://api.test/auth/refresh',
    fetch: server.fetch,
    now: server.clock,
    storage: webStorage(local, key, { locks, lockTimeout: 0, channel: null, events: null }),
    onError: (error) => errors.push(error),
  })
  // AbortSignal.timeout's timer does not keep Node alive; this does, until the refresh is done.
  const alive = setInterval(() => undefined, 60_000)
  await api.refresh()
  clearInterval(alive)
  t.equal(api.tokens?.accessToken, 'A2')
  t.match(errors, [{ name: 'TimeoutError' }])
  release()
})

t.test('webStorage finds navigator.locks, BroadcastChannel and window by default', async (t) => {
  const globals = globalThis as { navigator?: unknown; addEventListener?: unknown }
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator')
  const locks = fakeLocks()
  const target = new EventTarget()
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true })
  globals.addEventListener = target.addEventListener.bind(target)
  ;(globalThis as { removeEventListener?: unknown }).removeEventListener =
    target.removeEventListener.bind(target)
  t.teardown(() => {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved)
    else delete globals.navigator
    delete globals.addEventListener
    delete (globalThis as { removeEventListener?: unknown }).removeEventListener
  })
  const storage = webStorage(fakeStorage(), 'defaults')
  t.type(storage.lock, 'function')
  const changes: unknown[] = []
  const stop = storage.watch?.((change) => changes.push(change))
  target.dispatchEvent(storageEvent(null, 'defaults', null))
  stop?.()
  t.same(changes, [], 'another storage area')

  delete globals.addEventListener
  Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true })
  const bare = webStorage(fakeStorage(), 'bare')
  t.equal(bare.lock, undefined, 'no Web Locks: no lock')
  bare.watch?.(() => undefined)()
})

t.test('webStorage validates its options', async (t) => {
  const storage = fakeStorage()
  t.throws(() => webStorage(storage, 'k', null as never), {
    name: 'TypeError',
    message: 'webStorage: options must be an object',
  })
  t.throws(() => webStorage(storage, 'k', { lockTimeout: -1 }), {
    message: 'webStorage: lockTimeout must be a non-negative number of seconds',
  })
  t.throws(() => webStorage(storage, 'k', { lockTimeout: '1' as never }), TypeError)
  const plain = webStorage(storage, 'k', { locks: null, channel: null, events: null })
  t.equal(plain.lock, undefined)
  plain.watch?.(() => undefined)()
})

t.test('stored JSON that is not a token set names no session', async (t) => {
  const { tab, key } = tabs(t)
  const local = fakeStorage()
  local.setItem(key, '{broken')
  const { api, errors } = tab(local)
  t.equal(api.tokens, null)
  t.equal(errors.length, 1)
  local.setItem(key, '[]')
  t.equal(api.tokens, null)
})

t.test('a write tells the other tabs what it replaced, when that was a token set', async (t) => {
  const posted: unknown[] = []
  const channel = {
    postMessage: (message: unknown) => posted.push(message),
    addEventListener: () => undefined,
    close: () => undefined,
  }
  const local = fakeStorage()
  const storage = webStorage(local, 'k', { locks: null, events: null, channel: () => channel })
  const stop = storage.watch?.(() => undefined)
  const tokens = new TokenSet({ accessToken: 'A1' })
  for (const held of ['{"somethingElse":1}', 'null', JSON.stringify(tokens)]) {
    local.setItem('k', held)
    storage.load()
    await storage.save(tokens)
  }
  await storage.clear()
  t.same(
    posted.map((message) => (message as { replaces: string }).replaces),
    ['', '', 'A1', 'A1'],
  )
  stop?.()
})
