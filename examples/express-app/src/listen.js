// Listening and stopping, shared by the two entry points (server.js and demo.js).
import { createServer } from 'node:http'

/**
 * `PORT` as a port number; unset or empty means `fallback`.
 * @param {string | undefined} value
 * @param {number} fallback
 */
export function parsePort(value, fallback) {
  if (value === undefined || value.trim() === '') return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('PORT must be an integer from 0 to 65535')
  }
  return port
}

/**
 * Starts an HTTP server for `app` on `host` (a name or an IPv4 address). Without one it listens
 * wherever Node does by default (every interface) and the URL says `localhost`.
 * @param {import('node:http').RequestListener} app
 * @param {{ port: number, host?: string | undefined }} where
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export function listen(app, { port, host }) {
  const server = createServer(app)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host || undefined, () => {
      server.off('error', reject)
      const address = /** @type {import('node:net').AddressInfo} */ (server.address())
      resolve({
        url: `http://${host || 'localhost'}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            // Keep-alive connections would hold close() open for seconds.
            server.closeAllConnections()
          }),
      })
    })
  })
}

/**
 * Runs `stop` on the first SIGINT or SIGTERM, then exits. A second signal finds Node's default
 * handling back in place, so a stop that hangs can still be interrupted.
 * @param {() => Promise<void>} stop
 */
export function stopOnSignal(stop) {
  const handler = async (signal) => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
    console.log(`\n${signal}: stopping`)
    await stop()
    process.exit(0)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}
