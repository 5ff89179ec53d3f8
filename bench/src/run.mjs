// The benchmark harness of issue #6. `node src/run.mjs [--quick] [--out DIR] [--rounds N]
// [--seconds S] [--generations G]`; see README.md. Prints the markdown report and writes
// RESULTS.md, ratios.svg and results.json to the output directory (bench/ for a full run, a temp
// dir for --quick).
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ROUTE, BODY, newSecret } from './lib/apps.mjs'
import {
  CLIENT_ROWS,
  ENDPOINT_ROWS,
  MEMORY_SIZES,
  STAMPEDE_MODES,
  STAMPEDE_SIZES,
  VERIFIER_ROWS,
} from './lib/cases.mjs'
import { startChild } from './lib/child.mjs'
import { runClients } from './lib/clients.mjs'
import { CLIENT_CORE, SERVER_CORE, describePinning, pinSelf, pinned } from './lib/cpu.mjs'
import { CONNECTIONS, load } from './lib/load.mjs'
import { startRedis } from './lib/redis.mjs'
import { renderMarkdown, renderSvg } from './lib/report.mjs'
import { median, shuffle } from './lib/stats.mjs'

const benchDir = fileURLToPath(new URL('..', import.meta.url))
/** The cookie `refreshCookie: true` keeps the refresh token in (case 3's cookie-mode row). */
const REFRESH_COOKIE = 'baton_refresh'
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    generations: { type: 'string' },
  },
})

/** A flag's positive number, or `fallback` without the flag; anything else stops the run. */
function positive(name, fallback, integer) {
  const given = flags[name]
  if (given === undefined) return fallback
  const value = Number(given)
  if (value > 0 && (!integer || Number.isInteger(value))) return value
  process.stderr.write(
    `[bench] --${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(given)}\n`,
  )
  process.exit(2)
}

const quick = flags.quick
const rounds = positive('rounds', quick ? 1 : 40, true)
const clientGenerations = positive('generations', quick ? 1 : 8, true)
const settings = {
  mode: quick ? 'quick' : 'full',
  rounds,
  seconds: positive('seconds', quick ? 1 : 0.5, false),
  warmupSeconds: quick ? 0.5 : 2,
  // Case 4 runs on its own schedule (see runClients below).
  clientGenerations,
  clientRounds: Math.ceil(rounds / clientGenerations),
  clientWarmupSeconds: quick ? 0.5 : 10,
  clientSeconds: quick ? 0.5 : 1,
  microBatchMs: quick ? 100 : 500,
  microWarmupMs: quick ? 100 : 1000,
  stampedeRounds: quick ? 1 : 5,
}
const outDir = flags.out ?? (quick ? join(tmpdir(), 'baton-bench-quick') : benchDir)
const log = (message) => process.stderr.write(`[bench] ${message}\n`)

const stoppers = []
async function stopAll() {
  for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => {})
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(130))
  })
}

try {
  await main()
} catch (error) {
  log(`failed: ${error?.stack ?? error}`)
  process.exitCode = 1
} finally {
  await stopAll()
}

