// connection.ts under faults: Redis killed, restarted, frozen, or refusing a command.
import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import { RedisStoreError } from '../src/errors.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { eventually } from './fixtures/eventually.js'
import { evictOldest, makeSession, rotation, uniqueSubject } from './fixtures/sessions.js'

const TIMEOUT = 0.3 // seconds
// How late a rejection may come past the timeout: event-loop and process scheduling on a busy
// 2-core machine, not a second deadline.
const SLACK_MS = 400

/** Runs `call` and reports how it settled and how long it took. */
async function timed(call: () => Promise<unknown>) {
  const started = performance.now()
  try {
    await call()
    return { ok: true as const, ms: performance.now() - started }
  } catch (error) {
    return { ok: false as const, error, ms: performance.now() - started }
  }
}

t.test(
  'Redis stopped mid-traffic: calls reject promptly, nothing crashes, a restart heals the same store',
  async (t) => {
    const server = await startRedisServer(t)
    const reports: RedisStoreError[] = []
    const store = new RedisSessionStore({
      url: server.url,
      commandTimeout: TIMEOUT,
      onError: (error) => reports.push(error),
    })
    t.teardown(() => store.close())
    const sub = uniqueSubject('traffic')
    const live = makeSession(sub)
    await store.create(live, evictOldest(Date.now(), 1000))

    // Eight workers loop over every kind of call until told to stop.
    const outcomes: Awaited<ReturnType<typeof timed>>[] = []
    let running = true
    const worker = async () => {
      let index = 0
      while (running) {
        index += 1
        const now = Date.now()
        const calls = [
          async () => store.get(live.sid, now),
          () => store.create(makeSession(sub, now), evictOldest(now, 1000)),
          () => store.rotate(live.sid, 999, rotation(now)),
          () => store.touch(live.sid, now),
          () => store.listBySubject(sub, now),
        ] as const
        outcomes.push(await timed(calls[index % calls.length] ?? calls[0]))
      }
    }
    const workers = Array.from({ length: 8 }, worker)
    await eventually(async () => {
      if (outcomes.length < 50) throw new Error('warming up')
    })
    const before = outcomes.length
    await server.stop()
    await eventually(async () => {
      if (outcomes.slice(before).filter((outcome) => !outcome.ok).length < 40)
        throw new Error('waiting')
    })
    running = false
    await Promise.all(workers)

    const failures = outcomes.slice(before).filter((outcome) => !outcome.ok)
    t.ok(failures.length >= 40, 'calls fail while Redis is down')
    t.ok(
      failures.every(
        (outcome) =>
          outcome.error instanceof RedisStoreError &&
          (outcome.error.code === 'ERR_STORE_TIMEOUT' ||
            outcome.error.code === 'ERR_STORE_UNAVAILABLE'),
      ),
      'every failure is a RedisStoreError, timed out or unavailable',
    )
    const slowest = Math.max(...failures.map((outcome) => outcome.ms))
    t.ok(
      slowest < TIMEOUT * 1000 + SLACK_MS,
      `no call outlived the timeout (slowest ${Math.round(slowest)} ms)`,
    )
    t.same(
      reports.map((report) => report.code),
      ['ERR_STORE_CONNECTION'],
      'the outage is reported once, not once per reconnect attempt',
    )

    await server.start()
    const now = Date.now()
    const fresh = makeSession(sub, now)
    await eventually(() => store.create(fresh, evictOldest(now)))
    t.same(await store.get(fresh.sid, now), fresh, 'the same store works again')
    t.equal((await store.rotate(fresh.sid, 0, rotation(now))).outcome, 'rotated')

    await server.stop()
    await eventually(async () => {
      if (reports.length < 2) throw new Error('waiting for the second report')
    })
    t.equal(reports.length, 2, 'a second outage is reported again')
  },
)

t.test('with appendonly yes, a killed and restarted Redis loses no session', async (t) => {
  // fsync every write: under everysec Redis may postpone writing the AOF while an fsync is slow
  // (a busy disk), and the SIGKILL below would then lose a write it had already acknowledged.
  const server = await startRedisServer(t, { appendOnly: true, args: ['--appendfsync', 'always'] })
  const store = new RedisSessionStore({ url: server.url, commandTimeout: TIMEOUT })
  t.teardown(() => store.close())
  const now = Date.now()
  const sub = uniqueSubject('durable')
  const sessions = Array.from({ length: 5 }, (_, index) =>
    makeSession(sub, now + index, { createdAt: now + index }),
  )
  for (const session of sessions) await store.create(session, evictOldest(now))
  const rotated = await store.rotate(sessions[0]?.sid ?? '', 0, rotation(now + 1000))
  await store.markUsed(sessions[0]?.sid ?? '', 1, now + 1500)
  await store.touch(sessions[1]?.sid ?? '', now + 2000)
  const expected = await store.listBySubject(sub, now + 2000)
  t.equal(expected.length, 5)
  t.equal(rotated.outcome, 'rotated')

  await server.stop() // SIGKILL: no shutdown save
  await server.start()
  const after = await eventually(() => store.listBySubject(sub, now + 2000))
  t.same(after, expected, 'every session, its rotation, its use and its touch survived')
  t.equal(
    (await store.rotate(sessions[0]?.sid ?? '', 0, rotation(now + 3000, 0))).outcome,
    'reused',
    'reuse detection still knows the rotated generation',
  )
})

