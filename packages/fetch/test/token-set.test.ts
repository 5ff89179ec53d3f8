// Behaviour 8, the format: TokenSet serializes with issuedAt/expiresAt (epoch ms), parses
// camelCase and RFC 6749 snake_case, treats "" as absent, and rejects garbage clearly — never
// showing a value in its message.
import { inspect } from 'node:util'
import t from 'tap'
import { TokenSet } from '../src/token-set.js'

const NOW = Date.UTC(2026, 0, 1)
const now = () => NOW

t.test('camelCase JSON round-trips through toJSON and parse', async (t) => {
  const tokens = new TokenSet({
    accessToken: 'access-value',
    refreshToken: 'refresh-value',
    expiresAt: NOW + 900_000,
    refreshExpiresAt: NOW + 86_400_000,
    scope: 'read write',
    issuedAt: NOW,
  })
  const json = tokens.toJSON()
  t.same(json, {
    accessToken: 'access-value',
    tokenType: 'Bearer',
    issuedAt: NOW,
    expiresAt: NOW + 900_000,
    refreshToken: 'refresh-value',
    refreshExpiresAt: NOW + 86_400_000,
    scope: 'read write',
  })
  t.same(TokenSet.parse(JSON.stringify(tokens)).toJSON(), json, 'from the JSON string')
  t.same(TokenSet.parse(json).toJSON(), json, 'from the object')
  t.equal(TokenSet.parse(tokens), tokens, 'a TokenSet is returned as is')
})

t.test('the smallest set: only an access token, of unknown age', async (t) => {
  const tokens = TokenSet.parse({ accessToken: 'a' }, { now })
  t.same(tokens.toJSON(), { accessToken: 'a', tokenType: 'Bearer' })
  t.equal(tokens.refreshToken, undefined)
  t.equal(tokens.expiresAt, undefined)
  t.equal(tokens.issuedAt, undefined, 'a restored set without issuedAt is of unknown age')
  t.equal(new TokenSet({ accessToken: 'a' }).issuedAt, undefined)
})

t.test('a token response was issued now, even without a lifetime', async (t) => {
  t.equal(TokenSet.parse({ access_token: 'a' }, { now }).issuedAt, NOW)
  t.equal(TokenSet.parse({ accessToken: 'a', expiresIn: 60 }, { now }).issuedAt, NOW)
  t.equal(TokenSet.parse({ accessToken: 'a', refresh_expires_in: 60 }, { now }).issuedAt, NOW)
})

t.test('an RFC 6749 token response is read, its lifetimes counted from now', async (t) => {
  const tokens = TokenSet.parse(
    {
      access_token: 'a',
      token_type: 'bearer',
      expires_in: 900,
      refresh_token: 'r',
      refresh_expires_in: '86400',
      scope: 'read',
    },
    { now },
  )
  t.same(tokens.toJSON(), {
    accessToken: 'a',
    tokenType: 'Bearer',
    issuedAt: NOW,
    expiresAt: NOW + 900_000,
    refreshToken: 'r',
    refreshExpiresAt: NOW + 86_400_000,
    scope: 'read',
  })
  const later = TokenSet.parse({ accessToken: 'a', expiresIn: 60, issuedAt: NOW + 1000 }, { now })
  t.equal(later.expiresAt, NOW + 61_000, 'relative to issuedAt when it is given')
})

t.test('a lifetime of 0 (Keycloak, for a token with no set end) is no known end', async (t) => {
  for (const zero of [0, '0']) {
    const tokens = TokenSet.parse(
      { access_token: 'a', expires_in: zero, refresh_token: 'r', refresh_expires_in: zero },
      { now },
    )
    t.equal(tokens.refreshExpiresAt, undefined, `refresh_expires_in: ${JSON.stringify(zero)}`)
    // A token dead on arrival is no lifetime a server means; read as 0, it had every request
    // refresh first. The server's 401 says when it ends.
    t.equal(tokens.expiresAt, undefined, `expires_in: ${JSON.stringify(zero)}`)
  }
  const camel = TokenSet.parse(
    { accessToken: 'a', refreshToken: 'r', refreshExpiresIn: 0 },
    { now },
  )
  t.equal(camel.refreshExpiresAt, undefined)
})

t.test('camelCase wins when both spellings are present', async (t) => {
  const tokens = TokenSet.parse({ accessToken: 'camel', access_token: 'snake' }, { now })
  t.equal(tokens.accessToken, 'camel')
})

