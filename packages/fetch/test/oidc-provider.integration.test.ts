/**
 * Against oidc-provider, a certified OpenID Provider we did not write: the refresh grant with
 * refresh-token rotation and client authentication (client_secret_basic and
 * client_secret_post), a client refused as a client, clients sharing a storage, and the RFC 7009
 * revocation at logout. Over real HTTP on 127.0.0.1.
 */
import Provider from 'oidc-provider'
import t, { type Test } from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { ClientAuthentication } from '../src/options.js'
import { sharedBacking } from './fixtures/shared-backing.js'
import { listen } from './fixtures/listen.js'

const CLIENT_ID = 'baton-fetch'
const SECRET = 'a-client-secret-of-enough-length-0123456789'

async function provider(t: Test, method: NonNullable<ClientAuthentication['method']>) {
  const origin = await listen(t, (req, res) => handler(req, res))
  const oidc = new Provider(origin, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: SECRET,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://client.test/callback'],
        token_endpoint_auth_method: method,
      },
    ],
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    scopes: ['openid', 'offline_access'],
    features: { revocation: { enabled: true }, devInteractions: { enabled: false } },
    rotateRefreshToken: true,
    ttl: { AccessToken: 600, RefreshToken: 3600, Grant: 3600 },
  })
  const handler = oidc.callback()
  // The first refresh token, minted as a finished authorization-code flow would have left it.
  const client = await oidc.Client.find(CLIENT_ID)
  const grant = new oidc.Grant({ accountId: 'alice', clientId: CLIENT_ID })
  grant.addOIDCScope('openid offline_access')
  const grantId = await grant.save()
  const refreshToken = await new oidc.RefreshToken({
    accountId: 'alice',
    client,
    grantId,
    scope: 'openid offline_access',
    gty: 'authorization_code',
    authTime: Math.floor(Date.now() / 1000),
  }).save()
  return { origin, refreshToken }
}

const tokensWith = (refreshToken: string) => ({
  accessToken: 'expired-placeholder',
  refreshToken,
  expiresAt: Date.now() - 1000,
})

for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
  t.test(`rotation with ${method}`, async (t) => {
    const { origin, refreshToken } = await provider(t, method)
    const errors: unknown[] = []
    const options = {
      origins: [origin],
      refreshUrl: `${origin}/token`,
      revocationUrl: `${origin}/token/revocation`,
      clientAuthentication: { clientId: CLIENT_ID, clientSecret: SECRET, method },
      onError: (error: unknown) => errors.push(error),
    }
    const api = createAuthFetch({ ...options, tokens: tokensWith(refreshToken) })
    const first = await api.refresh()
    t.not(first.refreshToken, refreshToken, 'rotated')
    t.ok(first.expiresAt, 'with a lifetime')
    const second = await api.refresh()
    t.not(second.refreshToken, first.refreshToken, 'rotated again')
    await api.logout()
    t.same(errors, [], 'the revocation was accepted')
    const after = createAuthFetch({ ...options, tokens: tokensWith(second.refreshToken ?? '') })
    t.match(
      await after.refresh().catch((error: unknown) => error),
      { code: 'AUTH_SESSION_EXPIRED', cause: { error: 'invalid_grant' } },
      'the revoked refresh token is refused',
    )
  })
}

t.test('a wrong client secret is AUTH_CLIENT_REJECTED, and the tokens are kept', async (t) => {
  const { origin, refreshToken } = await provider(t, 'client_secret_basic')
  const errors: unknown[] = []
  const api = createAuthFetch({
    origins: [origin],
    refreshUrl: `${origin}/token`,
    clientAuthentication: { clientId: CLIENT_ID, clientSecret: 'wrong' },
    tokens: tokensWith(refreshToken),
    onError: (error) => errors.push(error),
  })
  const error = await api.refresh().catch((error: unknown) => error)
  t.match(error, { code: 'AUTH_CLIENT_REJECTED', cause: { status: 401, error: 'invalid_client' } })
  t.equal(api.tokens?.refreshToken, refreshToken)
  t.same(errors, [error])
})

t.test('clients sharing a storage refresh once, and a replayed token ends the grant', async (t) => {
  const { origin, refreshToken } = await provider(t, 'client_secret_basic')
  const backing = sharedBacking(JSON.stringify(tokensWith(refreshToken)))
  const client = () =>
    createAuthFetch({
      origins: [origin],
      refreshUrl: `${origin}/token`,
      clientAuthentication: { clientId: CLIENT_ID, clientSecret: SECRET },
      storage: backing.storage({ watch: false }),
    })
  const [one, two, three] = [client(), client(), client()]
  const tokens = await Promise.all([one.refresh(), two.refresh(), three.refresh()])
  t.equal(new Set(tokens.map((set) => set.refreshToken)).size, 1, 'one rotation, adopted by all')

  // Without the shared storage, a stale client would present the rotated token: oidc-provider
  // treats that as reuse and ends the whole grant. That is what the lock prevents.
  const stale = createAuthFetch({
    origins: [origin],
    refreshUrl: `${origin}/token`,
    clientAuthentication: { clientId: CLIENT_ID, clientSecret: SECRET },
    tokens: tokensWith(refreshToken),
  })
  t.match(await stale.refresh().catch((error: unknown) => error), { code: 'AUTH_SESSION_EXPIRED' })
  t.match(await one.refresh().catch((error: unknown) => error), { code: 'AUTH_SESSION_EXPIRED' })
})
