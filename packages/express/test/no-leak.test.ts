/**
 * No token, key or password ever leaves in an error: every failure path is driven with known
 * secrets, and each response (status line aside: headers and body), each emitted event, and each
 * thrown error (message, stack, JSON, `util.inspect` with its cause) is searched for them.
 */
import t, { type Test } from 'tap'
import {
  LruSessionStore,
  authOptionsFromEnv,
  createAuth,
  type AuthOptions,
  type Session,
} from '../src/index.js'
import { PASSWORDS, SECRET, startApp, type TestApp, type TokenBody } from './fixtures/app.js'
import { KEY, flipBit } from './fixtures/forge.js'
import { errorText, rejectionOf } from './fixtures/leaks.js'

const PASSWORD = PASSWORDS.alice as string
const WRONG_PASSWORD = 'wr0ng-Pa55word-7c1e-never-echo'

/** Every spelling of every secret a test knows: the key, the passwords, both tokens and their parts. */
function secretsOf(tokens: TokenBody[]): Record<string, string> {
  const secrets: Record<string, string> = {
    'the key (base64)': SECRET,
    'the key (base64url)': KEY.toString('base64url'),
    'the key (hex)': KEY.toString('hex'),
    'the key (raw bytes)': KEY.toString('latin1'),
    'the password': PASSWORD,
    'the wrong password': WRONG_PASSWORD,
  }
  for (const [index, { access_token, refresh_token }] of tokens.entries()) {
    const [, payload, signature] = access_token.split('.') as [string, string, string]
    secrets[`access token ${index}`] = access_token
    secrets[`access token ${index} payload`] = payload
    secrets[`access token ${index} signature`] = signature
    secrets[`refresh token ${index}`] = refresh_token
    secrets[`refresh token ${index} MAC`] = refresh_token.split('.')[2] as string
  }
  return secrets
}

function assertClean(t: Test, text: string, secrets: Record<string, string>, where: string) {
  const found = Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name)
  t.same(found, [], `no secret in ${where}`)
}

/** Headers and body of a response, as one searchable text. */
async function exposed(response: Response): Promise<string> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')
  return `${headers}\n\n${await response.text()}`
}

/** A real LRU store whose `get` can be made to fail with an error quoting whatever it was given. */
class QuotingStore extends LruSessionStore {
  failure: string | undefined
  override get(sid: string, now: number): Session | undefined {
    if (this.failure !== undefined) throw new Error(`store down while reading ${this.failure}`)
    return super.get(sid, now)
  }
}

