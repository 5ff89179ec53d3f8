// Child processes that speak over Node's IPC channel: `{ id, cmd, ...args }` in, `{ id, ok,
// value | error }` out, and one `{ ready: value }` when the child has started.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned } from './cpu.mjs'

const STARTUP_TIMEOUT_MS = 30_000

/**
 * Starts `script` (a path relative to src/) as a node child pinned to `core`, waits for its
 * ready message and returns { ready, call(cmd, args, timeoutMs), stop() }.
 */
export async function startChild(script, { core, args = [], nodeArgs = [], env = {} } = {}) {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url))
  const [command, argv] = pinned(core, process.execPath, [...nodeArgs, path, ...args])
  const child = spawn(command, argv, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  })
  const pending = new Map()
  let nextId = 1
  let exited = false
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      const error = new Error(`${script} exited (${signal ?? code})`)
      for (const { reject } of pending.values()) reject(error)
      pending.clear()
      resolve()
    })
  })
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), STARTUP_TIMEOUT_MS)
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${script} exited before ready (${code})`)))
    child.on('message', function onReady(message) {
      if (message && 'ready' in message) {
        clearTimeout(timer)
        child.off('message', onReady)
        resolve(message.ready)
      }
    })
  })
  child.on('message', (message) => {
    const entry = pending.get(message?.id)
    if (entry === undefined) return
    pending.delete(message.id)
    clearTimeout(entry.timer)
    if (message.ok) entry.resolve(message.value)
    else entry.reject(new Error(`${script}: ${message.error}`))
  })

  return {
    ready,
    pid: child.pid,
    call(cmd, callArgs = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${script} has exited`))
      const id = nextId++
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`${script}: ${cmd} timed out`))
        }, timeoutMs)
        pending.set(id, { resolve, reject, timer })
        child.send({ id, cmd, ...callArgs })
      })
    },
    async stop() {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/**
 * The child side: answers each command with `handlers[cmd](args)`, after sending `ready`.
 * Exits when the parent goes away, so no child outlives a crashed harness.
 */
export function serve(handlers, ready) {
  process.on('disconnect', () => process.exit(0))
  // An orderly exit on SIGTERM, so --cpu-prof can write its profile.
  process.on('SIGTERM', () => process.exit(0))
  process.on('message', async (message) => {
    const { id, cmd, ...args } = message
    try {
      const handler = handlers[cmd]
      if (handler === undefined) throw new Error(`unknown command ${cmd}`)
      const value = await handler(args)
      process.send({ id, ok: true, value })
    } catch (error) {
      process.send({ id, ok: false, error: String(error?.stack ?? error) })
    }
  })
  process.send({ ready })
}
