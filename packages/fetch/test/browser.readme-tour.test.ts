/**
 * The root README's tour, client side, runs as written: its code block, taken from the README,
 * runs as a module in a real Chromium page against the real @baton/express, with only the
 * example origin replaced by the test server's and the package import by the build's URL.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { buildPackage, CHROMIUM, launchChromium, openTab, servePages } from './fixtures/chromium.js'
import { startApp } from './fixtures/express-app.js'

const README = join(import.meta.dirname, '..', '..', '..', 'README.md')
const EXAMPLE_ORIGIN = 'https://api.example.com'

t.setTimeout(120_000)

if (!existsSync(CHROMIUM)) {
  t.fail(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`)
} else {
  t.test('the client of the README tour logs in and calls the API', async (t) => {
    const readme = await readFile(README, 'utf8')
    const block = /```ts\n(\/\/ client\.ts[^\n]*\n[\s\S]*?)```/.exec(readme)?.[1]
    t.ok(block, 'the README has the client block')
    const dist = await buildPackage(t)
    // The tour's demo user: the README's server authenticates with checkPassword, ours with this.
    const app = await startApp(
      t,
      {
        // The README's server runs in cookie mode, as its client expects.
        refreshCookie: true,
        authenticate: async ({ username, password }) =>
          username === 'alice' && password === 'alice-password' ? { sub: username } : null,
      },
      servePages(dist),
    )
    const context = await launchChromium(t)
    const page = await openTab(context, app.origin)
    const code = (block ?? '')
      .replaceAll(EXAMPLE_ORIGIN, app.origin)
      .replace("from '@baton/fetch'", "from '/dist/index.js'")
    const run = async () => {
      await page.evaluate(() => localStorage.removeItem('tour-result'))
      await page.addScriptTag({
        type: 'module',
        content: `${code}\nlocalStorage.setItem('tour-result', JSON.stringify({ status: me.status, body: await me.json() }))`,
      })
      await page.waitForFunction(() => localStorage.getItem('tour-result') !== null)
      return JSON.parse(
        (await page.evaluate(() => localStorage.getItem('tour-result'))) ?? '',
      ) as unknown
    }
    t.match(await run(), { status: 200, body: { sub: 'alice' } }, 'logged in, then called')
    t.match(await run(), { status: 200, body: { sub: 'alice' } }, 'a second run restores it')
    t.equal(app.count('login'), 1, 'the second run did not log in again')
  })
}
