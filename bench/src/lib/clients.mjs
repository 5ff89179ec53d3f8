// Case 4's schedule, shared by run.mjs and fetch-shapes.mjs.
import { CONNECTIONS } from './load.mjs'
import { shuffle } from './stats.mjs'

/**
 * Runs the client `rows` (each `{ id, kind?, env? }`: a kind of children/client.mjs, by default
 * its id, and extra environment for its process) against `url` and
 * resolves their samples by id, one per round: { rps, p99, cpuPerRequest, non2xx, errors }.
 *
 * Each client runs in a process of its own, as each app of case 1 does: undici's code is shared
 * by every client in a process and is optimized for the mix of calls it sees, so clients sharing
 * one process slow one another.
 *
 * Measured, each client has the client core to itself: the rows take turns, in a new random order
 * each round. Clients sharing the core slow one another too, and not equally: the one with more
 * code and data of its own loses more to each switch between them (measured in README.md, "Why
 * case 4's clients take turns").
 *
 * A client process is only at its steady speed after seconds of continuous load (its first
 * seconds cost up to four times the CPU per request), so the clients are warmed up together
 * first. Turns of one second leave each client idle for a few seconds at most, less than the
 * ~8 s after which V8 starts shrinking an idle heap.
 *
 * Two processes running the same code settle at speeds a few percent apart, and stay there for as
 * long as they live. So the rounds are spread over generations of fresh processes, and the
 * medians are taken over all of them: one process's luck is one draw among several, not the
 * whole row.
 */
export async function runClients({ start, rows, url, token, schedule, log }) {
  const samples = Object.fromEntries(rows.map((row) => [row.id, []]))
  const { generations, rounds, warmupSeconds, seconds } = schedule
  for (let generation = 1; generation <= generations; generation++) {
    log(
      `case 4: generation ${generation}/${generations}, warming up ${rows.length} clients together for ${warmupSeconds} s, then turns`,
    )
    const clients = {}
    for (const row of shuffle(rows))
      clients[row.id] = await start('children/client.mjs', [], row.env)
    const run = (row, runSeconds) =>
      clients[row.id].call('fetchLoop', {
        kind: row.kind ?? row.id,
        url,
        seconds: runSeconds,
        concurrency: CONNECTIONS,
        token,
      })
    await Promise.all(rows.map((row) => run(row, warmupSeconds)))
    for (let round = 1; round <= rounds; round++) {
      for (const row of shuffle(rows)) {
        const result = await run(row, seconds)
        samples[row.id].push({
          rps: result.rps,
          p99: undefined,
          cpuPerRequest: result.cpuPerRequest,
          non2xx: result.failed,
          errors: 0,
        })
      }
    }
    for (const child of Object.values(clients)) await child.stop()
  }
  return samples
}
