// What each way of handing a request to undici costs the client:
// `node src/fetch-shapes.mjs [--clients a,b,…] [--baseline id] [--generations G] [--rounds R]
// [--seconds S] [--warmup S] [--before PATH]` (from bench/, after a build). Case 4's server and
// schedule (lib/clients.mjs), only the clients named (kinds of children/client.mjs), and a
// summary instead of the report: each client's median CPU time per request and the median,
// quartiles and range of its per-round CPU ratio against the baseline (higher is cheaper).
// `--before` adds a row `<id>-before` for each @baton/fetch row: the same client on another build
// (the path of its dist/esm/index.js), to compare two builds in one run.
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { startChild } from './lib/child.mjs'
import { CLIENT_CORE, SERVER_CORE, describePinning, pinSelf } from './lib/cpu.mjs'
import { runClients } from './lib/clients.mjs'
import { median } from './lib/stats.mjs'

const { values: flags } = parseArgs({
  options: {
    clients: {
      type: 'string',
      default: 'raw,raw-header,raw-headers-copy,raw-request,raw-signal,baton,raw-again',
    },
    baseline: { type: 'string', default: 'raw-header' },
    generations: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '10' },
    before: { type: 'string' },
  },
})
const rows = flags.clients.split(',').map((id) => ({ id }))
if (flags.before) {
  for (const row of rows.filter(({ id }) => id.startsWith('baton'))) {
    rows.push({ id: `${row.id}-before`, kind: row.id, env: { BENCH_FETCH_MODULE: flags.before } })
  }
}
if (!rows.some((row) => row.id === flags.baseline)) throw new Error('--baseline must be a client')
const log = (message) => process.stderr.write(`[shapes] ${message}\n`)

pinSelf(CLIENT_CORE)
const stoppers = []
try {
  const start = async (script, args = [], env = {}) => {
    const child = await startChild(script, {
      core: script.includes('server') ? SERVER_CORE : CLIENT_CORE,
      args,
      env: { NODE_ENV: 'production', ...env },
    })
    stoppers.push(() => child.stop())
    return child
  }
  const server = await start('children/plain-server.mjs')
  const url = `http://127.0.0.1:${server.ready.port}/api/data`
  // A token of the size @baton/express issues (~350 characters, three base64url parts).
  const token = ['header', 'claims', 'signature']
    .map((_, i) => randomBytes([27, 200, 32][i]).toString('base64url'))
    .join('.')
  const samples = await runClients({
    start,
    rows,
    url,
    token,
    schedule: {
      generations: Number(flags.generations),
      rounds: Number(flags.rounds),
      warmupSeconds: Number(flags.warmup),
      seconds: Number(flags.seconds),
    },
    log,
  })
  const base = samples[flags.baseline]
  console.log(
    `${describePinning()}; ${flags.generations} generation(s) × ${flags.rounds} round(s) of ${flags.seconds} s; ratios: ${flags.baseline}'s CPU per request over the row's, per round\n`,
  )
  console.log('| client | CPU µs/req (median) | × baseline: median | quartiles | range | failed |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const mine = samples[row.id]
    const ratios = mine
      .map((sample, round) => base[round].cpuPerRequest / sample.cpuPerRequest)
      .sort((a, b) => a - b)
    const at = (q) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]
    const failed = mine.reduce((sum, sample) => sum + sample.non2xx, 0)
    console.log(
      `| ${row.id} | ${median(mine.map((s) => s.cpuPerRequest)).toFixed(1)} | ${median(ratios).toFixed(3)} | ${at(0.25).toFixed(3)}–${at(0.75).toFixed(3)} | ${ratios[0].toFixed(3)}–${ratios.at(-1).toFixed(3)} | ${failed} |`,
    )
  }
} finally {
  for (const stop of stoppers.reverse()) await stop().catch(() => {})
}
