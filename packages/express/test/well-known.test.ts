/**
 * `auth.wellKnown()`: the JWKS (public keys only, never an HMAC key) and the RFC 8414 metadata,
 * served at the origin root while the endpoints live under the router's path.
 */
import express from 'express'
import t, { type Test } from 'tap'
import { createAuth, type AuthOptions } from '../src/index.js'
import { ecKeyPair, keyringFor, PAIRS, REFRESH_SECRET } from './fixtures/key-pairs.js'
import { listen } from './fixtures/service.js'

async function serve(t: Test, options: AuthOptions, routerPath?: string) {
  const auth = createAuth(options)
  const app = express()
  app.use(routerPath ?? '/auth', auth.router())
  app.use(auth.wellKnown(routerPath === undefined ? undefined : { routerPath }))
  return listen(t, app)
}

const ISSUER = 'https://auth.example.com'

t.test(
  'the JWKS lists every public key with kid, alg and use, and never an HMAC key',
  async (t) => {
    const next = ecKeyPair()
    const base = await serve(t, {
      issuer: ISSUER,
      keys: [
        keyringFor('ES256', 'es'),
        keyringFor('RS256', 'rs'),
        keyringFor('HS256', 'hmac'),
        { kid: 'next', publicKey: next.publicKey },
        { kid: 'ps', privateKey: PAIRS.PS256.privateKey, algorithm: 'PS256', verifyOnly: true },
      ],
      refreshSecret: REFRESH_SECRET,
    })
    const response = await fetch(`${base}/.well-known/jwks.json`)
    t.equal(response.status, 200)
    t.equal(response.headers.get('cache-control'), 'public, max-age=300')
    t.match(response.headers.get('content-type'), /^application\/json/)
    const { keys } = (await response.json()) as { keys: Record<string, string>[] }
    t.same(
      keys.map(({ kid, alg, use, kty }) => ({ kid, alg, use, kty })),
      [
        { kid: 'es', alg: 'ES256', use: 'sig', kty: 'EC' },
        { kid: 'rs', alg: 'RS256', use: 'sig', kty: 'RSA' },
        { kid: 'next', alg: 'ES256', use: 'sig', kty: 'EC' },
        { kid: 'ps', alg: 'PS256', use: 'sig', kty: 'RSA' },
      ],
    )
    for (const key of keys) {
      t.same(
        Object.keys(key).sort(),
        key.kty === 'EC'
          ? ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']
          : ['alg', 'e', 'kid', 'kty', 'n', 'use'],
        `${key.kid}: public members only`,
      )
    }
    t.same(keys[2]?.x, next.publicKey.export({ format: 'jwk' }).x, 'the key itself')
  },
)

t.test('an HMAC-only keyring publishes an empty JWKS and no jwks_uri', async (t) => {
  const base = await serve(t, { issuer: ISSUER, keys: [keyringFor('HS256')] })
  t.same(await (await fetch(`${base}/.well-known/jwks.json`)).json(), { keys: [] })
  const metadata = (await (
    await fetch(`${base}/.well-known/oauth-authorization-server`)
  ).json()) as Record<string, unknown>
  t.equal(metadata.jwks_uri, undefined)
  t.equal(metadata.introspection_endpoint, undefined, 'no introspection rule, no endpoint')
})

t.test('the RFC 8414 metadata names the issuer, the endpoints and what they accept', async (t) => {
  const base = await serve(t, {
    issuer: ISSUER,
    keys: [keyringFor('ES256'), keyringFor('HS512', 'old')],
    refreshSecret: REFRESH_SECRET,
    introspection: { clients: { 'resource-server': 'a-long-resource-secret' } },
  })
  const response = await fetch(`${base}/.well-known/oauth-authorization-server`)
  t.equal(response.status, 200)
  t.equal(response.headers.get('cache-control'), 'public, max-age=3600')
  t.same(await response.json(), {
    issuer: ISSUER,
    token_endpoint: `${ISSUER}/auth/refresh`,
    token_endpoint_auth_methods_supported: ['none'],
    grant_types_supported: ['refresh_token'],
    response_types_supported: [],
    revocation_endpoint: `${ISSUER}/auth/revoke`,
    revocation_endpoint_auth_methods_supported: ['none'],
    access_token_signing_alg_values_supported: ['HS512', 'ES256'],
    jwks_uri: `${ISSUER}/.well-known/jwks.json`,
    introspection_endpoint: `${ISSUER}/auth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  })
})

t.test('an issuer with a path and a router elsewhere: RFC 8414 §3.1 paths', async (t) => {
  const base = await serve(
    t,
    {
      issuer: 'https://example.com/tenant-a/',
      keys: [keyringFor('ES256')],
      refreshSecret: REFRESH_SECRET,
      introspection: { authorize: () => true },
    },
    '/tenant-a/oauth/',
  )
  t.equal((await fetch(`${base}/.well-known/oauth-authorization-server`)).status, 404)
  const metadata = (await (
    await fetch(`${base}/.well-known/oauth-authorization-server/tenant-a`)
  ).json()) as Record<string, unknown>
  t.equal(metadata.issuer, 'https://example.com/tenant-a/')
  t.equal(metadata.token_endpoint, 'https://example.com/tenant-a/oauth/refresh')
  t.equal(metadata.introspection_endpoint, 'https://example.com/tenant-a/oauth/introspect')
  t.equal(metadata.introspection_endpoint_auth_methods_supported, undefined, 'a rule, no secrets')
})

t.test('wellKnown refuses a non-URL issuer and bad options with TypeErrors', async (t) => {
  const refused: [string, AuthOptions, unknown, RegExp][] = [
    ['the default issuer', {}, undefined, /issuer must be an https URL/],
    ['plain http', { issuer: 'http://example.com' }, undefined, /issuer must be an https URL/],
    ['a query', { issuer: 'https://example.com/?a=1' }, undefined, /issuer must be an https URL/],
    ['a fragment', { issuer: 'https://example.com/#' }, undefined, /issuer must be an https URL/],
    ['an unknown option', { issuer: ISSUER }, { path: '/auth' }, /unknown option "path"/],
    ['a relative path', { issuer: ISSUER }, { routerPath: 'auth' }, /routerPath must be/],
    ['a path with a space', { issuer: ISSUER }, { routerPath: '/a b' }, /routerPath must be/],
    ['not an object', { issuer: ISSUER }, 'auth', /options must be an object/],
  ]
  for (const [name, options, wellKnownOptions, message] of refused) {
    const auth = createAuth(options)
    t.throws(() => auth.wellKnown(wellKnownOptions as never), { name: 'TypeError', message }, name)
  }
  t.ok(createAuth({ issuer: 'http://localhost:3000' }).wellKnown(), 'http on loopback is fine')
  t.ok(createAuth({ issuer: ISSUER }).wellKnown({ routerPath: '/' }), 'a router at the root')
})
