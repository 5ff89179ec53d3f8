/**
 * No key, secret or token leaves in an error of the standards features: bad asymmetric keys and
 * refresh secrets at construction, refused introspection callers, and the downstream verifier's
 * failures (whose causes come from the network). Each search has a positive control.
 */
import t from 'tap'
import { createAuth, type AuthOptions } from '../src/index.js'
import { createVerifier, type VerifierOptions } from '../src/verifier.js'
import { AUDIENCE, ISSUER, startApp } from './fixtures/app.js'
import { PAIRS, REFRESH_SECRET, rsaKeyPair } from './fixtures/key-pairs.js'
import { errorText, rejectionOf } from './fixtures/leaks.js'
import { startService } from './fixtures/service.js'

const privatePem = PAIRS.ES256.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const privateBody = privatePem.split('\n')[1] as string
const shortRsa = rsaKeyPair(1024).privateKey
const shortPem = shortRsa.export({ format: 'pem', type: 'pkcs8' }) as string
const shortBody = shortPem.split('\n')[1] as string
const privateD = PAIRS.ES256.privateKey.export({ format: 'jwk' }).d as string

t.test('the positive control: the searched text is found where it is', async (t) => {
  t.ok(errorText(new Error(privateBody)).includes(privateBody))
})

t.test('bad asymmetric keys and refresh secrets are refused without quoting them', async (t) => {
  const weakRefresh = Buffer.from('short-refresh-secret').toString('base64')
  const cases: [string, AuthOptions, string[]][] = [
    [
      'a truncated PEM',
      { keys: [{ kid: 'a', privateKey: privatePem.slice(0, 120) }] },
      [privatePem.slice(30, 90)],
    ],
    [
      'a private key with the wrong algorithm',
      {
        keys: [{ kid: 'a', privateKey: privatePem, algorithm: 'RS256' }],
        refreshSecret: REFRESH_SECRET,
      },
      [privateBody],
    ],
    [
      'a short RSA key',
      { keys: { privateKey: shortPem }, refreshSecret: REFRESH_SECRET },
      [shortBody],
    ],
    [
      'a private JWK without refreshSecret',
      { keys: [{ kid: 'a', privateKey: PAIRS.ES256.privateKey.export({ format: 'jwk' }) }] },
      [privateD],
    ],
    [
      'a weak refreshSecret',
      { keys: { privateKey: privatePem }, refreshSecret: weakRefresh },
      [weakRefresh],
    ],
  ]
  for (const [name, options, secrets] of cases) {
    const text = errorText(await rejectionOf(() => createAuth(options)))
    t.same(
      secrets.filter((secret) => text.includes(secret)),
      [],
      name,
    )
  }
})

t.test('refused introspection callers and a failing verifier do not echo secrets', async (t) => {
  const clientSecret = 'resource-secret-never-echo-71'
  const issuer = await startApp(
    t,
    {
      keys: [{ kid: 'k', privateKey: privatePem }],
      refreshSecret: REFRESH_SECRET,
      introspection: { clients: { rs: 'the-real-resource-secret' } },
    },
    { wellKnown: true },
  )
  const tokens = await issuer.login()
  const refused = await issuer.post('/auth/introspect', {
    token: tokens.access_token,
    client_id: 'rs',
    client_secret: clientSecret,
  })
  t.equal(refused.status, 401)
  const answer = `${[...refused.headers].join('\n')}\n${await refused.text()}`
  t.notOk(answer.includes(clientSecret), 'the refusal does not echo the secret')
  t.notOk(answer.includes(tokens.access_token), 'nor the token')

  const options: VerifierOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${issuer.base}/.well-known/jwks.json`,
    revocation: {
      introspection: { url: `${issuer.base}/auth/introspect`, clientId: 'rs', clientSecret },
    },
    now: issuer.clock,
  }
  const service = await startService(t, options)
  const failed = await service.call('/api/me', tokens.access_token)
  t.equal(failed.status, 503)
  const body = `${[...failed.headers].join('\n')}\n${await failed.text()}`
  t.notOk(body.includes(clientSecret) || body.includes(tokens.access_token), 'the 503 is clean')
  const error = await rejectionOf(createVerifier(options).verify(tokens.access_token))
  const text = errorText(error)
  t.match(text, /ERR_ISSUER_UNAVAILABLE/, 'positive control: the error is the one searched')
  for (const secret of [
    clientSecret,
    tokens.access_token,
    Buffer.from(`rs:${clientSecret}`).toString('base64'),
  ]) {
    t.notOk(text.includes(secret), 'the thrown error and its cause are clean')
  }
})
