import t from 'tap'
import { LruSessionStore, createAuth, type AuthInfo, type AuthOptions } from '../src/index.js'
import type * as AccessVerifier from '../src/access-verifier.js'
import type * as CreateAuthModule from '../src/create-auth.js'
import type * as Tokens from '../src/access-token.js'
import { validityWindow } from '../src/verify-cache.js'
import { AUDIENCE, ISSUER, SECRET, makeClock, startApp } from './fixtures/app.js'
import { GOOD_HEADER, b64url, decode, forge } from './fixtures/forge.js'

/** Two verifiers over one store and key: one caching (the default), one not. */
function twins(clock: () => number, options: AuthOptions = {}) {
  const settings: AuthOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { secret: SECRET },
    store: new LruSessionStore({ now: clock }),
    now: clock,
    ...options,
  }
  return { cached: createAuth(settings), uncached: createAuth({ ...settings, verifyCacheSize: 0 }) }
}

/** What a verification answered: the claims, or the error code. */
const outcome = (promise: Promise<AuthInfo>): Promise<unknown> =>
  promise.then(
    (info) => ({ ok: info }),
    (error: { code?: string }) => ({ error: error.code }),
  )

t.test('a cached token is refused at once after logout', async (t) => {
  const app = await startApp(t)
  const { access_token } = await app.login()
  t.equal((await app.call('/api/me', access_token)).status, 200)
  t.equal((await app.call('/api/me', access_token)).status, 200)
  t.equal((await app.call('/auth/logout', access_token, { method: 'POST' })).status, 200)
  const refused = await app.call('/api/me', access_token)
  t.equal(refused.status, 401)
  t.match(await refused.json(), { error: 'invalid_token', code: 'ERR_TOKEN_REVOKED' })
})

t.test('a cached token is refused at once after its session is revoked', async (t) => {
  const app = await startApp(t)
  const viaEndpoint = await app.login()
  const viaCall = await app.login()
  for (const { access_token } of [viaEndpoint, viaCall])
    t.equal((await app.call('/api/me', access_token)).status, 200)

  t.equal((await app.post('/auth/revoke', { token: viaEndpoint.refresh_token })).status, 200)
  const { sid } = decode(viaCall.access_token).payload as { sid: string }
  t.equal(await app.auth.revokeSession(sid), true)

  for (const { access_token } of [viaEndpoint, viaCall]) {
    const refused = await app.call('/api/me', access_token)
    t.equal(refused.status, 401)
    t.match(await refused.json(), { code: 'ERR_TOKEN_REVOKED' })
  }
})

t.test(
  'a cached token is refused once the clock passes exp + leeway, not a moment before',
  async (t) => {
    const app = await startApp(t, { leeway: 5 })
    const { access_token, expires_in } = await app.login()
    t.equal((await app.call('/api/me', access_token)).status, 200)
    app.clock.advance(expires_in + 5 - 0.001)
    t.equal((await app.call('/api/me', access_token)).status, 200, 'the last valid millisecond')
    app.clock.advance(0.001)
    const refused = await app.call('/api/me', access_token)
    t.equal(refused.status, 401)
    t.match(await refused.json(), { code: 'ERR_TOKEN_EXPIRED' })
    app.clock.advance(-1)
    t.equal(
      (await app.call('/api/me', access_token)).status,
      200,
      'a clock set back is asked again',
    )
  },
)

