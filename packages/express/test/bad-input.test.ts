/**
 * Bad input to every endpoint of `auth.router()`: missing and wrongly typed fields, empty and huge
 * strings, malformed or non-object JSON, oversized bodies, unsupported charsets and encodings,
 * repeated form fields, unknown grants, hostile session ids. Each is a 4xx with a JSON `error`
 * and a stable `code`; `authenticate` never sees a malformed login; and afterwards the session
 * that was live all along still works and the server still logs people in.
 */
import t, { type Test } from 'tap'
import type { Credentials } from '../src/index.js'
import { PASSWORDS, startApp } from './fixtures/app.js'
import { decode } from './fixtures/forge.js'
import { asResponse, rawRequest } from './fixtures/raw-http.js'
import {
  assertInvalidToken,
  assertMalformedHeader,
  assertNoCredentials,
  assertRejection,
} from './fixtures/rejection.js'

const JSON_TYPE = { 'content-type': 'application/json' }
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' }
const WRONG_TYPES: [string, unknown][] = [
  ['a number', 42],
  ['an array', ['alice']],
  ['an object', { value: 'alice' }],
  ['null', null],
  ['a boolean', true],
]
/** JSON texts that are not a JSON object. */
const NOT_OBJECTS: [string, string][] = [
  ['a JSON array', '["alice","alice-password"]'],
  ['an empty JSON array', '[]'],
  ['a JSON string', '"alice"'],
  ['JSON null', 'null'],
  ['a JSON number', '5'],
  ['JSON true', 'true'],
]
const MALFORMED_JSON: [string, string][] = [
  ['truncated JSON', '{"username":"alice","password":"alice-pass'],
  ['JSON with a trailing comma', '{"username":"alice",}'],
  ['single-quoted JSON', "{'username':'alice'}"],
  ['a bare word', 'undefined'],
  ['an unclosed brace', '{'],
]
/** Over the router's 16 KiB body limit. */
const HUGE = 'x'.repeat(17 * 1024)

const badRequest = (t: Test, response: Response) =>
  assertRejection(t, response, {
    status: 400,
    error: 'invalid_request',
    code: 'ERR_INVALID_REQUEST',
    challenge: false,
  })
const tooLarge = (t: Test, response: Response) =>
  assertRejection(t, response, {
    status: 413,
    error: 'invalid_request',
    code: 'ERR_BODY_TOO_LARGE',
    challenge: false,
  })
const unsupportedMedia = (t: Test, response: Response) =>
  assertRejection(t, response, {
    status: 415,
    error: 'invalid_request',
    code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    challenge: false,
  })

