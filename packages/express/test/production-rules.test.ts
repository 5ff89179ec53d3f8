// Bounds that catch configuration mistakes (issue 16): a grace in milliseconds, a production app
// on a random or guessable key. Each refusal is a TypeError that names the option.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createAuth } from '../src/index.js'
import { withNodeEnv } from './fixtures/node-env.js'

const random = () => randomBytes(32).toString('base64')

t.test('reuseGrace above 300 s is refused with a hint about units', async (t) => {
  t.throws(() => createAuth({ keys: { secret: random() }, reuseGrace: 10_000 }), {
    name: 'TypeError',
    message: /^reuseGrace must be at most 300 seconds \(it is in seconds, not milliseconds/,
  })
  t.doesNotThrow(() => createAuth({ keys: { secret: random() }, reuseGrace: 300 }))
})

for (const value of ['production', 'prod', 'Production', 'staging', 'Development']) {
  t.test(`NODE_ENV=${value} counts as production: no random key`, async (t) => {
    withNodeEnv(t, value)
    t.throws(() => createAuth(), { name: 'TypeError', message: /^keys is required when NODE_ENV=/ })
  })
}

for (const value of [undefined, '', 'development', 'test']) {
  t.test(`NODE_ENV=${String(value)} allows a random key, with a warning`, async (t) => {
    withNodeEnv(t, value)
    const warnings: string[] = []
    const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? '')
    process.on('warning', onWarning)
    t.teardown(() => void process.off('warning', onWarning))
    t.doesNotThrow(() => createAuth())
    await new Promise((resolve) => setImmediate(resolve))
    t.same(warnings, ['BATON_EPHEMERAL_KEY'])
  })
}

t.test('in production a secret that does not look random is refused', async (t) => {
  withNodeEnv(t, 'production')
  const weak = [
    Buffer.alloc(32).toString('base64'),
    Buffer.alloc(32, 'abcd').toString('base64'),
    Buffer.alloc(48, 'password').toString('base64url'),
  ]
  for (const secret of weak) {
    t.throws(() => createAuth({ keys: { secret } }), {
      name: 'TypeError',
      message: /^keys\.secret does not look random/,
    })
  }
  t.throws(() => createAuth({ keys: [{ kid: 'one', secret: weak[0] as string }] }), {
    message: /^keys\[0\]\.secret does not look random/,
  })
  t.doesNotThrow(() => createAuth({ keys: { secret: random() } }), 'a random key is fine')
})

t.test('outside production the same weak secret is allowed (tests, demos)', async (t) => {
  withNodeEnv(t, 'test')
  t.doesNotThrow(() => createAuth({ keys: { secret: Buffer.alloc(32).toString('base64') } }))
})