t.test('HTTP failures echo no secret', async (t) => {
  const store = new QuotingStore({ max: 1000 })
  const app: TestApp = await startApp(t, { store, reuseGrace: 0 })
  const live = await app.login('alice')
  const rotated = await app.login('alice')
  const revoked = await app.login('alice')
  const next = (await (
    await app.post('/auth/refresh', { refresh_token: rotated.refresh_token })
  ).json()) as TokenBody
  // The client uses its new pair, so presenting the previous refresh token again is reuse.
  await app.call('/api/me', next.access_token)
  await app.call('/auth/logout', revoked.access_token, { method: 'POST' })
  const secrets = secretsOf([live, rotated, revoked])
  const tampered = flipBit(live.access_token, live.access_token.length - 1)
  const json = { 'content-type': 'application/json' }
  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  const cases: [string, () => Promise<Response>, number][] = [
    [
      'a wrong password (JSON)',
      () => app.post('/auth/login', { username: 'alice', password: WRONG_PASSWORD }),
      401,
    ],
    [
      'a wrong password (form)',
      () => app.post('/auth/login', `username=alice&password=${WRONG_PASSWORD}`, form),
      401,
    ],
    [
      'the key as the password',
      () => app.post('/auth/login', { username: 'alice', password: SECRET }),
      401,
    ],
    [
      'the right password under an unknown user',
      () => app.post('/auth/login', { username: 'mallory', password: PASSWORD }),
      401,
    ],
    [
      'a too-long password made of secrets',
      () =>
        app.post('/auth/login', {
          username: 'alice',
          password: `${PASSWORD}${SECRET}${live.access_token}`.repeat(4),
        }),
      400,
    ],
    [
      'a password of the wrong type',
      () => app.post('/auth/login', { username: 'alice', password: [PASSWORD, SECRET] }),
      400,
    ],
    [
      'the password as the username',
      () => app.post('/auth/login', { username: [PASSWORD], password: PASSWORD }),
      400,
    ],
    [
      'malformed JSON quoting the password',
      () => app.post('/auth/login', `{"username":"alice","password":"${PASSWORD}"`, json),
      400,
    ],
    [
      'malformed JSON quoting the key',
      () => app.post('/auth/login', `{"password":"${SECRET}" "x"}`, json),
      400,
    ],
    [
      'malformed JSON quoting a refresh token',
      () => app.post('/auth/refresh', `{"refresh_token":${live.refresh_token}}`, json),
      400,
    ],
    [
      'an oversized body of secrets',
      () =>
        app.post('/auth/login', {
          username: 'alice',
          password: `${PASSWORD}${SECRET}`.repeat(400),
        }),
      413,
    ],
    [
      'a body of secrets in an unsupported charset',
      () =>
        app.post('/auth/login', JSON.stringify({ username: 'alice', password: PASSWORD }), {
          'content-type': 'application/json; charset=koi8-r',
        }),
      415,
    ],
    ['a tampered access token', () => app.call('/api/me', tampered), 401],
    ['a revoked access token', () => app.call('/api/me', revoked.access_token), 401],
    ['a refresh token as the access token', () => app.call('/api/me', live.refresh_token), 401],
    ['the key as the access token', () => app.call('/api/me', SECRET), 401],
    [
      'an oversized token made of secrets',
      () => app.call('/api/me', `${live.access_token}.${SECRET}`.repeat(20).replaceAll('=', '')),
      401,
    ],
    [
      'a malformed header around the token',
      () => app.call('/api/me', undefined, { raw: `Bearer ${live.access_token} ${SECRET}` }),
      400,
    ],
    [
      'the password in a Basic header',
      () =>
        app.call('/api/me', undefined, {
          raw: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
        }),
      401,
    ],
    [
      'a token in the query string',
      () => app.call(`/api/me?access_token=${live.access_token}`, undefined),
      401,
    ],
    [
      'a valid token without the scope',
      () => app.call('/api/admin', live.access_token, { method: 'DELETE' }),
      403,
    ],
    [
      'a reused refresh token',
      () => app.post('/auth/refresh', { refresh_token: rotated.refresh_token }),
      400,
    ],
    [
      'an access token as the refresh token',
      () => app.post('/auth/refresh', { refresh_token: live.access_token }),
      400,
    ],
    [
      'a tampered refresh token',
      () =>
        app.post('/auth/refresh', {
          refresh_token: flipBit(live.refresh_token, live.refresh_token.length - 1),
        }),
      400,
    ],
    [
      'the key as the refresh token',
      () => app.post('/auth/refresh', { refresh_token: SECRET }),
      400,
    ],
    [
      'a repeated refresh token',
      () =>
        app.post(
          '/auth/refresh',
          `refresh_token=${live.refresh_token}&refresh_token=${SECRET}`,
          form,
        ),
      400,
    ],
    [
      'an unknown grant with a refresh token',
      () =>
        app.post(
          '/auth/refresh',
          `grant_type=password&refresh_token=${live.refresh_token}&password=${PASSWORD}`,
          form,
        ),
      400,
    ],
    [
      'a revoke with a repeated token',
      () =>
        app.post('/auth/revoke', `token=${live.refresh_token}&token=${live.access_token}`, form),
      400,
    ],
    [
      'an introspection with a repeated token',
      () => app.post('/auth/introspect', `token=${live.access_token}&token=${SECRET}`, form),
      400,
    ],
    [
      'a logout with a tampered token',
      () => app.call('/auth/logout', tampered, { method: 'POST' }),
      401,
    ],
    [
      'a session listing with a revoked token',
      () => app.call('/auth/sessions', revoked.access_token),
      401,
    ],
    [
      'a session delete naming a refresh token',
      () =>
        app.call(`/auth/sessions/${encodeURIComponent(live.refresh_token)}`, live.access_token, {
          method: 'DELETE',
        }),
      404,
    ],
  ]
  t.test('the search finds the tokens where they belong: a successful login', async (t) => {
    // The control: the same search over an answer that must carry tokens finds them.
    const response = await app.post('/auth/login', { username: 'alice', password: PASSWORD })
    const body = (await response.clone().json()) as TokenBody
    const text = await exposed(response)
    const found = Object.entries(secretsOf([body])).filter(([, value]) => text.includes(value))
    t.same(
      found.map(([name]) => name),
      Object.keys(secretsOf([body])).filter(
        (name) => name.startsWith('access') || name.startsWith('refresh'),
      ),
    )
  })

  for (const [description, request, status] of cases) {
    t.test(`${description} is answered without a secret`, async (t) => {
      const response = await request()
      t.equal(response.status, status)
      assertClean(t, await exposed(response), secrets, 'the response')
    })
  }

  t.test('an inactive introspection does not echo the token', async (t) => {
    const response = await app.post('/auth/introspect', { token: tampered })
    t.equal(response.status, 200)
    assertClean(t, await exposed(response), secrets, 'the response')
  })

  t.test('a revocation does not echo the token', async (t) => {
    const response = await app.post('/auth/revoke', { token: `${SECRET}${PASSWORD}` })
    t.equal(response.status, 200)
    assertClean(t, await exposed(response), secrets, 'the response')
  })

  t.test('a store error quoting the token is answered without it', async (t) => {
    store.failure = `${live.access_token} ${SECRET}`
    try {
      const response = await app.call('/api/me', live.access_token)
      t.equal(response.status, 503)
      assertClean(t, await exposed(response), secrets, 'the response')
    } finally {
      store.failure = undefined
    }
  })

  t.test('the events emitted along the way carry no secret', async (t) => {
    t.ok(app.events.some((event) => event.type === 'rejected'))
    t.ok(app.events.some((event) => event.type === 'refresh_reused'))
    assertClean(t, JSON.stringify(app.events), secrets, 'the events')
  })
})

