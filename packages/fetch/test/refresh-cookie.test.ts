// Cookie mode (`refreshCookie: true`) in Node, against the real @baton/express with
// `refreshCookie`: the options it refuses, and what the cookie grant, the cookie login and the
// cookie logout do with each answer. Node's fetch keeps no cookies, so a jar stands in for the
// browser's (fixtures/cookie-jar.ts); the browser itself is in browser.cookie-*.test.ts.
import { freePort } from '@baton/test-support'
import t, { type Test } from 'tap'
import type { AuthFetchWithLogin } from '../src/auth-fetch.js'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { AuthError } from '../src/errors.js'
import type { AuthFetchOptions, FetchFunction, SessionEnd } from '../src/options.js'
import { unreachableMessage } from '../src/refresh-cookie.js'
import { memoryStorage, type LockManagerLike } from '../src/storage.js'
import { tabMemoryStorage } from '../src/tab-memory-storage.js'
import { TokenSet } from '../src/token-set.js'
import { cookieJar, type CookieJar } from './fixtures/cookie-jar.js'
import { PASSWORD, startApp, type RunningApp } from './fixtures/express-app.js'
import { json, scriptedFetch } from './fixtures/scripted-fetch.js'
import { fakeLocks } from './fixtures/web-platform.js'

const CREDENTIALS = { username: 'alice', password: PASSWORD }

/** A client of `app` in cookie mode, with the jar's cookies: one "tab". */
function tab(app: RunningApp, jar: CookieJar, options: Partial<AuthFetchOptions> = {}) {
  const ends: SessionEnd[] = []
  const errors: unknown[] = []
  const api = createAuthFetch({
    origins: [app.origin],
    refreshUrl: `${app.origin}/auth/refresh`,
    loginUrl: `${app.origin}/auth/login`,
    refreshCookie: true,
    fetch: jar.fetch(app.origin),
    onSessionEnd: (end) => ends.push(end),
    onError: (error) => errors.push(error),
    ...options,
  }) as AuthFetchWithLogin
  t.teardown(() => api[Symbol.dispose]())
  return { api, ends, errors, me: async () => (await api.fetch(`${app.origin}/api/me`)).status }
}

const cookieApp = (t: Test) => startApp(t, { refreshCookie: true })

t.test('options: what cookie mode cannot go with is refused, naming the option', async (t) => {
  const base = {
    origins: ['https://api.example.com'],
    refreshUrl: 'https://api.example.com/auth/refresh',
    refreshCookie: true,
  }
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ refreshCookie: 'yes' }, /^createAuthFetch: refreshCookie must be true or false$/],
    [{ refreshUrl: undefined }, /refreshCookie needs refreshUrl/],
    [{ login: async () => ({ access_token: 'a' }) }, /login cannot be used with refreshCookie/],
    [
      { clientAuthentication: { clientId: 'web', clientSecret: 'not-for-browsers' } },
      /clientAuthentication cannot be used with refreshCookie: a browser cannot keep a client secret/,
    ],
    [{ storage: memoryStorage() }, /storage cannot be used with refreshCookie/],
    [
      { tokens: { accessToken: 'a', refreshToken: 'the-refresh-token' } },
      /tokens must not hold a refresh token with refreshCookie/,
    ],
  ]
  for (const [options, message] of refused) {
    const error = t.throws(() => createAuthFetch({ ...base, ...options } as AuthFetchOptions), {
      name: 'TypeError',
      message,
    })
    t.notMatch(String(error), /not-for-browsers|the-refresh-token/, 'no secret in the message')
  }
  t.throws(
    () => createAuthFetch({ ...base, refresh: () => ({ access_token: 'a' }) }),
    /give refreshUrl or refresh, not both/,
  )
  // Off: the options as before.
  const off = createAuthFetch({ ...base, refreshCookie: false, storage: memoryStorage() })
  t.equal(off.tokens, null)
  const withAccessToken = createAuthFetch({ ...base, tokens: { accessToken: 'a' } })
  t.equal(withAccessToken.tokens?.accessToken, 'a', 'an access token alone may be given')
})

