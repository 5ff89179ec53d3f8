// The session's life across runs of the CLI: one login, restores without logging in, one
// refresh per expired access token, and a login prompt once the refresh token has expired.
import { existsSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { startApi } from './fixtures/api.js'
import { runCli, tempDir } from './fixtures/cli.js'

const ALICE = { BATON_USERNAME: 'alice', BATON_PASSWORD: 'alice-password' }

const setup = async (t, settings) => {
  const api = await startApi(t, settings)
  const file = join(await tempDir(t), 'tokens.json')
  const cli = (options = {}) =>
    runCli({
      ...options,
      env: { BATON_SERVER: api.url, BATON_TOKENS_FILE: file, ...options.env },
    })
  return { api, file, cli }
}

/** Neither a token nor the password in what the CLI printed. */
const assertNoSecrets = async (t, file, ...runs) => {
  const saved = JSON.parse(await readFile(file, 'utf8'))
  for (const { stdout, stderr } of runs) {
    const printed = stdout + stderr
    t.notOk(printed.includes(saved.accessToken), 'no access token printed')
    t.notOk(printed.includes(saved.refreshToken), 'no refresh token printed')
    t.notOk(printed.includes('alice-password'), 'no password printed')
  }
}

t.test('logs in once, then restores the session without logging in', async (t) => {
  const { api, file, cli } = await setup(t)
  const first = await cli({ env: ALICE })
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stdout, `alice (session ${first.stdout.slice(15, 23)}…)\n`)
  t.match(first.stderr, 'No saved session: log in to')
  t.match(first.stderr, `Logged in; tokens saved to ${file} (mode 0600).`)
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the tokens file is private')

  // No credentials this time, and nothing on stdin: a login attempt would fail.
  const second = await cli()
  t.equal(second.code, 0, second.stderr)
  t.equal(second.stdout, first.stdout, 'the same session')
  t.match(
    second.stderr,
    /Restored the saved session from .* \(access token valid for 1[45] min\)\./,
  )
  t.notMatch(second.stderr, 'Logged in')
  t.match(await api.counts(), { login: 1, refresh: 0 })
  await assertNoSecrets(t, file, first, second)
})

t.test('an access token the server sees as expired costs exactly one refresh', async (t) => {
  const { api, file, cli } = await setup(t)
  await cli({ env: ALICE })
  const before = JSON.parse(await readFile(file, 'utf8'))
  await api.advance()

  // This machine's clock still says the token is fresh: it is sent, refused, and refreshed.
  const run = await cli()
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, 'access token valid for')
  t.match(run.stderr, 'The access token had expired: refreshed it')
  t.match(await api.counts(), { login: 1, refresh: 1 })
  const after = JSON.parse(await readFile(file, 'utf8'))
  t.not(after.refreshToken, before.refreshToken, 'the rotated tokens are saved')

  const next = await cli()
  t.equal(next.code, 0)
  t.notMatch(next.stderr, 'refreshed')
  t.match(await api.counts(), { login: 1, refresh: 1 }, 'no further refresh')
  await assertNoSecrets(t, file, run, next)
})

t.test(
  'two runs at once on one tokens file share the session: one refresh, no reuse',
  async (t) => {
    const { api, file, cli } = await setup(t)
    await cli({ env: ALICE })
    for (let round = 1; round <= 3; round++) {
      // Past the access token's life and the server's reuseGrace: a run that refreshed with a
      // refresh token the other had already rotated would end the session for both.
      await api.advance(900 + 60)
      const runs = await Promise.all([cli(), cli()])
      t.same(
        runs.map((run) => run.code),
        [0, 0],
        `round ${round}: both runs answered`,
      )
    }
    t.match(await api.counts(), { login: 1, refresh: 3, refresh_reused: 0 })
    t.notOk(existsSync(`${file}.lock`), 'no lock is left behind')
  },
)

t.test('an access token this machine sees as expired is refreshed before it is sent', async (t) => {
  const { api, file, cli } = await setup(t)
  await cli({ env: ALICE })
  const saved = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ ...saved, expiresAt: Date.now() - 1000 }))
  const run = await cli()
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, '(access token expired)')
  t.match(run.stderr, 'refreshed it')
  t.match(await api.counts(), { login: 1, refresh: 1, rejected: 0 }, 'no 401 on the way')
})

t.test('a short-lived access token is shown in seconds', async (t) => {
  const { cli } = await setup(t, { BATON_ACCESS_TTL: '45' })
  await cli({ env: ALICE })
  const run = await cli()
  t.match(run.stderr, /access token valid for \d\d s/)
})

t.test('saved tokens without an expiry are sent as they are', async (t) => {
  const { api, file, cli } = await setup(t)
  await cli({ env: ALICE })
  const { accessToken, refreshToken } = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ accessToken, refreshToken }))
  const run = await cli()
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, '(no expiry given)')
  t.match(await api.counts(), { login: 1, refresh: 0 })
})

t.test('once the refresh token has expired, it asks to log in again on stdin', async (t) => {
  const { api, file, cli } = await setup(t, { BATON_ACCESS_TTL: '60', BATON_REFRESH_TTL: '120' })
  await cli({ env: ALICE })
  await api.advance(121)
  const run = await cli({ input: 'alice\nalice-password\n' })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, 'The session has expired: log in again.\nUsername: \nPassword: \nLogged in;')
  t.match(run.stdout, /^alice \(session /)
  t.match(await api.counts(), { login: 2, refresh: 0 })
  await assertNoSecrets(t, file, run)
})

t.test('a refresh token this machine sees as expired leads to the prompt too', async (t) => {
  const { api, file, cli } = await setup(t)
  await cli({ env: ALICE })
  const saved = JSON.parse(await readFile(file, 'utf8'))
  const past = Date.now() - 1000
  await writeFile(file, JSON.stringify({ ...saved, expiresAt: past, refreshExpiresAt: past }))
  const run = await cli({ input: 'bob\nbob-password\n' })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, 'The session has expired: log in again.')
  t.match(run.stdout, /^bob \(session /)
  t.match(await api.counts(), { login: 2, refresh: 0 })
})

t.test('a wrong password at the prompt can be typed again', async (t) => {
  const { cli } = await setup(t)
  const run = await cli({ input: 'alice\nnope\nalice\nalice-password\n' })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, 'Wrong username or password; try again.')
  t.notOk((run.stdout + run.stderr).includes('nope'), 'no password printed, wrong ones either')
})

t.test('three wrong passwords at the prompt give up', async (t) => {
  const { file, cli } = await setup(t)
  const run = await cli({ input: 'alice\na\nalice\nb\nalice\nc\n' })
  t.equal(run.code, 1)
  t.match(run.stderr, 'Could not log in: wrong username or password.')
  await t.rejects(stat(file), { code: 'ENOENT' }, 'nothing saved')
})

t.test('wrong BATON_USERNAME/BATON_PASSWORD fail at once, without a prompt', async (t) => {
  const { cli } = await setup(t)
  const run = await cli({ env: { BATON_USERNAME: 'alice', BATON_PASSWORD: 'bob-password' } })
  t.equal(run.code, 1)
  t.notMatch(run.stderr, 'Username:')
  t.match(run.stderr, 'Could not log in: wrong username or password.')
})

t.test('no credentials and no answer on stdin: a clear failure', async (t) => {
  const { cli } = await setup(t)
  const run = await cli()
  t.equal(run.code, 1)
  t.match(run.stderr, 'Could not log in: no answer on stdin (BATON_USERNAME and BATON_PASSWORD')
})
