// connection.ts's failures as @baton/express answers them over HTTP: 503 with Retry-After,
// never 401 or 500, and no hang.
import { startRedisServer } from '@baton/test-support'
import t from 'tap'
import type { Test } from 'tap'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { startApp } from './fixtures/app.js'
import { eventually } from './fixtures/eventually.js'

const COMMAND_TIMEOUT = 0.3 // seconds, the store's
const STORE_TIMEOUT = 1 // seconds, @baton/express's
const RETRY_AFTER = 2 // seconds
// Scheduling slack on a busy 2-core machine; a hang would take the fixture's 5 s fetch timeout.
const SLACK_MS = 500

interface Outcome {
  status: number | 'no answer'
  ms: number
  retryAfter: string | null
  code?: unknown
}

async function observe(request: () => Promise<Response>): Promise<Outcome> {
  const started = performance.now()
  try {
    const response = await request()
    const body = (await response.json()) as { code?: unknown }
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      code: body.code,
    }
  } catch {
    return { status: 'no answer', ms: performance.now() - started, retryAfter: null }
  }
}

async function setup(t: Test) {
  // appendonly, so the sessions are still there when Redis comes back.
  // fsync every write: under everysec Redis may postpone writing the AOF while an fsync is slow
  // (a busy disk), and the SIGKILL below would then lose a write it had already acknowledged.
  const server = await startRedisServer(t, { appendOnly: true, args: ['--appendfsync', 'always'] })
  const store = new RedisSessionStore({ url: server.url, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const app = await startApp(t, {
    store,
    storeTimeout: STORE_TIMEOUT,
    retryAfter: RETRY_AFTER,
    reuseGrace: 0,
  })
  return { server, app }
}

function unavailable(t: Test, outcome: Outcome, what: string): void {
  t.match(
    outcome,
    { status: 503, retryAfter: String(RETRY_AFTER), code: 'ERR_STORE_UNAVAILABLE' },
    `${what}: 503 temporarily_unavailable with Retry-After`,
  )
  t.ok(
    outcome.ms < COMMAND_TIMEOUT * 1000 + SLACK_MS,
    `${what}: answered in ${Math.round(outcome.ms)} ms`,
  )
}

t.test(
  'Redis stopped mid-traffic: 200 or 503 with Retry-After, never 401 or 500, no hang; a restart heals',
  async (t) => {
    const { server, app } = await setup(t)
    const tokens = await app.login()
    const outcomes: Outcome[] = []
    let running = true
    const worker = async (index: number) => {
      while (running) {
        outcomes.push(
          await observe(() =>
            index % 3 === 0
              ? app.post('/auth/login', { username: 'bob', password: 'bob-password' })
              : app.get('/api/me', tokens.access_token),
          ),
        )
      }
    }
    const workers = Array.from({ length: 6 }, (_, index) => worker(index))
    await eventually(async () => {
      if (outcomes.length < 30) throw new Error('warming up')
    })
    await server.stop()
    const atStop = outcomes.length
    await eventually(async () => {
      if (outcomes.slice(atStop).filter((outcome) => outcome.status === 503).length < 30) {
        throw new Error('waiting for 503s')
      }
    })
    await server.start()
    await eventually(async () => {
      const response = await app.get('/api/me', tokens.access_token)
      if (response.status !== 200) throw new Error(`still ${response.status}`)
    })
    running = false
    await Promise.all(workers)

    const statuses = new Set(outcomes.map((outcome) => outcome.status))
    t.same(
      [...statuses].sort(),
      [200, 503],
      'only 200s and 503s: no 401, no 500, no request left unanswered',
    )
    const failures = outcomes.filter((outcome) => outcome.status === 503)
    t.ok(
      failures.every(
        (outcome) =>
          outcome.retryAfter === String(RETRY_AFTER) && outcome.code === 'ERR_STORE_UNAVAILABLE',
      ),
      'every 503 is temporarily_unavailable with Retry-After',
    )
    const slowest = Math.max(...outcomes.map((outcome) => outcome.ms))
    t.ok(
      slowest < COMMAND_TIMEOUT * 1000 + SLACK_MS,
      `the slowest answer took ${Math.round(slowest)} ms`,
    )
    t.equal(outcomes.at(-1)?.status, 200, 'the same app and store serve again after the restart')
  },
)

t.test(
  'while Redis is down every endpoint that needs it answers 503, and a refresh does not happen later',
  async (t) => {
    const { server, app } = await setup(t)
    const tokens = await app.login()
    await server.stop()
    unavailable(t, await observe(() => app.get('/api/me', tokens.access_token)), 'GET /api/me')
    unavailable(
      t,
      await observe(() =>
        app.post('/auth/login', { username: 'alice', password: 'alice-password' }),
      ),
      'POST /auth/login',
    )
    unavailable(
      t,
      await observe(() => app.post('/auth/refresh', { refresh_token: tokens.refresh_token })),
      'POST /auth/refresh',
    )
    unavailable(
      t,
      await observe(() => app.post('/auth/logout', undefined, tokens.access_token)),
      'POST /auth/logout',
    )
    unavailable(
      t,
      await observe(() => app.get('/auth/sessions', tokens.access_token)),
      'GET /auth/sessions',
    )

    await server.start()
    await eventually(async () => {
      const response = await app.get('/api/me', tokens.access_token)
      if (response.status !== 200) throw new Error(`still ${response.status}`)
    })
    // Had the failed refresh been queued and sent after the reconnect, this token would now be
    // the previous generation, and with reuseGrace 0 presenting it would revoke the session.
    const refresh = await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
    t.equal(refresh.status, 200, 'the refresh that failed with 503 never rotated behind the client')
    t.equal(app.events.filter((event) => event.type === 'refresh_reused').length, 0)
  },
)

t.test(
  'a frozen Redis: requests get a 503 at the timeout instead of hanging, then 200 again',
  async (t) => {
    const { server, app } = await setup(t)
    const tokens = await app.login()
    server.pause()
    t.teardown(() => server.resume())
    const frozen = await Promise.all(
      Array.from({ length: 5 }, () => observe(() => app.get('/api/me', tokens.access_token))),
    )
    for (const outcome of frozen) unavailable(t, outcome, 'GET /api/me')
    server.resume()
    await eventually(async () => {
      const response = await app.get('/api/me', tokens.access_token)
      if (response.status !== 200) throw new Error(`still ${response.status}`)
    })
    t.pass('answers again once Redis does')
  },
)