t.test('empty strings count as absent', async (t) => {
  const tokens = TokenSet.parse(
    {
      accessToken: '',
      access_token: 'a',
      refreshToken: '',
      refresh_token: '',
      tokenType: '',
      scope: '',
      expiresAt: '',
      expires_in: '',
      refreshExpiresAt: '',
      issuedAt: '',
    },
    { now },
  )
  t.same(tokens.toJSON(), { accessToken: 'a', tokenType: 'Bearer', issuedAt: NOW })
  t.throws(() => TokenSet.parse({ accessToken: '' }), {
    name: 'TypeError',
    message: 'TokenSet.parse: accessToken is missing',
  })
})

t.test('garbage is rejected with a message naming the field, never a value', async (t) => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [42, /expected an object/],
    [['secret-in-array'], /expected an object/],
    ['{"access_token": "secret-in-broken-json"', /not valid JSON/],
    ['', /not valid JSON/],
    [{}, /accessToken is missing/],
    [{ access_token: 42 }, /accessToken must be a string/],
    [{ access_token: 'secret\r\nX-Injected: 1' }, /accessToken must be printable ASCII/],
    [{ access_token: 'secret-ünïcode' }, /accessToken must be printable ASCII/],
    [{ access_token: 'secret\u0000nul' }, /accessToken must be printable ASCII/],
    [{ accessToken: 'a', refreshToken: {} }, /refreshToken must be a string/],
    [{ accessToken: 'a', token_type: 'MAC' }, /tokenType must be "Bearer"/],
    [{ accessToken: 'a', scope: ['read'] }, /scope must be a string/],
    [{ accessToken: 'a', expiresAt: 'tomorrow' }, /expiresAt must be a time in epoch milliseconds/],
    [{ accessToken: 'a', expiresAt: NaN }, /expiresAt must be a time/],
    [
      { accessToken: 'a', expiresAt: 1_767_225_600 },
      /expiresAt must be a time in epoch milliseconds/,
    ],
    [{ accessToken: 'a', refreshExpiresAt: -1 }, /refreshExpiresAt must be/],
    [{ accessToken: 'a', issuedAt: true }, /issuedAt must be/],
    [{ accessToken: 'a', expires_in: -5 }, /expires_in must be a number of seconds/],
    [{ accessToken: 'a', expires_in: '15m' }, /expires_in must be a number of seconds/],
    [{ accessToken: 'a', refresh_expires_in: Infinity }, /refresh_expires_in must be/],
  ]
  for (const [input, message] of cases) {
    const error = (() => {
      try {
        TokenSet.parse(input, { now })
      } catch (error) {
        return error as Error
      }
      return undefined
    })()
    t.type(error, TypeError, inspect(input))
    t.match(error?.message, message)
    t.notMatch(error?.message, /secret|42|MAC|tomorrow|15m/, 'no value in the message')
  }
})

t.test('the constructor validates as parse does', async (t) => {
  t.throws(() => new TokenSet(null as never), { message: 'TokenSet: expected an object' })
  t.throws(() => new TokenSet({ accessToken: 7 } as never), {
    message: 'TokenSet: accessToken must be a string',
  })
  t.throws(() => new TokenSet({ accessToken: 'a', tokenType: 'dpop' }), {
    message: 'TokenSet: tokenType must be "Bearer"',
  })
})

t.test('util.inspect and console.log show no token', async (t) => {
  const tokens = new TokenSet({
    accessToken: 'access-secret',
    refreshToken: 'refresh-secret',
    expiresAt: NOW,
    issuedAt: NOW,
  })
  const shown = inspect(tokens)
  t.match(shown, /^TokenSet \{/)
  t.match(shown, /accessToken: '\[redacted\]'/)
  t.match(shown, /refreshToken: '\[redacted\]'/)
  t.match(shown, /expiresAt: 1767225600000/)
  t.notMatch(shown, /secret/)
  t.notMatch(inspect(new TokenSet({ accessToken: 'access-secret' })), /secret|refreshToken/)
  t.same(Object.keys(tokens).sort(), [
    'expiresAt',
    'issuedAt',
    'refreshExpiresAt',
    'scope',
    'tokenType',
  ])
  t.equal(tokens.accessToken, 'access-secret', 'the getters still give the tokens')
  t.equal(tokens.refreshToken, 'refresh-secret')
})