t.test('an expired token is refused without a secret', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login('alice')
  app.clock.advance(tokens.expires_in + 60)
  const secrets = secretsOf([tokens])
  for (const response of [
    await app.call('/api/me', tokens.access_token),
    await app.call('/auth/logout', tokens.access_token, { method: 'POST' }),
    await app.call('/auth/sessions', tokens.access_token),
  ]) {
    t.equal(response.status, 401)
    assertClean(t, await exposed(response), secrets, 'the response')
  }
  assertClean(t, JSON.stringify(app.events), secrets, 'the events')
})

t.test('errors thrown by the programmatic API carry no secret', async (t) => {
  const store = new QuotingStore({ max: 1000 })
  const app = await startApp(t, { store, reuseGrace: 0 })
  const live = await app.login('alice')
  const rotated = await app.login('alice')
  const revoked = await app.login('alice')
  await app.auth.verify((await app.auth.refresh(rotated.refresh_token)).access_token)
  await app.auth.revokeSession(revoked.refresh_token.split('.')[0] as string)
  const secrets = secretsOf([live, rotated, revoked])
  const { auth } = app

  const cases: [string, () => unknown][] = [
    ['verify of a tampered token', () => auth.verify(flipBit(live.access_token, 40))],
    ['verify of a revoked token', () => auth.verify(revoked.access_token)],
    ['verify of a refresh token', () => auth.verify(live.refresh_token)],
    ['verify of the key', () => auth.verify(SECRET)],
    ['verify of a password', () => auth.verify(PASSWORD)],
    [
      'verify of an oversized string of secrets',
      () => auth.verify(`${live.access_token}${SECRET}`.repeat(100)),
    ],
    ['refresh of a reused refresh token', () => auth.refresh(rotated.refresh_token)],
    ['refresh of an access token', () => auth.refresh(live.access_token)],
    ['refresh of the key', () => auth.refresh(SECRET)],
    ['refresh of a tampered refresh token', () => auth.refresh(flipBit(live.refresh_token, 30))],
    ['issue with a registered claim set to the key', () => auth.issue('alice', { iss: SECRET })],
    ['issue with a sub made of the key', () => auth.issue(SECRET.repeat(10))],
    ['issue with a sub that is not a string', () => auth.issue([PASSWORD] as unknown as string)],
    [
      'issue with claims that are not an object',
      () => auth.issue('alice', [SECRET] as unknown as Record<string, unknown>),
    ],
    [
      'issue with a scope that is not a string',
      () => auth.issue('alice', { scope: 5, password: PASSWORD }),
    ],
    [
      'issue with oversized claims of secrets',
      () => auth.issue('alice', { blob: SECRET.repeat(200), password: PASSWORD }),
    ],
  ]
  for (const [description, call] of cases) {
    t.test(`${description} throws no secret`, async (t) => {
      const error = await rejectionOf(call)
      t.type(error, Error)
      assertClean(t, errorText(error), secrets, 'the error')
    })
  }

  t.test(
    'verify while the store fails with an error quoting the token throws no secret',
    async (t) => {
      store.failure = `${live.access_token} ${SECRET} ${PASSWORD}`
      try {
        const error = await rejectionOf(auth.verify(live.access_token))
        t.match(error, { code: 'ERR_STORE_UNAVAILABLE' })
        assertClean(t, errorText(error), secrets, 'the error')
      } finally {
        store.failure = undefined
      }
    },
  )

  t.test('the events emitted along the way carry no secret', async (t) => {
    assertClean(t, JSON.stringify(app.events), secrets, 'the events')
  })
})

