// `pnpm demo`: starts the demo API with its demo tools on the embedded LRU store, in cookie mode
// (BATON_REFRESH_COOKIE=0: the body transport), tells the story in the terminal with a Node
// client, then keeps serving the browser page until Ctrl-C.
//
// The tour runs against an instance of its own (same settings, its own clock, counters and
// sessions, on a loopback port that closes when it ends): it moves the server clock and makes
// refreshes, and the page the reader opens next must start at zero, not carry those over.
//
//   --tour-only or BATON_DEMO_EXIT=1   exit after the tour (status 0 when it went as told)
//   PORT (default 3000; if 3000 is taken and PORT is unset, any free port), HOST (default
//   127.0.0.1: the demo tools move the server's clock, so they stay on this machine), BATON_*.
import { randomBytes } from 'node:crypto'
import { createApp } from './app.js'
import { listen, parsePort, stopOnSignal } from './listen.js'
import { runTour } from './tour.js'

const tourOnly = process.argv.includes('--tour-only') || process.env.BATON_DEMO_EXIT === '1'
const color = process.stdout.hasColors?.() ?? false
const bold = (text) => (color ? `\x1b[1m${text}\x1b[0m` : text)

const env = { ...process.env }
let keyNote = ''
if (!env.BATON_SECRET && !env.BATON_PASSPHRASE) {
  // Said here, in one line, rather than as the library's warning about a random key.
  env.BATON_SECRET = randomBytes(32).toString('base64url')
  keyNote = 'a random signing key for this run (set BATON_SECRET to keep tokens across restarts)'
}

let app
let server
try {
  app = await createApp({ env, demoTools: true })
  server = await start(app.app)
} catch (error) {
  console.error(`Could not start the demo: ${error.message}`)
  await app?.close()
  process.exit(1)
}

// Bound to loopback unless HOST says otherwise: `localhost` is the friendlier name for it.
const shown = process.env.HOST ? server.url : `http://localhost:${server.port}`
const store =
  app.store === 'redis' ? 'Redis (REDIS_URL)' : 'the embedded LRU store, no configuration'
const transport = app.refreshCookie
  ? 'cookie mode, the refresh token in an httpOnly cookie (BATON_REFRESH_COOKIE=0 turns it off)'
  : 'body transport (BATON_REFRESH_COOKIE=0), the page keeps its tokens in sessionStorage'
console.log(`${bold('Baton demo')} — serving ${bold(shown)}`)
console.log(`Sessions in ${store}; ${keyNote || 'keys from BATON_*'}.`)
console.log(`Browsers: ${transport}.`)
console.log(
  'A Node client on @baton/fetch now tells the story, on a server instance of its own so that the',
)
console.log('page starts from zero; open the URL for the browser version.')

let ok = false
let tourApp
let tourServer
try {
  tourApp = await createApp({ env, demoTools: true })
  tourServer = await listen(tourApp.app, { port: 0, host: '127.0.0.1' })
  const result = await runTour({
    baseUrl: tourServer.url,
    print: (line) => console.log(line),
    color,
  })
  ok = result.ok
} catch (error) {
  console.error(`\nThe tour failed: ${error.message}`)
} finally {
  await tourServer?.close()
  await tourApp?.close()
}

if (tourOnly) {
  await server.close()
  await app.close()
  process.exit(ok ? 0 : 1)
}
console.log(`\nStill serving ${bold(shown)} — open it in a browser. Ctrl-C to stop.`)
stopOnSignal(async () => {
  await server.close()
  await app.close()
})

/** PORT, else 3000, else (3000 taken, PORT unset) any free port. */
async function start(handler) {
  const host = process.env.HOST || '127.0.0.1'
  const port = parsePort(process.env.PORT, 3000)
  try {
    return await listen(handler, { port, host })
  } catch (error) {
    if (error.code !== 'EADDRINUSE' || process.env.PORT) throw error
    console.log('Port 3000 is taken: using a free port instead.')
    return listen(handler, { port: 0, host })
  }
}
