import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@baton/test-support'
import t from 'tap'

// The package is ESM-only; on Node ≥ 20.19 a CommonJS app can still require() it. This runs the
// built package (the root `test` script builds first) in a plain CommonJS child process, against
// a real redis-server.
t.test('a CommonJS app can require the built package', async (t) => {
  const server = await startRedisServer(t, { appendOnly: true }) // durable: no warning on stderr
  const script = `
    const { RedisSessionStore } = require('@baton/redis-store')
    const store = new RedisSessionStore({ url: ${JSON.stringify(server.url)} })
    const now = Date.now()
    const session = { sid: 'cjs-sid', sub: 'cjs-user', claims: {}, createdAt: now, lastUsedAt: now,
      expiresAt: now + 60000, refreshExpiresAt: now + 60000, generation: 0, rotatedAt: now }
    store.create(session, { maxPerSubject: 1, policy: 'reject', now })
      .then(() => store.get('cjs-sid', now))
      .then((found) => console.log(found.sub))
      .finally(() => store.close())
  `
  const result = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    // The child runs dist/, whose source maps point at src/: its coverage would be counted
    // against src/ at the line numbers of the last build. Coverage is the in-process tests' job.
    env: withoutCoverage(process.env),
    timeout: 10_000,
  })
  t.equal(result.stderr.replace(/^.*ExperimentalWarning.*\n.*--trace-warnings.*\n?/m, ''), '')
  t.equal(result.stdout.trim(), 'cjs-user')
  t.equal(result.status, 0)
})

function withoutCoverage(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, NODE_OPTIONS: _tapHooks, ...rest } = env
  return rest
}
