import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createAuth, type AuthOptions } from '../src/index.js'
import { SECRET } from './fixtures/app.js'
import { withNodeEnv } from './fixtures/node-env.js'

const keys = { secret: SECRET }

t.test('bad refreshCookie options fail at construction, naming the option', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['yes', /^refreshCookie must be a boolean or an object$/],
    [[], /^refreshCookie must be a boolean or an object$/],
    [{ maxAge: 5 }, /^unknown option "refreshCookie.maxAge"$/],
    [{ sameSite: 'none' }, /^refreshCookie.sameSite /],
    [{ sameSite: 'Strict' }, /^refreshCookie.sameSite /],
    [{ secure: 'yes' }, /^refreshCookie.secure /],
    [{ path: 'auth' }, /^refreshCookie.path /],
    [{ path: 5 }, /^refreshCookie.path /],
    [{ path: '/a;b' }, /^refreshCookie.path /],
    [{ name: 'a b' }, /^refreshCookie.name /],
    [{ name: '' }, /^refreshCookie.name /],
    [{ domain: 'bad domain' }, /^refreshCookie.domain /],
    [{ origins: 'https://app.example.com' }, /^refreshCookie.origins /],
    [{ origins: [] }, /^refreshCookie.origins /],
    [{ origins: ['https://app.example.com/'] }, /^refreshCookie.origins /],
    [{ origins: ['app.example.com'] }, /^refreshCookie.origins /],
    [{ origins: [5] }, /^refreshCookie.origins /],
  ]
  for (const [refreshCookie, message] of cases) {
    t.throws(
      () => createAuth({ keys, refreshCookie } as AuthOptions),
      { name: 'TypeError', message },
      JSON.stringify(refreshCookie),
    )
  }
})

t.test('secure: false is refused under production rules and allowed in development', async (t) => {
  withNodeEnv(t, 'production')
  const keys = { secret: randomBytes(32).toString('base64') }
  t.throws(() => createAuth({ keys, refreshCookie: { secure: false } }), {
    name: 'TypeError',
    message: /^refreshCookie.secure /,
  })
  t.doesNotThrow(() => createAuth({ keys, refreshCookie: { secure: true } }).close())
  process.env.NODE_ENV = 'development'
  t.doesNotThrow(() => createAuth({ keys, refreshCookie: { secure: false } }).close())
})
