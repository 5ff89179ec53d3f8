// Core pinning. This machine has two cores: the server side (app, and Redis when used) gets
// core 0, the load generator or client gets core 1, so neither steals the other's cycles and a
// difference between two apps is not a difference in who won the scheduler. Without taskset (or
// with fewer than two cores) nothing is pinned and the report says so.
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

export const SERVER_CORE = 0
export const CLIENT_CORE = 1

let cached
/** Whether processes can be pinned: taskset exists and there are at least two cores. */
export function pinning() {
  if (cached !== undefined) return cached
  const probe = spawnSync('taskset', ['-c', String(CLIENT_CORE), 'true'], { stdio: 'ignore' })
  cached = probe.status === 0 && availableParallelism() >= 2
  return cached
}

/** [command, args] that run `command args` on `core` when pinning is possible. */
export function pinned(core, command, args) {
  return pinning() ? ['taskset', ['-c', String(core), command, ...args]] : [command, args]
}

/** Pins this very process (every thread, so libuv's and V8's too) to `core`. */
export function pinSelf(core) {
  if (!pinning()) return false
  return (
    spawnSync('taskset', ['-a', '-c', '-p', String(core), String(process.pid)], {
      stdio: 'ignore',
    }).status === 0
  )
}

export function describePinning() {
  return pinning()
    ? `taskset: servers (and redis-server) on core ${SERVER_CORE}, load generators and clients on core ${CLIENT_CORE}`
    : 'not pinned (taskset missing or fewer than two cores): numbers are noisier'
}
