// The demo in its default cookie mode, in real headless Chromium, on http://localhost (the URL
// the demo prints): two tabs share one session across rotations, a logout in one signs the other
// out, and no page script can ever read the refresh token. Also: the page `pnpm demo` serves
// after its terminal tour starts from zero.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { get, startApp } from './fixtures/app.js'
import {
  ARTIFACTS,
  browserFor,
  launchBrowser,
  openPage,
  problemsOf,
  waitForText,
  watchProblems,
} from './fixtures/browser.js'
import { spawnNode } from './fixtures/child.js'

const DEMO = fileURLToPath(new URL('../src/demo.js', import.meta.url))

const browser = await browserFor(t)
if (browser !== undefined) {
  const { context } = browser
  const text = (page, selector) => page.locator(selector).textContent()
  const stats = async (port) => (await get(`http://127.0.0.1:${port}/demo/stats`)).body.counts
  const noProblems = (t, page) =>
    t.same(problemsOf(page), [], 'no script errors, no CSP violations')

  /** The refresh cookie as the browser holds it; undefined when there is none. */
  const refreshCookie = async () =>
    (await context.cookies()).find((cookie) => cookie.name === 'baton_refresh')

  /** Everything a script on `page` can read, and the page's HTML, as one string. */
  const readable = (page) =>
    page.evaluate(() =>
      [
        document.cookie,
        JSON.stringify({ ...localStorage }),
        JSON.stringify({ ...sessionStorage }),
        document.documentElement.outerHTML,
      ].join('\n'),
    )

  t.test(
    'two tabs: login, calls, 3+ rotations, one logout signs both out; scripts never see the refresh token',
    async (t) => {
      t.teardown(() => context.clearCookies())
      const { port } = await startApp(t, { demoTools: true, env: { BATON_ACCESS_TTL: '60' } })
      const url = `http://localhost:${port}/`
      /** Every refresh token the browser held, to search the pages for. */
      const seen = new Set()
      const tabs = []
      const checkNothingReadable = async (step) => {
        const cookie = await refreshCookie()
        if (cookie !== undefined) seen.add(cookie.value)
        for (const page of tabs) {
          const all = await readable(page)
          t.notOk(
            [...seen].some((token) => all.includes(token)),
            `${step}: no refresh token in document.cookie, localStorage, sessionStorage or the page`,
          )
        }
      }

      const { page: one } = await openPage(t, context, url)
      tabs.push(one)
      t.equal(await text(one, '#client-refreshes'), '0', 'counters start at zero')
      await waitForText(one, '#server-refreshes', /^0$/)
      t.equal(await refreshCookie(), undefined, 'no cookie before login')
      t.match(
        await text(one, '#log'),
        /No session in the refresh cookie.*POST \/auth\/refresh → 400/s,
      )
      t.ok(await one.locator('#insecure').isHidden(), 'localhost is a secure context')

      await one.click('#login')
      await waitForText(one, '#me-result', /"sub": "alice"/)
      const cookie = await refreshCookie()
      t.match(
        cookie,
        { domain: 'localhost', path: '/auth', httpOnly: true, secure: true, sameSite: 'Strict' },
        'Chromium stored the Secure, HttpOnly cookie on http://localhost, for /auth only',
      )
      t.ok(cookie.value.length > 20, 'a refresh token is there to look for')
      t.equal(await text(one, '#read-cookie'), '(empty)', 'document.cookie shows nothing')
      t.equal(await text(one, '#read-local'), '(empty)')
      t.equal(await text(one, '#read-session'), '(empty)')
      t.match(await text(one, '#read-access'), /^expires \d\d:\d\d:\d\d \(in 0[01]:\d\d\)$/)
      t.match(await text(one, '#read-verdict'), 'Refresh token: not readable here')
      await checkNothingReadable('after login')

      // Rotation 1, in tab one: the server clock passes the access token's life.
      await one.click('#expire')
      await one.click('#call-me')
      await waitForText(one, '#client-refreshes', /^1$/)
      await waitForText(one, '#me-result', /^200 OK/)
      t.match(await text(one, '#last-rotation'), /by this tab/)
      await checkNothingReadable('after the first rotation')

      // A second tab, opened from the page: no token in its memory, the cookie signs it in.
      const [two] = await Promise.all([context.waitForEvent('page'), one.click('#open-tab')])
      watchProblems(two)
      t.teardown(() => two.close())
      tabs.push(two)
      await two.waitForSelector('body[data-ready="true"]')
      await waitForText(two, '#me-result', /"sub": "alice"/)
      t.match(await text(two, '#log'), 'Restored the session from the refresh cookie')
      t.not(await text(two, '#tab-name'), await text(one, '#tab-name'), 'tabs have their names')
      await checkNothingReadable('with two tabs')

      // Rotation 2 and 3 (at least): a stampede in tab two, then tab one calls again.
      await two.click('#stampede')
      const result = two.locator('#stampede-result')
      await result.waitFor({ state: 'visible' })
      t.match(await result.evaluate((element) => ({ ...element.dataset })), {
        serverRefreshes: '1',
        ok: '20',
      })
      await one.click('#expire')
      await one.click('#call-me')
      await waitForText(one, '#me-result', /^200 OK/)
      await two.click('#call-me')
      await waitForText(two, '#me-result', /^200 OK/)
      const counts = await stats(port)
      t.ok(counts.refresh >= 3, `3+ rotations across the two tabs (${counts.refresh})`)
      t.match(counts, { login: 1, refresh_reused: 0 }, 'one login, no reuse, nobody logged out')
      t.ok(seen.size >= 3, `the browser held ${seen.size} successive refresh tokens`)
      t.equal(await text(one, '#who'), 'alice')
      t.equal(await text(two, '#who'), 'alice')
      await checkNothingReadable('after the rotations')
      await one.screenshot({ path: `${ARTIFACTS}demo-cookie-tab-one.png`, fullPage: true })
      await two.screenshot({ path: `${ARTIFACTS}demo-cookie-tab-two.png`, fullPage: true })

      // Logout in tab one: tab two is signed out at once, with no click of its own.
      await one.click('#logout')
      await waitForText(one, '#me-result', /^401 ERR_TOKEN_REVOKED/)
      await two.locator('#login-form').waitFor({ state: 'visible', timeout: 5_000 })
      await waitForText(two, '#log', /Logged out in another tab/)
      t.ok(await two.locator('#logout').isHidden(), 'tab two shows the login form')
      t.equal(await refreshCookie(), undefined, 'the server cleared the cookie')
      t.match(await stats(port), { revoked: 1 })
      await two.click('#call-me')
      await waitForText(two, '#me-result', /^401 Unauthorized: no session/)
      await checkNothingReadable('after logout')
      await two.screenshot({ path: `${ARTIFACTS}demo-cookie-signed-out-elsewhere.png` })

      // A positive control: the search finds a refresh token once a script does put one in storage.
      const planted = [...seen][0]
      await two.evaluate((token) => localStorage.setItem('planted', token), planted)
      t.ok((await readable(two)).includes(planted), 'the search finds a planted refresh token')
      await waitForText(two, '#read-local', /^planted: /)
      await two.evaluate(() => localStorage.removeItem('planted'))
      noProblems(t, one)
      noProblems(t, two)
    },
  )

  t.test(
    'over plain http on a host name other than localhost the cookie is dropped, and the page says so',
    async (t) => {
      // demo.test resolves to 127.0.0.1 in this browser only: an http origin that is not
      // "potentially trustworthy", as a LAN address would be.
      const other = await launchBrowser({ args: ['--host-resolver-rules=MAP demo.test 127.0.0.1'] })
      t.teardown(other.close)
      const { port } = await startApp(t, { demoTools: true })
      const { page } = await openPage(t, other.context, `http://demo.test:${port}/`)
      t.equal(await page.evaluate(() => window.isSecureContext), false)
      t.ok(await page.locator('#insecure').isVisible(), 'the page warns')
      t.match(await text(page, '#insecure'), 'BATON_REFRESH_COOKIE=0')
      await page.click('#login')
      await waitForText(page, '#me-result', /"sub": "alice"/)
      t.same(await other.context.cookies(), [], 'Chromium did not keep the Secure cookie')
      noProblems(t, page)
    },
  )

  t.test('the page `pnpm demo` serves after its tour starts at zero', async (t) => {
    const demo = spawnNode(t, DEMO, {
      env: { PORT: '0', HOST: undefined, REDIS_URL: undefined, BATON_REFRESH_COOKIE: undefined },
    })
    const [, shown] = await demo.waitFor(/Still serving (http:\/\/\S+) — open it in a browser/)
    t.teardown(() => demo.child.kill('SIGTERM'))
    t.match(demo.stdout, 'ONE refresh served all 20 requests', 'the tour ran')
    t.match(shown, /^http:\/\/localhost:\d+$/, 'the demo tells the user to open localhost')
    const { page } = await openPage(t, context, shown)
    await waitForText(page, '#server-refreshes', /^0$/)
    t.equal(await text(page, '#client-refreshes'), '0')
    t.equal(await text(page, '#clock-offset'), '+0 s', 'the tour moved no clock the page sees')
    t.equal(await text(page, '#last-rotation'), 'none yet')
    noProblems(t, page)
  })
}
