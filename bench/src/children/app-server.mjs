// One Express app under test, in its own process (pinned to the server core by the parent).
// argv: <variant> (a case 1 app id, or case 3's baton-lru-cookie); env: BENCH_SECRET,
// BENCH_REDIS_URL (Redis variants), BENCH_COUNT_REFRESH=1, BENCH_REDIS_PREFIX (Redis variants: a
// key prefix shared with other instances; one per process by default).
import { generateKeyPairSync } from 'node:crypto'
import { Router } from 'express'
import { serve } from '../lib/child.mjs'
import {
  AUDIENCE,
  ISSUER,
  ROUTE,
  handler,
  listen,
  newApp,
  peerMiddleware,
  peerToken,
  usage,
} from '../lib/apps.mjs'

const variant = process.argv[2]
const secret = process.env.BENCH_SECRET
const app = newApp()
const handlers = {}
let token

if (variant === 'none') {
  app.get(ROUTE, handler)
} else if (variant === 'shape-only') {
  // What Express charges for the shape of the @baton/express apps below, with no verification:
  // a router mounted at /auth (every request is matched against it), one more layer on the route
  // that turns the Authorization header into a fresh req.auth, and an error handler after it.
  const auth = Router()
  auth.post('/refresh', (_req, res) => res.json({}))
  app.use('/auth', auth)
  token = peerToken(secret)
  app.get(
    ROUTE,
    (req, res, next) => {
      if (req.headers.authorization === undefined) {
        res.status(401).json({ error: 'invalid_token' })
        return
      }
      req.auth = { sub: 'bench-user', sid: 'bench-sid', scope: [], claims: { sub: 'bench-user' } }
      next()
    },
    handler,
  )
  app.use((error, _req, res, next) => {
    if (res.headersSent) return next(error)
    res.status(500).json({ error: String(error) })
  })
} else if (variant.startsWith('baton')) {
  const { createAuth, LruSessionStore } = await import('@baton/express')
  let store
  if (variant === 'baton-redis' || variant === 'baton-redis-cached') {
    const { RedisSessionStore } = await import('@baton/redis-store')
    store = new RedisSessionStore({
      url: process.env.BENCH_REDIS_URL,
      prefix: process.env.BENCH_REDIS_PREFIX || `bench:${process.pid}:`,
      localCache: variant === 'baton-redis-cached' ? {} : false,
    })
  } else {
    store = new LruSessionStore({ max: 100_000 })
  }
  const options = {
    // baton-lru-es256: its own EC P-256 key pair (ES256), the secret MACing refresh tokens only;
    // the others sign with the shared HMAC secret.
    ...(variant === 'baton-lru-es256'
      ? { keys: { privateKey: newEcKey() }, refreshSecret: secret }
      : { keys: { secret } }),
    // baton-lru-cookie (case 3's cookie-mode refresh): the refresh token in an HttpOnly cookie.
    ...(variant === 'baton-lru-cookie' ? { refreshCookie: true } : {}),
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    // The trivial authenticate of case 3: /login measures the library, not a password hash.
    authenticate: ({ username }) => ({ sub: username }),
  }
  const auth = createAuth(options)
  // Tokens issued an hour ago: the access token is expired now, the refresh token is not.
  const past = createAuth({ ...options, now: () => Date.now() - 3_600_000 })

  let refreshCalls = 0
  if (process.env.BENCH_COUNT_REFRESH === '1') {
    app.use('/auth/refresh', (_req, _res, next) => {
      refreshCalls++
      next()
    })
  }
  app.use('/auth', auth.router())
  app.get(ROUTE, auth.required(), handler)
  app.use(auth.errorHandler())

  token = (await auth.issue('bench-user')).access_token
  handlers.issue = async ({ count = 1, expired = false, prefix = 'user' }) => {
    const issuer = expired ? past : auth
    const pairs = []
    for (let i = 0; i < count; i++) {
      const response = await issuer.issue(`${prefix}-${i}`)
      pairs.push({ accessToken: response.access_token, refreshToken: response.refresh_token })
    }
    return pairs
  }
  handlers.refreshCalls = () => {
    const count = refreshCalls
    refreshCalls = 0
    return count
  }
} else {
  for (const middleware of await peerMiddleware(variant, secret)) app.use(middleware)
  app.get(ROUTE, handler)
  token = peerToken(secret)
}

const server = await listen(app)
handlers.usage = usage
serve(handlers, { port: server.address().port, token })

function newEcKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
}