t.test('createAuth and authOptionsFromEnv refuse bad keys without quoting them', async (t) => {
  const weak = Buffer.from('weak-key-16bytes').toString('base64')
  const passphrase = 'a-passphrase-of-30-characters!'
  const cases: [string, unknown, string[]][] = [
    ['a weak secret', { keys: { secret: weak } }, [weak]],
    ['a secret that is not base64', { keys: { secret: `${SECRET}!*` } }, [SECRET]],
    ['a secret too short for HS512', { keys: { secret: SECRET }, algorithm: 'HS512' }, [SECRET]],
    [
      'a weak Uint8Array secret',
      { keys: { secret: Buffer.from('weak-key-16bytes') } },
      ['weak-key-16bytes', weak],
    ],
    ['a number as the secret', { keys: { secret: 1234567890123 } }, ['1234567890123']],
    ['a string instead of a keys object', { keys: SECRET }, [SECRET]],
    ['a keyring entry with a weak secret', { keys: [{ kid: 'k1', secret: weak }] }, [weak]],
    ['a keyring entry with a bad kid', { keys: [{ kid: 'bad kid!', secret: SECRET }] }, [SECRET]],
    [
      'a keyring with a repeated kid',
      {
        keys: [
          { kid: 'k1', secret: SECRET },
          { kid: 'k1', secret: SECRET },
        ],
      },
      [SECRET],
    ],
    [
      'a keyring entry with a bad algorithm',
      { keys: [{ kid: 'k1', secret: SECRET, algorithm: 'none' }] },
      [SECRET],
    ],
    [
      'a short passphrase',
      { keys: { passphrase: 'short-phrase', salt: 'salty-salt' } },
      ['short-phrase'],
    ],
    ['a short salt', { keys: { passphrase, salt: 'salt' } }, [passphrase]],
    ['keys of the wrong shape', { keys: { secrte: SECRET } }, [SECRET]],
  ]
  for (const [description, options, quoted] of cases) {
    t.test(`${description} is refused without quoting it`, async (t) => {
      const error = await rejectionOf(() => createAuth(options as AuthOptions))
      t.type(error, TypeError)
      const text = errorText(error)
      t.same(
        quoted.filter((value) => text.includes(value)),
        [],
        'the bad key is not in the error',
      )
      assertClean(t, text, secretsOf([]), 'the error')
    })
  }

  for (const [description, env] of [
    ['both a secret and a passphrase', { BATON_SECRET: SECRET, BATON_PASSPHRASE: passphrase }],
    ['a passphrase without a salt', { BATON_PASSPHRASE: passphrase }],
    ['a number variable set to the key', { BATON_SECRET: SECRET, BATON_ACCESS_TTL: SECRET }],
  ] as const) {
    t.test(`authOptionsFromEnv with ${description} is refused without quoting it`, async (t) => {
      const error = await rejectionOf(() => authOptionsFromEnv(env))
      t.type(error, TypeError)
      const text = errorText(error)
      t.notOk(text.includes(passphrase), 'no passphrase')
      assertClean(t, text, secretsOf([]), 'the error')
    })
  }
})
