// End to end, in real headless Chromium: the demo page with @baton/fetch as shipped, against the
// app on 127.0.0.1. Screenshots go to artifacts/e2e/ at the repository root (git-ignored).
import t from 'tap'
import { get, startApp } from './fixtures/app.js'
import { ARTIFACTS, browserFor, openPage, waitForText } from './fixtures/browser.js'

const browser = await browserFor(t)
if (browser !== undefined) {
  const open = (t, url) => openPage(t, browser.context, url)
  const noProblems = (t, problems) => t.same(problems, [], 'no script errors, no CSP violations')
  const text = (page, selector) => page.locator(selector).textContent()
  const stats = async (url) => (await get(`${url}/demo/stats`)).body.counts

  t.test(
    'BATON_REFRESH_COOKIE=0, the body transport: log in, call, expire, stampede of 20 with ONE refresh, log out to a 401',
    async (t) => {
      const { url } = await startApp(t, {
        demoTools: true,
        env: { BATON_ACCESS_TTL: '60', BATON_REFRESH_COOKIE: '0' },
      })
      const { page, problems } = await open(t, url)
      t.ok(
        await page.locator('#demo-on').isVisible(),
        'the demo tools are there, labelled demo only',
      )
      t.equal(await text(page, '#demo-title .badge'), 'demo only')

      await page.click('#login')
      await waitForText(page, '#me-result', /"sub": "alice"/)
      t.equal(await text(page, '#who'), 'alice')
      t.match(
        await text(page, '#countdown'),
        /^0[01]:\d\d$/,
        'the access token counts down from 1 min',
      )
      t.match(await stats(url), { login: 1, refresh: 0 })

      // The server's clock jumps past the token's life; the page still thinks it is fresh.
      await page.click('#expire')
      await waitForText(page, '#log', /Server clock \+66 s/)
      await page.click('#call-me')
      await waitForText(page, '#client-refreshes', /^1$/)
      await waitForText(page, '#log', /Refresh #1/)
      // The log is newest first.
      t.match(await text(page, '#log'), /POST \/auth\/refresh → 200.*GET \/api\/me → 401/s)
      t.match(await stats(url), { refresh: 1, rejected: 1 }, 'one 401, one refresh on the server')

      await page.click('#stampede')
      const result = page.locator('#stampede-result')
      await result.waitFor({ state: 'visible' })
      t.same(
        await result.evaluate((element) => ({ ...element.dataset })),
        { serverRefreshes: '1', clientRefreshes: '1', ok: '20' },
        'one refresh on the server and on the client; all 20 answered 200',
      )
      const summary = await result.textContent()
      t.match(summary, 'GET /api/me → 401  × 20')
      t.match(summary, 'POST /auth/refresh → 200  × 1')
      t.match(summary, 'GET /api/me → 200  × 20')
      t.match(summary, 'One refresh served all 20 requests')
      t.match(await stats(url), { refresh: 2, refresh_replayed: 0, refresh_reused: 0 })
      await waitForText(page, '#server-refreshes', /^2$/)
      t.equal(await text(page, '#client-refreshes'), '2')

      const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('baton-demo')))
      const html = await page.content()
      t.notOk(
        html.includes(stored.accessToken) || html.includes(stored.refreshToken),
        'no token on the page',
      )
      t.same(await browser.context.cookies(), [], 'no cookie in the body transport')
      t.match(
        await text(page, '#read-session'),
        /^baton-demo: \{ accessToken, .*refreshToken.* \}, \d+ characters$/,
        'the panel says where it is',
      )
      t.match(await text(page, '#read-verdict'), 'readable by any script, in sessionStorage')

      await page.screenshot({ path: `${ARTIFACTS}demo-page-1280.png`, fullPage: true })
      await page.setViewportSize({ width: 390, height: 844 })
      t.equal(
        await page.evaluate(() => document.documentElement.scrollWidth),
        390,
        'nothing overflows a phone-wide screen',
      )
      await page.screenshot({ path: `${ARTIFACTS}demo-page-390.png`, fullPage: true })
      await page.setViewportSize({ width: 1280, height: 900 })

      await page.click('#logout')
      await waitForText(page, '#me-result', /^401 ERR_TOKEN_REVOKED/)
      t.ok(await page.locator('#login-form').isVisible(), 'the login form is back')
      t.equal(
        await page.evaluate(() => sessionStorage.getItem('baton-demo')),
        null,
        'tokens forgotten',
      )
      t.match(await stats(url), { revoked: 1 })
      await page.click('#call-me')
      await waitForText(page, '#me-result', /^401 Unauthorized: no session/)
      await page.screenshot({ path: `${ARTIFACTS}demo-page-logged-out.png`, fullPage: true })
      noProblems(t, problems)
    },
  )

  t.test(
    'the countdown reaches zero and the next call refreshes first, no 401; a reload costs one refresh',
    async (t) => {
      // A real wait, bounded: a 2-second access token (the page then refreshes 0 s before expiry).
      const { url } = await startApp(t, { demoTools: true, env: { BATON_ACCESS_TTL: '2' } })
      const { page, problems } = await open(t, url)
      // Opening the page asked the cookie for a session: none yet, one refusal (no cookie).
      t.match(await stats(url), { refresh: 0, rejected: 1 })
      await page.click('#login')
      await waitForText(page, '#me-result', /"sub": "alice"/)
      await waitForText(page, '#countdown', /^expired$/, 8_000)
      await page.click('#call-me')
      await waitForText(page, '#client-refreshes', /^1$/)
      await waitForText(page, '#me-result', /^200 OK/)
      t.match(await stats(url), { refresh: 1, rejected: 1 }, 'refreshed before sending: no 401')

      // Cookie mode: the reload loses the access token (memory), and the cookie gets a new one.
      await page.reload()
      await page.waitForSelector('body[data-ready="true"]')
      await waitForText(page, '#log', /Restored the session from the refresh cookie/)
      await waitForText(page, '#me-result', /"sub": "alice"/)
      t.match(await stats(url), { refresh: 2, rejected: 1 }, 'the reload cost one refresh')
      noProblems(t, problems)
    },
  )

  t.test('a wrong password is refused on the page', async (t) => {
    const { url } = await startApp(t, { demoTools: true })
    const { page, problems } = await open(t, url)
    await page.fill('#password', 'not-the-password')
    await page.click('#login')
    await waitForText(page, '#login-error', /Wrong username or password/)
    t.ok(await page.locator('#login-form').isVisible())
    t.match(await stats(url), { login: 0 })
    noProblems(t, problems)
  })

  t.test('a logout the server does not confirm is said to be local only', async (t) => {
    const { url } = await startApp(t, { demoTools: true })
    const { page, problems } = await open(t, url)
    await page.click('#login')
    await waitForText(page, '#me-result', /"sub": "alice"/)
    await page.route('**/auth/revoke', (route) => route.fulfill({ status: 503, body: '' }))
    await page.click('#logout')
    await waitForText(page, '#log', /Logged out here only: the server did not revoke the session/)
    t.notMatch(await text(page, '#log'), /the session is revoked on the server/)
    t.match(await stats(url), { revoked: 0 })
    // The 503 is the point of this test; it is the only resource error expected.
    t.same(
      problems.filter((problem) => !/status of 503/.test(problem)),
      [],
      'no script errors, no CSP violations',
    )
  })

  t.test('the login form cannot send the password before the page script runs', async (t) => {
    const { url } = await startApp(t)
    const page = await browser.context.newPage()
    t.teardown(() => page.close())
    let release
    const held = new Promise((resolve) => (release = resolve))
    await page.route('**/demo-page.js', async (route) => {
      await held
      await route.continue()
    })
    await page.goto(url, { waitUntil: 'commit' })
    await page.waitForSelector('#password')
    t.ok(await page.locator('#login').isDisabled(), 'the button waits for the script')
    t.equal(await page.locator('#login-form').getAttribute('method'), 'post')
    await page.press('#password', 'Enter') // implicit submission: blocked by the disabled button
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.notMatch(page.url(), 'password', 'no password in the URL')
    release()
    await page.waitForSelector('body[data-ready="true"]')
    t.ok(await page.locator('#login').isEnabled(), 'the script enables it')
  })

  t.test('without demo tools the page says how to turn them on', async (t) => {
    const { url } = await startApp(t)
    const { page, problems } = await open(t, url)
    t.ok(await page.locator('#demo-off').isVisible())
    t.notOk(await page.locator('#demo-on').isVisible())
    t.equal(await text(page, '#server-refreshes'), '–')
    noProblems(t, problems)
  })
}
