/**
 * Cookie mode across origins, in real headless Chromium against the real @baton/express:
 *
 * - an attacker's `<form method=post>` to `/refresh` and `/logout` — from another site (the
 *   browser does not attach the SameSite=Strict cookie) and from another origin of the same site
 *   (it does; the CSRF rule refuses) — gets no tokens and ends nothing;
 * - a page on one origin with the API on another origin of the same site (`http://localhost:P1`
 *   and `http://localhost:P2`), the API behind the `cors` package with credentials: login,
 *   refresh and logout work; without CORS the client's error names CORS and the session lives on.
 *
 * `localhost` and `127.0.0.1` are different sites to the browser; ports do not make sites.
 */
import { existsSync } from 'node:fs'
import cors from 'cors'
import express from 'express'
import type { Page } from 'playwright-core'
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
import { PASSWORD, startApp, type RunningApp } from './fixtures/express-app.js'
import { listen } from './fixtures/listen.js'

t.setTimeout(240_000)

/** What the auth router was asked, as the server saw it. */
interface Seen {
  readonly path: string
  readonly origin: string | undefined
  readonly withCookie: boolean
  readonly withCsrfHeader: boolean
  status?: number
  body?: string
}

/** Records every request to `/auth` and its answer, ahead of the router. */
function recordAuth(seen: Seen[]): (app: express.Express) => void {
  return (app) =>
    app.use('/auth', (req, res, next) => {
      const entry: Seen = {
        path: req.path,
        origin: req.get('origin'),
        withCookie: (req.get('cookie') ?? '').includes('baton_refresh='),
        withCsrfHeader: req.get('x-baton-csrf') !== undefined,
      }
      seen.push(entry)
      const send = res.send.bind(res)
      res.send = (body: unknown) => {
        entry.status = res.statusCode
        entry.body = typeof body === 'string' ? body : String(body)
        return send(body)
      }
      next()
    })
}

/** An attacker's page: auto-posting forms to `/refresh` and `/logout` of `target`. */
function attackerPage(target: string): string {
  const form = (path: string) =>
    `<iframe name="${path}"></iframe>
     <form method="post" action="${target}/auth/${path}" target="${path}">
       <input name="grant_type" value="refresh_token" />
     </form>`
  return `<!doctype html><meta charset="utf-8" /><body>${form('refresh')}${form('logout')}</body>`
}