async function main() {
  const startedAt = new Date()
  const loadBefore = loadavg()
  const pinnedSelf = pinSelf(CLIENT_CORE)
  log(
    `${settings.mode} run: ${settings.rounds} round(s) × ${settings.seconds} s per case; ${describePinning()}`,
  )

  const redis = await startRedis()
  if (redis.url) stoppers.push(() => redis.stop())
  else log(`Redis rows unavailable: ${redis.unavailable}`)
  const redisMissing = redis.url ? undefined : redis.unavailable

  const secret = newSecret()
  const start = async (script, args = [], env = {}) => {
    const child = await startChild(script, {
      core: script.includes('server') ? SERVER_CORE : CLIENT_CORE,
      args,
      env: {
        BENCH_SECRET: secret,
        BENCH_REDIS_URL: redis.url ?? '',
        NODE_ENV: 'production',
        ...env,
      },
    })
    stoppers.push(() => child.stop())
    return child
  }

  log('starting the apps')
  const apps = {}
  for (const app of VERIFIER_ROWS) {
    if (app.redis && redisMissing) continue
    apps[app.id] = await start('children/app-server.mjs', [app.id])
  }
  // Case 3 gets apps of its own, so the case 1 apps serve GET /api/data and nothing else, as
  // the peers' apps do (logins and rotations would warm other code paths in the same process).
  const endpointApps = {}
  for (const row of ENDPOINT_ROWS) {
    if ((row.redis && redisMissing) || endpointApps[row.app]) continue
    endpointApps[row.app] = await start('children/app-server.mjs', [row.app])
  }
  const stampedeApp = await start('children/app-server.mjs', ['baton-lru'], {
    BENCH_COUNT_REFRESH: '1',
  })
  const plainServer = await start('children/plain-server.mjs')
  // Case 5's client (and the preflight's). Case 4 starts its own (see runClients).
  const client = await start('children/client.mjs')
  const urlOf = (child, path = ROUTE) => `http://127.0.0.1:${child.ready.port}${path}`

  await preflight(apps, plainServer, client, urlOf)

  // Throughput cases 1 and 3, run in interleaved rounds; case 4 has a schedule of its own.
  const cases = []
  for (const app of VERIFIER_ROWS) {
    const child = apps[app.id]
    if (child === undefined) continue
    const headers = child.ready.token ? { authorization: `Bearer ${child.ready.token}` } : {}
    cases.push({
      id: app.id,
      group: 1,
      run: (seconds) => withServerCpu(child, () => load({ url: urlOf(child), headers, seconds })),
    })
  }
  for (const row of ENDPOINT_ROWS) {
    const child = endpointApps[row.app]
    if (child === undefined) continue
    if (row.id.startsWith('refresh')) {
      const refresh = row.id.startsWith('refresh-cookie') ? loadCookieRefresh : loadRefresh
      cases.push({
        id: row.id,
        group: 3,
        run: (seconds) =>
          withServerCpu(child, () => refresh(child, urlOf(child, '/auth/refresh'), seconds)),
      })
    } else {
      const body = JSON.stringify({ username: 'alice', password: 'alice-password' })
      const headers = { 'content-type': 'application/json' }
      cases.push({
        id: row.id,
        group: 3,
        run: (seconds) =>
          withServerCpu(child, () =>
            load({ url: urlOf(child, '/auth/login'), method: 'POST', headers, body, seconds }),
          ),
      })
    }
  }
  log(`warming up ${cases.length} cases`)
  for (const entry of cases) await entry.run(settings.warmupSeconds)
  const samples = Object.fromEntries(cases.map((entry) => [entry.id, []]))
  // This machine's throughput drifts over seconds, and a ratio is only as good as how close in
  // time its two measurements were. So runs are short, and each round runs the cases of one
  // comparison back to back — case 1's apps, then case 3's endpoints, or the other way round —
  // and each group's cases in a random order.
  const groups = [1, 3].map((group) => cases.filter((entry) => entry.group === group))
  for (let round = 1; round <= settings.rounds; round++) {
    if (round === 1 || round % 10 === 0) log(`round ${round}/${settings.rounds}`)
    for (const group of shuffle(groups)) {
      for (const entry of shuffle(group)) samples[entry.id].push(await entry.run(settings.seconds))
    }
  }

  // A real access token (~350 characters), so the header @baton/fetch sends is a realistic size.
  const clientToken = apps['baton-lru'].ready.token
  Object.assign(
    samples,
    await runClients({
      start,
      rows: CLIENT_ROWS,
      url: urlOf(plainServer),
      token: clientToken,
      schedule: {
        generations: settings.clientGenerations,
        rounds: settings.clientRounds,
        warmupSeconds: settings.clientWarmupSeconds,
        seconds: settings.clientSeconds,
      },
      log,
    }),
  )

  log('microbenchmarks')
  const micro = await start('children/micro.mjs')
  const microResults = await micro.call(
    'run',
    {
      secret,
      redisUrl: redis.url,
      rounds: Math.min(7, Math.max(3, settings.rounds)),
      batchMs: settings.microBatchMs,
      warmupMs: settings.microWarmupMs,
    },
    300_000,
  )
  await micro.stop()

  log('memory')
  const memory = []
  for (const sessions of MEMORY_SIZES) memory.push(await measureMemory(sessions))

  log('stampedes')
  const stampedes = []
  for (const mode of STAMPEDE_MODES) {
    for (const n of STAMPEDE_SIZES) {
      const runs = []
      for (let round = 0; round < settings.stampedeRounds; round++) {
        const [pair] = await stampedeApp.call('issue', {
          expired: true,
          prefix: `stampede-${mode.id}-${n}-${round}`,
        })
        await stampedeApp.call('refreshCalls')
        const result = await client.call('stampede', {
          url: urlOf(stampedeApp),
          n,
          mode: mode.id,
          ...pair,
        })
        runs.push({ ...result, refreshCalls: await stampedeApp.call('refreshCalls') })
      }
      stampedes.push({ mode: mode.id, n, runs })
    }
  }

  const results = {
    settings,
    environment: {
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      node: process.version,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
      pinning: describePinning(),
      pinnedSelf,
      connections: CONNECTIONS,
      redis: redis.url ? redis.version : `unavailable: ${redisMissing}`,
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
    },
    redisMissing,
    throughput: summarize(samples),
    micro: microResults,
    memory,
    stampedes,
  }

  mkdirSync(outDir, { recursive: true })
  const markdown = await formatted(renderMarkdown(results), join(outDir, 'RESULTS.md'))
  writeFileSync(join(outDir, 'RESULTS.md'), markdown)
  writeFileSync(join(outDir, 'ratios.svg'), renderSvg(results))
  const json = await formatted(JSON.stringify(results), join(outDir, 'results.json'))
  writeFileSync(join(outDir, 'results.json'), json)
  process.stdout.write(markdown)
  log(
    `wrote ${join(outDir, 'RESULTS.md')}, ratios.svg and results.json in ${results.environment.durationSeconds.toFixed(0)} s`,
  )
}

