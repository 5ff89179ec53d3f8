/**
 * Cookie mode in real headless Chromium, against the real @baton/express with `refreshCookie`:
 * the refresh token lives in the browser's cookie jar only — never in `document.cookie`,
 * `localStorage`, `sessionStorage` or `api.tokens` — and tabs act as one: rotations across two
 * tabs without a reuse, one refresh for tabs opening at once, a reload resumes the session with
 * one refresh, and a logout in one tab signs the others out.
 *
 * The server's clock is moved by the test: each round expires the access token *and* passes
 * `reuseGrace`, so a tab that refreshed with a stale cookie would end the session.
 */
import { existsSync } from 'node:fs'
import type { BrowserContext, Cookie, Page } from 'playwright-core'
import t, { type Test } from 'tap'
import {
  buildPackage,
  CHROMIUM,
  launchChromium,
  logIn,
  me,
  refreshCookie,
  openTab,
  servePages,
} from './fixtures/chromium.js'
import { startApp } from './fixtures/express-app.js'

/** accessTtl 60 + leeway 5, and past reuseGrace 10: expired, and no longer forgiven. */
const ROUND_SECONDS = 77
const ROUNDS = 4

t.setTimeout(240_000)

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
} else {
  const dist = await buildPackage(t)

  /** The app (cookie mode), a browser, and tabs of it on `host` (127.0.0.1 or localhost). */
  const setup = async (t: Test, host = '127.0.0.1') => {
    const app = await startApp(t, { refreshCookie: true }, servePages(dist))
    const origin = app.origin.replace('127.0.0.1', host)
    const context = await launchChromium(t)
    const open = () => openTab(context, origin, '', 'tab-cookie.html')
    return { app, context, origin, open }
  }

  /** Asserts that no page script of `tabs` can read the refresh token the cookie jar holds. */
  const assertUnreadable = async (
    t: Test,
    context: BrowserContext,
    origin: string,
    tabs: Page[],
    step: string,
  ): Promise<Cookie> => {
    const cookie = await refreshCookie(context, origin)
    t.ok(cookie?.value, `${step}: the browser holds the refresh cookie`)
    const token = cookie?.value as string
    for (const [index, tab] of tabs.entries()) {
      const readable = await tab.evaluate(() => window.readable())
      t.notOk(readable.includes(token), `${step}: tab ${index + 1} cannot read the refresh token`)
      t.notMatch(readable, /refreshToken|refresh_token/, `${step}: tab ${index + 1} has none`)
    }
    return cookie as Cookie
  }

  t.test(
    'two tabs: login, calls, rotations, logout — the refresh token never readable',
    async (t) => {
      const { app, context, origin, open } = await setup(t)
      const tabs = [await open(), await open()] as [Page, Page]
      await logIn(tabs[0])
      const cookie = await assertUnreadable(t, context, origin, tabs, 'after login')
      t.match(
        cookie,
        { httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth', domain: '127.0.0.1' },
        'HttpOnly, Secure, SameSite=Strict, Path = the mount path',
      )
      t.ok(cookie.expires > Date.now() / 1000, 'a persistent cookie (Max-Age)')
      // The other tab adopts the login's access token through the channel.
      await tabs[1].waitForFunction(() => window.api.tokens !== null)
      t.same(await Promise.all(tabs.map(me)), [200, 200])
      t.equal(app.count('refresh'), 0, 'no refresh needed for the second tab')

      for (let round = 1; round <= ROUNDS; round++) {
        app.clock.advance(ROUND_SECONDS)
        const before = (await refreshCookie(context, origin))?.value
        t.same(await Promise.all(tabs.map(me)), [200, 200], `round ${round}: both tabs answered`)
        t.not((await refreshCookie(context, origin))?.value, before, `round ${round}: rotated`)
        await assertUnreadable(t, context, origin, tabs, `round ${round}`)
      }
      t.equal(app.count('refresh'), ROUNDS, 'one rotation per round, for both tabs')
      t.equal(app.count('refresh_reused'), 0, 'no reuse')

      await tabs[0].evaluate(() => window.api.logout())
      await tabs[1].waitForFunction(
        () => window.api.tokens === null && window.ends.includes('elsewhere'),
      )
      t.same(await tabs[0].evaluate(() => window.ends), ['logout'])
      t.equal(await refreshCookie(context, origin), undefined, 'the server cleared the cookie')
      t.equal(app.count('revoked'), 1, 'the session ended at the server')
      t.same(await Promise.all(tabs.map(me)), [401, 401], 'signed out in both tabs')
      t.same(await Promise.all(tabs.map((tab) => tab.evaluate(() => window.errors))), [[], []])
    },
  )

  t.test('three tabs opening at once make one refresh between them', async (t) => {
    const { app, context, origin, open } = await setup(t)
    const login = await open()
    await logIn(login)
    await login.close()
    const tabs = await Promise.all([open(), open(), open()])
    t.same(
      await Promise.all(tabs.map((tab) => tab.evaluate(() => window.api.tokens))),
      [null, null, null],
      'new tabs start with no token',
    )
    t.same(await Promise.all(tabs.map(me)), [200, 200, 200])
    t.equal(app.count('refresh'), 1, 'one refresh for the three tabs')
    t.equal(app.count('refresh_reused'), 0)
    await assertUnreadable(t, context, origin, tabs, 'after the tabs opened')
  })

  t.test('a reload resumes the session with one refresh', async (t) => {
    const { app, context, origin, open } = await setup(t)
    const tab = await open()
    await logIn(tab)
    t.equal(await me(tab), 200)
    await tab.reload()
    await tab.waitForSelector('body[data-ready="true"]', { state: 'attached' })
    t.equal(await tab.evaluate(() => window.api.tokens), null, 'memory is gone with the page')
    t.equal(await me(tab), 200, 'still signed in')
    t.equal(app.count('refresh'), 1, 'one refresh')
    t.same(await tab.evaluate(() => window.ends), [])
    await assertUnreadable(t, context, origin, [tab], 'after the reload')
  })

  t.test('a new tab without a session is not logged in, after one refresh', async (t) => {
    const { app, open } = await setup(t)
    const tab = await open()
    t.same(await Promise.all([me(tab), me(tab)]), [401, 401], 'sent without a token')
    t.same(await tab.evaluate(() => window.ends), ['expired'])
    const refresh = app.events.filter(
      (event) => event.type === 'rejected' && event.reason === 'ERR_NO_REFRESH_COOKIE',
    )
    t.equal(refresh.length, 1, 'one refresh told there is no session')
    await logIn(tab)
    t.equal(await me(tab), 200, 'and a login starts one')
  })

  for (const host of ['localhost', '127.0.0.1'] as const) {
    t.test(`the Secure cookie is stored and sent on http://${host}`, async (t) => {
      const { app, context, origin, open } = await setup(t, host)
      const tab = await open()
      await logIn(tab)
      const cookie = await refreshCookie(context, origin)
      t.match(cookie, { secure: true, httpOnly: true, domain: host })
      t.comment(`http://${host}: Secure cookie ${cookie ? 'stored' : 'NOT stored'}`)
      t.equal(await tab.evaluate(() => window.api.refresh().then(() => 'ok')), 'ok')
      t.equal(app.count('refresh'), 1, 'and sent back: the refresh by the cookie worked')
    })
  }
}
