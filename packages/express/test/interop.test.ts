/**
 * Interop with an independent JOSE implementation (panva/jose): the access tokens we issue verify
 * there given only the key bytes, and tokens it signs verify here — for HS256, HS384 and HS512.
 */
import { randomBytes } from 'node:crypto'
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose'
import t from 'tap'
import type { Algorithm, AuthOptions } from '../src/index.js'
import { AUDIENCE, ISSUER, SECRET, startApp, type TestApp } from './fixtures/app.js'
import { KID, decode } from './fixtures/forge.js'
import { assertInvalidToken } from './fixtures/rejection.js'

interface Setup {
  algorithm: Algorithm
  /** The key bytes a third party would be given. */
  key: Uint8Array
  /** The kid our tokens carry. */
  kid: string
  options: AuthOptions
}

const hs384 = randomBytes(48)
const hs512 = randomBytes(64)
const setups: [string, Setup][] = [
  [
    'an HS256 secret',
    {
      algorithm: 'HS256',
      key: new Uint8Array(Buffer.from(SECRET, 'base64')),
      kid: KID,
      options: {},
    },
  ],
  [
    'an HS384 keyring',
    {
      algorithm: 'HS384',
      key: new Uint8Array(hs384),
      kid: 'k384',
      options: { keys: [{ kid: 'k384', secret: hs384.toString('base64url'), algorithm: 'HS384' }] },
    },
  ],
  [
    'an HS512 keyring',
    {
      algorithm: 'HS512',
      key: new Uint8Array(hs512),
      kid: 'k512',
      options: { keys: [{ kid: 'k512', secret: hs512.toString('base64'), algorithm: 'HS512' }] },
    },
  ],
]

const verifyWithJose = (app: TestApp, token: string, setup: Setup) =>
  jwtVerify(token, setup.key, {
    typ: 'at+jwt',
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [setup.algorithm],
    requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
    // Our tokens are minted on the app's clock, not the wall clock.
    currentDate: new Date(app.clock()),
  })

/** The claims a third-party issuer would write for a live session. */
const joseToken = (
  app: TestApp,
  setup: Setup,
  sid: string,
  typ = 'at+jwt',
  algorithm = setup.algorithm,
) => {
  const now = Math.floor(app.clock() / 1000)
  return new SignJWT({ sid, scope: 'read write', role: 'user' })
    .setProtectedHeader({ alg: algorithm, typ, kid: setup.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setJti(`jose-${randomBytes(6).toString('hex')}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(setup.key)
}

for (const [name, setup] of setups) {
  t.test(`with ${name}`, async (t) => {
    const app = await startApp(t, setup.options)
    const issued = await app.login('alice')

    t.test('an issued access token verifies with jose given only the key', async (t) => {
      const { payload, protectedHeader } = await verifyWithJose(app, issued.access_token, setup)
      t.same(protectedHeader, { alg: setup.algorithm, typ: 'at+jwt', kid: setup.kid })
      t.match(payload, {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'alice',
        sid: String,
        jti: String,
        iat: Number,
        exp: Number,
        scope: 'read',
      })
      t.equal((payload.exp as number) - (payload.iat as number), issued.expires_in)
    })

    t.test('a refreshed access token verifies with jose too', async (t) => {
      const response = await app.post('/auth/refresh', { refresh_token: issued.refresh_token })
      t.equal(response.status, 200)
      const { access_token } = (await response.json()) as { access_token: string }
      const { payload } = await verifyWithJose(app, access_token, setup)
      t.equal(payload.sid, decode(issued.access_token).payload.sid)
    })

    t.test('jose refuses an issued token under a wrong key', async (t) => {
      await t.rejects(
        verifyWithJose(app, issued.access_token, {
          ...setup,
          key: new Uint8Array(randomBytes(64)),
        }),
        { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
      )
    })

    t.test('a token jose signs for a live session is accepted', async (t) => {
      const { sid } = decode(issued.access_token).payload as { sid: string }
      const response = await app.call('/api/me', await joseToken(app, setup, sid))
      t.equal(response.status, 200)
      t.match(await response.json(), { sub: 'alice', sid, scope: ['read', 'write'] })
    })

    t.test('a token jose signs with typ application/at+jwt is accepted', async (t) => {
      const { sid } = decode(issued.access_token).payload as { sid: string }
      const token = await joseToken(app, setup, sid, 'application/at+jwt')
      t.equal(decodeProtectedHeader(token).typ, 'application/at+jwt')
      t.equal((await app.call('/api/me', token)).status, 200)
    })

    t.test('a token jose signs with typ JWT is refused as the wrong type', async (t) => {
      const { sid } = decode(issued.access_token).payload as { sid: string }
      const token = await joseToken(app, setup, sid, 'JWT')
      await assertInvalidToken(t, await app.call('/api/me', token), 'ERR_WRONG_TOKEN_TYPE')
    })

    t.test('a token jose signs with another HMAC algorithm is refused', async (t) => {
      const { sid } = decode(issued.access_token).payload as { sid: string }
      const other = setup.algorithm === 'HS256' ? 'HS384' : 'HS256'
      const token = await joseToken(app, setup, sid, 'at+jwt', other)
      await assertInvalidToken(t, await app.call('/api/me', token))
    })

    t.test('a token jose signs for a session that is not live is refused as revoked', async (t) => {
      const token = await joseToken(app, setup, randomBytes(16).toString('base64url'))
      await assertInvalidToken(t, await app.call('/api/me', token), 'ERR_TOKEN_REVOKED')
    })
  })
}

t.test(
  'with an HS512 { secret } and the algorithm option, jose verifies the issued token',
  async (t) => {
    const app = await startApp(t, {
      keys: { secret: hs512.toString('base64') },
      algorithm: 'HS512',
    })
    const { access_token } = await app.login('alice')
    const kid = decodeProtectedHeader(access_token).kid as string
    const { payload } = await verifyWithJose(app, access_token, {
      algorithm: 'HS512',
      key: new Uint8Array(hs512),
      kid,
      options: {},
    })
    t.equal(payload.sub, 'alice')
  },
)
