import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// The package is ESM-only; on Node ≥ 20.19 a CommonJS app can still require() it. This runs the
// built package (the root `test` script builds first) in a plain CommonJS child process.
t.test('a CommonJS app can require the built package', async (t) => {
  const script = `
    const { createAuth, LruSessionStore } = require('@baton/express')
    const auth = createAuth({ keys: { secret: Buffer.alloc(32, 5).toString('base64') }, store: new LruSessionStore() })
    auth.issue('cjs-user').then((tokens) => auth.verify(tokens.access_token)).then((info) => console.log(info.sub))
  `
  const result = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    // The child runs dist/, whose source maps point at src/: its coverage would be counted
    // against src/ at the line numbers of the last build. Coverage is the in-process tests' job.
    env: withoutCoverage(process.env),
  })
  t.equal(result.stderr.replace(/^.*ExperimentalWarning.*\n.*--trace-warnings.*\n?/m, ''), '')
  t.equal(result.stdout.trim(), 'cjs-user')
  t.equal(result.status, 0)
})

function withoutCoverage(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE: _coverage, NODE_OPTIONS: _tapHooks, ...rest } = env
  return rest
}