/** Submits the attacker's forms and waits until both frames loaded an answer. */
async function attack(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      [...document.forms].map(
        (form) =>
          new Promise<void>((resolve) => {
            const frame = document.querySelector(
              `iframe[name="${form.target}"]`,
            ) as HTMLIFrameElement
            frame.addEventListener('load', () => resolve(), { once: true })
            form.submit()
          }),
      ),
    ),
  )
}

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
} else {
  const dist = await buildPackage(t)

  /** The app in cookie mode with a signed-in tab on `host`, recording what `/auth` was sent. */
  const signedIn = async (t: Test, host: string) => {
    const seen: Seen[] = []
    const app = await startApp(t, { refreshCookie: true }, (server) => {
      recordAuth(seen)(server)
      servePages(dist)(server)
    })
    const origin = app.origin.replace('127.0.0.1', host)
    const context = await launchChromium(t)
    const tab = await openTab(context, origin, '', 'tab-cookie.html')
    await logIn(tab)
    return { app, seen, origin, context, tab }
  }

  /** The attacker's page, on its own server, reached as `host`, aimed at the signed-in app. */
  const attackerTab = async (
    t: Test,
    { context, origin }: Awaited<ReturnType<typeof signedIn>>,
    host: string,
  ) => {
    const attackerOrigin = await listen(t, (_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.end(attackerPage(origin))
    })
    const page = await context.newPage()
    await page.goto(`${attackerOrigin.replace('127.0.0.1', host)}/attack.html`)
    return page
  }

  /** After an attack: nothing was issued or ended, and the session still refreshes. */
  const assertNothingHappened = async (
    t: Test,
    { app, tab, context, origin }: Awaited<ReturnType<typeof signedIn>>,
    attacks: Seen[],
  ) => {
    t.equal(attacks.length, 2, 'both forms reached the server')
    for (const entry of attacks) {
      const answer = JSON.parse(entry.body ?? '{}') as Record<string, unknown>
      t.notOk('access_token' in answer || 'refresh_token' in answer, `${entry.path}: no tokens`)
      t.not(entry.status, 200, `${entry.path}: refused`)
    }
    t.equal(app.count('refresh'), 0, 'no refresh happened')
    t.equal(app.count('logout'), 0, 'no logout happened')
    t.equal(app.count('revoked'), 0)
    t.ok(await refreshCookie(context, origin), 'the cookie is still there')
    app.clock.advance(77)
    t.equal(await me(tab), 200, 'the session still refreshes afterwards')
    t.equal(app.count('refresh'), 1)
    t.same(await tab.evaluate(() => window.ends), [])
  }

  const forgeries = [
    {
      name: 'a cross-site form gets no cookie from the browser, no tokens, ends nothing',
      // The app on 127.0.0.1, the attacker on localhost: another site.
      appHost: '127.0.0.1',
      withCookie: false,
      sent: 'SameSite=Strict: the browser sent no cookie cross-site',
      refusal: undefined,
    },
    {
      name: 'a same-site form from another origin carries the cookie, and the CSRF rule refuses it',
      // Both on localhost, other ports: another origin of the same site, so the cookie goes along.
      appHost: 'localhost',
      withCookie: true,
      sent: 'the browser attached the cookie, but no form can send X-Baton-CSRF',
      refusal: { status: 403, code: 'ERR_CSRF_ORIGIN' },
    },
  ] as const
  for (const forgery of forgeries) {
    t.test(forgery.name, async (t) => {
      const state = await signedIn(t, forgery.appHost)
      const attacker = await attackerTab(t, state, 'localhost')
      const before = state.seen.length
      await attack(attacker)
      const attacks = state.seen.slice(before)
      t.same(
        attacks.map((entry) => [entry.path, entry.withCookie, entry.withCsrfHeader]).sort(),
        [
          ['/logout', forgery.withCookie, false],
          ['/refresh', forgery.withCookie, false],
        ],
        forgery.sent,
      )
      t.comment(`form answers: ${attacks.map((a) => `${a.path} ${a.status}`).join(', ')}`)
      for (const entry of forgery.refusal ? attacks : []) {
        t.equal(entry.status, forgery.refusal?.status, `${entry.path}: refused`)
        t.match(JSON.parse(entry.body ?? '{}'), { code: forgery.refusal?.code })
      }
      await assertNothingHappened(t, state, attacks)
    })
  }

  /** A page on one origin, the API (cookie mode, CORS switchable) on another of the same site. */
  const crossOrigin = async (t: Test) => {
    const pages = express()
    servePages(dist)(pages)
    const pageOrigin = (await listen(t, pages)).replace('127.0.0.1', 'localhost')
    let corsOn = true
    const allow = cors({
      origin: [pageOrigin],
      credentials: true,
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Baton-CSRF'],
      exposedHeaders: ['WWW-Authenticate', 'Retry-After'],
    })
    const app: RunningApp = await startApp(
      t,
      { refreshCookie: { origins: [pageOrigin] } },
      (server) => server.use((req, res, next) => (corsOn ? allow(req, res, next) : next())),
    )
    const apiOrigin = app.origin.replace('127.0.0.1', 'localhost')
    const context = await launchChromium(t)
    const tab = await openTab(context, pageOrigin, `?api=${apiOrigin}`, 'tab-cookie.html')
    return {
      app,
      apiOrigin,
      pageOrigin,
      context,
      tab,
      setCors: (on: boolean) => (corsOn = on),
    }
  }

  t.test('cross-origin SPA with cors: login, refresh and logout work', async (t) => {
    const { app, apiOrigin, context, tab } = await crossOrigin(t)
    await logIn(tab)
    t.match(await refreshCookie(context, apiOrigin), {
      domain: 'localhost',
      path: '/auth',
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
    })
    t.equal(await me(tab), 200)
    app.clock.advance(77)
    t.equal(await me(tab), 200)
    t.equal(app.count('refresh'), 1, 'refreshed by the cookie, cross-origin')
    await tab.reload()
    await tab.waitForSelector('body[data-ready="true"]', { state: 'attached' })
    t.equal(await me(tab), 200, 'a reload resumes the session cross-origin')
    t.equal(app.count('refresh'), 2)
    await tab.evaluate(() => window.api.logout())
    t.equal(app.count('revoked'), 1, 'the logout ended the session at the API')
    t.equal(await refreshCookie(context, apiOrigin), undefined)
    t.same(await tab.evaluate(() => window.errors), [])
  })

  t.test('cross-origin SPA without CORS: the error says CORS; nobody is logged out', async (t) => {
    const { app, apiOrigin, pageOrigin, tab, setCors } = await crossOrigin(t)
    await logIn(tab)
    setCors(false)
    const failure = await tab.evaluate(() =>
      window.api.refresh().then(
        () => undefined,
        (error: { code?: string; message?: string }) => ({
          code: error.code,
          message: error.message,
        }),
      ),
    )
    t.equal(failure?.code, 'AUTH_REFRESH_UNAVAILABLE', 'transient, not an ended session')
    t.match(failure?.message, `The request to ${apiOrigin} failed before any answer`)
    t.match(failure?.message, `CORS setup may not admit this page's origin (${pageOrigin})`)
    t.match(failure?.message, 'Access-Control-Allow-Credentials: true')
    t.match(failure?.message, 'X-Baton-CSRF')
    t.comment(`the client said: ${failure?.message}`)
    t.same(await tab.evaluate(() => window.ends), [], 'no session end')
    t.not(await tab.evaluate(() => window.api.tokens), null, 'the access token is kept')
    const login = await tab.evaluate(
      (password) =>
        window.api.login({ username: 'alice', password }).then(
          () => 'logged in',
          (error: { code?: string }) => error.code,
        ),
      PASSWORD,
    )
    t.equal(login, 'AUTH_REFRESH_UNAVAILABLE', 'a login without CORS: the same, transient')
    setCors(true)
    await tab.evaluate(() => window.api.refresh().then(() => undefined))
    t.equal(app.count('refresh'), 1, 'with CORS back, the same session refreshes')
    t.equal(app.count('refresh_reused'), 0)
  })
}
