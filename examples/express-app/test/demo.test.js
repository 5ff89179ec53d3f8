// The README's main command's entry (src/demo.js) as a child process: the tour runs to the end,
// tells the one-refresh story, and the server then stays up until Ctrl-C unless asked to exit.
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { freePort } from '@baton/test-support'
import t from 'tap'
import { get } from './fixtures/app.js'
import { SECRET } from './fixtures/app.js'
import { spawnNode, spawnProcess } from './fixtures/child.js'

const DEMO = fileURLToPath(new URL('../src/demo.js', import.meta.url))
const ENV = {
  PORT: '0',
  HOST: undefined,
  REDIS_URL: undefined,
  BATON_SECRET: undefined,
  BATON_PASSPHRASE: undefined,
  BATON_DEMO_EXIT: undefined,
  BATON_REFRESH_COOKIE: undefined,
}

t.test('--tour-only tells the whole story and exits 0', async (t) => {
  const demo = spawnNode(t, DEMO, { args: ['--tour-only'], env: ENV })
  t.same(await demo.exited(), { code: 0, signal: null })
  const out = demo.stdout
  t.match(out, /Baton demo — serving http:\/\/localhost:\d+/)
  t.match(out, 'Sessions in the embedded LRU store, no configuration; a random signing key')
  t.match(out, 'Browsers: cookie mode, the refresh token in an httpOnly cookie')
  t.match(out, /POST \/auth\/login +→ 200/)
  t.match(
    out,
    /GET {2}\/api\/me +→ 401 ERR_TOKEN_EXPIRED\n.*POST \/auth\/refresh +→ 200\n.*GET {2}\/api\/me +→ 200/,
  )
  t.match(out, /GET {2}\/api\/me +→ 401 ERR_TOKEN_EXPIRED {2}× 20/)
  t.match(out, /POST \/auth\/refresh +→ 200\n/)
  t.match(out, /GET {2}\/api\/me +→ 200 {2}× 20/)
  t.match(
    out,
    '✔ ONE refresh served all 20 requests (client: 1 new token set, server: 1 refresh; 20/20 answered 200)',
  )
  t.match(out, /GET {2}\/api\/me +→ 401 ERR_TOKEN_REVOKED/)
  t.notOk(out.includes('\x1b['), 'no colours when stdout is not a terminal')
  t.notMatch(out, /eyJ/, 'no token is printed')
  t.equal(demo.stderr, '', 'no warnings')
})

t.test(
  'BATON_DEMO_EXIT=1 exits after the tour too; HOST, BATON_SECRET, BATON_REFRESH_COOKIE are honoured',
  async (t) => {
    const demo = spawnNode(t, DEMO, {
      env: {
        ...ENV,
        BATON_DEMO_EXIT: '1',
        HOST: '127.0.0.1',
        BATON_SECRET: SECRET,
        BATON_REFRESH_COOKIE: '0',
      },
    })
    t.equal((await demo.exited()).code, 0)
    t.match(demo.stdout, /serving http:\/\/127\.0\.0\.1:\d+/)
    t.match(demo.stdout, 'Sessions in the embedded LRU store, no configuration; keys from BATON_*.')
    t.match(demo.stdout, 'Browsers: body transport (BATON_REFRESH_COOKIE=0)')
    t.match(demo.stdout, 'ONE refresh served all 20 requests')
  },
)

t.test(
  'without the exit flag it keeps serving the page, counters at zero, until Ctrl-C',
  async (t) => {
    const demo = spawnNode(t, DEMO, { env: ENV })
    const [, url] = await demo.waitFor(
      /Still serving (http:\/\/\S+) — open it in a browser\. Ctrl-C to stop\./,
    )
    const page = await get(`http://127.0.0.1:${new URL(url).port}/`)
    t.equal(page.status, 200)
    t.match(page.body, '"demoTools":true')
    t.match(page.body, '"refreshCookie":true')
    // The tour ran on an instance of its own: the server the page talks to starts from zero.
    t.match(demo.stdout, 'ONE refresh served all 20 requests')
    const { body: stats } = await get(`http://127.0.0.1:${new URL(url).port}/demo/stats`)
    t.equal(stats.clockOffsetSeconds, 0, 'the tour moved no clock the page sees')
    t.same(
      Object.values(stats.counts),
      Object.values(stats.counts).map(() => 0),
      'no event counted',
    )
    t.same(stats.recent, [])
    demo.child.kill('SIGINT')
    t.same(await demo.exited(), { code: 0, signal: null })
  },
)