t.test('login: the cookie is set, the body has no refresh token, the API answers', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const { api, me, errors } = tab(app, jar)
  const tokens = await api.login(CREDENTIALS)
  t.equal(tokens.refreshToken, undefined)
  t.equal(api.tokens?.refreshToken, undefined)
  t.type(tokens.refreshExpiresAt, 'number', 'when the session idles out is still known')
  t.ok(jar.cookies.get('baton_refresh'), 'the refresh token went to the cookie')
  t.equal(await me(), 200)
  t.same(errors, [])
})

t.test('a refresh by the cookie rotates it and sends no refresh token', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const requests: Request[] = []
  const { api, me } = tab(app, jar, {
    fetch: (input, init) => {
      requests.push(new Request(input, init))
      return jar.fetch(app.origin)(input, init)
    },
  })
  await api.login(CREDENTIALS)
  const first = jar.cookies.get('baton_refresh')
  app.clock.advance(66)
  t.equal(await me(), 200)
  t.equal(app.count('refresh'), 1)
  t.not(jar.cookies.get('baton_refresh'), first, 'the cookie rotated')
  const refresh = requests.find((request) => request.url.endsWith('/auth/refresh')) as Request
  t.equal(refresh.credentials, 'include')
  t.equal(refresh.headers.get('x-baton-csrf'), '1')
  t.equal(refresh.redirect, 'error')
  t.same(Object.fromEntries(new URLSearchParams(await refresh.text())), {
    grant_type: 'refresh_token',
  })
  const login = requests.find((request) => request.url.endsWith('/auth/login')) as Request
  t.equal(login.credentials, 'include')
  t.equal(login.headers.get('x-baton-csrf'), '1')
  t.equal(await api.refresh().then((tokens) => tokens.refreshToken), undefined)
  t.equal(app.count('refresh'), 2, 'api.refresh() refreshes by the cookie too')
})

t.test('a new tab resumes the session with one refresh, for any number of requests', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  await tab(app, jar).api.login(CREDENTIALS)
  const { api, me } = tab(app, jar)
  t.equal(api.tokens, null, 'nothing in memory yet')
  t.same(await Promise.all([me(), me(), me()]), [200, 200, 200])
  t.equal(app.count('refresh'), 1)
  t.equal(api.tokens?.refreshToken, undefined)
  t.ok(api.tokens?.accessToken)
})

t.test('api.refresh() in a new tab resumes the session', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  await tab(app, jar).api.login(CREDENTIALS)
  const { api } = tab(app, jar)
  const tokens = await api.refresh()
  t.equal(tokens, api.tokens)
  t.equal(app.count('refresh'), 1)
})

t.test('without a cookie the tab is not logged in: one refresh, then none', async (t) => {
  const app = await cookieApp(t)
  const { api, me, ends } = tab(app, cookieJar())
  t.same(await Promise.all([me(), me()]), [401, 401], 'sent without a token')
  t.same(
    ends.map((end) => [end.reason, end.error?.code]),
    [['expired', 'AUTH_SESSION_EXPIRED']],
  )
  t.match(ends[0]?.error?.cause, {
    status: 400,
    error: 'invalid_grant',
    code: 'ERR_NO_REFRESH_COOKIE',
  })
  t.equal(await me(), 401)
  const refusals = app.events.filter((event) => event.type === 'rejected')
  t.equal(
    refusals.filter((event) => event.reason === 'ERR_NO_REFRESH_COOKIE').length,
    1,
    'one refresh for the three requests',
  )
  t.equal(refusals.length, 4, 'and three requests without a token')
  await t.rejects(api.refresh(), { code: 'AUTH_SESSION_EXPIRED' }, 'api.refresh() asks again')
})

