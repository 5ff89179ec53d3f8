/**
 * Whether Redis keeps sessions across a restart. With snapshots only (`appendonly no`, Debian's
 * default), a crash loses every write since the last snapshot: logins, logouts, revocations and
 * rotations. Rotations lost that way are healed (a refresh token newer than the store's
 * generation resynchronises: `refresh_resynced`); the rest is not, so operators should know.
 */
import type { Cluster, Redis } from 'ioredis'

let warned = false

/**
 * Asks each master `CONFIG GET appendonly` and warns once per process when one answers `no`.
 * Says nothing when it cannot tell: managed Redis services often refuse CONFIG.
 */
export async function checkDurability(client: Redis | Cluster): Promise<void> {
  const nodes =
    'nodes' in client && typeof client.nodes === 'function' ? client.nodes('master') : [client]
  const answers = await Promise.all(
    nodes.map((node) =>
      (node as Redis).config('GET', 'appendonly').then(
        (reply) => reply,
        () => undefined,
      ),
    ),
  )
  const notDurable = answers.some(
    (reply) => Array.isArray(reply) && reply[0] === 'appendonly' && reply[1] === 'no',
  )
  if (notDurable && !warned) {
    warned = true
    process.emitWarning(
      'Redis runs without appendonly: a restart loses the sessions written since its last snapshot (logins, logouts, revocations). Set appendonly yes.',
      { code: 'BATON_REDIS_NOT_DURABLE' },
    )
  }
}
