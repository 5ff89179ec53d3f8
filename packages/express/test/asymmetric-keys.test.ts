/**
 * Asymmetric signing keys: each asymmetric row of the algorithm table signs and verifies, keys are
 * given as KeyObject, PEM or JWK, a verify-only state publishes the next key, and the refresh MAC
 * has a secret of its own.
 */
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import { authOptionsFromEnv, createAuth, LruSessionStore } from '../src/index.js'
import { decode } from './fixtures/forge.js'
import {
  ASYMMETRIC,
  PAIRS,
  REFRESH_SECRET,
  ecKeyPair,
  keyringFor,
  rsaKeyPair,
} from './fixtures/key-pairs.js'
import { withNodeEnv } from './fixtures/node-env.js'

for (const algorithm of ASYMMETRIC) {
  t.test(`${algorithm} signs access tokens that verify with the public key alone`, async (t) => {
    const auth = createAuth({ keys: [keyringFor(algorithm)], refreshSecret: REFRESH_SECRET })
    const tokens = await auth.issue('alice', { scope: 'read' })
    t.same(decode(tokens.access_token).header, {
      alg: algorithm,
      typ: 'at+jwt',
      kid: `k-${algorithm}`,
    })
    t.equal((await auth.verify(tokens.access_token)).sub, 'alice')
    const refreshed = await auth.refresh(tokens.refresh_token)
    t.equal((await auth.verify(refreshed.access_token)).sub, 'alice')
  })
}

t.test('an asymmetric key may be a PEM text or a JWK', async (t) => {
  const { privateKey, publicKey } = ecKeyPair()
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const jwk = privateKey.export({ format: 'jwk' })
  const store = new LruSessionStore()
  const fromPem = createAuth({
    keys: [{ kid: 'p', privateKey: pem }],
    refreshSecret: REFRESH_SECRET,
    store,
  })
  const fromJwk = createAuth({
    keys: [{ kid: 'p', privateKey: jwk }],
    refreshSecret: REFRESH_SECRET,
    store,
  })
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' }) as string
  const verifier = createAuth({
    keys: [
      { kid: 'h', secret: randomBytes(32) },
      { kid: 'p', publicKey: publicPem },
    ],
    store,
  })
  const tokens = await fromPem.issue('alice')
  t.equal((await fromJwk.verify(tokens.access_token)).sub, 'alice')
  t.equal((await verifier.verify(tokens.access_token)).sub, 'alice', 'a PEM public key verifies')
})

t.test(
  'a single { privateKey } gets its RFC 7638 thumbprint as kid and ES256 by default',
  async (t) => {
    const { privateKey } = ecKeyPair()
    const auth = createAuth({ keys: { privateKey }, refreshSecret: REFRESH_SECRET })
    const { header } = decode((await auth.issue('alice')).access_token)
    t.equal(header.alg, 'ES256')
    t.match(header.kid, /^[A-Za-z0-9_-]{43}$/)
    const rsa = createAuth({
      keys: { privateKey: PAIRS.RS256.privateKey },
      refreshSecret: REFRESH_SECRET,
    })
    t.equal(decode((await rsa.issue('alice')).access_token).header.alg, 'RS256', 'RS256 for RSA')
    const ps = createAuth({
      keys: { privateKey: PAIRS.RS256.privateKey },
      algorithm: 'PS256',
      refreshSecret: REFRESH_SECRET,
    })
    t.equal(
      decode((await ps.issue('alice')).access_token).header.alg,
      'PS256',
      'the option when it fits',
    )
  },
)

t.test(
  'without keys, an asymmetric algorithm generates a key pair and a refresh secret',
  async (t) => {
    const warnings: string[] = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(String(warning.code))
    process.on('warning', onWarning)
    t.teardown(() => process.off('warning', onWarning))
    for (const algorithm of ASYMMETRIC) {
      const auth = createAuth({ algorithm })
      const tokens = await auth.issue('alice')
      t.equal(decode(tokens.access_token).header.alg, algorithm)
      t.equal(
        (await auth.verify((await auth.refresh(tokens.refresh_token)).access_token)).sub,
        'alice',
      )
    }
    await new Promise((resolve) => setImmediate(resolve))
    t.ok(warnings.includes('BATON_EPHEMERAL_KEY'))
  },
)

