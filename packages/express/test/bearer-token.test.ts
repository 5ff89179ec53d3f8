/**
 * The Authorization header (RFC 6750 §2.1: `Bearer 1*SP b64token`), `auth.optional()` and the
 * scope check: no credentials is a bare challenge, a malformed header a 400, a bad token a 401,
 * a missing scope a 403.
 */
import t from 'tap'
import type { Request } from 'express'
import { InvalidRequestError } from '../src/index.js'
import { bearerToken } from '../src/bearer-token.js'
import { ISSUER, startApp } from './fixtures/app.js'
import { asResponse, rawRequest } from './fixtures/raw-http.js'
import {
  assertInvalidToken,
  assertMalformedHeader,
  assertNoCredentials,
  assertRejection,
} from './fixtures/rejection.js'

t.test('the Authorization header', async (t) => {
  const app = await startApp(t)
  const { access_token: token } = await app.login('alice')
  const withHeader = (raw: string) => app.call('/api/me', undefined, { raw })

  t.test('no Authorization header is a 401 with a bare challenge', async (t) => {
    const response = await app.call('/api/me', undefined)
    await assertNoCredentials(t, response)
  })

  t.test('the bare challenge is exactly Bearer realm="…"', async (t) => {
    const response = await withHeader(
      `Basic ${Buffer.from('alice:alice-password').toString('base64')}`,
    )
    t.equal(response.headers.get('www-authenticate'), `Bearer realm="${ISSUER}"`)
    await assertNoCredentials(t, response)
  })

  for (const raw of [
    'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=',
    'Digest username="alice"',
    `Token ${token}`,
    `JWT ${token}`,
    `Bearer${token}`,
    'Basic',
  ]) {
    t.test(`another scheme (${raw.slice(0, 12)}…) counts as no bearer credentials`, async (t) => {
      await assertNoCredentials(t, await withHeader(raw))
    })
  }

  for (const [description, raw] of [
    ['a second word after the token', `Bearer ${token} extra`],
    ['a second token after a comma', `Bearer ${token}, Bearer ${token}`],
    ['a trailing comma', `Bearer ${token},`],
    ['a quoted token', `Bearer "${token}"`],
    ['a single-quoted token', `Bearer '${token}'`],
    ['a tab between scheme and token', `Bearer\t${token}`],
    ['a space and a tab between scheme and token', `Bearer \t${token}`],
    ['a tab inside the token', `Bearer ${token.slice(0, 20)}\t${token.slice(20)}`],
    ['an auth-param instead of a token', `Bearer token="${token}"`],
    ['a non-ASCII character in the token', `Bearer ${token}\u00e9`],
  ] as const) {
    t.test(`a Bearer header with ${description} is a 400 invalid_request`, async (t) => {
      await assertMalformedHeader(t, await withHeader(raw))
    })
  }

  t.test('Bearer with no token is a 400 invalid_request', async (t) => {
    await assertMalformedHeader(t, await withHeader('Bearer'))
  })

  t.test('Bearer followed only by spaces is a 400 invalid_request', async (t) => {
    // fetch would trim the spaces, so the bytes go out on a socket of our own.
    const raw = await rawRequest(app.base, 'GET /api/me HTTP/1.1\r\nAuthorization: Bearer    ')
    await assertMalformedHeader(t, asResponse(raw))
  })

  t.test(
    'trailing whitespace is HTTP’s optional whitespace, not part of the credentials',
    async (t) => {
      // RFC 9110 §5.5: a field value excludes leading and trailing whitespace; Node drops it
      // before the verifier runs, so these are the bare token.
      for (const trailer of [' ', '\t', '  \t ']) {
        const raw = await rawRequest(
          app.base,
          `GET /api/me HTTP/1.1\r\nAuthorization: Bearer ${token}${trailer}`,
        )
        t.equal(raw.status, 200, JSON.stringify(trailer))
      }
    },
  )

  t.test('bearerToken refuses trailing whitespace should any reach it', async (t) => {
    // Behind something that does not strip it (a proxy, a test harness), it is still malformed.
    for (const value of [`Bearer ${token} `, `Bearer ${token}\t`, `Bearer ${token}\n`]) {
      const request = { headers: { authorization: value } } as unknown as Request
      t.throws(
        () => bearerToken(request, ISSUER),
        InvalidRequestError,
        JSON.stringify(value.slice(-1)),
      )
    }
  })

  for (const [description, raw] of [
    ['a lowercase scheme', `bearer ${token}`],
    ['an uppercase scheme', `BEARER ${token}`],
    ['a mixed-case scheme', `bEaReR ${token}`],
    ['two spaces after the scheme', `Bearer  ${token}`],
    ['many spaces after the scheme', `Bearer        ${token}`],
  ] as const) {
    t.test(`a Bearer header with ${description} is accepted`, async (t) => {
      t.equal((await withHeader(raw)).status, 200)
    })
  }
})

