// The demo API: @baton/express on an Express app, with demo users, a protected route, the
// browser demo page and (only when asked for) the demo tools. `createApp` builds it without
// listening, so tests and the two entry points (server.js, demo.js) share one app.
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { authOptionsFromEnv, createAuth } from '@baton/express'
import express from 'express'
import { createDemoClock, createEventStats, demoRouter } from './demo-tools.js'
import { pageHandler } from './page.js'
import { authenticate } from './users.js'

// The built ES modules of @baton/fetch, resolved like any import of the package, so the page
// gets exactly what the package ships (no copy, no bundler).
const FETCH_DIST = dirname(fileURLToPath(import.meta.resolve('@baton/fetch')))
const PUBLIC = fileURLToPath(new URL('../public', import.meta.url))

// The defaults of @baton/express, repeated because the page and the demo clock need the numbers.
const DEFAULT_ACCESS_TTL = 900
const DEFAULT_REFRESH_TTL = 86_400
const DEFAULT_LEEWAY = 5

/**
 * @typedef {object} AppOptions
 * @property {Record<string, string | undefined>} [env] Where `BATON_*` and `REDIS_URL` are read.
 *   Unlike `authOptionsFromEnv`, an unset `BATON_REFRESH_COOKIE` means `1` here: the demo runs in
 *   cookie mode unless `BATON_REFRESH_COOKIE=0`. @default process.env
 * @property {boolean} [demoTools] Mount the demo-only `/demo` routes (a movable server clock and
 *   event counters). Never in production. @default false
 * @property {import('@baton/express').AuthOptions} [auth] Options for `createAuth`, over those
 *   read from `env`. @default {}
 */

/**
 * @typedef {object} App
 * @property {import('express').Express} app The Express app, not yet listening.
 * @property {import('@baton/express').Auth} auth
 * @property {'lru' | 'redis'} store Which session store is in use.
 * @property {boolean} refreshCookie Whether browsers get the refresh token in an httpOnly cookie
 *   (cookie mode) rather than in response bodies. Body clients (the node-cli) work either way.
 * @property {{ accessTtl: number, refreshTtl: number, leeway: number }} settings Seconds.
 * @property {() => Promise<void>} close Releases the store (the Redis connection).
 */

/**
 * @param {AppOptions} [options]
 * @returns {Promise<App>}
 */
export async function createApp({
  env = process.env,
  demoTools = false,
  auth: overrides = {},
} = {}) {
  const clock = createDemoClock()
  const stats = createEventStats()
  // Cookie mode unless BATON_REFRESH_COOKIE says 0 (any other value is still checked there).
  const fromEnv = authOptionsFromEnv({
    ...env,
    BATON_REFRESH_COOKIE: env.BATON_REFRESH_COOKIE?.trim() || '1',
  })

  let store = 'lru'
  let redisStore
  // Redis only when asked for: without REDIS_URL, @baton/redis-store (and ioredis) never load.
  if (env.REDIS_URL && overrides.store === undefined) {
    const { RedisSessionStore } = await import('@baton/redis-store')
    redisStore = new RedisSessionStore({ url: env.REDIS_URL })
    store = 'redis'
  }

  const options = {
    ...fromEnv,
    authenticate,
    ...(redisStore ? { store: redisStore } : {}),
    ...(demoTools ? { now: clock.now } : {}),
    ...overrides,
  }
  const onEvent = overrides.onEvent
  options.onEvent = (event) => {
    stats.record(event)
    onEvent?.(event)
  }
  let auth
  try {
    auth = createAuth(options)
  } catch (error) {
    // Bad options: the Redis connection just opened would keep the process alive.
    await redisStore?.close()
    throw error
  }
  const refreshCookie = options.refreshCookie !== undefined && options.refreshCookie !== false
  const settings = {
    accessTtl: options.accessTtl ?? DEFAULT_ACCESS_TTL,
    refreshTtl: options.refreshTtl ?? DEFAULT_REFRESH_TTL,
    leeway: options.leeway ?? DEFAULT_LEEWAY,
  }

  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', false)
  app.use((_req, res, next) => {
    res.set('x-content-type-options', 'nosniff')
    next()
  })

  app.use('/auth', auth.router())
  app.get('/api/me', auth.required(), (req, res) => {
    res.set('cache-control', 'no-store').json(req.auth)
  })

  app.get(
    '/',
    pageHandler({
      accessTtl: settings.accessTtl,
      refreshTtl: settings.refreshTtl,
      demoTools,
      store,
      refreshCookie,
    }),
  )
  app.use(express.static(PUBLIC, { index: false }))
  app.use('/vendor/baton-fetch', express.static(FETCH_DIST, { index: false }))
  if (demoTools) app.use('/demo', demoRouter({ clock, stats, settings, store }))

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'No such route' })
  })
  app.use(auth.errorHandler())
  // Everything else (a malformed JSON body, a bug): JSON too, and no stack trace to the caller.
  // Express tells an error handler by its four parameters, so `_next` stays.
  // eslint-disable-next-line no-unused-vars
  app.use((error, _req, res, _next) => {
    const status = Number.isInteger(error?.status) && error.status >= 400 ? error.status : 500
    if (status >= 500) console.error(error)
    res
      .status(status)
      .json(
        status < 500
          ? { error: 'invalid_request', error_description: 'The request could not be read' }
          : { error: 'server_error', error_description: 'Something went wrong' },
      )
  })

  return {
    app,
    auth,
    store,
    refreshCookie,
    settings,
    close: async () => {
      auth.close()
      await redisStore?.close()
    },
  }
}

export { DEMO_USERS } from './users.js'
