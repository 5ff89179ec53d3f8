// A private redis-server for the Redis rows: a free loopback port, a temp dir, no persistence,
// pinned to the server core (the server side of the comparison is "app + its store"), stopped
// at the end. If redis-server is missing the Redis rows say so instead of disappearing.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    let answer = ''
    socket.setTimeout(500, () => socket.destroy())
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk
      if (answer.includes('\r\n')) socket.end()
    })
    socket.on('close', () => resolve(answer.startsWith('+PONG')))
    socket.on('error', () => resolve(false))
  })
}

/**
 * Starts redis-server; resolves { url, version, stop } or { unavailable: reason }. Never throws
 * for a missing or failing redis-server: the caller reports the reason in the Redis rows.
 */
export async function startRedis() {
  const found = findRedisServer()
  if (found === undefined)
    return { unavailable: 'redis-server not found (install it, or set REDIS_SERVER to its path)' }
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-redis-'))
  const port = await freePort()
  const [command, args] = pinned(SERVER_CORE, found.path, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ])
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break
    if (await ping(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        version: found.version,
        async stop() {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
          await exited
          clearTimeout(timer)
          cleanup()
        },
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  await exited
  cleanup()
  return {
    unavailable: `redis-server did not start: ${stderr.trim().split('\n').at(-1) ?? 'no output'}`,
  }
}
