/**
 * The downstream verifier with keys from the issuer's JWKS (jwks-rsa): the same `req.auth` and
 * RFC 6750 errors as the issuer's own `required()`, keys rotated mid-run found by refetching, a
 * hostile JWKS verifying nothing, unknown `kid`s rate-limited, and an unreachable JWKS a 503.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import express from 'express'
import t, { type Test } from 'tap'
import { createAuth, LruSessionStore, type KeyringEntry } from '../src/index.js'
import { AUDIENCE, ISSUER, startApp, type TokenBody } from './fixtures/app.js'
import { b64url, decode } from './fixtures/forge.js'
import { ecKeyPair, PAIRS, REFRESH_SECRET } from './fixtures/key-pairs.js'
import {
  assertInvalidToken,
  assertMalformedHeader,
  assertNoCredentials,
  assertIssuerUnavailable,
  assertRejection,
} from './fixtures/rejection.js'
import { listen, startJwksHost, startService } from './fixtures/service.js'
import { signJws } from './fixtures/sign-jws.js'

const firstPrivate = ecKeyPair().privateKey
const firstKey: KeyringEntry = { kid: 'k1', privateKey: firstPrivate }
const secondKey: KeyringEntry = { kid: 'k2', privateKey: ecKeyPair().privateKey }

async function setup(t: Test) {
  const issuer = await startApp(
    t,
    { keys: [firstKey], refreshSecret: REFRESH_SECRET },
    { wellKnown: true },
  )
  const jwksUri = `${issuer.base}/.well-known/jwks.json`
  const service = await startService(t, {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri,
    revocation: 'stateless',
    now: issuer.clock,
  })
  return { issuer, service }
}

t.test('req.auth on the service is what the issuer itself sets', async (t) => {
  const { issuer, service } = await setup(t)
  const tokens = await issuer.login('admin')
  const there = await service.call('/api/me', tokens.access_token)
  t.equal(there.status, 200)
  const here = await issuer.call('/api/me', tokens.access_token)
  t.same(await there.json(), await here.json())
  t.equal((await service.call('/api/admin', tokens.access_token, { method: 'DELETE' })).status, 200)
  t.same(await (await service.call('/api/feed')).json(), { viewer: null })
  t.equal((await service.verifier.verify(tokens.access_token)).sub, 'admin')
})

t.test('the service answers RFC 6750 errors as the issuer does', async (t) => {
  const { issuer, service } = await setup(t)
  const alice = await issuer.login('alice')
  await assertNoCredentials(t, await service.call('/api/me'))
  await assertMalformedHeader(t, await service.call('/api/me', undefined, { raw: 'Bearer' }))
  await assertInvalidToken(t, await service.call('/api/me', 'not.a.token'))
  await assertRejection(
    t,
    await service.call('/api/admin', alice.access_token, { method: 'DELETE' }),
    {
      status: 403,
      error: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
      scope: 'admin',
    },
  )
  await assertInvalidToken(t, await service.call('/api/feed', 'not.a.token'))
  issuer.clock.advance(3600)
  await assertInvalidToken(
    t,
    await service.call('/api/me', alice.access_token),
    'ERR_TOKEN_EXPIRED',
  )
  await assertInvalidToken(
    t,
    await service.call('/api/me', alice.refresh_token),
    'ERR_WRONG_TOKEN_TYPE',
  )
})

t.test(
  'keys rotated mid-run: a new kid is fetched at once, an old one keeps verifying',
  async (t) => {
    const store = new LruSessionStore()
    const host = await startJwksHost(t)
    const clock = { now: Date.UTC(2026, 0, 1) }
    const issue = (keys: KeyringEntry[]) =>
      createAuth({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys,
        refreshSecret: REFRESH_SECRET,
        store,
        now: () => clock.now,
      })
    const before = issue([firstKey])
    host.serve(before.wellKnown())
    const service = await startService(t, {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: host.uri,
      revocation: 'stateless',
      now: () => clock.now,
    })
    const old = await before.issue('alice')
    t.equal((await service.call('/api/me', old.access_token)).status, 200)
    t.equal((await service.call('/api/me', old.access_token)).status, 200)
    t.equal(host.fetches(), 1, 'the JWKS is fetched once and cached')

    // Publish, then sign with the new key.
    host.serve(issue([firstKey, { ...secondKey, verifyOnly: true }]).wellKnown())
    const during = issue([secondKey, firstKey])
    const fresh = await during.refresh(old.refresh_token)
    t.equal(decode(fresh.access_token).header.kid, 'k2')
    t.equal((await service.call('/api/me', fresh.access_token)).status, 200, 'the new key is found')
    t.equal(host.fetches(), 2, 'by one refetch')
    t.equal(
      (await service.call('/api/me', old.access_token)).status,
      200,
      'the old key still verifies',
    )

    // Retire the old key: new tokens carry on.
    host.serve(issue([secondKey]).wellKnown())
    const after = await issue([secondKey]).issue('bob')
    t.equal((await service.call('/api/me', after.access_token)).status, 200)
    t.equal(host.fetches(), 2, 'a known kid needs no fetch')
  },
)

t.test('unknown kids are refused, and refetch at most requestsPerMinute times', async (t) => {
  const { issuer } = await setup(t)
  const host = await startJwksHost(t)
  host.serve((req, res, next) => {
    void fetch(`${issuer.base}/.well-known/jwks.json`).then(
      async (answer) => res.json(await answer.json()),
      next,
    )
  })
  const service = await startService(t, {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: host.uri,
    jwks: { requestsPerMinute: 3 },
    revocation: 'stateless',
    now: issuer.clock,
  })
  const tokens = await issuer.login()
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200)
  const { header, payload } = decode(tokens.access_token)
  for (let index = 0; index < 8; index++) {
    const forged = signJws({ ...header, kid: `guess-${index}` }, payload, 'ES256', firstPrivate)
    await assertInvalidToken(t, await service.call('/api/me', forged))
  }
  t.ok(host.fetches() <= 3, `${host.fetches()} fetches for 8 unknown kids`)
  t.equal(
    (await service.call('/api/me', tokens.access_token)).status,
    200,
    'a known kid was cached',
  )
})

t.test('header attacks are refused before any JWKS fetch', async (t) => {
  const { issuer } = await setup(t)
  const host = await startJwksHost(t)
  const service = await startService(t, {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: host.uri,
    algorithms: ['ES256'],
    revocation: 'stateless',
    now: issuer.clock,
  })
  const tokens = await issuer.login()
  const { header, payload } = decode(tokens.access_token)
  const publicPem = PAIRS.ES256.publicKey.export({ format: 'pem', type: 'spki' })
  const attacks = [
    `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify(payload))}.`,
    signJws({ ...header, alg: 'HS256' }, payload, 'HS256', publicPem),
    signJws({ ...header, alg: 'RS256' }, payload, 'RS256', PAIRS.RS256.privateKey),
    signJws({ alg: 'ES256', typ: 'at+jwt' }, payload, 'ES256', firstPrivate),
  ]
  for (const attack of attacks) await assertInvalidToken(t, await service.call('/api/me', attack))
  t.equal(host.fetches(), 0)
})

t.test('a JWKS serving an unexpected key type verifies nothing', async (t) => {
  const { issuer } = await setup(t)
  const tokens = await issuer.login()
  const { header, payload } = decode(tokens.access_token)
  const ecJwk = PAIRS.ES256.publicKey.export({ format: 'jwk' })
  const rsaJwk = PAIRS.RS256.publicKey.export({ format: 'jwk' })
  const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const cases: [string, object, string, string, Parameters<typeof signJws>[3]][] = [
    [
      'an RSA key labelled ES256',
      { ...rsaJwk, kid: 'k', alg: 'ES256', use: 'sig' },
      'ES256',
      'k',
      PAIRS.ES256.privateKey,
    ],
    [
      'an RSA key without alg for an ES256 token',
      { ...rsaJwk, kid: 'k', use: 'sig' },
      'ES256',
      'k',
      PAIRS.ES256.privateKey,
    ],
    [
      'an EC key labelled RS256 for a PS256 token',
      { ...ecJwk, kid: 'k', alg: 'RS256' },
      'PS256',
      'k',
      PAIRS.PS256.privateKey,
    ],
    [
      'a 1024-bit RSA key',
      { ...shortRsa.publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'RS256' },
      'RS256',
      'k',
      shortRsa.privateKey,
    ],
    [
      'an oct key',
      { kty: 'oct', k: randomBytes(32).toString('base64url'), kid: 'k', alg: 'HS256' },
      'ES256',
      'k',
      PAIRS.ES256.privateKey,
    ],
    [
      'an encryption key',
      { ...ecJwk, kid: 'k', alg: 'ES256', use: 'enc' },
      'ES256',
      'k',
      PAIRS.ES256.privateKey,
    ],
  ]
  for (const [name, jwk, alg, kid, key] of cases) {
    const host = await startJwksHost(t)
    host.serveJson({ keys: [jwk] })
    const service = await startService(t, {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: host.uri,
      revocation: 'stateless',
      now: issuer.clock,
    })
    const token = signJws({ ...header, alg, kid }, payload, alg, key)
    const body = await assertInvalidToken(t, await service.call('/api/me', token))
    t.equal(body.code, 'ERR_TOKEN_INVALID', name)
  }
})

t.test('an unreachable or failing JWKS is a 503, not a 401', async (t) => {
  const { issuer } = await setup(t)
  const tokens = await issuer.login()
  const closed = express()
  const closedBase = await listen(t, closed)
  const failing = await startJwksHost(t)
  failing.serveJson({ error: 'down' }, 500)
  for (const jwksUri of [failing.uri, `${closedBase}/nothing-here`]) {
    const service = await startService(t, {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri,
      revocation: 'stateless',
      retryAfter: 7,
      now: issuer.clock,
    })
    await assertIssuerUnavailable(t, await service.call('/api/me', tokens.access_token), '7')
  }
})

t.test('tokens minted with another issuer or audience are refused', async (t) => {
  const { service } = await setup(t)
  const other = await startApp(t, {
    keys: [firstKey],
    refreshSecret: REFRESH_SECRET,
    audience: 'other-api',
  })
  const tokens: TokenBody = await other.login()
  await assertInvalidToken(t, await service.call('/api/me', tokens.access_token))
})