t.test('cached answers equal the full check at every instant around each bound', async (t) => {
  const start = Date.UTC(2026, 0, 1)
  const second = Math.floor(start / 1000)
  let current = start
  const clock = () => current
  for (const leeway of [0, 5, 0.5, 2.25]) {
    current = start
    const { cached, uncached } = twins(clock, { leeway })
    const { access_token } = await cached.issue('alice')
    const claims = decode(access_token).payload
    const shapes: Record<string, Record<string, unknown>> = {
      issued: claims,
      'issued in the future': { ...claims, iat: second + 3 },
      'not before a later second': { ...claims, nbf: second + 7 },
      'not before an earlier second': { ...claims, nbf: second - 2 },
      'short-lived': { ...claims, exp: second + 2 },
    }
    for (const [shape, payload] of Object.entries(shapes)) {
      const token = payload === claims ? access_token : forge(GOOD_HEADER, payload)
      const bounds = [start, payload.exp as number, payload.iat as number]
      if (typeof payload.nbf === 'number') bounds.push(payload.nbf)
      const instants = new Set<number>()
      for (const bound of bounds.map((value) => (value === start ? value : value * 1000)))
        for (const shift of [-1000, -1, -0.5, 0, 0.5, 1, 1000])
          for (const slack of [-leeway * 1000, 0, leeway * 1000])
            instants.add(bound + slack + shift)
      const sorted = [...instants].sort((a, b) => a - b)
      const truth: unknown[] = []
      for (const at of sorted) {
        current = at
        truth.push(await outcome(uncached.verify(token)))
      }
      const accepted = sorted.filter((_, index) => 'ok' in (truth[index] as object))
      t.ok(accepted.length > 0, `leeway ${leeway}, ${shape}: valid somewhere`)
      // Prime the cache at the first, a middle and the last instant the full check accepts,
      // then ask it at every instant: it must answer exactly as the full check does.
      for (const primeAt of [accepted[0], accepted[accepted.length >> 1], accepted.at(-1)]) {
        current = primeAt as number
        await cached.verify(token)
        const answers: unknown[] = []
        for (const at of sorted) {
          current = at
          answers.push(await outcome(cached.verify(token)))
        }
        t.same(
          answers,
          truth,
          `leeway ${leeway}, ${shape}, primed at ${(primeAt as number) - start} ms`,
        )
      }
    }
  }
})

t.test(
  'within the epoch’s first second the full check answers, as jsonwebtoken reads the real clock then',
  async (t) => {
    const clock = makeClock(-500)
    const { cached, uncached } = twins(clock)
    const { access_token } = await cached.issue('alice')
    t.same(await outcome(cached.verify(access_token)), await outcome(uncached.verify(access_token)))
    clock.advance(1)
    const answer = await outcome(uncached.verify(access_token))
    t.same(answer, { error: 'ERR_TOKEN_EXPIRED' })
    t.same(await outcome(cached.verify(access_token)), answer)
  },
)

t.test('editing what verify returned does not change what the next call sees', async (t) => {
  const { cached } = twins(makeClock())
  const { access_token } = await cached.issue('alice', { role: 'user', scope: 'read write' })
  const first = await cached.verify(access_token)
  first.scope.push('admin')
  first.claims.role = 'admin'
  delete first.claims.sub
  const second = await cached.verify(access_token)
  t.same(second.scope, ['read', 'write'])
  t.match(second.claims, { role: 'user', sub: 'alice' })
  t.equal(second.sub, 'alice')
})

t.test(
  'editing a nested claim of what verify returned does not change the next call',
  async (t) => {
    const { cached, uncached } = twins(makeClock())
    const { access_token } = await cached.issue('alice', {
      roles: ['reader'],
      profile: { tier: 'free' },
    })
    const expected = await uncached.verify(access_token)
    const first = await cached.verify(access_token)
    ;(first.claims.roles as string[]).push('admin')
    ;(first.claims.profile as { tier: string }).tier = 'gold'
    const second = await cached.verify(access_token)
    t.same(second, expected)
    t.same(second.claims.roles, ['reader'])
    t.same(second.claims.profile, { tier: 'free' })
  },
)

t.test(
  'a repeated token is verified once, up to verifyCacheSize tokens; 0 turns the cache off',
  async (t) => {
    let fullChecks = 0
    const actual = await import('../src/access-token.js')
    // The full check is counted where the verifier imports it; createAuth gets that verifier.
    const verifier = await t.mockImport<typeof AccessVerifier>('../src/access-verifier.js', {
      '../src/access-token.js': {
        ...actual,
        verifyAccessToken: (...args: Parameters<typeof Tokens.verifyAccessToken>) => {
          fullChecks++
          return actual.verifyAccessToken(...args)
        },
      },
    })
    const { createAuth: createCountingAuth } = await t.mockImport<typeof CreateAuthModule>(
      '../src/create-auth.js',
      { '../src/access-verifier.js': verifier },
    )
    const checksFor = async (verifyCacheSize: number | undefined, rounds: number) => {
      const auth = createCountingAuth({
        keys: { secret: SECRET },
        ...(verifyCacheSize === undefined ? {} : { verifyCacheSize }),
      })
      const tokens = [
        (await auth.issue('alice')).access_token,
        (await auth.issue('bob')).access_token,
      ]
      fullChecks = 0
      for (let round = 0; round < rounds; round++)
        for (const token of tokens)
          t.equal((await auth.verify(token)).sid, decode(token).payload.sid)
      return fullChecks
    }
    t.equal(await checksFor(undefined, 5), 2, 'default: each token once')
    t.equal(await checksFor(2, 5), 2, 'two tokens fit in two entries')
    t.equal(await checksFor(1, 5), 10, 'one entry: alternating tokens evict each other')
    t.equal(await checksFor(0, 5), 10, '0: every call is a full check')
  },
)