t.test('auth.optional()', async (t) => {
  const app = await startApp(t)
  const { access_token: token } = await app.login('alice')
  const feed = (raw?: string) => app.call('/api/feed', undefined, raw === undefined ? {} : { raw })

  t.test('no credentials reach the handler as an anonymous viewer', async (t) => {
    const response = await feed()
    t.equal(response.status, 200)
    t.same(await response.json(), { viewer: null })
  })

  t.test('another scheme reaches the handler as an anonymous viewer', async (t) => {
    const response = await feed('Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=')
    t.equal(response.status, 200)
    t.same(await response.json(), { viewer: null })
  })

  t.test('a valid token reaches the handler as its user', async (t) => {
    const response = await feed(`Bearer ${token}`)
    t.equal(response.status, 200)
    t.same(await response.json(), { viewer: 'alice' })
  })

  t.test('a bad token is a 401, not an anonymous request', async (t) => {
    await assertInvalidToken(t, await feed(`Bearer ${token.slice(0, -2)}`))
  })

  t.test('a refresh token is a 401 of the wrong type, not an anonymous request', async (t) => {
    const { refresh_token } = await app.login('bob')
    await assertInvalidToken(t, await feed(`Bearer ${refresh_token}`), 'ERR_WRONG_TOKEN_TYPE')
  })

  t.test('a malformed Bearer header is a 400, not an anonymous request', async (t) => {
    await assertMalformedHeader(t, await feed(`Bearer\t${token}`))
  })

  t.test('an empty Bearer header is a 400, not an anonymous request', async (t) => {
    await assertMalformedHeader(t, await feed('Bearer'))
  })
})

t.test('auth.required({ scope })', async (t) => {
  const app = await startApp(t)

  t.test('a token with the scope passes', async (t) => {
    const { access_token } = await app.login('admin')
    const response = await app.call('/api/admin', access_token, { method: 'DELETE' })
    t.equal(response.status, 200)
    t.same(await response.json(), { ok: true })
  })

  t.test('a token without the scope is a 403 insufficient_scope naming it', async (t) => {
    const { access_token } = await app.login('alice')
    await assertRejection(t, await app.call('/api/admin', access_token, { method: 'DELETE' }), {
      status: 403,
      error: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
      scope: 'admin',
    })
  })

  t.test('no credentials on a scoped route is still a bare 401', async (t) => {
    await assertNoCredentials(t, await app.call('/api/admin', undefined, { method: 'DELETE' }))
  })

  t.test('a bad token on a scoped route is a 401, not a 403', async (t) => {
    await assertInvalidToken(t, await app.call('/api/admin', 'not.a.token', { method: 'DELETE' }))
  })
})

t.test('`Bearer <token>`, read in one slice, gives what every other spelling gives', async (t) => {
  const token = 'eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl'
  const read = (authorization: string) =>
    bearerToken({ headers: { authorization } } as unknown as Request, ISSUER)
  for (const spelling of [`Bearer ${token}`, `bearer ${token}`, `Bearer  ${token}`]) {
    t.equal(read(spelling), token, spelling.slice(0, 8))
  }
  for (const spelling of ['Bearer ', 'Bearer', 'Bearer  ']) {
    t.throws(() => read(spelling), { code: 'ERR_INVALID_REQUEST' }, JSON.stringify(spelling))
  }
})
