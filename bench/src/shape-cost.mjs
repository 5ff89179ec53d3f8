// What undici charges for each shape of call, without the network: `node src/shape-cost.mjs
// [--processes N] [--before PATH]` (from bench/, after a build). Each shape runs in processes of
// its own (undici's code is optimized for the calls its process sees, so shapes sharing one
// would slow one another), pinned to the client core, in a random order, N times (6 by
// default); each process times batches of calls that build the `Request` undici's fetch builds
// (for @baton/fetch: over an underlying fetch that builds it and answers at once) and prints its
// median µs per call. The table gives the median over processes and their range. `--before`
// adds the @baton/fetch rows on another build (the path of its dist/esm/index.js).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { CLIENT_CORE, describePinning, pinned } from './lib/cpu.mjs'
import { median, shuffle } from './lib/stats.mjs'

const url = 'http://127.0.0.1:3000/api/data'

/** Each shape: `(token, api) => call`, `api` being @baton/fetch's fetch for the baton rows. */
const SHAPES = {
  'no header': () => () => new Request(url),
  'plain { authorization } (raw fetch + header)': (token) => {
    const headers = { authorization: `Bearer ${token}` }
    return () => new Request(url, { headers })
  },
  'a copy of one Headers': (token) => {
    const shared = new Headers({ authorization: `Bearer ${token}` })
    return () => new Request(url, { headers: new Headers(shared) })
  },
  'one shared Headers': (token) => {
    const headers = new Headers({ authorization: `Bearer ${token}` })
    return () => new Request(url, { headers })
  },
  'plain header + a signal': (token) => {
    const headers = { authorization: `Bearer ${token}` }
    return () => new Request(url, { headers, signal: new AbortController().signal })
  },
  'a Request + plain header': (token) => {
    const headers = { authorization: `Bearer ${token}` }
    return () => new Request(new Request(url), { headers })
  },
  '@baton/fetch, string': (_token, api) => () => api(url),
  '@baton/fetch, Request': (_token, api) => () => api(new Request(url)),
}

const { values: flags } = parseArgs({
  options: {
    processes: { type: 'string', default: '6' },
    before: { type: 'string' },
    child: { type: 'string' },
    module: { type: 'string' },
    token: { type: 'string' },
  },
})

if (flags.child !== undefined) {
  // One process, one shape.
  const { createAuthFetch } = await import(
    flags.module ? pathToFileURL(flags.module).href : '@baton/fetch'
  )
  const answer = new Response('ok')
  const api = createAuthFetch({
    origins: [new URL(url).origin],
    refreshUrl: new URL('/auth/refresh', url).href,
    tokens: { accessToken: flags.token, refreshToken: 'unused', expiresAt: Date.now() + 3_600_000 },
    fetch: async (input, init) => {
      new Request(input, init)
      return answer
    },
  })
  const call = SHAPES[flags.child](flags.token, api.fetch)
  const batch = 2000
  const times = []
  for (let round = 0; round < 60; round++) {
    const before = process.cpuUsage()
    for (let i = 0; i < batch; i++) await call()
    const used = process.cpuUsage(before)
    if (round >= 20) times.push((used.user + used.system) / batch)
  }
  process.stdout.write(`${median(times)}\n`)
} else {
  // A token of the size @baton/express issues (~350 characters, three base64url parts).
  const token = [27, 200, 32].map((bytes) => randomBytes(bytes).toString('base64url')).join('.')
  const rows = Object.keys(SHAPES).map((shape) => ({ label: shape, shape }))
  if (flags.before) {
    for (const shape of Object.keys(SHAPES).filter((name) => name.startsWith('@baton'))) {
      rows.push({ label: `${shape}, before`, shape, module: flags.before })
    }
  }
  const times = new Map(rows.map((row) => [row, []]))
  const script = fileURLToPath(import.meta.url)
  for (let round = 0; round < Number(flags.processes); round++) {
    for (const row of shuffle(rows)) {
      const args = [script, '--child', row.shape, '--token', token]
      if (row.module) args.push('--module', row.module)
      const [command, argv] = pinned(CLIENT_CORE, process.execPath, args)
      const run = spawnSync(command, argv, { encoding: 'utf8' })
      if (run.status !== 0) throw new Error(`${row.label}: ${run.stderr}`)
      times.get(row).push(Number(run.stdout))
    }
  }
  console.log(`${describePinning()}; µs per call, over ${flags.processes} processes per shape\n`)
  console.log('| shape | median | range |')
  console.log('| --- | --- | --- |')
  for (const [row, values] of times) {
    const sorted = [...values].sort((a, b) => a - b)
    console.log(
      `| ${row.label} | ${median(values).toFixed(2)} | ${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)} |`,
    )
  }
}
