/**
 * Interop with OAuth software we did not write, against a real issuer on 127.0.0.1:0 whose
 * issuer URL is its own origin: openid-client (RFC 8414 discovery, the refresh grant, RFC 7009
 * revocation, RFC 7662 introspection), oauth4webapi (RFC 9068 access-token validation) and jose
 * (`createRemoteJWKSet` on our JWKS), for every asymmetric algorithm. These libraries read the
 * real clock, so the issuer does too; nothing waits on it.
 */
import express from 'express'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import t, { type Test } from 'tap'
import { createAuth, type Auth, type AuthOptions, type TokenResponse } from '../src/index.js'
import { ASYMMETRIC, keyringFor, REFRESH_SECRET } from './fixtures/key-pairs.js'
import { listen } from './fixtures/service.js'

const RS_ID = 'resource-server'
const RS_SECRET = 'resource-server-secret'
const AUDIENCE = 'interop-api'

/** An issuer whose `issuer` is its own origin, as RFC 8414 discovery requires. */
async function startIssuer(
  t: Test,
  options: AuthOptions = {},
): Promise<{ base: string; auth: Auth }> {
  const app = express()
  const base = await listen(t, app)
  const auth = createAuth({
    issuer: base,
    audience: AUDIENCE,
    keys: [keyringFor('ES256')],
    refreshSecret: REFRESH_SECRET,
    introspection: { clients: { [RS_ID]: RS_SECRET } },
    ...options,
  })
  app.use('/auth', auth.router())
  app.use(auth.wellKnown())
  return { base, auth }
}

const discover = (base: string, clientId: string, auth: client.ClientAuth) =>
  client.discovery(new URL(base), clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
  })

t.test('openid-client: discovery, the refresh grant, revocation and introspection', async (t) => {
  const { base, auth } = await startIssuer(t)
  const app = await discover(base, 'baton', client.None())
  const metadata = app.serverMetadata()
  t.equal(metadata.issuer, base)
  t.equal(metadata.token_endpoint, `${base}/auth/refresh`)
  t.equal(metadata.jwks_uri, `${base}/.well-known/jwks.json`)

  const login: TokenResponse = await auth.issue('alice', { scope: 'read write' })
  const refreshed = await client.refreshTokenGrant(app, login.refresh_token)
  t.equal(refreshed.token_type, 'bearer', 'openid-client lower-cases it')
  t.equal(refreshed.scope, 'read write')
  t.type(refreshed.refresh_token, 'string')
  t.not(refreshed.refresh_token, login.refresh_token, 'rotated')

  const narrowed = await client.refreshTokenGrant(app, refreshed.refresh_token as string, {
    scope: 'read',
  })
  t.equal(narrowed.scope, 'read', 'a narrower scope through the standard parameter')
  const broader = client.refreshTokenGrant(app, narrowed.refresh_token as string, {
    scope: 'admin',
  })
  t.match(await broader.catch((error: unknown) => error), { error: 'invalid_scope', status: 400 })

  const resourceServer = await discover(base, RS_ID, client.ClientSecretBasic(RS_SECRET))
  const active = await client.tokenIntrospection(resourceServer, narrowed.access_token)
  t.match(active, {
    active: true,
    token_type: 'Bearer',
    client_id: 'baton',
    sub: 'alice',
    scope: 'read',
  })
  const anonymous = await discover(base, 'baton', client.None())
  // RFC 6749 §5.2: a 401 invalid_client with the Basic challenge, which oauth4webapi reports.
  await t.rejects(client.tokenIntrospection(anonymous, narrowed.access_token), {
    code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
    status: 401,
  })

  await client.tokenRevocation(app, narrowed.refresh_token as string)
  t.same(await client.tokenIntrospection(resourceServer, narrowed.access_token), { active: false })
  const dead = client.refreshTokenGrant(app, narrowed.refresh_token as string)
  t.match(await dead.catch((error: unknown) => error), { error: 'invalid_grant', status: 400 })
})

for (const algorithm of ASYMMETRIC) {
  t.test(`oauth4webapi validates our ${algorithm} tokens as RFC 9068 access tokens`, async (t) => {
    const { base, auth } = await startIssuer(t, { keys: [keyringFor(algorithm)] })
    const issuer = new URL(base)
    const as = await oauth
      .discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true })
      .then((response) => oauth.processDiscoveryResponse(issuer, response))
    const tokens = await auth.issue('alice', { scope: 'read' })
    const request = new Request('https://api.example/orders', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    const claims = await oauth.validateJwtAccessToken(as, request, AUDIENCE, {
      [oauth.allowInsecureRequests]: true,
    })
    t.match(claims, { iss: base, aud: AUDIENCE, sub: 'alice', client_id: 'baton', scope: 'read' })
    const elsewhere = new Request('https://api.example/orders', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    await t.rejects(
      oauth.validateJwtAccessToken(as, elsewhere, 'another-api', {
        [oauth.allowInsecureRequests]: true,
      }),
      'another audience is refused',
    )
  })

  t.test(
    `jose's createRemoteJWKSet verifies our ${algorithm} tokens from the JWKS endpoint`,
    async (t) => {
      const { base, auth } = await startIssuer(t, { keys: [keyringFor(algorithm)] })
      const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`))
      const tokens = await auth.issue('alice')
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: base,
        audience: AUDIENCE,
        typ: 'at+jwt',
        algorithms: [algorithm],
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp', 'client_id'],
      })
      t.equal(protectedHeader.alg, algorithm)
      t.equal(payload.sub, 'alice')
    },
  )
}