t.test('logout ends the cookie session at the server, by default at /revoke', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const requests: Request[] = []
  const { api, ends, errors } = tab(app, jar, {
    fetch: (input, init) => {
      requests.push(new Request(input, init))
      return jar.fetch(app.origin)(input, init)
    },
  })
  await api.login(CREDENTIALS)
  const accessToken = api.tokens?.accessToken as string
  await api.logout()
  const revoke = requests.at(-1) as Request
  t.equal(revoke.url, `${app.origin}/auth/revoke`)
  t.equal(revoke.credentials, 'include')
  t.equal(revoke.headers.get('x-baton-csrf'), '1')
  t.equal(await revoke.text(), '', 'no token in the body')
  t.equal(jar.cookies.has('baton_refresh'), false, 'the server cleared the cookie')
  t.equal(app.count('revoked'), 1)
  t.same(ends, [{ reason: 'logout' }])
  t.same(errors, [])
  const after = await fetch(`${app.origin}/api/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  t.equal(after.status, 401, 'the access token died with the session')
})

t.test('logout in a tab that holds no token still ends the cookie session', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  await tab(app, jar).api.login(CREDENTIALS)
  const { api, ends } = tab(app, jar, { revocationUrl: `${app.origin}/auth/logout` })
  await api.logout()
  t.equal(app.count('logout'), 1, 'the explicit revocationUrl was used')
  t.same(ends, [{ reason: 'logout' }])
  const fresh = tab(app, jar)
  t.equal(await fresh.me(), 401, 'a reload now finds no session')
  t.equal(fresh.ends[0]?.reason, 'expired')
})

t.test('tabs of one process share the access token, and a logout reaches them', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const first = tab(app, jar)
  const second = tab(app, jar)
  await first.api.login(CREDENTIALS)
  await t.resolveMatch(
    waitFor(() => second.api.tokens),
    { accessToken: first.api.tokens?.accessToken },
  )
  t.equal(await second.me(), 200)
  t.equal(app.count('refresh'), 0, 'adopted, not refreshed')
  await first.api.logout()
  await waitFor(() => second.ends.length > 0 || undefined)
  t.same(
    second.ends.map((end) => end.reason),
    ['elsewhere'],
  )
  t.equal(second.api.tokens, null)
  t.equal(await second.me(), 401, 'no refresh either: the logout settled it')
  t.equal(app.count('refresh'), 0)
})

t.test('a refresh token in the answer is dropped and reported', async (t) => {
  // A server without refreshCookie answers the cookie login in the body.
  const app = await startApp(t)
  const { api, errors } = tab(app, cookieJar())
  const tokens = await api.login(CREDENTIALS)
  t.equal(tokens.refreshToken, undefined)
  t.equal(api.tokens?.refreshToken, undefined)
  t.equal(errors.length, 1)
  t.match(String(errors[0]), /refresh_token in the body to a refreshCookie client; it was dropped/)
  t.notMatch(String(errors[0]), /eyJ/, 'no token in the report')
  // Its refresh finds no cookie: a malformed request to that server, so transient.
  await t.rejects(api.refresh(), { code: 'AUTH_REFRESH_UNAVAILABLE' })

  const server = scriptedFetch(() =>
    json({ access_token: 'A2', refresh_token: 'R2', expires_in: 60 }),
  )
  const scripted = createAuthFetch({
    origins: ['https://api.test'],
    refreshUrl: 'https://api.test/auth/refresh',
    refreshCookie: true,
    fetch: server.fetch,
    onError: (error) => errors.push(error),
  })
  t.same((await scripted.refresh()).toJSON().refreshToken, undefined)
  t.equal(errors.length, 2)
})

t.test('answers of the cookie grant: refused ends, the rest is transient', async (t) => {
  const cases: [Response | (() => never), string][] = [
    [json({ error: 'invalid_grant' }, 400), 'AUTH_SESSION_EXPIRED'],
    [json({ error: 'unauthorized' }, 401), 'AUTH_SESSION_EXPIRED'],
    [json({ error: 'access_denied', code: 'ERR_CSRF_ORIGIN' }, 403), 'AUTH_REFRESH_UNAVAILABLE'],
    [json({ error: 'temporarily_unavailable' }, 503), 'AUTH_REFRESH_UNAVAILABLE'],
    [new Response('not json', { status: 200 }), 'AUTH_REFRESH_UNAVAILABLE'],
    [json({ error: 'invalid_client' }, 401), 'AUTH_CLIENT_REJECTED'],
  ]
  for (const [answer, code] of cases) {
    const server = scriptedFetch(() => answer as Response)
    const api = createAuthFetch({
      origins: ['https://api.test'],
      refreshUrl: 'https://api.test/auth/refresh',
      refreshCookie: true,
      refreshEncoding: 'json',
      refreshParams: { client_id: 'web' },
      fetch: server.fetch,
      onError: () => undefined,
    })
    await t.rejects(api.refresh(), { code }, code)
    t.same(JSON.parse(server.calls[0]?.body as string), {
      client_id: 'web',
      grant_type: 'refresh_token',
    })
  }
})

t.test('no answer at all is transient and names CORS; the session is kept', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const closed = await closedOrigin()
  const { api, me, ends } = tab(app, jar, {
    origins: [app.origin, closed],
    refreshUrl: `${closed}/auth/refresh`,
    loginUrl: `${closed}/auth/login`,
  })
  const refused = await me().catch((error: unknown) => error)
  t.match(refused, { name: 'AuthError', code: 'AUTH_REFRESH_UNAVAILABLE' })
  const message = (refused as AuthError).message
  t.match(message, `The request to ${closed} failed before any answer (the session is kept)`)
  t.match(message, /CORS setup may not admit this page's origin with credentials/)
  t.match(message, /Access-Control-Allow-Origin: <this page's origin>/)
  t.match(message, /Access-Control-Allow-Credentials: true/)
  t.match(message, /Access-Control-Allow-Headers including X-Baton-CSRF/)
  t.match((refused as AuthError).cause, { name: 'TypeError' })
  await t.rejects(api.login(CREDENTIALS), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
    message: /CORS setup may not admit/,
  })
  t.notMatch(message, PASSWORD)
  t.same(ends, [], 'nobody was logged out by it')
  t.equal(
    await me().catch((error: unknown) => (error as AuthError).code),
    'AUTH_REFRESH_UNAVAILABLE',
    'and the next request asks again',
  )
})

t.test('a logout whose revocation gets no answer reports it, naming CORS', async (t) => {
  const app = await cookieApp(t)
  const jar = cookieJar()
  const closed = await closedOrigin()
  const { api, errors, ends } = tab(app, jar, { revocationUrl: `${closed}/auth/revoke` })
  await api.login(CREDENTIALS)
  await api.logout()
  t.same(ends, [{ reason: 'logout' }], 'the local logout happened')
  t.equal(errors.length, 1)
  t.match(
    String(errors[0]),
    /Revoking the session failed\. The request to .* failed before any answer \(the server may still hold the session\)\. If the server is up, its CORS setup/,
  )
})

t.test('a login that fails otherwise is refused as before; an abort is an abort', async (t) => {
  const app = await cookieApp(t)
  const { api, ends } = tab(app, cookieJar())
  await t.rejects(api.login({ username: 'alice', password: 'wrong' }), {
    code: 'AUTH_SESSION_EXPIRED',
    cause: { status: 401 },
  })
  t.same(
    ends.map((end) => end.reason),
    ['login_failed'],
  )
  // A fetch that fails with something other than a network TypeError: passed through.
  const failing: FetchFunction = () => Promise.reject(new RangeError('not a network failure'))
  const other = tab(app, cookieJar(), { fetch: failing })
  await t.rejects(other.api.login(CREDENTIALS), {
    code: 'AUTH_SESSION_EXPIRED',
    cause: { name: 'RangeError' },
  })
})

t.test('a page on the refresh URL origin is told of a network failure, not of CORS', async (t) => {
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'location')
  // What a browser page has; Node has none. The browser tests see the real one.
  Object.defineProperty(globalThis, 'location', {
    value: { origin: 'https://app.example.com' },
    configurable: true,
  })
  t.teardown(() => {
    if (previous) Object.defineProperty(globalThis, 'location', previous)
    else delete (globalThis as { location?: unknown }).location
  })
  t.equal(
    unreachableMessage(new URL('https://app.example.com/auth/refresh'), 'the session is kept'),
    'The request to https://app.example.com failed before any answer (the session is kept): a network failure, or the server is down',
  )
  t.match(
    unreachableMessage(new URL('https://api.example.com/auth/refresh'), 'the session is kept'),
    /CORS setup may not admit this page's origin \(https:\/\/app\.example\.com\) with credentials/,
  )
})

t.test('the tab-shared memory storage: Web Lock, channel, and none of them', async (t) => {
  const locks = fakeLocks()
  const opened: string[] = []
  const channels: BroadcastChannel[] = []
  const open = (name: string) => {
    opened.push(name)
    const channel = new BroadcastChannel(name)
    channels.push(channel)
    return channel
  }
  t.teardown(() => channels.forEach((channel) => channel.close()))
  const one = tabMemoryStorage('cookie:https://api.test/auth/refresh', { locks, channel: open })
  const other = tabMemoryStorage('cookie:https://api.test/auth/refresh', { locks, channel: open })
  const heard: unknown[] = []
  const stop = other.watch?.((change) => heard.push(change.value))
  one.watch?.(() => undefined)
  t.same(opened, Array(2).fill('baton:cookie:https://api.test/auth/refresh'))
  t.equal(await one.lock?.(async () => 'locked', new AbortController().signal), 'locked')
  t.same(locks.requests, ['baton:cookie:https://api.test/auth/refresh'])

  const tokens = new TokenSet({ accessToken: 'A1', expiresAt: Date.UTC(2030, 0) })
  one.save(tokens)
  t.equal(one.load(), JSON.stringify(tokens))
  await waitFor(() => heard.length > 0 || undefined)
  t.same(heard, [JSON.stringify(tokens)])
  t.equal(other.load(), JSON.stringify(tokens), 'the other tab holds it in its memory too')
  // Garbage on the channel is ignored; a clear is heard as null.
  channels[0]?.postMessage('garbage')
  one.clear()
  await waitFor(() => heard.length > 1 || undefined)
  t.same(heard, [JSON.stringify(tokens), null])
  stop?.()

  const alone = tabMemoryStorage('alone', { locks: null, channel: null })
  t.equal(alone.lock, undefined)
  const unwatch = alone.watch?.(() => undefined)
  t.type(unwatch, 'function', 'without a channel, nothing to watch')
  unwatch?.()
  alone.save(tokens)
  t.equal(alone.load(), JSON.stringify(tokens))
})

/** An origin where nothing listens: fetch rejects with a TypeError, as for CORS in a browser. */
async function closedOrigin(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}

/** Waits (bounded) for `value()` to be defined, letting the channel deliver. */
async function waitFor<T>(value: () => T | undefined | null): Promise<T> {
  for (let turn = 0; turn < 200; turn++) {
    const found = value()
    if (found !== undefined && found !== null) return found
    await new Promise<void>((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('timed out waiting')
}

/**
 * Channels whose messages wait until the test delivers them: a message that reaches a tab after
 * the lock does, as it may in a browser.
 */
function heldChannels() {
  const listeners = new Map<string, Set<(event: { data: unknown }) => void>>()
  const queued: (() => void)[] = []
  const open = (name: string) => {
    const mine = new Set<(event: { data: unknown }) => void>()
    const all = listeners.get(name) ?? new Set()
    listeners.set(name, all)
    return {
      postMessage: (data: unknown) => {
        for (const listener of all) {
          if (!mine.has(listener)) queued.push(() => listener({ data }))
        }
      },
      addEventListener: (_type: 'message', listener: (event: { data: unknown }) => void) => {
        mine.add(listener)
        all.add(listener)
      },
      close: () => mine.forEach((listener) => all.delete(listener)),
    }
  }
  return { open, deliver: () => queued.splice(0).forEach((send) => send()) }
}

t.test('a tab that got the lock waits for the save it missed, then adopts it', async (t) => {
  const locks = fakeLocks()
  const channels = heldChannels()
  const options = { locks, channel: channels.open }
  const first = tabMemoryStorage('k', options)
  const second = tabMemoryStorage('k', options)
  first.watch?.(() => undefined)
  second.watch?.(() => undefined)
  const signal = new AbortController().signal
  const tokens = JSON.stringify(new TokenSet({ accessToken: 'A2', issuedAt: Date.now() }))

  let release!: () => void
  const holding = new Promise<void>((resolve) => (release = resolve))
  const refreshing = first.lock?.(async () => {
    await holding
    await first.save(TokenSet.parse(tokens))
  }, signal)
  let seen: unknown = 'not yet'
  const waiting = second.lock?.(async () => {
    seen = second.load()
  }, signal)
  // A third tab saves too (a login), outside the lock: the second tab must hear of both.
  const third = tabMemoryStorage('k', options)
  third.watch?.(() => undefined)
  await third.save(TokenSet.parse(tokens))
  release()
  await refreshing
  const { held } = await (locks.query as NonNullable<typeof locks.query>)()
  t.match(
    held,
    [{ name: /^baton:k:saved:[\d.]+:\w+$/ }, { name: /^baton:k:saved:[\d.]+:\w+$/ }],
    'each save is marked in the lock manager',
  )
  // The second tab holds the lock now, and waits for the message the marker names.
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.equal(seen, 'not yet', 'it does not renew before it heard of the save')
  channels.deliver()
  await waiting
  t.equal(seen, tokens, 'then it holds the tokens of the save, without a refresh')
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.equal(
    (await (locks.query as NonNullable<typeof locks.query>)()).held?.length,
    1,
    'the marker of the newest save stays; the superseded one is let go of',
  )
})

t.test('a save whose message never comes is waited for at most lockTimeout', async (t) => {
  const locks = fakeLocks()
  const channels = heldChannels()
  const first = tabMemoryStorage('k', { locks, channel: channels.open })
  const second = tabMemoryStorage('k', { locks, channel: channels.open, lockTimeout: 0 })
  second.watch?.(() => undefined)
  // AbortSignal.timeout's timer does not keep Node running: this does, until the test ends.
  const alive = setInterval(() => undefined, 50)
  t.teardown(() => clearInterval(alive))
  const signal = new AbortController().signal
  let ran = false
  const waiting = second.lock?.(async () => {
    await first.save(new TokenSet({ accessToken: 'A2' }))
    // A save of another tab, made after this one asked for the lock: marked, never delivered.
  }, signal)
  await waiting
  t.equal(
    await second.lock?.(async () => (ran = true), signal),
    true,
    'renews after the timeout instead of waiting forever',
  )
  t.ok(ran)
  // Saving again lets go of the previous marker; clearing, of the last one.
  await first.save(new TokenSet({ accessToken: 'A3' }))
  t.equal((await (locks.query as NonNullable<typeof locks.query>)()).held?.length, 1)
  first.clear()
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.same((await (locks.query as NonNullable<typeof locks.query>)()).held, [])
})

t.test('a tab remembers the latest saves it heard of, not all of them', async (t) => {
  const locks = fakeLocks()
  const channels = heldChannels()
  const storage = tabMemoryStorage('k', { locks, channel: channels.open })
  for (let save = 0; save < 100; save++) {
    await storage.save(new TokenSet({ accessToken: `A${save}` }))
  }
  t.match(JSON.parse(storage.load() as string), { accessToken: 'A99' })
  t.equal((await (locks.query as NonNullable<typeof locks.query>)()).held?.length, 1)
})

t.test('a cookie refresh that fails with another error than a network one', async (t) => {
  const api = createAuthFetch({
    origins: ['https://api.test'],
    refreshUrl: 'https://api.test/auth/refresh',
    refreshCookie: true,
    fetch: () => Promise.reject(new RangeError('something else')),
  })
  await t.rejects(api.refresh(), {
    code: 'AUTH_REFRESH_UNAVAILABLE',
    message: 'The tokens could not be refreshed now; they are kept',
    cause: { name: 'RangeError' },
  })
})

t.test('markers: other locks and other names are not waited for', async (t) => {
  const names = ['other', 'baton:k:saved:garbage', 'baton:k:saved:1:old', undefined]
  const base = fakeLocks()
  const request: LockManagerLike['request'] = (name, options, callback) =>
    base.request(name, options, callback)
  const locks = { request, query: async () => ({ held: names.map((name) => ({ name })) }) }
  const storage = tabMemoryStorage('k', { locks, channel: null })
  t.equal(await storage.lock?.(async () => 'ran', new AbortController().signal), 'ran')
  const withoutHeld = tabMemoryStorage('k', {
    locks: { request, query: async () => ({}) },
    channel: null,
  })
  t.equal(await withoutHeld.lock?.(async () => 'ran', new AbortController().signal), 'ran')
  const withoutQuery = tabMemoryStorage('k', { locks: { request }, channel: null })
  t.equal(await withoutQuery.lock?.(async () => 'ran', new AbortController().signal), 'ran')
  await withoutQuery.save(new TokenSet({ accessToken: 'A1' }))
})
