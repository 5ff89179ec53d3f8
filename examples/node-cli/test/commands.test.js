// logout, usage, defaults and the failures that are not about the session.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { closedPort, listen, startApi } from './fixtures/api.js'
import { runCli, runCliInTerminal, tempDir } from './fixtures/cli.js'

const ALICE = { BATON_USERNAME: 'alice', BATON_PASSWORD: 'alice-password' }

t.test('logout revokes the session on the server and deletes the file', async (t) => {
  const api = await startApi(t)
  const dir = await tempDir(t)
  const args = ['--server', api.url, '--tokens', join(dir, 'tokens.json')]
  await runCli({ args, env: ALICE })
  const { accessToken } = JSON.parse(await readFile(join(dir, 'tokens.json'), 'utf8'))

  const out = await runCli({ args: ['logout', ...args] })
  t.equal(out.code, 0, out.stderr)
  t.match(out.stderr, 'Logged out: the session is revoked on the server and')
  t.match(await api.counts(), { revoked: 1 })
  await t.rejects(readFile(join(dir, 'tokens.json')), { code: 'ENOENT' })
  const me = await fetch(`${api.url}/api/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  t.equal(me.status, 401, 'the old access token is dead too')

  const again = await runCli({ args: ['logout', ...args] })
  t.equal(again.code, 0)
  t.match(again.stderr, 'Not logged in.')
})

t.test(
  'by default: http://localhost:3000 and .baton-tokens.json in the working directory',
  async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, '.baton-tokens.json'), '{"accessToken":"x"}')
    // logout with a saved session posts to the revocation endpoint of the default server; whether
    // or not something answers there, the local tokens are forgotten.
    const out = await runCli({ args: ['logout'], cwd: dir })
    t.equal(out.code, 0, out.stderr)
    t.match(out.stderr, `${join(dir, '.baton-tokens.json')} is deleted`)
  },
)

t.test('usage: --help, unknown commands and flags, a bad --server', async (t) => {
  const help = await runCli({ args: ['--help'] })
  t.equal(help.code, 0)
  t.match(help.stderr, /^Usage: baton-cli \[me \| logout\]/)
  for (const args of [['whoami'], ['me', 'extra'], ['--verbose'], ['--server', 'not a url']]) {
    const out = await runCli({ args })
    t.equal(out.code, 2, args.join(' '))
    t.match(out.stderr, /Usage: baton-cli|--server must be a URL/)
  }
})

t.test('no server at the address: a clear failure, status 1', async (t) => {
  const server = await closedPort()
  const dir = await tempDir(t)
  const out = await runCli({
    env: { ...ALICE, BATON_SERVER: server, BATON_TOKENS_FILE: join(dir, 't.json') },
  })
  t.equal(out.code, 1)
  t.match(out.stderr, `Could not reach ${server}: is the example API running`)
})

t.test('an unreadable tokens file is reported and replaced by a new login', async (t) => {
  const api = await startApi(t)
  const file = join(await tempDir(t), 'tokens.json')
  await writeFile(file, 'not json')
  const out = await runCli({ env: { ...ALICE, BATON_SERVER: api.url, BATON_TOKENS_FILE: file } })
  t.equal(out.code, 0, out.stderr)
  t.match(out.stderr, 'warning: TokenSet.parse: the input is not valid JSON')
  t.match(out.stderr, 'No saved session')
  t.match(JSON.parse(await readFile(file, 'utf8')), { accessToken: String })
})

/** A server that answers like the API, except where told otherwise. */
const oddServer = (t, { login = 200, me = 200 }) =>
  listen(t, (req, res) => {
    const json = (status, body) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const tokens = (n) => ({
      access_token: `access-${n}`,
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: `refresh-${n}`,
      refresh_expires_in: 3600,
    })
    if (req.url === '/auth/login') {
      if (login === 200) json(200, tokens(1))
      else json(login, { error: 'temporarily_unavailable' })
    } else if (req.url === '/auth/refresh') json(200, tokens(2))
    else if (me === 200) json(200, { sub: 'zed', sid: 'session-of-zed' })
    else json(me, { error: 'oops' })
  })

t.test('a login answered with neither 200 nor 401 fails with the status', async (t) => {
  const server = await oddServer(t, { login: 503 })
  const dir = await tempDir(t)
  const out = await runCli({
    env: { ...ALICE, BATON_SERVER: server, BATON_TOKENS_FILE: join(dir, 't.json') },
  })
  t.equal(out.code, 1)
  t.match(out.stderr, 'Could not log in: the server answered 503.')
})

t.test('GET /api/me failing is reported with its status', async (t) => {
  const server = await oddServer(t, { me: 500 })
  const dir = await tempDir(t)
  const out = await runCli({
    env: { ...ALICE, BATON_SERVER: server, BATON_TOKENS_FILE: join(dir, 't.json') },
  })
  t.equal(out.code, 1)
  t.match(out.stderr, 'GET /api/me answered 500')
})

t.test('refused again after a refresh: the library says so, the CLI passes it on', async (t) => {
  const server = await oddServer(t, { me: 401 })
  const dir = await tempDir(t)
  const out = await runCli({
    env: { ...ALICE, BATON_SERVER: server, BATON_TOKENS_FILE: join(dir, 't.json') },
  })
  t.equal(out.code, 1)
  t.match(out.stderr, 'Failed: The request was refused again with renewed tokens')
  t.notMatch(out.stderr, /access-\d|refresh-\d/, 'no token in the message')
})

t.test('the answer goes to stdout, the story to stderr', async (t) => {
  const server = await oddServer(t, {})
  const dir = await tempDir(t)
  const out = await runCli({
    env: { ...ALICE, BATON_SERVER: server, BATON_TOKENS_FILE: join(dir, 't.json') },
  })
  t.equal(out.code, 0)
  t.equal(out.stdout, 'zed (session session-…)\n')
})

t.test('the server gone while a saved session has expired: tokens kept, status 1', async (t) => {
  const api = await startApi(t)
  const file = join(await tempDir(t), 't.json')
  await runCli({ env: { ...ALICE, BATON_SERVER: api.url, BATON_TOKENS_FILE: file } })
  const saved = JSON.parse(await readFile(file, 'utf8'))
  await writeFile(file, JSON.stringify({ ...saved, expiresAt: Date.now() - 1000 }))
  const server = await closedPort()
  const out = await runCli({ env: { BATON_SERVER: server, BATON_TOKENS_FILE: file } })
  t.equal(out.code, 1)
  t.match(out.stderr, 'Could not refresh the session now')
  t.equal(JSON.parse(await readFile(file, 'utf8')).refreshToken, saved.refreshToken, 'kept')
})

t.test('the server gone while a saved session is fresh: a clear failure', async (t) => {
  const api = await startApi(t)
  const file = join(await tempDir(t), 't.json')
  await runCli({ env: { ...ALICE, BATON_SERVER: api.url, BATON_TOKENS_FILE: file } })
  const server = await closedPort()
  const out = await runCli({ env: { BATON_SERVER: server, BATON_TOKENS_FILE: file } })
  t.equal(out.code, 1)
  t.match(out.stderr, `Could not reach ${server}`)
})

t.test('at a real terminal the password is not echoed', async (t) => {
  const api = await startApi(t)
  const file = join(await tempDir(t), 't.json')
  const { code, screen } = await runCliInTerminal({
    env: { BATON_SERVER: api.url, BATON_TOKENS_FILE: file },
    typing: [
      [/Username: [^\n]*$/, 'alice\r'],
      [/Password: [^\n]*$/, 'alice-password\r'],
    ],
  })
  t.equal(code, 0, screen)
  t.match(screen, 'alice')
  t.notOk(screen.includes('alice-password'), 'the password never reaches the screen')
  t.match(screen, /alice \(session /)
})

t.test('Ctrl-C at the prompt stops the CLI with status 130', async (t) => {
  const api = await startApi(t)
  const file = join(await tempDir(t), 't.json')
  const { code } = await runCliInTerminal({
    env: { BATON_SERVER: api.url, BATON_TOKENS_FILE: file },
    typing: [[/Username: [^\n]*$/, '\x03']],
  })
  t.equal(code, 130)
})
