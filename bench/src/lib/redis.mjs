// A private redis-server for the Redis rows: a free loopback port, a temp dir, no persistence,
// pinned to the server core (the server side of the comparison is "app + its store"), stopped
// at the end. If redis-server is missing the Redis rows say so instead of disappearing.
import { spawnSync } from 'node:child_process'
import { launchRedisServer } from '@baton/test-support'
import { SERVER_CORE, pinned } from './cpu.mjs'

// REDIS_SERVER names the binary to use (and only that one: set it to a missing path to see how
// the report shows Redis rows it could not measure).
const CANDIDATES = process.env.REDIS_SERVER
  ? [process.env.REDIS_SERVER]
  : ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']

function findRedisServer() {
  for (const candidate of CANDIDATES) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
    if (probe.status === 0) return { path: candidate, version: probe.stdout.trim() }
  }
  return undefined
}

/**
 * Starts redis-server; resolves { url, version, stop } or { unavailable: reason }. Never throws
 * for a missing or failing redis-server: the caller reports the reason in the Redis rows.
 */
export async function startRedis() {
  const found = findRedisServer()
  if (found === undefined)
    return { unavailable: 'redis-server not found (install it, or set REDIS_SERVER to its path)' }
  try {
    const server = await launchRedisServer({
      command: found.path,
      wrap: (command, args) => pinned(SERVER_CORE, command, args),
    })
    return { url: server.url, version: found.version, stop: () => server.close() }
  } catch (error) {
    // The launcher's message ends with the server's own output: its last line says why.
    return {
      unavailable: `redis-server did not start: ${error.message.trim().split('\n').at(-1) ?? 'no output'}`,
    }
  }
}
