/**
 * Real `redis-server` processes for the tests and the bench. Each listens on 127.0.0.1 only, on
 * a port picked here unless one is given, keeps its files in a temp dir of its own, and is
 * killed when its owner closes it, when the test that started it ends, or — should a test file
 * crash or be stopped by a signal — when this process exits. Every wait has a bound.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

const READY_TIMEOUT_MS = 10_000
/** SIGKILL ends any process, a frozen one too: past this, something is badly wrong. */
const EXIT_TIMEOUT_MS = 5_000
/** Launches with a fresh port when another process took the one picked here first. */
const PORT_ATTEMPTS = 5
const READY = 'Ready to accept connections'
// Sentinel logs no "Ready" line; it logs this once it watches the master it was given.
const SENTINEL_READY = '+monitor master'

/** `launchRedisServer`, closed in `t`'s teardown. */
export async function startRedisServer(t, options = {}) {
  const server = await launchRedisServer(options)
  t.teardown(() => server.close())
  return server
}

export async function launchRedisServer(options = {}) {
  const { command = 'redis-server', wrap, sentinelFor, cluster = false, args = [] } = options
  const dir = await mkdtemp(join(tmpdir(), 'baton-redis-'))
  try {
    const modeArgs = []
    if (sentinelFor !== undefined) {
      // Sentinel needs a config file it can rewrite.
      const config = join(dir, 'sentinel.conf')
      await writeFile(config, `sentinel monitor mymaster 127.0.0.1 ${sentinelFor} 1\n`)
      modeArgs.push(config, '--sentinel')
    } else {
      modeArgs.push('--save', '', '--appendonly', options.appendOnly === true ? 'yes' : 'no')
    }
    if (cluster) modeArgs.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf')
    const ready = sentinelFor === undefined ? READY : SENTINEL_READY
    const launch = (port) => {
      const argv = [...modeArgs, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir]
      argv.push('--daemonize', 'no', '--logfile', '', ...args)
      return spawnReady(wrap ? wrap(command, argv) : [command, argv], ready)
    }
    const { port, started } = await launchOnFreePort(options.port, cluster, launch)
    return serverOf({ port, dir, launch, started })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Launches on `port`, or on a port picked here when it is undefined or 0 (Redis reads port 0 as
 * "no TCP at all", never as "any port"). A picked port can be taken by someone else before
 * redis-server binds it: then a fresh one is picked, a bounded number of times.
 */
async function launchOnFreePort(port, withBus, launch) {
  if (port !== undefined && port !== 0) return { port, started: await launch(port) }
  for (let attempt = 1; ; attempt += 1) {
    const picked = await freePort({ withBus })
    try {
      return { port: picked, started: await launch(picked) }
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw error
    }
  }
}

function serverOf({ port, dir, launch, started: first }) {
  let current
  let paused = false
  const adopt = (started) => {
    current = started
    // A server that died on its own is not running: `start` may bring it back.
    void started.exited.then(() => {
      if (current === started) {
        current = undefined
        paused = false
      }
    })
  }
  adopt(first)
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get running() {
      return current !== undefined
    },
    async stop() {
      const running = current
      if (running === undefined) return
      current = undefined
      paused = false
      await kill(running)
    },
    async start() {
      if (current !== undefined) throw new Error('redis-server is already running')
      adopt(await launch(port))
    },
    pause() {
      if (current === undefined) return
      current.child.kill('SIGSTOP')
      paused = true
    },
    resume() {
      if (paused) current?.child.kill('SIGCONT')
      paused = false
    },
    async close() {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
  return server
}

class PortInUseError extends Error {}

/** Spawns `[command, args]` and resolves `{ child, exited }` once its output says `ready`. */
async function spawnReady([command, args], ready) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => {
    child.once('exit', resolve)
    // A process that never started emits 'error' and maybe no 'exit'.
    child.on('error', () => child.pid === undefined && resolve())
  })
  const started = { child, exited }
  track(started)
  let output = ''
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new Error(`redis-server did not start within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      )
      const settle = (error) => {
        clearTimeout(timer)
        child.off('error', onError)
        child.off('exit', onExit)
        child.stdout.off('data', onData)
        child.stderr.off('data', onData)
        // Drain what it still writes, so a full pipe never blocks it.
        child.stdout.resume()
        child.stderr.resume()
        if (error === undefined) resolve()
        else reject(error)
      }
      const onError = (error) => settle(new Error(`redis-server could not run: ${error.message}`))
      const onExit = (code, signal) => {
        const message = `redis-server exited with ${code ?? signal}`
        settle(
          /address already in use/i.test(output) ? new PortInUseError(message) : new Error(message),
        )
      }
      const onData = (chunk) => {
        output += chunk
        if (output.includes(ready)) settle()
      }
      child.once('error', onError)
      child.once('exit', onExit)
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
    })
    return started
  } catch (error) {
    await kill(started)
    error.message += `\n${output}`
    throw error
  }
}

/** SIGKILL (no goodbye, like a crash or a pulled plug), and wait until it is gone. */
async function kill({ child, exited }) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis-server did not exit within ${EXIT_TIMEOUT_MS} ms`)),
      EXIT_TIMEOUT_MS,
    )
  })
  try {
    await Promise.race([exited, late])
  } finally {
    clearTimeout(timer)
  }
}

const alive = new Set()
let hooked = false

/** Kills `started` when this process exits, however it exits. */
function track(started) {
  alive.add(started.child)
  void started.exited.then(() => alive.delete(started.child))
  if (hooked) return
  hooked = true
  const killAll = () => {
    for (const child of alive) child.kill('SIGKILL')
  }
  process.on('exit', killAll)
  // A signal handler replaces the signal's default (exit). Ours runs first and, when no one else
  // listens (a test file stopped by tap at its timeout), re-raises the signal to exit as it would
  // have; when someone does (the bench's orderly stop), leaves the exit to them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killAll()
      if (process.listenerCount(signal) > 1) return
      process.off(signal, onSignal)
      process.kill(process.pid, signal)
    }
    process.prependListener(signal, onSignal)
  }
}