/** The text as the repository's Prettier writes it, so committed results pass `pnpm lint`. */
async function formatted(text, filepath) {
  try {
    const prettier = await import('prettier')
    const options = (await prettier.resolveConfig(filepath)) ?? {}
    return await prettier.format(text, { ...options, filepath })
  } catch {
    return text.endsWith('\n') ? text : `${text}\n`
  }
}

/** Every app answers as it should before anything is timed: refused without a token, the same body with one. */
async function preflight(apps, plainServer, client, urlOf) {
  const expected = JSON.stringify(BODY)
  for (const [id, child] of Object.entries(apps)) {
    const anonymous = await fetch(urlOf(child))
    await anonymous.arrayBuffer()
    if (anonymous.status !== (id === 'none' ? 200 : 401)) {
      throw new Error(`preflight: ${id} answered ${anonymous.status} without a token`)
    }
    const headers = child.ready.token ? { authorization: `Bearer ${child.ready.token}` } : {}
    const response = await fetch(urlOf(child), { headers })
    const text = await response.text()
    if (response.status !== 200 || text !== expected) {
      throw new Error(`preflight: ${id} answered ${response.status} ${text} with a token`)
    }
  }
  await plainServer.call('withToken')
  await client.call('fetchLoop', {
    token: 'preflight-token',
    kind: 'baton',
    url: urlOf(plainServer),
    seconds: 0.05,
    concurrency: 1,
  })
  if ((await plainServer.call('withToken')) === 0)
    throw new Error('preflight: @baton/fetch sent no token')
}

/**
 * /refresh under autocannon: every connection presents a refresh token from a pool and puts the
 * rotated one back, so no token is presented twice (that would be reuse, and kill the session).
 * Tokens in flight when a run stops are lost, so the pool is topped up before each run.
 */
async function loadRefresh(app, url, seconds) {
  const pool = (
    await app.call('issue', { count: CONNECTIONS * 2, prefix: `refresh-${Date.now()}` })
  ).map((pair) => pair.refreshToken)
  const requests = [
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest(request) {
        const refreshToken = pool.pop() ?? 'pool-empty'
        return { ...request, body: JSON.stringify({ refresh_token: refreshToken }) }
      },
      onResponse(status, body) {
        if (status === 200) pool.push(JSON.parse(body).refresh_token)
      },
    },
  ]
  return load({ url, seconds, requests })
}

/**
 * /refresh in cookie mode, as a browser's `@baton/fetch` sends it: the refresh token in the
 * `baton_refresh` cookie, with `Origin` (the app's own, which the default CSRF rule allows) and
 * `X-Baton-CSRF`. The rotated token comes back only in `Set-Cookie`, and goes back in the pool.
 */