t.test('a verify-only key verifies but never signs', async (t) => {
  const store = new LruSessionStore()
  const current = keyringFor('ES256', 'current')
  const next = { kid: 'next', privateKey: ecKeyPair().privateKey }
  const publishing = createAuth({
    keys: [{ ...next, verifyOnly: true }, current],
    refreshSecret: REFRESH_SECRET,
    store,
  })
  t.equal(decode((await publishing.issue('alice')).access_token).header.kid, 'current', 'skipped')
  const signing = createAuth({ keys: [next, current], refreshSecret: REFRESH_SECRET, store })
  const tokens = await signing.issue('bob')
  t.equal(decode(tokens.access_token).header.kid, 'next')
  t.equal((await publishing.verify(tokens.access_token)).sub, 'bob')
  const hmac = { kid: 'h', secret: randomBytes(32).toString('base64') }
  const hmacPublishing = createAuth({ keys: [{ ...hmac, verifyOnly: true }, keyringFor('HS256')] })
  t.equal(decode((await hmacPublishing.issue('alice')).access_token).header.kid, 'k-HS256')
})

t.test('the refresh MAC keeps its own secret, independent of the signing keys', async (t) => {
  const store = new LruSessionStore()
  const before = createAuth({
    keys: [keyringFor('ES256', 'a')],
    refreshSecret: REFRESH_SECRET,
    store,
  })
  const tokens = await before.issue('alice')
  // Another signing key entirely: refresh tokens still verify, as their MAC secret is the same.
  const after = createAuth({
    keys: [keyringFor('RS256', 'b')],
    refreshSecret: REFRESH_SECRET,
    store,
  })
  t.equal(
    (await after.verify((await after.refresh(tokens.refresh_token)).access_token)).sub,
    'alice',
  )
  const other = createAuth({
    keys: [keyringFor('RS256', 'b')],
    refreshSecret: randomBytes(32).toString('base64'),
    store,
  })
  await t.rejects(other.refresh(tokens.refresh_token), { code: 'ERR_REFRESH_INVALID' })
})

t.test(
  'refreshSecret rotates: the first MACs, all verify, and HMAC-derived keys still verify',
  async (t) => {
    const store = new LruSessionStore()
    const hmac = keyringFor('HS256')
    const derived = createAuth({ keys: [hmac], store })
    const old = await derived.issue('alice')
    const fresh = randomBytes(32).toString('base64')
    const migrated = createAuth({ keys: [hmac], refreshSecret: [fresh, REFRESH_SECRET], store })
    const rotated = await migrated.refresh(old.refresh_token)
    t.equal(
      (await migrated.verify(rotated.access_token)).sub,
      'alice',
      'adding one logs nobody out',
    )
    const onlyFresh = createAuth({ keys: [keyringFor('ES256')], refreshSecret: fresh, store })
    t.equal((await onlyFresh.refresh(rotated.refresh_token)).token_type, 'Bearer')
  },
)