t.test('a bad verifyCacheSize fails at construction, naming the option', async (t) => {
  for (const verifyCacheSize of [-1, 1.5, Number.NaN, Infinity, '100', null, true]) {
    t.throws(
      () => createAuth({ keys: { secret: SECRET }, verifyCacheSize } as unknown as AuthOptions),
      { name: 'TypeError', message: /verifyCacheSize/ },
      String(verifyCacheSize),
    )
  }
  t.doesNotThrow(() => createAuth({ keys: { secret: SECRET }, verifyCacheSize: 0 }))
})

t.test('claims whose window cannot be computed exactly are not cached', async (t) => {
  const good = { iat: 1_800_000_000, exp: 1_800_000_900 }
  t.same(validityWindow(good, 5000), {
    validFrom: 1_800_000_000_000 - 5000,
    validUntil: 1_800_000_905_000 - 1,
  })
  t.same(validityWindow({ ...good, nbf: 1_800_000_010 }, 0), {
    validFrom: 1_800_000_010_000,
    validUntil: 1_800_000_900_000 - 1,
  })
  const uncachable: [string, Record<string, unknown>, number][] = [
    ['exp missing', { iat: good.iat }, 0],
    ['iat not a number', { ...good, iat: '1800000000' }, 0],
    ['nbf not finite', { ...good, nbf: -Infinity }, 0],
    ['exp beyond float precision', { ...good, exp: 1e20 }, 0],
    ['iat beyond float precision', { ...good, iat: 1e20 }, 0],
    ['nbf beyond float precision', { ...good, nbf: 1e20 }, 0],
    ['a leeway beyond float precision', good, 1e300],
    ['exp beyond safe milliseconds', { ...good, exp: 1e13 }, 0],
  ]
  for (const [name, claims, leewayMs] of uncachable)
    t.equal(validityWindow(claims, leewayMs), undefined, name)
})

t.test(
  'a valid token whose window cannot be computed exactly is checked in full every time',
  async (t) => {
    const clock = makeClock()
    const { cached } = twins(clock)
    const { access_token } = await cached.issue('alice')
    const farFuture = forge(GOOD_HEADER, { ...decode(access_token).payload, exp: 1e13 })
    for (let call = 0; call < 2; call++) t.equal((await cached.verify(farFuture)).sub, 'alice')
  },
)

t.test('a token ending like a cached one is not answered from the cache', async (t) => {
  const clock = () => Date.UTC(2026, 0, 1)
  const { cached } = twins(clock)
  const { access_token: token } = await cached.issue('alice')
  t.equal((await cached.verify(token)).sub, 'alice', 'cached now')
  // Another payload under the cached token's signature: the same last characters, the entry's
  // slot, but not its token. It must take the full check, which refuses the signature.
  const [header, , signature] = token.split('.')
  const payload = { ...decode(token).payload, sub: 'mallory' }
  const impostor = `${header}.${b64url(JSON.stringify(payload))}.${signature}`
  t.equal(impostor.slice(-32), token.slice(-32))
  t.same(await outcome(cached.verify(impostor)), { error: 'ERR_TOKEN_INVALID' })
  t.equal((await cached.verify(token)).sub, 'alice', 'the cached token still passes')
  // Two tokens of one slot take turns in it: each is still answered, by the full check if need be.
  const other = forge(GOOD_HEADER, { ...decode(token).payload, sub: 'bob' })
  const twin = `${other.slice(0, -32)}${token.slice(-32)}`
  t.same(await outcome(cached.verify(twin)), { error: 'ERR_TOKEN_INVALID' })
})