t.test(
  'a paused Redis: a call rejects with ERR_STORE_TIMEOUT at the timeout, and works after',
  async (t) => {
    const server = await startRedisServer(t)
    // A client of our own without an ioredis commandTimeout: only the store's deadline is at work.
    const client = new Redis(server.port, '127.0.0.1')
    t.teardown(() => client.disconnect())
    const store = new RedisSessionStore({ client, commandTimeout: TIMEOUT })
    const now = Date.now()
    const session = makeSession(uniqueSubject('paused'), now)
    await store.create(session, evictOldest(now))

    server.pause()
    t.teardown(() => server.resume())
    const results = await Promise.all([
      timed(async () => store.get(session.sid, now)),
      timed(() => store.rotate(session.sid, 0, rotation(now))),
      timed(() => store.listBySubject(session.sub, now)),
    ])
    for (const result of results) {
      t.match(result, { ok: false, error: { code: 'ERR_STORE_TIMEOUT' } })
      t.ok(result.ms >= TIMEOUT * 1000 - 5 && result.ms < TIMEOUT * 1000 + SLACK_MS)
    }
    server.resume()
    t.ok(await eventually(async () => store.get(session.sid, now)), 'answers again once Redis does')
  },
)

t.test(
  'a command Redis refuses rejects with ERR_STORE_UNAVAILABLE and keeps the cause',
  async (t) => {
    const server = await startRedisServer(t, {
      args: ['--maxmemory', '1', '--maxmemory-policy', 'noeviction'],
    })
    const store = new RedisSessionStore({ url: server.url })
    t.teardown(() => store.close())
    const now = Date.now()
    const error = await store
      .create(makeSession('oom', now), evictOldest(now))
      .catch((caught: unknown) => caught)
    t.match(error, { name: 'RedisStoreError', code: 'ERR_STORE_UNAVAILABLE' })
    t.match((error as Error).cause, { message: /OOM/ })
    t.doesNotThrow(() => JSON.stringify(error))
  },
)

t.test('a call whose first round trip outlasts the deadline sends nothing after it', async (t) => {
  const server = await startRedisServer(t)
  const admin = new Redis(server.port, '127.0.0.1')
  // A client of the app's, configured as the README advises: no offline queue, and no command
  // timeout of its own, so a command answered late is still answered.
  const client = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false })
  t.teardown(() => {
    admin.disconnect()
    client.disconnect()
  })
  const observer = new RedisSessionStore({ client })
  // No route cache: a rotation first asks the sid's pointer, then runs the script.
  const store = new RedisSessionStore({ client, commandTimeout: TIMEOUT, routeCacheSize: 0 })
  const now = Date.now()
  const session = makeSession(uniqueSubject('late'), now)
  await observer.create(session, evictOldest(now, 1))
  /** Waits until every command the store sent before this point has run. */
  const settled = async () => {
    await admin.ping() // answered once the pause is over
    // Commands on one connection run in order: a script sent in reply to the late pointer read
    // was written before the second PING, so it has run when that PING answers.
    await client.ping()
    await client.ping()
  }

  // Redis stalls for longer than the deadline (a slow fork, a failover): the pointer read is
  // answered after the caller was told the rotation failed.
  await admin.call('CLIENT', 'PAUSE', String(TIMEOUT * 3000), 'ALL')
  const rotated = await timed(() => store.rotate(session.sid, 0, rotation(now)))
  t.match(rotated, { ok: false, error: { code: 'ERR_STORE_TIMEOUT' } })
  await settled()
  t.equal((await observer.get(session.sid, now))?.generation, 0, 'the rotation never happened')

  // A login whose pointer write is answered late creates nothing, so it evicts nothing.
  await admin.call('CLIENT', 'PAUSE', String(TIMEOUT * 3000), 'WRITE')
  const login = makeSession(session.sub, now)
  const created = await timed(() => store.create(login, evictOldest(now, 1)))
  t.match(created, { ok: false, error: { code: 'ERR_STORE_TIMEOUT' } })
  await settled()
  t.same(await observer.listBySubject(session.sub, now), [session], 'the old session stays')
})
