// Revocation lag with @baton/redis-store's localCache (issue 21): how soon a logout on instance A
// is refused by instance B, when B answers the session from its local cache.
// `node src/revocation-lag.mjs [--trials N]` (1,000 by default); prints a markdown table.
//
// Two app processes (A and B: the case 1 app, Redis store with localCache, one key prefix) and a
// private redis-server, all on the server core; this process is the client, on the client core.
// Each trial:
//   1. log in on A (a new user, so a new session);
//   2. GET /api/data on B until B answers it without Redis (Redis runs no script for it): B has
//      the session in its cache, tracking on — the state a revocation must get through;
//   3. POST /auth/logout on A; when its answer arrives, the clock starts;
//   4. GET /api/data on B until it is refused. The lag is the time to B's refusal, its own
//      request included; "refused at once" counts the trials where B's very first request after
//      the logout was refused. For scale, the table also gives the time of B's last accepted
//      request of step 2 (answered from its cache): a lag no longer than that is no lag at all.
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { newSecret, ROUTE } from './lib/apps.mjs'
import { startChild } from './lib/child.mjs'
import { CLIENT_CORE, SERVER_CORE, describePinning, pinSelf } from './lib/cpu.mjs'
import { startRedis } from './lib/redis.mjs'

const { values: flags } = parseArgs({ options: { trials: { type: 'string', default: '1000' } } })
const trials = Number(flags.trials)
if (!Number.isInteger(trials) || trials < 1) {
  process.stderr.write('[lag] --trials must be a positive integer\n')
  process.exit(2)
}
/** How many GETs a trial may spend waiting for B to cache the session, or for the refusal. */
const MAX_ATTEMPTS = 200
const log = (message) => process.stderr.write(`[lag] ${message}\n`)

const stoppers = []
try {
  await main()
} catch (error) {
  log(`failed: ${error?.stack ?? error}`)
  process.exitCode = 1
} finally {
  for (const stop of stoppers.reverse()) await stop().catch(() => {})
}

async function main() {
  pinSelf(CLIENT_CORE)
  log(describePinning())
  const redis = await startRedis()
  if (!redis.url) throw new Error(`no Redis: ${redis.unavailable}`)
  stoppers.push(() => redis.stop())
  const admin = new Redis(redis.url)
  stoppers.push(async () => admin.disconnect())

  const env = {
    BENCH_SECRET: newSecret(),
    BENCH_REDIS_URL: redis.url,
    BENCH_REDIS_PREFIX: 'lag:',
    NODE_ENV: 'production',
  }
  const instance = async () => {
    const child = await startChild('children/app-server.mjs', {
      core: SERVER_CORE,
      args: ['baton-redis-cached'],
      env,
    })
    stoppers.push(() => child.stop())
    return `http://127.0.0.1:${child.ready.port}`
  }
  const a = await instance()
  const b = await instance()
  const scripts = async () => {
    const stats = await admin.info('commandstats')
    let calls = 0
    for (const match of stats.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm))
      calls += Number(match[1])
    return calls
  }
  const status = async (url, init) => {
    const response = await fetch(url, init)
    await response.arrayBuffer()
    return response.status
  }

  const lags = []
  const accepted = []
  let refusedAtOnce = 0
  for (let trial = 0; trial < trials; trial++) {
    if (trial % 250 === 0) log(`trial ${trial}/${trials}`)
    const login = await fetch(`${a}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `lag-${trial}`, password: 'x' }),
    })
    if (login.status !== 200) throw new Error(`login answered ${login.status}`)
    const { access_token: token } = await login.json()
    const authorization = { authorization: `Bearer ${token}` }

    for (let attempt = 0; ; attempt++) {
      if (attempt === MAX_ATTEMPTS) throw new Error('B never answered from its cache')
      if ((await status(`${b}${ROUTE}`, { headers: authorization })) !== 200)
        throw new Error('B refused a live session')
      const before = await scripts()
      const sentAt = performance.now()
      if ((await status(`${b}${ROUTE}`, { headers: authorization })) !== 200)
        throw new Error('B refused a live session')
      const took = performance.now() - sentAt
      if ((await scripts()) === before) {
        accepted.push(took)
        break
      }
    }

    const logout = await status(`${a}/auth/logout`, { method: 'POST', headers: authorization })
    if (logout !== 200) throw new Error(`logout answered ${logout}`)
    const revokedAt = performance.now()
    for (let attempt = 0; ; attempt++) {
      if (attempt === MAX_ATTEMPTS) throw new Error('B never refused the revoked session')
      const answer = await status(`${b}${ROUTE}`, { headers: authorization })
      if (answer === 401) {
        lags.push(performance.now() - revokedAt)
        if (attempt === 0) refusedAtOnce++
        break
      }
      if (answer !== 200) throw new Error(`B answered ${answer}`)
    }
  }

  const ms = (value) => `${value.toFixed(2)} ms`
  const quantiles = (values) => {
    const sorted = [...values].sort((x, y) => x - y)
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
    return `${ms(at(0.5))} | ${ms(at(0.99))} | ${ms(sorted.at(-1))}`
  }
  process.stdout.write(
    [
      `Revocation lag, @baton/redis-store with localCache: logout on A → B refuses (${trials} trials, loopback, ${redis.version.split(' ').slice(0, 3).join(' ')})`,
      '',
      '| measured | trials | refused by B’s next request | p50 | p99 | max |',
      '| --- | --- | --- | --- | --- | --- |',
      `| A’s logout answered → B refuses | ${trials} | ${refusedAtOnce}/${trials} | ${quantiles(lags)} |`,
      `| for scale: a GET B accepts from its cache | ${trials} | — | ${quantiles(accepted)} |`,
      '',
    ].join('\n'),
  )
}
