/**
 * `createVerifier` options: keys given directly (public keys, or a shared HMAC secret), and every
 * bad option a TypeError naming it, at construction.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import { LruSessionStore } from '../src/index.js'
import { createVerifier, type VerifierOptions } from '../src/verifier.js'
import { AUDIENCE, ISSUER, SECRET, startApp } from './fixtures/app.js'
import { KID } from './fixtures/forge.js'
import { PAIRS, REFRESH_SECRET } from './fixtures/key-pairs.js'
import { assertInvalidToken } from './fixtures/rejection.js'
import { startService } from './fixtures/service.js'
import { withNodeEnv } from './fixtures/node-env.js'

t.test('keys given directly: public keys verify, unknown kids are refused', async (t) => {
  const issuer = await startApp(t, {
    keys: [{ kid: 'rs', privateKey: PAIRS.PS256.privateKey, algorithm: 'PS256' }],
    refreshSecret: REFRESH_SECRET,
  })
  const service = await startService(t, {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ kid: 'rs', publicKey: PAIRS.PS256.publicKey, algorithm: 'PS256' }],
    revocation: 'stateless',
    now: issuer.clock,
  })
  const tokens = await issuer.login()
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200)
  const other = await startApp(t, {
    keys: [{ kid: 'other', privateKey: PAIRS.ES256.privateKey }],
    refreshSecret: REFRESH_SECRET,
  })
  await assertInvalidToken(t, await service.call('/api/me', (await other.login()).access_token))
})

/** An issuer, and a downstream service that verifies its tokens with the shared HMAC secret. */
async function hmacService(t: Test) {
  const issuer = await startApp(t)
  const service = await startService(t, {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ kid: KID, secret: SECRET }],
    revocation: 'stateless',
    now: issuer.clock,
  })
  return { issuer, service }
}

t.test('a shared HMAC secret works too, for services trusted with it', async (t) => {
  const { issuer, service } = await hmacService(t)
  t.equal((await service.call('/api/me', (await issuer.login()).access_token)).status, 200)
})