t.test('a bad setting stops the demo with a message, status 1', async (t) => {
  const demo = spawnNode(t, DEMO, { env: { ...ENV, BATON_ACCESS_TTL: 'forever' } })
  t.equal((await demo.exited()).code, 1)
  t.match(demo.stderr, 'Could not start the demo: BATON_ACCESS_TTL')
})

t.test('the tour does not claim one refresh when that is not what happened', async (t) => {
  // A refresh token that dies with the access token: each "expiry" ends the session, and the
  // client logs in again instead of refreshing.
  const demo = spawnNode(t, DEMO, {
    args: ['--tour-only'],
    env: { ...ENV, BATON_ACCESS_TTL: '60', BATON_REFRESH_TTL: '60' },
  })
  t.equal((await demo.exited()).code, 1)
  t.match(demo.stdout, '✘ expected one refresh for 20 requests')
  t.notMatch(demo.stdout, '✔')
})

t.test('a tour that cannot run says so and exits 1', async (t) => {
  // Nothing listens there: every store call fails, so the login answers 503.
  const port = await freePort()
  const demo = spawnNode(t, DEMO, {
    args: ['--tour-only'],
    env: { ...ENV, REDIS_URL: `redis://127.0.0.1:${port}` },
  })
  t.equal((await demo.exited()).code, 1)
  t.match(demo.stdout, 'Sessions in Redis (REDIS_URL)')
  t.match(demo.stderr, 'The tour failed')
})

t.test('with PORT unset and port 3000 taken, it picks a free port', async (t) => {
  // Hold 3000 for the moment the demo starts (if someone else holds it, so much the better).
  const holder = createServer()
  await new Promise((resolve) => {
    holder.once('error', resolve)
    holder.listen(3000, '127.0.0.1', resolve)
  })
  t.teardown(() => new Promise((resolve) => (holder.listening ? holder.close(resolve) : resolve())))
  const demo = spawnNode(t, DEMO, { args: ['--tour-only'], env: { ...ENV, PORT: undefined } })
  await demo.waitFor(/serving http:\/\/localhost:(?!3000\b)\d+/)
  holder.close()
  t.match(demo.stdout, 'Port 3000 is taken: using a free port instead.')
  t.equal((await demo.exited()).code, 0)
})

t.test('in a terminal the story is in colour', async (t) => {
  // util-linux `script` gives the demo a pseudo-terminal, as a reader's shell would.
  const demo = spawnProcess(
    t,
    'script',
    ['-qfec', `"${process.execPath}" "${DEMO}" --tour-only`, '/dev/null'],
    {
      // Node's hasColors() reports 2 colours when CI is set (as it is in CI): a reader's shell has no CI.
      env: {
        ...ENV,
        NO_COLOR: undefined,
        FORCE_COLOR: undefined,
        CI: undefined,
        TERM: 'xterm-256color',
      },
    },
  )
  t.equal((await demo.exited()).code, 0)
  t.match(demo.stdout, '\x1b[1mBaton demo\x1b[0m')
  t.match(demo.stdout, '\x1b[32m✔ ONE refresh served all 20 requests\x1b[0m')
})

t.test('an explicit PORT that is taken stops the demo with a message, status 1', async (t) => {
  const busy = createServer()
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => busy.close(resolve)))
  const demo = spawnNode(t, DEMO, { env: { ...ENV, PORT: String(busy.address().port) } })
  t.equal((await demo.exited()).code, 1)
  t.match(demo.stderr, /^Could not start the demo: listen EADDRINUSE/)
})
