// RedisSessionStore asks Redis at start whether sessions survive a restart, and warns once per
// process when they would not. Each case runs on a real redis-server.
import { startRedisServer } from '@baton/test-support'
import { Redis } from 'ioredis'
import t from 'tap'
import { checkDurability } from '../src/durability.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import { eventually } from './fixtures/eventually.js'

const warnings: string[] = []
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code?.startsWith('BATON_') === true) warnings.push(warning.code)
})

async function checked(url: string): Promise<void> {
  const client = new Redis(url)
  await checkDurability(client)
  await new Promise((resolve) => process.nextTick(resolve)) // emitWarning's own tick
  client.disconnect()
}

t.test('appendonly yes: no warning', async (t) => {
  const server = await startRedisServer(t, { appendOnly: true })
  await checked(server.url)
  t.same(warnings, [])
})

t.test('a Redis that refuses CONFIG (managed services do): no warning', async (t) => {
  const server = await startRedisServer(t, { args: ['--rename-command', 'CONFIG', ''] })
  await checked(server.url)
  t.same(warnings, [])
})

t.test('snapshots only: a new store warns, once however many stores', async (t) => {
  const server = await startRedisServer(t)
  const store = new RedisSessionStore({ url: server.url })
  t.teardown(() => store.close())
  await eventually(async () => {
    if (warnings.length === 0) throw new Error('no warning yet')
  })
  await checked(server.url)
  t.same(warnings, ['BATON_REDIS_NOT_DURABLE'])
})
