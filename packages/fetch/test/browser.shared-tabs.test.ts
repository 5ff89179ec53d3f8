/**
 * In real headless Chromium: tabs that share one session act as one client. Several tabs on
 * localStorage through many rotations without a single reuse on the server, one refresh for all
 * tabs calling at once, a logout reaching every tab without a request, a duplicated tab (its
 * sessionStorage a copy), and a tab closed while it held the lock mid-refresh.
 *
 * Against the real @baton/express on 127.0.0.1, whose clock the test moves: each round expires
 * the access token *and* passes `reuseGrace`, so a tab that refreshed with a stale token would
 * end the session (`refresh_reused`) rather than be forgiven.
 */
import { existsSync } from 'node:fs'
import type express from 'express'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import {
  buildPackage,
  CHROMIUM,
  launchChromium,
  logIn,
  me,
  openTab,
  servePages,
} from './fixtures/chromium.js'
import { startApp } from './fixtures/express-app.js'
import { gate } from './fixtures/scripted-fetch.js'

/** accessTtl 60 + leeway 5, and past reuseGrace 10: expired, and no longer forgiven. */
const ROUND_SECONDS = 77
const ROUNDS = 20

// A browser, a build and many rounds: more than tap's default 30 s on a busy machine.
t.setTimeout(240_000)

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
} else {
  const dist = await buildPackage(t)

  const setup = async (t: Test, before: (app: express.Express) => void = () => undefined) => {
    const app = await startApp(t, {}, (server) => {
      before(server)
      servePages(dist)(server)
    })
    const context = await launchChromium(t)
    return { app, context, open: (query = '') => openTab(context, app.origin, query) }
  }
  const hasSession = (page: Page) => page.waitForFunction(() => window.api.tokens !== null)

  for (const count of [2, 3]) {
    t.test(`${count} tabs on localStorage through ${ROUNDS} rotations: no reuse`, async (t) => {
      const { app, open } = await setup(t)
      const tabs = await Promise.all(Array.from({ length: count }, () => open()))
      await logIn(tabs[0] as Page)
      await Promise.all(tabs.map(hasSession))
      for (let round = 1; round <= ROUNDS; round++) {
        app.clock.advance(ROUND_SECONDS)
        const statuses = await Promise.all(tabs.map(me))
        t.same(statuses, Array(count).fill(200), `round ${round}: every tab answered`)
      }
      t.equal(app.count('refresh_reused'), 0, 'no reuse: the session never ended')
      t.equal(app.count('refresh'), ROUNDS, 'one rotation per round, for all tabs')
      t.comment(
        `${count} tabs, ${ROUNDS} rounds: ${app.count('refresh')} rotations, ` +
          `${app.count('refresh_replayed')} replayed refreshes (answered with the same pair)`,
      )
    })
  }

  t.test('all tabs calling at once after expiry make one refresh', async (t) => {
    const { app, open } = await setup(t)
    const tabs = await Promise.all([open(), open(), open()])
    await logIn(tabs[0])
    await Promise.all(tabs.map(hasSession))
    app.clock.advance(ROUND_SECONDS)
    const statuses = await Promise.all(
      tabs.map((page) =>
        page.evaluate(() => Promise.all(Array.from({ length: 5 }, () => window.me()))),
      ),
    )
    t.same(statuses.flat(), Array(15).fill(200))
    t.equal(app.count('refresh'), 1)
    t.equal(app.count('refresh_reused'), 0)
  })

  t.test('a logout in one tab ends the session in every tab, without a request', async (t) => {
    const { app, open } = await setup(t)
    const tabs = await Promise.all([open(), open(), open()])
    await logIn(tabs[0])
    await Promise.all(tabs.map(hasSession))
    const [first, ...others] = tabs as [Page, ...Page[]]
    const started = Date.now()
    await first.evaluate(() => window.api.logout())
    await Promise.all(
      others.map((page) =>
        page.waitForFunction(() => window.api.tokens === null && window.ends.includes('elsewhere')),
      ),
    )
    t.comment(
      `logout reached ${others.length} other tabs ${Date.now() - started} ms after it began`,
    )
    t.equal(app.count('revoked'), 1, 'one revocation, by the tab that logged out')
    t.same(await Promise.all(others.map(me)), [401, 401], 'no token is sent any more')
  })

  t.test('a duplicated tab (sessionStorage copied) shares the session, no reuse', async (t) => {
    const { app, context, open } = await setup(t)
    const original = await open('?storage=session')
    await logIn(original)
    // window.open copies the opener's sessionStorage, as "Duplicate tab" does.
    const [duplicate] = await Promise.all([
      context.waitForEvent('page'),
      original.evaluate(() => void window.open('/tab.html?storage=session')),
    ])
    await duplicate.waitForSelector('body[data-ready="true"]', { state: 'attached' })
    await hasSession(duplicate)
    for (let round = 1; round <= 5; round++) {
      app.clock.advance(ROUND_SECONDS)
      t.same(await Promise.all([me(original), me(duplicate)]), [200, 200], `round ${round}`)
    }
    t.equal(app.count('refresh_reused'), 0)
    t.equal(app.count('refresh'), 5)
    await original.evaluate(() => window.api.logout())
    await duplicate.waitForFunction(() => window.api.tokens === null)
    t.equal(
      await duplicate.evaluate(() => sessionStorage.getItem('baton')),
      null,
      "cleared from the duplicate's copy too",
    )
  })

  t.test(
    'a tab closed while it holds the lock mid-refresh does not block the others',
    async (t) => {
      let holding = false
      const arrived: number[] = []
      const held = gate()
      const { app, open } = await setup(t, (server) => {
        server.use('/auth/refresh', (req, res, next) => {
          if (!holding) return next()
          arrived.push(Date.now())
          // A request whose tab is gone never reaches the server's refresh.
          void held.promise.then(() => (res.closed ? undefined : next()))
        })
      })
      const [doomed, survivor] = [await open(), await open()]
      await logIn(doomed)
      await hasSession(survivor)
      app.clock.advance(ROUND_SECONDS)
      holding = true
      await doomed.evaluate(() => void window.api.refresh().catch(() => undefined))
      await doomed.waitForFunction(() => true) // let the request go out
      while (arrived.length === 0) await new Promise((resolve) => setImmediate(resolve))
      const status = survivor.evaluate(() => window.me())
      holding = false
      await doomed.close({ runBeforeUnload: false })
      t.equal(await status, 200, 'the survivor got the lock and refreshed')
      held.open()
      t.equal(app.count('refresh'), 1)
      t.equal(app.count('refresh_reused'), 0)
    },
  )
}