async function loadCookieRefresh(app, url, seconds) {
  const pool = (
    await app.call('issue', { count: CONNECTIONS * 2, prefix: `refresh-cookie-${Date.now()}` })
  ).map((pair) => pair.refreshToken)
  const origin = new URL(url).origin
  const requests = [
    {
      method: 'POST',
      setupRequest(request) {
        const refreshToken = pool.pop() ?? 'pool-empty'
        return {
          ...request,
          headers: {
            ...request.headers,
            origin,
            'x-baton-csrf': '1',
            cookie: `${REFRESH_COOKIE}=${refreshToken}`,
          },
        }
      },
      onResponse(status, _body, _context, headers) {
        const refreshToken = status === 200 ? refreshCookieOf(headers) : undefined
        if (refreshToken) pool.push(refreshToken)
      },
    },
  ]
  return load({ url, seconds, requests })
}

/** The refresh token a response's `Set-Cookie` sets (autocannon keeps header names as sent). */
function refreshCookieOf(headers) {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'set-cookie')
  for (const cookie of [headers[name] ?? []].flat()) {
    if (cookie.startsWith(`${REFRESH_COOKIE}=`)) {
      return cookie.slice(REFRESH_COOKIE.length + 1).split(';', 1)[0]
    }
  }
  return undefined
}

function measureMemory(sessions) {
  const script = fileURLToPath(new URL('children/memory.mjs', import.meta.url))
  const [command, args] = pinned(CLIENT_CORE, process.execPath, [
    '--expose-gc',
    script,
    String(sessions),
  ])
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(output))
      else reject(new Error(`memory ${sessions}: exit ${code}`))
    })
  })
}

/**
 * Runs one load against `app` and adds the server's CPU time per request it received (µs),
 * read from the app's own process.cpuUsage() before and after.
 */
async function withServerCpu(app, run) {
  const before = await app.call('usage')
  const result = await run()
  const after = await app.call('usage')
  return { ...result, cpuPerRequest: (after.cpu - before.cpu) / (after.served - before.served) }
}

/**
 * Medians per case, and per-round ratios (each against its baseline of the same round): req/s
 * over the baseline's, and the baseline's CPU time per request over this case's (so both read
 * "× the baseline's capacity", higher is better).
 */
function summarize(samples) {
  const ratioTo = (id, baseline, of = (mine, base) => mine.rps / base.rps) => {
    const mine = samples[id]
    const base = samples[baseline]
    if (!mine || !base) return undefined
    return median(mine.map((sample, round) => of(sample, base[round])))
  }
  const cpuRatio = (mine, base) => base.cpuPerRequest / mine.cpuPerRequest
  const out = {}
  for (const [id, runs] of Object.entries(samples)) {
    const baseline = CLIENT_ROWS.some((row) => row.id === id) ? 'raw' : 'none'
    out[id] = {
      rps: median(runs.map((run) => run.rps)),
      p99: median(runs.map((run) => run.p99)),
      failures: runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0),
      ratio: ratioTo(id, baseline),
      cpuPerRequest: median(runs.map((run) => run.cpuPerRequest)),
      cpuRatio: ratioTo(id, baseline, cpuRatio),
      rounds: runs.map((run) => [round2(run.rps), round2(run.cpuPerRequest)]),
    }
  }
  if (out.baton && out['raw-header']) {
    out.baton.vsRawHeader = ratioTo('baton', 'raw-header')
    out.baton.cpuVsRawHeader = ratioTo('baton', 'raw-header', cpuRatio)
  }
  if (out.baton && out['minimal-wrapper']) {
    out.baton.vsMinimalWrapper = ratioTo('baton', 'minimal-wrapper')
    out.baton.cpuVsMinimalWrapper = ratioTo('baton', 'minimal-wrapper', cpuRatio)
  }
  if (out['baton-lru'] && out['shape-only']) {
    out['baton-lru'].vsShape = ratioTo('baton-lru', 'shape-only')
    out['baton-lru'].cpuVsShape = ratioTo('baton-lru', 'shape-only', cpuRatio)
  }
  if (out['baton-lru'] && out['express-jwt']) {
    out['baton-lru'].vsExpressJwt = ratioTo('baton-lru', 'express-jwt')
    out['baton-lru'].cpuVsExpressJwt = ratioTo('baton-lru', 'express-jwt', cpuRatio)
  }
  return out
}

function round2(value) {
  return Math.round(value * 100) / 100
}
