// `pnpm start`: the demo API alone, configured by the environment, for people and for tools.
//
//   PORT (default 3000), HOST (default: every interface), BATON_* (see @baton/express's
//   authOptionsFromEnv), REDIS_URL (sessions in Redis instead of the embedded LRU store),
//   BATON_DEMO_TOOLS=1 (mount the demo-only /demo routes: a movable server clock, counters).
//   Cookie mode (browsers get the refresh token in an httpOnly cookie) unless BATON_REFRESH_COOKIE=0;
//   body clients such as the node-cli get it in the response body either way.
import { createApp } from './app.js'
import { listen, parsePort, stopOnSignal } from './listen.js'

let app
try {
  const demoTools = process.env.BATON_DEMO_TOOLS === '1'
  const port = parsePort(process.env.PORT, 3000)
  app = await createApp({ demoTools })
  const server = await listen(app.app, { port, host: process.env.HOST })
  const store = app.store === 'redis' ? 'Redis' : 'the embedded LRU store'
  console.log(
    `Baton example API listening on ${server.url} (sessions in ${store}` +
      `${app.refreshCookie ? '; cookie mode' : '; body transport'}` +
      `${demoTools ? '; demo tools ON: never in production' : ''})`,
  )
  stopOnSignal(async () => {
    await server.close()
    await app.close()
  })
} catch (error) {
  console.error(`Could not start: ${error.message}`)
  // A Redis connection left open would keep the process running.
  await app?.close()
  process.exitCode = 1
}
