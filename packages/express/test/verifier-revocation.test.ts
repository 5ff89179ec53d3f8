/**
 * The downstream verifier's three answers to "is this session still live": stateless (a logout
 * reaches the service when the token expires), introspection with a cache (at most `cacheTtl`
 * late), and the shared store (at once, and counted as use of the generation).
 */
import express from 'express'
import t, { type Test } from 'tap'
import { LruSessionStore } from '../src/index.js'
import type { VerifierOptions } from '../src/verifier.js'
import { AUDIENCE, ISSUER, startApp, type TestApp } from './fixtures/app.js'
import { ecKeyPair, REFRESH_SECRET } from './fixtures/key-pairs.js'
import { assertInvalidToken, assertIssuerUnavailable } from './fixtures/rejection.js'
import { listen, startService } from './fixtures/service.js'

const KEY = { kid: 'k1', privateKey: ecKeyPair().privateKey }
const RS_ID = 'orders-service'
const RS_SECRET = 'orders-service-secret'

async function issuerWith(t: Test) {
  const store = new LruSessionStore()
  const issuer = await startApp(
    t,
    {
      keys: [KEY],
      refreshSecret: REFRESH_SECRET,
      store,
      introspection: { clients: { [RS_ID]: RS_SECRET } },
    },
    { wellKnown: true },
  )
  return { issuer, store }
}

const base = (issuer: TestApp, revocation: VerifierOptions['revocation']): VerifierOptions => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: `${issuer.base}/.well-known/jwks.json`,
  revocation,
  now: issuer.clock,
})

t.test('stateless: a logout reaches the service only when the access token expires', async (t) => {
  const { issuer } = await issuerWith(t)
  const service = await startService(t, base(issuer, 'stateless'))
  const tokens = await issuer.login()
  await issuer.call('/auth/logout', tokens.access_token, { method: 'POST' })
  t.equal((await issuer.call('/api/me', tokens.access_token)).status, 401, 'the issuer knows')
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200, 'the service does not')
  issuer.clock.advance(900 + 5)
  await assertInvalidToken(
    t,
    await service.call('/api/me', tokens.access_token),
    'ERR_TOKEN_EXPIRED',
  )
})

t.test('the shared store: a logout reaches the service at once', async (t) => {
  const { issuer, store } = await issuerWith(t)
  const service = await startService(t, base(issuer, { store }))
  const tokens = await issuer.login()
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200)
  await issuer.call('/auth/logout', tokens.access_token, { method: 'POST' })
  await assertInvalidToken(
    t,
    await service.call('/api/me', tokens.access_token),
    'ERR_TOKEN_REVOKED',
  )
})

t.test('the shared store: a verification on the service marks the generation used', async (t) => {
  const { issuer, store } = await issuerWith(t)
  const service = await startService(t, base(issuer, { store }))
  const first = await issuer.login()
  const second = (await (
    await issuer.post('/auth/refresh', { refresh_token: first.refresh_token })
  ).json()) as { access_token: string }
  t.equal((await service.call('/api/me', second.access_token)).status, 200)
  await new Promise((resolve) => setImmediate(resolve))
  issuer.clock.advance(60)
  const reused = await issuer.post('/auth/refresh', { refresh_token: first.refresh_token })
  t.equal(reused.status, 400, 'the old refresh token is now a reuse: the client got the new pair')
})

t.test('introspection: cached for cacheTtl, so a logout is at most that late', async (t) => {
  const { issuer } = await issuerWith(t)
  const service = await startService(
    t,
    base(issuer, {
      introspection: {
        url: `${issuer.base}/auth/introspect`,
        clientId: RS_ID,
        clientSecret: RS_SECRET,
        cacheTtl: 30,
      },
    }),
  )
  const tokens = await issuer.login()
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200)
  await issuer.call('/auth/logout', tokens.access_token, { method: 'POST' })
  issuer.clock.advance(29)
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200, 'stale inside the ttl')
  issuer.clock.advance(1)
  await assertInvalidToken(
    t,
    await service.call('/api/me', tokens.access_token),
    'ERR_TOKEN_REVOKED',
  )
  await assertInvalidToken(
    t,
    await service.call('/api/me', tokens.access_token),
    'ERR_TOKEN_REVOKED',
  )
})

t.test('introspection: concurrent requests share one call, and answers are reused', async (t) => {
  const { issuer } = await issuerWith(t)
  // A counting relay in front of the issuer's endpoint.
  let calls = 0
  const relay = express()
  relay.post('/introspect', express.urlencoded({ extended: false }), async (req, res) => {
    calls++
    const answer = await fetch(`${issuer.base}/auth/introspect`, {
      method: 'POST',
      headers: {
        authorization: req.get('authorization') ?? '',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(req.body as Record<string, string>).toString(),
    })
    res.status(answer.status).json(await answer.json())
  })
  const url = `${await listen(t, relay)}/introspect`
  const service = await startService(
    t,
    base(issuer, { introspection: { url, clientId: RS_ID, clientSecret: RS_SECRET } }),
  )
  const tokens = await issuer.login()
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => service.call('/api/me', tokens.access_token)),
  )
  t.same(
    answers.map((answer) => answer.status),
    [200, 200, 200, 200, 200],
  )
  t.equal((await service.call('/api/me', tokens.access_token)).status, 200)
  t.equal(calls, 1, 'one introspection for six requests')
})

t.test('introspection: wrong credentials or a broken answer are a 503, not a 401', async (t) => {
  const { issuer } = await issuerWith(t)
  const tokens = await issuer.login()
  const broken = express()
  broken.post('/not-json', (_req, res) => {
    res.type('text').send('oops')
  })
  broken.post('/null', (_req, res) => {
    res.json(null)
  })
  broken.post('/no-active', (_req, res) => {
    res.json({ sub: 'alice' })
  })
  const brokenBase = await listen(t, broken)
  const urls: [string, string][] = [
    [`${issuer.base}/auth/introspect`, 'wrong-secret-for-the-service'],
    [`${brokenBase}/not-json`, RS_SECRET],
    [`${brokenBase}/no-active`, RS_SECRET],
    [`${brokenBase}/null`, RS_SECRET],
  ]
  for (const [url, clientSecret] of urls) {
    const service = await startService(
      t,
      base(issuer, { introspection: { url, clientId: RS_ID, clientSecret } }),
    )
    await assertIssuerUnavailable(t, await service.call('/api/me', tokens.access_token), '1')
  }
})

t.test('introspection: an answer about another subject is no answer for this token', async (t) => {
  const { issuer } = await issuerWith(t)
  const tokens = await issuer.login()
  const lying = express()
  lying.post('/introspect', (_req, res) => {
    res.json({ active: true, sub: 'mallory' })
  })
  const service = await startService(
    t,
    base(issuer, {
      introspection: {
        url: `${await listen(t, lying)}/introspect`,
        clientId: RS_ID,
        clientSecret: RS_SECRET,
      },
    }),
  )
  await assertInvalidToken(
    t,
    await service.call('/api/me', tokens.access_token),
    'ERR_TOKEN_REVOKED',
  )
})
