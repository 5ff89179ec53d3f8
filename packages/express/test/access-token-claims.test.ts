/**
 * The verifier against hand-made tokens, part two: the claims. Each token is validly signed with
 * the app's key and names alice's live session, so only the claim under test can refuse it.
 */
import t from 'tap'
import { AUDIENCE, ISSUER, startApp } from './fixtures/app.js'
import { GOOD_HEADER, claimsOf, forge, forgeRaw, withRawClaim } from './fixtures/forge.js'
import { assertInvalidToken } from './fixtures/rejection.js'

t.test('the claims of an access token', async (t) => {
  const app = await startApp(t)
  const { access_token: issued } = await app.login('alice')
  const now = Math.floor(app.clock() / 1000)
  const me = (token: string) => app.call('/api/me', token)
  const withClaims = (changes: Record<string, unknown>) =>
    forge(GOOD_HEADER, claimsOf(issued, changes))
  const withRaw = (name: string, raw: string) =>
    forgeRaw(JSON.stringify(GOOD_HEADER), withRawClaim(claimsOf(issued), name, raw))

  t.test('the issued claims, re-signed by hand, are accepted', async (t) => {
    t.equal((await me(withClaims({}))).status, 200)
  })

  for (const iss of [
    undefined,
    'https://evil.test',
    `${ISSUER}/`,
    ISSUER.toUpperCase(),
    [ISSUER],
    '',
    null,
    1,
  ]) {
    t.test(`iss ${JSON.stringify(iss) ?? 'missing'} is refused`, async (t) => {
      await assertInvalidToken(t, await me(withClaims({ iss })))
    })
  }

  for (const aud of [
    undefined,
    'other-api',
    `${AUDIENCE} `,
    ['other-api'],
    [],
    [[AUDIENCE]],
    5,
    null,
    '',
  ]) {
    t.test(`aud ${JSON.stringify(aud) ?? 'missing'} is refused`, async (t) => {
      await assertInvalidToken(t, await me(withClaims({ aud })))
    })
  }

  for (const aud of [[AUDIENCE], ['other-api', AUDIENCE], [AUDIENCE, 'other-api']]) {
    t.test(`aud ${JSON.stringify(aud)}, an array containing ours, is accepted`, async (t) => {
      t.equal((await me(withClaims({ aud }))).status, 200)
    })
  }

  for (const name of ['sub', 'sid', 'jti']) {
    for (const value of [undefined, '', 5, null, ['x'], { id: 'x' }]) {
      t.test(`${name} ${JSON.stringify(value) ?? 'missing'} is refused`, async (t) => {
        await assertInvalidToken(t, await me(withClaims({ [name]: value })))
      })
    }
  }

  t.test('scope that is not a string is refused', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ scope: ['read', 'admin'] })))
  })

  t.test('a missing exp is refused', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ exp: undefined })))
  })

  t.test('a missing iat is refused', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ iat: undefined })))
  })

  // Values JSON.stringify can write, and number texts it cannot (1e400 parses to Infinity).
  const notNumbers: [string, string][] = [
    ['the string "NaN"', '"NaN"'],
    ['a numeric string', JSON.stringify(String(now + 60))],
    ['null', 'null'],
    ['true', 'true'],
    ['an array', `[${now + 60}]`],
    ['an object', `{"value":${now + 60}}`],
    ['1e400 (Infinity)', '1e400'],
    ['-1e400 (-Infinity)', '-1e400'],
  ]
  for (const name of ['exp', 'nbf', 'iat']) {
    for (const [description, raw] of notNumbers) {
      t.test(`${name} that is ${description} is refused`, async (t) => {
        // -Infinity for exp is a token that expired long ago; any other non-finite number or
        // non-number is simply invalid.
        const code = name === 'exp' && raw === '-1e400' ? 'ERR_TOKEN_EXPIRED' : 'ERR_TOKEN_INVALID'
        await assertInvalidToken(t, await me(withRaw(name, raw)), code)
      })
    }
  }

  t.test('nbf in the future beyond the leeway is refused', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ nbf: now + 10 })))
  })

  t.test('nbf in the future within the leeway is accepted', async (t) => {
    t.equal((await me(withClaims({ nbf: now + 3 }))).status, 200)
  })

  t.test('nbf in the past is accepted', async (t) => {
    t.equal((await me(withClaims({ nbf: now - 60 }))).status, 200)
  })

  t.test('iat in the future beyond the leeway is refused', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ iat: now + 10 })))
  })

  t.test('iat in the future within the leeway is accepted', async (t) => {
    t.equal((await me(withClaims({ iat: now + 3 }))).status, 200)
  })

  t.test('exp already past at issue is refused as expired', async (t) => {
    await assertInvalidToken(t, await me(withClaims({ exp: now - 60 })), 'ERR_TOKEN_EXPIRED')
  })
})

t.test('expiry and the leeway', async (t) => {
  t.test('a token expired beyond the leeway is refused as expired', async (t) => {
    const app = await startApp(t)
    const { access_token, expires_in } = await app.login('alice')
    app.clock.advance(expires_in + 6)
    await assertInvalidToken(t, await app.call('/api/me', access_token), 'ERR_TOKEN_EXPIRED')
  })

  t.test('a token 3 s past exp is accepted with a 5 s leeway', async (t) => {
    const app = await startApp(t, { leeway: 5 })
    const { access_token, expires_in } = await app.login('alice')
    app.clock.advance(expires_in + 3)
    t.equal((await app.call('/api/me', access_token)).status, 200)
  })

  t.test('a token is refused as expired at exp with no leeway', async (t) => {
    const app = await startApp(t, { leeway: 0 })
    const { access_token, expires_in } = await app.login('alice')
    app.clock.advance(expires_in - 1)
    t.equal((await app.call('/api/me', access_token)).status, 200, 'valid a second before exp')
    app.clock.advance(1)
    await assertInvalidToken(t, await app.call('/api/me', access_token), 'ERR_TOKEN_EXPIRED')
  })

  t.test('with no leeway, iat one second ahead is refused', async (t) => {
    const app = await startApp(t, { leeway: 0 })
    const { access_token } = await app.login('alice')
    const now = Math.floor(app.clock() / 1000)
    const ahead = forge(GOOD_HEADER, claimsOf(access_token, { iat: now + 1 }))
    await assertInvalidToken(t, await app.call('/api/me', ahead))
  })

  t.test('with no leeway, nbf one second ahead is refused', async (t) => {
    const app = await startApp(t, { leeway: 0 })
    const { access_token } = await app.login('alice')
    const now = Math.floor(app.clock() / 1000)
    const ahead = forge(GOOD_HEADER, claimsOf(access_token, { nbf: now + 1 }))
    await assertInvalidToken(t, await app.call('/api/me', ahead))
  })
})
