import { Cluster, Redis } from 'ioredis'
import t from 'tap'
import type { RedisSessionStoreOptions } from '../src/options.js'
import { RedisSessionStore } from '../src/redis-session-store.js'

// A client that is never connected: validation happens before any I/O.
const client = new Redis({ lazyConnect: true })
const url = 'redis://127.0.0.1:1'

const invalid: [string, unknown, RegExp][] = [
  ['no options object', undefined, /options must be an object/],
  ['null', null, /options must be an object/],
  ['neither client nor url', {}, /exactly one of client or url/],
  ['both client and url', { client, url }, /exactly one of client or url/],
  ['an unknown option', { url, commandTimeoutMs: 5 }, /^unknown option "commandTimeoutMs"$/],
  ['a client that is not one', { client: {} }, /client must be an ioredis/],
  ['a client that is null', { client: null }, /client must be an ioredis/],
  [
    'a client with a braced keyPrefix',
    { client: new Redis({ lazyConnect: true, keyPrefix: '{app}:' }) },
    /keyPrefix/,
  ],
  ['a url that is not a URL', { url: 'localhost:6379' }, /url must be a redis/],
  ['an http url', { url: 'http://127.0.0.1' }, /url must be a redis/],
  ['a url that does not parse', { url: 'redis//no scheme' }, /url must be a redis/],
  ['a url that is not a string', { url: 6379 }, /url must be a redis/],
  ['a prefix with a brace', { url, prefix: 'baton{' }, /prefix must be a string without/],
  ['a prefix that is not a string', { url, prefix: 1 }, /prefix must be a string/],
  [
    'a zero commandTimeout',
    { url, commandTimeout: 0 },
    /commandTimeout must be a positive number of seconds/,
  ],
  ['a NaN commandTimeout', { url, commandTimeout: Number.NaN }, /commandTimeout/],
  ['a commandTimeout past setTimeout’s range', { url, commandTimeout: 3e6 }, /commandTimeout/],
  ['a string commandTimeout', { url, commandTimeout: '1' }, /commandTimeout/],
  [
    'a negative routeCacheSize',
    { url, routeCacheSize: -1 },
    /routeCacheSize must be a nonnegative integer/,
  ],
  ['a fractional routeCacheSize', { url, routeCacheSize: 1.5 }, /routeCacheSize/],
  ['an onError that is not a function', { url, onError: 'console' }, /onError must be a function/],
  ['a localCache of true', { url, localCache: true }, /localCache must be false or an object/],
  ['a null localCache', { url, localCache: null }, /localCache must be false or an object/],
  [
    'a localCache.max of 0',
    { url, localCache: { max: 0 } },
    /localCache.max must be a positive integer/,
  ],
  ['a fractional localCache.max', { url, localCache: { max: 1.5 } }, /localCache.max/],
  [
    // Tracking is per node: one connection cannot hear the writes of every master.
    'localCache on a Cluster client',
    {
      client: new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }),
      localCache: {},
    },
    /localCache is not supported on a Cluster client/,
  ],
]

for (const [what, options, message] of invalid) {
  t.test(`${what} is a TypeError naming the option`, async (t) => {
    t.throws(() => new RedisSessionStore(options as RedisSessionStoreOptions), {
      name: 'TypeError',
      message,
    })
  })
}

t.test('defaults: prefix baton:, and a client of its own for a URL', async (t) => {
  const store = new RedisSessionStore({ url, commandTimeout: 0.25 })
  t.teardown(() => store.close())
  t.equal(store.prefix, 'baton:')
  t.not(store.client, client)
  const options = (store.client as Redis).options
  t.match(options, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 250,
    connectTimeout: 1000,
    protocol: 2,
  })
  t.equal(options.retryStrategy?.(1), 50)
  t.equal(options.retryStrategy?.(1000), 2000, 'at most 2 s between reconnects')
})

t.test('options built ahead keep their client as an ioredis client', async (t) => {
  // Type-checked by `pnpm lint`: `quit` is ioredis's, not part of RedisClient.
  const options: RedisSessionStoreOptions = { client }
  t.type(options.client?.quit.bind(options.client), 'function')
  t.equal(new RedisSessionStore(options).client, client)
})

t.test('an empty prefix and a duck-typed client are accepted', async (t) => {
  const store = new RedisSessionStore({ client, prefix: '' })
  t.equal(store.prefix, '')
  t.equal(store.client, client)
})