t.test('bad input to every endpoint', async (t) => {
  const credentials: Credentials[] = []
  const app = await startApp(t, {
    authenticate: (given) => {
      credentials.push(given)
      return PASSWORDS[given.username] === given.password
        ? { sub: given.username, claims: { role: 'user', scope: 'read' } }
        : null
    },
  })
  const alice = await app.login('alice')
  const bob = await app.login('bob')
  t.equal(credentials.length, 2, 'the two logins reached authenticate')
  const password = PASSWORDS.alice as string

  /** A request to /auth/login that must not reach `authenticate`. */
  const login = async (t: Test, body: unknown, headers?: Record<string, string>) => {
    const before = credentials.length
    const response = await app.post('/auth/login', body, headers)
    t.equal(credentials.length, before, 'authenticate was not called')
    return response
  }

  t.test('POST /auth/login', async (t) => {
    t.test('an empty JSON object is a 400', async (t) => {
      await badRequest(t, await login(t, {}))
    })
    t.test('a missing password is a 400', async (t) => {
      await badRequest(t, await login(t, { username: 'alice' }))
    })
    t.test('a missing username is a 400', async (t) => {
      await badRequest(t, await login(t, { password }))
    })
    t.test('no body at all is a 400', async (t) => {
      await badRequest(t, await login(t, undefined))
    })
    t.test('a text/plain body is not parsed, so its fields are missing: a 400', async (t) => {
      const text = JSON.stringify({ username: 'alice', password })
      await badRequest(t, await login(t, text, { 'content-type': 'text/plain' }))
    })
    for (const field of ['username', 'password']) {
      for (const [description, value] of WRONG_TYPES) {
        t.test(`${field} that is ${description} is a 400`, async (t) => {
          await badRequest(t, await login(t, { username: 'alice', password, [field]: value }))
        })
      }
    }
    for (const [field, value] of [
      ['username', ''],
      ['username', '   '],
      ['password', ''],
    ] as const) {
      t.test(`${field} ${JSON.stringify(value)} is a 400`, async (t) => {
        await badRequest(t, await login(t, { username: 'alice', password, [field]: value }))
      })
    }
    t.test('a username of 300 characters is a 400', async (t) => {
      await badRequest(t, await login(t, { username: 'a'.repeat(300), password }))
    })
    t.test('a password of 2000 characters is a 400', async (t) => {
      await badRequest(t, await login(t, { username: 'alice', password: 'p'.repeat(2000) }))
    })
    for (const [description, text] of [...MALFORMED_JSON, ...NOT_OBJECTS]) {
      t.test(`${description} is a 400`, async (t) => {
        await badRequest(t, await login(t, text, JSON_TYPE))
      })
    }
    t.test('a JSON object whose fields sit under __proto__ is a 400', async (t) => {
      const text = `{"__proto__":{"username":"alice","password":${JSON.stringify(password)}}}`
      await badRequest(t, await login(t, text, JSON_TYPE))
    })
    t.test('a form with the username twice is a 400', async (t) => {
      const form = `username=alice&username=bob&password=${password}`
      await badRequest(t, await login(t, form, FORM_TYPE))
    })
    t.test('a form with the password twice is a 400', async (t) => {
      const form = `username=alice&password=${password}&password=${password}`
      await badRequest(t, await login(t, form, FORM_TYPE))
    })
    t.test('a form with bracketed (extended) field names is a 400', async (t) => {
      const form = `username[value]=alice&password=${password}`
      await badRequest(t, await login(t, form, FORM_TYPE))
    })
    t.test('a JSON body over 16 KiB is a 413', async (t) => {
      await tooLarge(t, await login(t, { username: 'alice', password: HUGE }))
    })
    t.test('a form body over 16 KiB is a 413', async (t) => {
      await tooLarge(t, await login(t, `username=alice&password=${HUGE}`, FORM_TYPE))
    })
    t.test('a form with more than 32 fields is a 413', async (t) => {
      const form = Array.from({ length: 40 }, (_, index) => `f${index}=x`).join('&')
      await tooLarge(t, await login(t, `username=alice&password=${password}&${form}`, FORM_TYPE))
    })
    t.test('JSON in an unsupported charset is a 415', async (t) => {
      const text = JSON.stringify({ username: 'alice', password })
      await unsupportedMedia(
        t,
        await login(t, text, { 'content-type': 'application/json; charset=koi8-r' }),
      )
    })
    t.test('a form in an unsupported charset is a 415', async (t) => {
      const form = `username=alice&password=${password}`
      const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' }
      await unsupportedMedia(t, await login(t, form, headers))
    })
    t.test('an unsupported Content-Encoding is a 415', async (t) => {
      const text = JSON.stringify({ username: 'alice', password })
      await unsupportedMedia(
        t,
        await login(t, text, { ...JSON_TYPE, 'content-encoding': 'x-snappy' }),
      )
    })
    t.test('a wrong password reaches authenticate and is a 401 invalid_credentials', async (t) => {
      const before = credentials.length
      const response = await app.post('/auth/login', { username: 'alice', password: 'wrong' })
      t.equal(credentials.length, before + 1)
      await assertRejection(t, response, {
        status: 401,
        error: 'invalid_credentials',
        code: 'ERR_INVALID_CREDENTIALS',
        challenge: null,
      })
    })
  })

  t.test('POST /auth/refresh', async (t) => {
    const refresh = (body: unknown, headers?: Record<string, string>) =>
      app.post('/auth/refresh', body, headers)
    const invalidGrant = (t: Test, response: Response) =>
      assertRejection(t, response, {
        status: 400,
        error: 'invalid_grant',
        code: 'ERR_REFRESH_INVALID',
      })

    t.test('an empty JSON object is a 400', async (t) => {
      await badRequest(t, await refresh({}))
    })
    t.test('a form with only the grant type is a 400', async (t) => {
      await badRequest(t, await refresh('grant_type=refresh_token', FORM_TYPE))
    })
    for (const [description, value] of WRONG_TYPES) {
      t.test(`refresh_token that is ${description} is a 400`, async (t) => {
        await badRequest(t, await refresh({ refresh_token: value }))
      })
    }
    for (const value of ['', '   ']) {
      t.test(`refresh_token ${JSON.stringify(value)} is a 400`, async (t) => {
        await badRequest(t, await refresh({ refresh_token: value }))
      })
    }
    for (const [description, text] of [...MALFORMED_JSON, ...NOT_OBJECTS]) {
      t.test(`${description} is a 400`, async (t) => {
        await badRequest(t, await refresh(text, JSON_TYPE))
      })
    }
    t.test('a form with the refresh token twice is a 400', async (t) => {
      const form = `grant_type=refresh_token&refresh_token=${alice.refresh_token}&refresh_token=${alice.refresh_token}`
      await badRequest(t, await refresh(form, FORM_TYPE))
    })
    t.test('a form with the grant type twice is a 400 invalid_request', async (t) => {
      // RFC 6749 §5.2: a repeated parameter is invalid_request, whatever the grant.
      const form = `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${alice.refresh_token}`
      await badRequest(t, await refresh(form, FORM_TYPE))
    })
    for (const [description, value] of WRONG_TYPES) {
      t.test(`grant_type that is ${description} is a 400 invalid_request`, async (t) => {
        await badRequest(
          t,
          await refresh({ grant_type: value, refresh_token: alice.refresh_token }),
        )
      })
    }
    for (const grant of [
      'password',
      'authorization_code',
      'client_credentials',
      'REFRESH_TOKEN',
      '',
    ]) {
      t.test(`grant_type ${JSON.stringify(grant)} is a 400 unsupported_grant_type`, async (t) => {
        const form = `grant_type=${encodeURIComponent(grant)}&refresh_token=${alice.refresh_token}`
        await assertRejection(t, await refresh(form, FORM_TYPE), {
          status: 400,
          error: 'unsupported_grant_type',
          code: 'ERR_UNSUPPORTED_GRANT_TYPE',
        })
      })
    }
    t.test('a 15 000-character refresh token is a 400 invalid_grant', async (t) => {
      await invalidGrant(t, await refresh({ refresh_token: 'r'.repeat(15_000) }))
    })
    t.test('an access token as the refresh token is a 400 invalid_grant', async (t) => {
      await invalidGrant(t, await refresh({ refresh_token: alice.access_token }))
    })
    for (const [description, mangle] of [
      ['a tampered MAC', (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')],
      ['a leading-zero generation', (token: string) => token.replace('.0.', '.00.')],
      ['a negative generation', (token: string) => token.replace('.0.', '.-1.')],
      ['a huge generation', (token: string) => token.replace('.0.', '.99999999999999999999.')],
      ['a sid of __proto__', (token: string) => `__proto__.${token.split('.').slice(1).join('.')}`],
    ] as const) {
      t.test(`a refresh token with ${description} is a 400 invalid_grant`, async (t) => {
        await invalidGrant(t, await refresh({ refresh_token: mangle(alice.refresh_token) }))
      })
    }
    t.test('a JSON body over 16 KiB is a 413', async (t) => {
      await tooLarge(t, await refresh({ refresh_token: HUGE }))
    })
    t.test('JSON in an unsupported charset is a 415', async (t) => {
      const headers = { 'content-type': 'application/json; charset=iso-8859-1' }
      await unsupportedMedia(
        t,
        await refresh(JSON.stringify({ refresh_token: alice.refresh_token }), headers),
      )
    })
  })

  t.test('POST /auth/logout', async (t) => {
    const logout = (token: string | undefined, init: RequestInit & { raw?: string } = {}) =>
      app.call('/auth/logout', token, { method: 'POST', ...init })

    t.test('no credentials is a 401 with a bare challenge', async (t) => {
      await assertNoCredentials(t, await logout(undefined))
    })
    t.test('Basic credentials are a 401 with a bare challenge', async (t) => {
      await assertNoCredentials(t, await logout(undefined, { raw: 'Basic YWxpY2U6eA==' }))
    })
    t.test('a malformed Bearer header is a 400', async (t) => {
      await assertMalformedHeader(
        t,
        await logout(undefined, { raw: `Bearer ${alice.access_token} x` }),
      )
    })
    t.test('a garbage token is a 401 invalid_token', async (t) => {
      await assertInvalidToken(t, await logout('garbage'))
    })
    t.test('a refresh token is a 401 of the wrong token type', async (t) => {
      await assertInvalidToken(t, await logout(alice.refresh_token), 'ERR_WRONG_TOKEN_TYPE')
    })
    t.test('malformed JSON with a valid token is a 400 that ends no session', async (t) => {
      const response = await logout(alice.access_token, { headers: JSON_TYPE, body: '{"x":' })
      await badRequest(t, response)
      t.equal((await app.call('/api/me', alice.access_token)).status, 200)
    })
    t.test('a body over 16 KiB with a valid token is a 413 that ends no session', async (t) => {
      const body = JSON.stringify({ pad: HUGE })
      await tooLarge(t, await logout(alice.access_token, { headers: JSON_TYPE, body }))
      t.equal((await app.call('/api/me', alice.access_token)).status, 200)
    })
  })

  t.test('POST /auth/revoke', async (t) => {
    const revoke = (body: unknown, headers?: Record<string, string>) =>
      app.post('/auth/revoke', body, headers)

    t.test('an empty JSON object is a 400', async (t) => {
      await badRequest(t, await revoke({}))
    })
    t.test('a token_type_hint without a token is a 400', async (t) => {
      await badRequest(t, await revoke('token_type_hint=refresh_token', FORM_TYPE))
    })
    for (const [description, value] of WRONG_TYPES) {
      t.test(`token that is ${description} is a 400`, async (t) => {
        await badRequest(t, await revoke({ token: value }))
      })
    }
    t.test('an empty token is a 400', async (t) => {
      await badRequest(t, await revoke({ token: '' }))
    })
    for (const [description, text] of [...MALFORMED_JSON, ...NOT_OBJECTS]) {
      t.test(`${description} is a 400`, async (t) => {
        await badRequest(t, await revoke(text, JSON_TYPE))
      })
    }
    t.test('a form with the token twice is a 400', async (t) => {
      const form = `token=${bob.refresh_token}&token=${alice.refresh_token}`
      await badRequest(t, await revoke(form, FORM_TYPE))
    })
    t.test('a body over 16 KiB is a 413', async (t) => {
      await tooLarge(t, await revoke({ token: HUGE }))
    })
    t.test('a form in an unsupported charset is a 415', async (t) => {
      const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' }
      await unsupportedMedia(t, await revoke('token=x', headers))
    })
    for (const [description, token] of [
      ['an unknown token', 'garbage'],
      ['a 15 000-character token', 't'.repeat(15_000)],
      ['a token with an unknown hint', 'garbage'],
    ] as const) {
      t.test(`${description} is a 200 (RFC 7009 §2.2)`, async (t) => {
        const response = await revoke({ token, token_type_hint: 'id_token' })
        t.equal(response.status, 200)
        t.same(await response.json(), {})
      })
    }
  })

  t.test('POST /auth/introspect', async (t) => {
    const introspect = (body: unknown, headers?: Record<string, string>) =>
      app.post('/auth/introspect', body, headers)

    t.test('no token in the body and no Bearer header is a 400', async (t) => {
      await badRequest(t, await introspect({}))
    })
    for (const [description, value] of WRONG_TYPES) {
      t.test(`token that is ${description} is a 400`, async (t) => {
        await badRequest(t, await introspect({ token: value }))
      })
    }
    t.test('an empty token is a 400', async (t) => {
      await badRequest(t, await introspect({ token: '' }))
    })
    for (const [description, text] of [...MALFORMED_JSON, ...NOT_OBJECTS]) {
      t.test(`${description} is a 400`, async (t) => {
        await badRequest(t, await introspect(text, JSON_TYPE))
      })
    }
    t.test('a form with the token twice is a 400', async (t) => {
      const form = `token=${alice.access_token}&token=${bob.access_token}`
      await badRequest(t, await introspect(form, FORM_TYPE))
    })
    t.test('a malformed Bearer header with no body token is a 400 with a challenge', async (t) => {
      const response = await app.call('/auth/introspect', undefined, {
        method: 'POST',
        raw: `Bearer "${alice.access_token}"`,
      })
      await assertMalformedHeader(t, response)
    })
    t.test('a body over 16 KiB is a 413', async (t) => {
      await tooLarge(t, await introspect({ token: HUGE }))
    })
    t.test('a garbage token is a 200 inactive', async (t) => {
      const response = await introspect({ token: 'garbage' })
      t.equal(response.status, 200)
      t.same(await response.json(), { active: false })
    })
  })

  t.test('GET /auth/sessions', async (t) => {
    t.test('no credentials is a 401 with a bare challenge', async (t) => {
      await assertNoCredentials(t, await app.call('/auth/sessions', undefined))
    })
    t.test('a malformed Bearer header is a 400', async (t) => {
      await assertMalformedHeader(t, await app.call('/auth/sessions', undefined, { raw: 'Bearer' }))
    })
    t.test('a garbage token is a 401 invalid_token', async (t) => {
      await assertInvalidToken(t, await app.call('/auth/sessions', 'garbage'))
    })
    t.test('a query naming another user is ignored', async (t) => {
      const response = await app.call('/auth/sessions?sub=bob&sid=x', alice.access_token)
      t.equal(response.status, 200)
      const { sessions } = (await response.json()) as { sessions: { sid: string }[] }
      t.same(
        sessions.map((session) => session.sid),
        [decode(alice.access_token).payload.sid],
      )
    })
  })

  t.test('DELETE /auth/sessions/:sid', async (t) => {
    const remove = (sid: string) =>
      app.call(`/auth/sessions/${sid}`, alice.access_token, { method: 'DELETE' })
    const notFound = (t: Test, response: Response) =>
      assertRejection(t, response, {
        status: 404,
        error: 'not_found',
        code: 'ERR_SESSION_NOT_FOUND',
      })

    t.test('no credentials is a 401 with a bare challenge', async (t) => {
      const response = await app.call('/auth/sessions/anything', undefined, { method: 'DELETE' })
      await assertNoCredentials(t, response)
    })
    t.test('another user’s session is a 404 and stays alive', async (t) => {
      await notFound(t, await remove(decode(bob.access_token).payload.sid as string))
      t.equal((await app.call('/api/me', bob.access_token)).status, 200)
    })
    for (const sid of [
      'unknown',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      '..%2F..%2Fsessions',
      '%00',
      '%20',
      'a'.repeat(4000),
      encodeURIComponent(alice.refresh_token),
    ]) {
      t.test(`sid ${JSON.stringify(sid.slice(0, 24))} is a 404`, async (t) => {
        await notFound(t, await remove(sid))
      })
    }
    t.test('a sid that is not valid percent-encoding is a 400', async (t) => {
      const raw = await rawRequest(
        app.base,
        `DELETE /auth/sessions/%E0%A4%A HTTP/1.1\r\nAuthorization: Bearer ${alice.access_token}`,
      )
      await badRequest(t, asResponse(raw))
    })
    t.test('DELETE /auth/sessions with no credentials is a 401', async (t) => {
      await assertNoCredentials(
        t,
        await app.call('/auth/sessions', undefined, { method: 'DELETE' }),
      )
    })
  })

  t.test('after all of it, the session that was live still works', async (t) => {
    const me = await app.call('/api/me', alice.access_token)
    t.equal(me.status, 200)
    t.equal(((await me.json()) as { sub: string }).sub, 'alice')
    const refreshed = await app.post('/auth/refresh', { refresh_token: alice.refresh_token })
    t.equal(refreshed.status, 200)
  })

  t.test('after all of it, a fresh login works', async (t) => {
    const before = credentials.length
    const fresh = await app.login('alice')
    t.equal(credentials.length, before + 1)
    t.equal((await app.call('/api/me', fresh.access_token)).status, 200)
  })

  t.test('authenticate only ever saw well-formed credentials', async (t) => {
    for (const given of credentials) {
      t.type(given.username, 'string')
      t.type(given.password, 'string')
      t.ok(given.username.length > 0 && given.username.length <= 256)
    }
    // The three logins and the one wrong password.
    t.equal(credentials.length, 4)
  })
})
