// examples/node-cli against this app as `start` runs it by default, in cookie mode: the CLI is a
// body client (no X-Baton-CSRF), so the same server hands it the refresh token in the body, and
// it logs in, restores, refreshes once after expiry and logs out exactly as before.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { SECRET, get } from './fixtures/app.js'
import { spawnNode } from './fixtures/child.js'

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url))
const CLI = fileURLToPath(new URL('../../node-cli/src/cli.js', import.meta.url))

t.test('the node-cli logs in, refreshes and logs out against the default server', async (t) => {
  const server = spawnNode(t, SERVER, {
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      BATON_SECRET: SECRET,
      BATON_DEMO_TOOLS: '1',
      BATON_REFRESH_COOKIE: undefined,
      REDIS_URL: undefined,
    },
  })
  const [, url] = await server.waitFor(
    /listening on (http:\/\/\S+) \(sessions in [^;]+; cookie mode;/,
  )
  t.teardown(() => server.child.kill('SIGTERM'))
  const dir = await mkdtemp(join(tmpdir(), 'baton-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'tokens.json')
  const cli = async (args = [], env = {}) => {
    const run = spawnNode(t, CLI, {
      args,
      env: {
        BATON_SERVER: url,
        BATON_TOKENS_FILE: file,
        BATON_USERNAME: undefined,
        BATON_PASSWORD: undefined,
        ...env,
      },
    })
    const { code } = await run.exited(20_000)
    return { code, stdout: run.stdout, stderr: run.stderr }
  }
  const counts = async () => (await get(`${url}/demo/stats`)).body.counts

  const first = await cli([], { BATON_USERNAME: 'alice', BATON_PASSWORD: 'alice-password' })
  t.equal(first.code, 0, first.stderr)
  t.match(
    first.stdout,
    /^alice \(session [\w-]{8}…\)\n$/,
    'a base64url sid prefix: - and _ included',
  )
  t.match(first.stderr, 'Logged in; tokens saved to')
  const saved = JSON.parse(await readFile(file, 'utf8'))
  t.type(saved.refreshToken, 'string', 'the refresh token came in the body, to the file')

  await fetch(`${url}/demo/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const second = await cli()
  t.equal(second.code, 0, second.stderr)
  t.equal(second.stdout, first.stdout, 'the same session')
  t.match(second.stderr, 'The access token had expired: refreshed it')
  t.match(await counts(), { login: 1, refresh: 1, rejected: 1 })

  const out = await cli(['logout'])
  t.equal(out.code, 0, out.stderr)
  t.match(await counts(), { revoked: 1 })
  for (const run of [first, second, out]) {
    t.notOk(run.stdout.includes(saved.refreshToken) || run.stderr.includes(saved.refreshToken))
  }
})
