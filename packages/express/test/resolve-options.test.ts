import t from 'tap'
import { LruSessionStore, createAuth, type AuthOptions } from '../src/index.js'

const secret = Buffer.alloc(32, 1).toString('base64')

t.test('every bad option fails at construction, naming the option', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['accessTtl', { accessTtl: -1 }],
    ['accessTtl', { accessTtl: Number.NaN }],
    ['accessTtl', { accessTtl: '900' }],
    ['accessTtl', { accessTtl: 1.5 }],
    ['refreshTtl', { refreshTtl: 0 }],
    ['sessionMaxAge', { sessionMaxAge: Infinity }],
    ['accessTtl must not be longer than refreshTtl', { accessTtl: 100, refreshTtl: 50 }],
    ['leeway', { leeway: -5 }],
    ['maxSessionsPerUser', { maxSessionsPerUser: 0 }],
    ['maxSessionsPerUser', { maxSessionsPerUser: 2.5 }],
    ['onSessionLimit', { onSessionLimit: 'drop' }],
    ['reuseGrace', { reuseGrace: -1 }],
    ['maxTokenLength', { maxTokenLength: 10 }],
    ['storeTimeout', { storeTimeout: 0 }],
    // setTimeout fires at once past 2³¹ − 1 ms: every store call would time out.
    ['storeTimeout must be at most 2147483 seconds', { storeTimeout: 2_147_484 }],
    ['retryAfter', { retryAfter: -1 }],
    ['algorithm', { algorithm: 'none' }],
    ['algorithm', { algorithm: 'RS256' }],
    ['issuer', { issuer: '' }],
    ['audience', { audience: 42 }],
    ['realm', { realm: 'a"b' }],
    ['realm', { realm: 'line\nbreak' }],
    ['now', { now: 5 }],
    ['onEvent', { onEvent: 'log' }],
    ['authenticate', { authenticate: {} }],
    ['store', { store: {} }],
    ['store', { store: null }],
    ['store', { store: 'redis://127.0.0.1:6379' }],
    ['unknown option "accesTtl"', { accesTtl: 10 }],
  ]
  for (const [name, options] of cases) {
    t.throws(
      () => createAuth({ keys: { secret }, ...options }),
      { name: 'TypeError', message: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) },
      `${name}: ${JSON.stringify(options)}`,
    )
  }
  t.throws(() => createAuth(null as unknown as AuthOptions), TypeError)
})

t.test('defaults apply when options are left out', async (t) => {
  const auth = createAuth({ keys: { secret } })
  const tokens = await auth.issue('alice')
  t.equal(tokens.expires_in, 900)
  t.equal(tokens.refresh_expires_in, 86_400)
  t.notOk('scope' in tokens)
  const info = await auth.verify(tokens.access_token)
  t.match(info.claims, { iss: 'baton', aud: 'baton' })
})

t.test('without keys a random key is generated, with a warning', async (t) => {
  const warnings: string[] = []
  const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? '')
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  const one = createAuth()
  const two = createAuth({ store: new LruSessionStore() })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, ['BATON_EPHEMERAL_KEY', 'BATON_EPHEMERAL_KEY'])
  const tokens = await one.issue('alice')
  t.equal((await one.verify(tokens.access_token)).sub, 'alice')
  await t.rejects(two.verify(tokens.access_token), { code: 'ERR_TOKEN_INVALID' }, 'keys differ')
})

t.test('without keys under NODE_ENV=production construction fails', async (t) => {
  const previous = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => {
    if (previous === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = previous
  })
  t.throws(() => createAuth(), { name: 'TypeError', message: /keys is required/ })
})

t.test('issue refuses a bad subject or claims that would override registered claims', async (t) => {
  const auth = createAuth({ keys: { secret } })
  await t.rejects(auth.issue(''), { name: 'TypeError', message: /sub/ })
  await t.rejects(auth.issue('x'.repeat(257)), { name: 'TypeError', message: /sub/ })
  await t.rejects(auth.issue('alice', { exp: 1 }), { message: /registered claim exp/ })
  await t.rejects(auth.issue('alice', { sid: 'mine' }), { message: /registered claim sid/ })
  await t.rejects(auth.issue('alice', [] as unknown as Record<string, unknown>), {
    message: /claims/,
  })
  await t.rejects(auth.issue('alice', { scope: 7 }), { message: /claims.scope/ })
  await t.rejects(auth.issue('alice', { scope: ['read', 'two words'] }), {
    message: /claims.scope/,
  })
  await t.rejects(auth.issue('alice', { scope: ['read', 5] }), { message: /claims.scope/ })
  await t.rejects(auth.issue('alice', { scope: 'a"b' }), { message: /claims.scope/ })
  await t.rejects(auth.issue('alice', { scope: 'double  space' }), { message: /claims.scope/ })
  await t.rejects(auth.issue('alice', { blob: 'x'.repeat(5000) }), { message: /4096 bytes/ })
  t.same(await auth.listSessions('alice'), [], 'no session was started')
})

t.test('claims are copied without prototype pollution', async (t) => {
  const auth = createAuth({ keys: { secret } })
  const hostile = JSON.parse('{"__proto__": {"polluted": true}, "role": "user"}') as Record<
    string,
    unknown
  >
  const tokens = await auth.issue('alice', hostile)
  const info = await auth.verify(tokens.access_token)
  t.equal(info.claims.role, 'user')
  t.notOk(Object.hasOwn(info.claims, '__proto__'))
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})
