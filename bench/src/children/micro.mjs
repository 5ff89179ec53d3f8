// Case 2: one verification and one rotation, µs/op, in-process (no HTTP), on the client core.
// Operations are measured in interleaved rounds of fixed-length batches; the median batch wins.
import { createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto'
import { LruSessionStore, createAuth } from '@baton/express'
import jwt from 'jsonwebtoken'
import { serve } from '../lib/child.mjs'
import { AUDIENCE, ISSUER, peerToken } from '../lib/apps.mjs'
import { median } from '../lib/stats.mjs'

async function setup({ secret, redisUrl }) {
  const options = { keys: { secret }, issuer: ISSUER, audience: AUDIENCE }
  const cached = createAuth({ ...options, store: new LruSessionStore() })
  const uncached = createAuth({ ...options, verifyCacheSize: 0, store: new LruSessionStore() })
  const cachedToken = (await cached.issue('bench-user')).access_token
  const uncachedToken = (await uncached.issue('bench-user')).access_token
  // The same full check under ES256: an EC P-256 key pair instead of the HMAC secret.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const es256 = createAuth({
    ...options,
    keys: { privateKey },
    refreshSecret: secret,
    verifyCacheSize: 0,
    store: new LruSessionStore(),
  })
  const es256Token = (await es256.issue('bench-user')).access_token
  const es256Public = createPublicKey(privateKey)
  const es256Options = { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE }
  const peer = peerToken(secret)
  const keyObject = createSecretKey(Buffer.from(secret, 'utf8'))
  const peerOptions = { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }

  /** A rotation chain: each refresh hands back the token the next one presents. */
  const rotation = async (auth) => {
    let refreshToken = (await auth.issue('rotating-user')).refresh_token
    return async () => {
      refreshToken = (await auth.refresh(refreshToken)).refresh_token
    }
  }

  const operations = {
    'verify-cached': async () => {
      await cached.verify(cachedToken)
    },
    'verify-full': async () => {
      await uncached.verify(uncachedToken)
    },
    'verify-full-es256': async () => {
      await es256.verify(es256Token)
    },
    'jwt-string': () => {
      jwt.verify(peer, secret, peerOptions)
    },
    'jwt-keyobject': () => {
      jwt.verify(peer, keyObject, peerOptions)
    },
    // Our token, so the claims are those verify() checks; jsonwebtoken checks the same signature.
    'jwt-es256': () => {
      jwt.verify(es256Token, es256Public, es256Options)
    },
    'rotate-lru': await rotation(cached),
  }
  let close = async () => {}
  if (redisUrl) {
    const { RedisSessionStore } = await import('@baton/redis-store')
    const store = new RedisSessionStore({ url: redisUrl, prefix: `bench-micro:${process.pid}:` })
    const onRedis = createAuth({ ...options, store })
    operations['rotate-redis'] = await rotation(onRedis)
    close = () => store.close()
  }
  return { operations, close }
}

/** Runs `operation` for about `ms` milliseconds; µs per call. */
async function batch(operation, ms) {
  let count = 0
  const started = performance.now()
  const until = started + ms
  do {
    // 16 calls between clock reads, so reading the clock is not what is measured.
    for (let i = 0; i < 16; i++) await operation()
    count += 16
  } while (performance.now() < until)
  return ((performance.now() - started) * 1000) / count
}

async function run({ secret, redisUrl, rounds, batchMs, warmupMs }) {
  const { operations, close } = await setup({ secret, redisUrl })
  const samples = Object.fromEntries(Object.keys(operations).map((name) => [name, []]))
  for (const [, operation] of Object.entries(operations)) await batch(operation, warmupMs)
  for (let round = 0; round < rounds; round++) {
    for (const [name, operation] of Object.entries(operations)) {
      samples[name].push(await batch(operation, batchMs))
    }
  }
  await close()
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
}

serve({ run }, {})
