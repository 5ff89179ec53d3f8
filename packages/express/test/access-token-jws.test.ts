/**
 * The verifier against hand-made tokens, part one: the JWS itself — its algorithm, key, bytes,
 * segments, encoding, size and header. Every bad token is a 401 `invalid_token` with a stable
 * code, never a 500. Claims are in access-token-claims.test.ts, sessions in access-verifier.test.ts.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { InvalidTokenError } from '../src/index.js'
import { startApp } from './fixtures/app.js'
import {
  GOOD_HEADER,
  KID,
  b64url,
  claimsOf,
  fingerprint,
  flipBit,
  forge,
  forgeRaw,
  segmentBounds,
  signature,
} from './fixtures/forge.js'
import { assertInvalidToken, assertMalformedHeader } from './fixtures/rejection.js'

t.test('the JWS of an access token', async (t) => {
  const app = await startApp(t)
  const { access_token: issued, refresh_token } = await app.login('alice')
  const claims = claimsOf(issued)
  const me = (token: string) => app.call('/api/me', token)

  t.test('a hand-made token with the issued header and claims is accepted', async (t) => {
    // The control for every case below: each changes one thing from this token.
    const response = await me(forge(GOOD_HEADER, claims))
    t.equal(response.status, 200)
    t.equal(((await response.json()) as { sub: string }).sub, 'alice')
  })

  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const header = { ...GOOD_HEADER, alg }
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
    t.test(`alg ${alg} with an empty signature is refused`, async (t) => {
      await assertInvalidToken(t, await me(`${unsigned}.`))
    })
    t.test(`alg ${alg} with a valid HMAC signature is refused`, async (t) => {
      await assertInvalidToken(t, await me(forge(header, claims)))
    })
    t.test(`alg ${alg} with no signature segment at all is refused`, async (t) => {
      await assertInvalidToken(t, await me(unsigned))
    })
  }

  for (const [alg, hash] of [
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
    ['RS256', 'sha256'],
    ['ES256', 'sha256'],
    ['PS256', 'sha256'],
    ['hs256', 'sha256'],
    ['HS256 ', 'sha256'],
  ] as const) {
    t.test(
      `alg ${JSON.stringify(alg)}, outside the allow-list of an HS256 key, is refused`,
      async (t) => {
        // Signed with the right key bytes, so only the pinned algorithm can refuse it.
        await assertInvalidToken(t, await me(forge({ ...GOOD_HEADER, alg }, claims, { hash })))
      },
    )
  }

  for (const alg of [undefined, null, 256, ['HS256'], { name: 'HS256' }]) {
    t.test(`a header whose alg is ${JSON.stringify(alg) ?? 'missing'} is refused`, async (t) => {
      await assertInvalidToken(
        t,
        await me(forge({ typ: 'at+jwt', kid: KID, alg }, claims, { hash: 'sha256' })),
      )
    })
  }

  t.test('a token signed with another key under our kid is refused', async (t) => {
    await assertInvalidToken(t, await me(forge(GOOD_HEADER, claims, { key: randomBytes(32) })))
  })

  t.test('a token signed with another key under that key’s own kid is refused', async (t) => {
    const key = randomBytes(32)
    await assertInvalidToken(
      t,
      await me(forge({ ...GOOD_HEADER, kid: fingerprint(key) }, claims, { key })),
    )
  })

  const bounds = segmentBounds(issued)
  const names = ['header', 'payload', 'signature'] as const
  for (const [index, name] of names.entries()) {
    const { start, end } = bounds[index] as { start: number; end: number }
    const positions = { first: start, middle: Math.floor((start + end) / 2), last: end - 1 }
    for (const [where, position] of Object.entries(positions)) {
      t.test(`a flipped bit in the ${where} character of the ${name} is refused`, async (t) => {
        const tampered = flipBit(issued, position)
        t.not(tampered, issued)
        await assertInvalidToken(
          t,
          await me(tampered),
          // A flip in the header may land in `typ` and read as another type of token.
          name === 'header' ? ['ERR_TOKEN_INVALID', 'ERR_WRONG_TOKEN_TYPE'] : 'ERR_TOKEN_INVALID',
        )
      })
    }
  }

  t.test('a flipped bit anywhere in the token fails verification', async (t) => {
    // Every position, through the programmatic verifier (no HTTP round trip per position).
    let refused = 0
    for (let position = 0; position < issued.length; position++) {
      if (issued.charAt(position) === '.') continue
      const error = await app.auth.verify(flipBit(issued, position)).then(
        () => undefined,
        (error: unknown) => error,
      )
      if (
        error instanceof InvalidTokenError &&
        (error.code === 'ERR_TOKEN_INVALID' || error.code === 'ERR_WRONG_TOKEN_TYPE')
      ) {
        refused++
      } else {
        t.fail(`position ${position} was not refused as an invalid token`)
      }
    }
    t.equal(refused, issued.length - 2)
  })

  t.test('the untampered token is still accepted after the flips', async (t) => {
    t.equal((await me(issued)).status, 200)
  })

  const [h, p, s] = issued.split('.') as [string, string, string]
  for (const [description, token] of [
    ['two segments', `${h}.${p}`],
    ['one segment', p],
    ['four segments', `${issued}.${s}`],
    ['four segments, the last empty', `${issued}.`],
    ['five segments', `${h}.${p}.${s}.${h}.${p}`],
    ['an empty header segment', `.${p}.${s}`],
    ['an empty payload segment', `${h}..${s}`],
    ['an empty signature segment', `${h}.${p}.`],
    ['only dots', '..'],
  ] as const) {
    t.test(`a token of ${description} is refused`, async (t) => {
      await assertInvalidToken(t, await me(token))
    })
  }

  for (const [description, token] of [
    ['a + in the payload', `${h}.${p.slice(0, 5)}+${p.slice(6)}.${s}`],
    ['a / in the signature', `${h}.${p}.${s.slice(0, -1)}/`],
    ['= padding after the signature', `${issued}=`],
    ['== padding after the signature', `${issued}==`],
    ['a ~ in the payload', `${h}.${p.slice(0, 5)}~${p.slice(6)}.${s}`],
  ] as const) {
    t.test(`a token with ${description} is refused as invalid`, async (t) => {
      // Legal b64token characters (RFC 6750), so the header parses, but not base64url.
      await assertInvalidToken(t, await me(token))
    })
  }

  for (const [description, token] of [
    ['= padding inside the header segment', `${h}=.${p}.${s}`],
    ['a * in the payload', `${h}.${p.slice(0, 5)}*${p.slice(6)}.${s}`],
    ['a space inside the signature', `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`],
  ] as const) {
    t.test(`a token with ${description} is a malformed request`, async (t) => {
      // Outside RFC 6750's b64token: the Authorization header itself is malformed.
      await assertMalformedHeader(t, await me(token))
    })
  }

  t.test('the programmatic verifier refuses a * in the token as invalid', async (t) => {
    const error = await app.auth
      .verify(`${h}.${p.slice(0, 5)}*${p.slice(6)}.${s}`)
      .catch((e: unknown) => e)
    t.type(error, InvalidTokenError)
    t.equal((error as InvalidTokenError).code, 'ERR_TOKEN_INVALID')
  })

  for (const [description, headerText] of [
    ['not JSON', 'alg=HS256'],
    ['truncated JSON', JSON.stringify(GOOD_HEADER).slice(0, -1)],
    ['a JSON array', JSON.stringify([GOOD_HEADER])],
    ['a JSON string', JSON.stringify(JSON.stringify(GOOD_HEADER))],
    ['JSON null', 'null'],
    ['a JSON number', '256'],
    ['empty', ''],
  ] as const) {
    t.test(`a signed token whose header is ${description} is refused`, async (t) => {
      await assertInvalidToken(t, await me(forgeRaw(headerText, JSON.stringify(claims))))
    })
  }

  for (const [description, payloadText] of [
    ['not JSON', 'sub=alice'],
    ['truncated JSON', JSON.stringify(claims).slice(0, -1)],
    ['a JSON string', JSON.stringify('alice')],
    ['a JSON array', JSON.stringify([claims])],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['JSON true', 'true'],
    ['empty', ''],
  ] as const) {
    t.test(`a signed token whose payload is ${description} is refused`, async (t) => {
      await assertInvalidToken(t, await me(forgeRaw(JSON.stringify(GOOD_HEADER), payloadText)))
    })
  }

  /** A validly signed token of exactly `length` characters, padded with a claim. */
  const tokenOfLength = (length: number): string => {
    for (let pad = 0; pad < length; pad++) {
      for (const spaces of ['', ' ', '  ']) {
        const token = forgeRaw(
          JSON.stringify(GOOD_HEADER) + spaces,
          JSON.stringify({ ...claims, pad: 'x'.repeat(pad) }),
        )
        if (token.length === length) return token
        if (token.length > length + 4) break
      }
    }
    throw new Error(`no token of length ${length}`)
  }

  t.test('a valid token of exactly maxTokenLength (8192) characters is accepted', async (t) => {
    t.equal((await me(tokenOfLength(8192))).status, 200)
  })

  t.test('a validly signed token one character over maxTokenLength is refused', async (t) => {
    await assertInvalidToken(t, await me(tokenOfLength(8193)))
  })

  t.test('a token far over maxTokenLength is refused before parsing', async (t) => {
    // Not even base64url: it must be refused for its size, not for its shape.
    await assertInvalidToken(t, await me('a'.repeat(12_000)))
  })

  t.test('a custom maxTokenLength is the limit instead', async (t) => {
    const small = await startApp(t, { maxTokenLength: 512 })
    const { access_token } = await small.login('alice')
    t.ok(access_token.length < 512, 'the issued token fits')
    const padded = (length: number) => {
      const base = claimsOf(access_token)
      for (let pad = 0; pad < length; pad++) {
        for (const spaces of ['', ' ', '  ']) {
          const token = forgeRaw(
            JSON.stringify(GOOD_HEADER) + spaces,
            JSON.stringify({ ...base, pad: 'x'.repeat(pad) }),
          )
          if (token.length === length) return token
        }
      }
      throw new Error(`no token of length ${length}`)
    }
    t.equal((await small.call('/api/me', padded(512))).status, 200)
    await assertInvalidToken(t, await small.call('/api/me', padded(513)))
  })

  for (const crit of [['exp'], [], ['b64'], 'exp']) {
    t.test(`a header with crit ${JSON.stringify(crit)} is refused`, async (t) => {
      await assertInvalidToken(t, await me(forge({ ...GOOD_HEADER, crit, b64: true }, claims)))
    })
  }

  for (const typ of [
    'JWT',
    'jwt',
    'at+jwt ',
    'application/jwt',
    'at+jwt,JWT',
    5,
    null,
    ['at+jwt'],
    undefined,
  ]) {
    t.test(
      `typ ${JSON.stringify(typ) ?? 'missing'} is refused as the wrong token type`,
      async (t) => {
        await assertInvalidToken(
          t,
          await me(forge({ ...GOOD_HEADER, typ }, claims)),
          'ERR_WRONG_TOKEN_TYPE',
        )
      },
    )
  }

  for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT']) {
    t.test(`typ ${typ} is accepted`, async (t) => {
      t.equal((await me(forge({ ...GOOD_HEADER, typ }, claims))).status, 200)
    })
  }

  t.test('a refresh token used as an access token is the wrong token type', async (t) => {
    await assertInvalidToken(t, await me(refresh_token), 'ERR_WRONG_TOKEN_TYPE')
  })

  for (const kid of [
    undefined,
    null,
    5,
    [KID],
    { kid: KID },
    '',
    '../../x',
    '../../../../etc/passwd',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    `${KID} `,
    KID.slice(0, -1) + (KID.endsWith('A') ? 'B' : 'A'),
  ]) {
    t.test(`kid ${JSON.stringify(kid) ?? 'missing'} names no key and is refused`, async (t) => {
      // Signed with the real key: only the kid is wrong.
      await assertInvalidToken(t, await me(forge({ ...GOOD_HEADER, kid }, claims)))
    })
  }

  t.test('the refused tokens above left the real one working', async (t) => {
    t.equal((await me(issued)).status, 200)
    t.equal(signature(`${h}.${p}`), s, 'the fixture signs as the issuer does')
  })
})