t.test('bad options are TypeErrors naming the option', async (t) => {
  const good: VerifierOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: 'https://issuer.test/.well-known/jwks.json',
    revocation: 'stateless',
  }
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'options', /options must be an object/],
    ['an unknown option', { ...good, secret: 'x' }, /unknown option "secret"/],
    ['no issuer', { ...good, issuer: undefined }, /^issuer must be/],
    ['no audience', { ...good, audience: '' }, /^audience must be/],
    ['a quoting realm', { ...good, realm: 'a"b' }, /realm must not contain quotes/],
    ['a bad leeway', { ...good, leeway: -1 }, /^leeway must be/],
    ['a bad clock', { ...good, now: 5 }, /^now must be a function/],
    ['a bad verifyCacheSize', { ...good, verifyCacheSize: -1 }, /^verifyCacheSize must be/],
    ['both key sources', { ...good, keys: [] }, /give exactly one of jwksUri or keys/],
    ['no key source', { ...good, jwksUri: undefined }, /give exactly one of jwksUri or keys/],
    [
      'keys not an array',
      { ...good, jwksUri: undefined, keys: { secret: SECRET } },
      /keys must be an array/,
    ],
    [
      'a bad keys entry',
      { ...good, jwksUri: undefined, keys: [{ kid: 'a' }] },
      /keys\[0\] must have exactly one/,
    ],
    [
      'algorithms with keys',
      { ...good, jwksUri: undefined, keys: [{ kid: 'a', secret: SECRET }], algorithms: ['ES256'] },
      /algorithms and jwks go with jwksUri/,
    ],
    [
      'a jwksUri that is no URL',
      { ...good, jwksUri: 'jwks.json' },
      /^jwksUri must be an http or https URL/,
    ],
    [
      'a jwksUri of another scheme',
      { ...good, jwksUri: 'file:///etc/jwks.json' },
      /^jwksUri must be an http or https URL/,
    ],
    [
      'a jwksUri that is not a string',
      { ...good, jwksUri: 42 },
      /^jwksUri must be an http or https URL/,
    ],
    [
      'an HMAC algorithm',
      { ...good, algorithms: ['HS256'] },
      /^algorithms must be a non-empty array of ES256, RS256, PS256/,
    ],
    ['no algorithms', { ...good, algorithms: [] }, /^algorithms must be/],
    ['algorithms as a string', { ...good, algorithms: 'ES256' }, /^algorithms must be/],
    ['jwks not an object', { ...good, jwks: 'yes' }, /^jwks must be an object/],
    ['an unknown jwks option', { ...good, jwks: { maxAge: 1 } }, /jwks: unknown option "maxAge"/],
    [
      'a bad jwks.cacheMaxAge',
      { ...good, jwks: { cacheMaxAge: -1 } },
      /^jwks\.cacheMaxAge must be/,
    ],
    [
      'a bad jwks.requestsPerMinute',
      { ...good, jwks: { requestsPerMinute: 0 } },
      /^jwks\.requestsPerMinute must be/,
    ],
    ['no revocation', { ...good, revocation: undefined }, /^revocation must be 'stateless'/],
    ['a revocation word', { ...good, revocation: 'none' }, /^revocation must be 'stateless'/],
    [
      'a revocation with two modes',
      { ...good, revocation: { store: new LruSessionStore(), introspection: {} } },
      /^revocation must be 'stateless'/,
    ],
    [
      'a store that is no store',
      { ...good, revocation: { store: {} } },
      /^revocation\.store must be a SessionStore/,
    ],
    [
      'a null store',
      { ...good, revocation: { store: null } },
      /^revocation\.store must be a SessionStore/,
    ],
    [
      'a bad storeTimeout',
      { ...good, revocation: { store: new LruSessionStore() }, storeTimeout: 0 },
      /^storeTimeout must be/,
    ],
    [
      'introspection not an object',
      { ...good, revocation: { introspection: 'url' } },
      /^revocation\.introspection must be an object/,
    ],
    [
      'an unknown introspection option',
      {
        ...good,
        revocation: {
          introspection: { url: 'https://a.test', clientId: 'a', clientSecret: 'b', ttl: 1 },
        },
      },
      /revocation\.introspection: unknown option "ttl"/,
    ],
    [
      'no introspection url',
      { ...good, revocation: { introspection: { clientId: 'a', clientSecret: 'b' } } },
      /^revocation\.introspection\.url must be/,
    ],
    [
      'no client id',
      { ...good, revocation: { introspection: { url: 'https://a.test', clientSecret: 'b' } } },
      /^revocation\.introspection\.clientId must be/,
    ],
    [
      'a bad cacheTtl',
      {
        ...good,
        revocation: {
          introspection: { url: 'https://a.test', clientId: 'a', clientSecret: 'b', cacheTtl: -1 },
        },
      },
      /^revocation\.introspection\.cacheTtl must be/,
    ],
  ]
  for (const [name, options, message] of cases) {
    t.throws(() => createVerifier(options as VerifierOptions), { name: 'TypeError', message }, name)
  }
  t.ok(createVerifier({ ...good, revocation: { store: new LruSessionStore() } }))
  t.ok(
    createVerifier({
      ...good,
      jwks: { cacheMaxAge: 60, cacheMaxEntries: 4, requestsPerMinute: 2, timeout: 1 },
    }),
  )
})

t.test('a secret given to a verifier must look random under production rules', async (t) => {
  withNodeEnv(t, 'production')
  t.throws(
    () =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: [{ kid: 'a', secret: Buffer.alloc(32, 'a') }],
        revocation: 'stateless',
      }),
    { name: 'TypeError', message: /keys\[0\]\.secret does not look random/ },
  )
  t.ok(
    createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ kid: 'a', secret: randomBytes(32) }],
      revocation: 'stateless',
    }),
  )
})

t.test('the verifier middleware factories refuse misuse as the issuer does', async (t) => {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ kid: KID, secret: SECRET }],
    revocation: 'stateless',
  })
  t.throws(() => verifier.required({ scopes: 'x' } as never), { name: 'TypeError' })
  t.throws(() => (verifier.optional as (options: unknown) => unknown)({}), { name: 'TypeError' })
  await t.rejects(verifier.verify('not.a.token'), { code: 'ERR_TOKEN_INVALID' })
})

t.test('a malformed Bearer header is a 400 at the downstream verifier too', async (t) => {
  const { issuer, service } = await hmacService(t)
  const { access_token: token } = await issuer.login()
  // Verified once, the token is in the verify cache: a header that is not a b64token is still
  // refused as malformed, before any verification.
  t.equal((await service.call('/api/me', token)).status, 200)
  for (const raw of [`Bearer ${token}!`, `Bearer "${token}"`]) {
    const response = await service.call('/api/me', undefined, { raw })
    t.equal(response.status, 400, raw.slice(-2))
    t.match(await response.json(), { error: 'invalid_request' })
  }
  t.equal((await service.call('/api/me', token)).status, 200, 'the token itself still passes')
})
