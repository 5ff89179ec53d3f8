import t from 'tap'
import { authOptionsFromEnv, createAuth } from '../src/index.js'

t.test('BATON_* variables become options', async (t) => {
  const secret = Buffer.alloc(32, 9).toString('base64url')
  const options = authOptionsFromEnv({
    BATON_SECRET: secret,
    BATON_ACCESS_TTL: '60',
    BATON_REFRESH_TTL: '3600',
    BATON_MAX_SESSIONS: '3',
    BATON_REUSE_GRACE: '0',
    BATON_ISSUER: 'https://env.test',
    BATON_AUDIENCE: 'env-api',
    UNRELATED: 'ignored',
  })
  t.same(options, {
    keys: { secret },
    accessTtl: 60,
    refreshTtl: 3600,
    maxSessionsPerUser: 3,
    reuseGrace: 0,
    issuer: 'https://env.test',
    audience: 'env-api',
  })
  const tokens = await createAuth(options).issue('alice')
  t.equal(tokens.expires_in, 60)
})

t.test('unset and empty variables leave the defaults', async (t) => {
  t.same(authOptionsFromEnv({ BATON_ACCESS_TTL: '  ', BATON_ISSUER: '' }), {})
  t.same(authOptionsFromEnv({}), {})
  t.type(authOptionsFromEnv(process.env), 'object', 'takes process.env as it is')
})

t.test('a passphrase and salt are read together', async (t) => {
  t.same(
    authOptionsFromEnv({ BATON_PASSPHRASE: 'a long enough passphrase', BATON_SALT: 'salty-salt' }),
    {
      keys: { passphrase: 'a long enough passphrase', salt: 'salty-salt' },
    },
  )
  t.throws(() => authOptionsFromEnv({ BATON_PASSPHRASE: 'a long enough passphrase' }), {
    message: /BATON_PASSPHRASE and BATON_SALT must be set together/,
  })
  t.throws(() => authOptionsFromEnv({ BATON_SALT: 'salty-salt' }), { message: /BATON_SALT/ })
  t.throws(
    () =>
      authOptionsFromEnv({
        BATON_SECRET: 'x',
        BATON_PASSPHRASE: 'a long enough passphrase',
        BATON_SALT: 's',
      }),
    { message: /not both/ },
  )
})

t.test('a variable that is not a number fails, naming it', async (t) => {
  t.throws(() => authOptionsFromEnv({ BATON_ACCESS_TTL: '15m' }), {
    name: 'TypeError',
    message: /BATON_ACCESS_TTL/,
  })
  t.throws(() => authOptionsFromEnv({ BATON_MAX_SESSIONS: 'ten' }), {
    message: /BATON_MAX_SESSIONS/,
  })
})

t.test('a weak BATON_SECRET fails at createAuth without echoing it', async (t) => {
  const weak = Buffer.alloc(16, 3).toString('base64')
  const error = t.throws(() => createAuth(authOptionsFromEnv({ BATON_SECRET: weak })))
  t.match(error, { message: /keys.secret is too weak/ })
  t.notMatch(String((error as Error).message), weak)
})

t.test(
  'BATON_REFRESH_COOKIE=1 turns the cookie transport on; 0 or unset leaves it off',
  async (t) => {
    t.same(authOptionsFromEnv({ BATON_REFRESH_COOKIE: '1' }), { refreshCookie: true })
    t.same(authOptionsFromEnv({ BATON_REFRESH_COOKIE: '0' }), {})
    t.same(authOptionsFromEnv({ BATON_REFRESH_COOKIE: ' ' }), {})
    t.throws(() => authOptionsFromEnv({ BATON_REFRESH_COOKIE: 'yes' }), {
      name: 'TypeError',
      message: /^BATON_REFRESH_COOKIE /,
    })
  },
)
