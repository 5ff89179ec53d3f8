/**
 * A loopback port nothing listens on: the kernel picks one for a moment's listener, which then
 * closes. Someone may take it before the caller does; `launchRedisServer` retries for that.
 */
import { createServer } from 'node:net'

// Redis Cluster listens on port + 10000 too (its bus), which the kernel cannot pick together
// with the port: such ports are drawn from a range where both fit, and probed.
const BUS_OFFSET = 10_000
const BUS_RANGE_START = 20_000
const BUS_RANGE_SIZE = 30_000
const BUS_ATTEMPTS = 100

export async function freePort({ withBus = false } = {}) {
  if (!withBus) return listenOnce(0)
  for (let attempt = 0; attempt < BUS_ATTEMPTS; attempt += 1) {
    const port = BUS_RANGE_START + Math.floor(Math.random() * BUS_RANGE_SIZE)
    if ((await canListen(port)) && (await canListen(port + BUS_OFFSET))) return port
  }
  throw new Error(`no free loopback port with a free bus port in ${BUS_ATTEMPTS} attempts`)
}

function listenOnce(port) {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const found = server.address().port
      server.close(() => resolve(found))
    })
  })
}

async function canListen(port) {
  try {
    await listenOnce(port)
    return true
  } catch {
    return false
  }
}