t.test('bad asymmetric key options are TypeErrors naming the option', async (t) => {
  const { privateKey, publicKey } = PAIRS.ES256
  const cases: [string, () => unknown, RegExp][] = [
    [
      'no refresh secret',
      () => createAuth({ keys: [{ kid: 'a', privateKey }] }),
      /refreshSecret is required/,
    ],
    [
      'a public key that signs',
      () => createAuth({ keys: [{ kid: 'a', publicKey }] }),
      /keys must include a key that signs/,
    ],
    [
      'all verify-only',
      () =>
        createAuth({
          keys: [{ kid: 'a', privateKey, verifyOnly: true }],
          refreshSecret: REFRESH_SECRET,
        }),
      /keys must include a key that signs/,
    ],
    [
      'two materials',
      () => createAuth({ keys: [{ kid: 'a', privateKey, publicKey } as never] }),
      /keys\[0\] must have exactly one/,
    ],
    [
      'no material',
      () => createAuth({ keys: [{ kid: 'a' } as never] }),
      /keys\[0\] must have exactly one/,
    ],
    [
      'a public key as privateKey',
      () => createAuth({ keys: [{ kid: 'a', privateKey: publicKey }] }),
      /keys\[0\]\.privateKey must be a private key/,
    ],
    [
      'a secret KeyObject as publicKey',
      () => createAuth({ keys: [{ kid: 'a', publicKey: createSecretKey(randomBytes(32)) }] }),
      /keys\[0\]\.publicKey must be a public key/,
    ],
    [
      'a PEM that is no key',
      () => createAuth({ keys: [{ kid: 'a', privateKey: 'not a pem' }] }),
      /keys\[0\]\.privateKey must be a private key/,
    ],
    [
      'a JWK that is no key',
      () => createAuth({ keys: [{ kid: 'a', publicKey: { kty: 'EC' } }] }),
      /keys\[0\]\.publicKey must be a public key/,
    ],
    [
      'a number',
      () => createAuth({ keys: [{ kid: 'a', publicKey: 42 as never }] }),
      /keys\[0\]\.publicKey must be a public key/,
    ],
    [
      'a mismatched algorithm',
      () =>
        createAuth({
          keys: [{ kid: 'a', privateKey, algorithm: 'RS256' }],
          refreshSecret: REFRESH_SECRET,
        }),
      /keys\[0\]\.privateKey does not fit: RS256 needs an RSA key/,
    ],
    [
      'an EC key for PS256',
      () =>
        createAuth({ keys: [{ kid: 'a', publicKey: PAIRS.RS256.publicKey, algorithm: 'ES256' }] }),
      /ES256 needs an EC key on P-256/,
    ],
    [
      'a P-384 key',
      () => createAuth({ keys: { privateKey: ecP384() }, refreshSecret: REFRESH_SECRET }),
      /keys\.privateKey does not fit: ES256 needs an EC key on P-256/,
    ],
    [
      'a short RSA key',
      () =>
        createAuth({
          keys: { privateKey: rsaKeyPair(1024).privateKey },
          refreshSecret: REFRESH_SECRET,
        }),
      /RS256 needs an RSA key of at least 2048 bits/,
    ],
    [
      'an Ed25519 key',
      () => createAuth({ keys: { privateKey: ed25519() }, refreshSecret: REFRESH_SECRET }),
      /keys\.privateKey must be an EC \(P-256\) or RSA key/,
    ],
    [
      'a secret with an asymmetric algorithm',
      () => createAuth({ keys: [{ kid: 'a', secret: randomBytes(32), algorithm: 'ES256' }] }),
      /keys\[0\]\.algorithm ES256 needs a privateKey or publicKey/,
    ],
    [
      '{ secret } with an asymmetric algorithm',
      () => createAuth({ keys: { secret: randomBytes(32) }, algorithm: 'ES256' }),
      /algorithm ES256 signs with a private key/,
    ],
    [
      'a bad verifyOnly',
      () => createAuth({ keys: [{ kid: 'a', privateKey, verifyOnly: 'yes' as never }] }),
      /keys\[0\]\.verifyOnly must be a boolean/,
    ],
    [
      'a short refreshSecret',
      () => createAuth({ keys: [{ kid: 'a', privateKey }], refreshSecret: randomBytes(16) }),
      /refreshSecret is too weak/,
    ],
    [
      'an empty refreshSecret list',
      () => createAuth({ keys: [{ kid: 'a', privateKey }], refreshSecret: [] }),
      /refreshSecret must not be an empty array/,
    ],
    [
      'a bad refreshSecret entry',
      () =>
        createAuth({
          keys: [{ kid: 'a', privateKey }],
          refreshSecret: [REFRESH_SECRET, 'not base64!'],
        }),
      /refreshSecret\[1\] must be a base64/,
    ],
  ]
  for (const [name, make, message] of cases) t.throws(make, { name: 'TypeError', message }, name)
})

t.test('under production rules a refreshSecret must look random', async (t) => {
  withNodeEnv(t, 'production')
  t.throws(
    () => createAuth({ keys: [keyringFor('ES256')], refreshSecret: Buffer.alloc(32, 'a') }),
    { name: 'TypeError', message: /refreshSecret does not look random/ },
  )
  t.ok(createAuth({ keys: [keyringFor('ES256')], refreshSecret: REFRESH_SECRET }))
})

function ecP384() {
  return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
}

function ed25519() {
  return generateKeyPairSync('ed25519').privateKey
}

t.test('a publicKey given as a private KeyObject keeps only its public half', async (t) => {
  const { privateKey } = ecKeyPair()
  const signer = createAuth({ keys: [{ kid: 'p', privateKey }], refreshSecret: REFRESH_SECRET })
  const verifier = createAuth({
    keys: [keyringFor('HS256'), { kid: 'p', publicKey: privateKey }],
  })
  const tokens = await signer.issue('alice')
  await t.rejects(verifier.verify(tokens.access_token), { code: 'ERR_TOKEN_REVOKED' }, 'verified')
  t.equal(decode((await verifier.issue('bob')).access_token).header.kid, 'k-HS256', 'never signs')
})

t.test('authOptionsFromEnv reads BATON_REFRESH_SECRET', async (t) => {
  const options = authOptionsFromEnv({ BATON_REFRESH_SECRET: ` ${REFRESH_SECRET} ` })
  t.same(options, { refreshSecret: REFRESH_SECRET })
  const auth = createAuth({ ...options, keys: { privateKey: PAIRS.ES256.privateKey } })
  t.equal((await auth.refresh((await auth.issue('alice')).refresh_token)).token_type, 'Bearer')
})
