// The Express 5 apps under test. They are identical but for the one middleware in front of the
// JSON route: same express(), same route, same handler, same body, same listen options.
import { createSecretKey, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import express from 'express'
import jwt from 'jsonwebtoken'

export const ISSUER = 'https://bench.baton.test'
export const AUDIENCE = 'bench-api'
export const ROUTE = '/api/data'
export const BODY = { ok: true, items: [1, 2, 3] }

/** The handler every app ends in. */
export const handler = (_req, res) => {
  res.json(BODY)
}

/**
 * How the apps are named in the report. `peer*` apps are configured as their READMEs show: a
 * string secret. The KeyObject variant of express-jwt is an extra row, not how its docs go.
 */
export const VERIFIER_APPS = [
  { id: 'none', label: 'no auth (ceiling)' },
  { id: 'express-jwt', label: 'express-jwt (string secret, as documented)' },
  { id: 'express-jwt-keyobject', label: 'express-jwt (KeyObject secret)' },
  { id: 'passport-jwt', label: 'passport-jwt (string secret, as documented)' },
  // The floor under the @baton/express rows: their app's shape with no verification at all.
  {
    id: 'shape-only',
    label: 'floor: that app shape alone (router at /auth, a layer setting req.auth, error handler)',
  },
  { id: 'baton-lru', label: '@baton/express, LRU store' },
  // ES256 (an EC P-256 key pair) instead of HS256: what asymmetric keys cost a request once the
  // verify cache holds the token (table 2 has the full check of each).
  { id: 'baton-lru-es256', label: '@baton/express, LRU store, ES256' },
  { id: 'baton-redis', label: '@baton/express, Redis store', redis: true },
  // The same store with `localCache`: sessions answered in-process, kept right by CLIENT TRACKING.
  {
    id: 'baton-redis-cached',
    label: '@baton/express, Redis store + localCache (CLIENT TRACKING)',
    redis: true,
  },
]

/** A secret in the shape users make one: base64url of 32 random bytes. */
export function newSecret() {
  return randomBytes(32).toString('base64url')
}

/**
 * A token for the peer apps, as long as ours and with the same claims (sub, sid, jti, iat,
 * exp, iss, aud), signed with the string secret exactly as a user of those libraries would.
 */
export function peerToken(secret, ttlSeconds = 3600) {
  return jwt.sign(
    {
      sid: randomBytes(16).toString('base64url'),
      jti: randomBytes(16).toString('base64url'),
    },
    secret,
    {
      algorithm: 'HS256',
      expiresIn: ttlSeconds,
      issuer: ISSUER,
      audience: AUDIENCE,
      subject: 'bench-user',
    },
  )
}

export async function peerMiddleware(id, secret) {
  switch (id) {
    case 'express-jwt':
    case 'express-jwt-keyobject': {
      // express-jwt README: expressjwt({ secret: "shhhhhhared-secret", algorithms: ["HS256"] }).
      const { expressjwt } = await import('express-jwt')
      const key = id === 'express-jwt' ? secret : createSecretKey(Buffer.from(secret, 'utf8'))
      return [
        expressjwt({ secret: key, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }),
      ]
    }
    case 'passport-jwt': {
      // passport-jwt README: new JwtStrategy({ jwtFromRequest, secretOrKey: 'secret', issuer, audience }, verify).
      const { default: passport } = await import('passport')
      const { Strategy, ExtractJwt } = await import('passport-jwt')
      passport.use(
        new Strategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKey: secret,
            issuer: ISSUER,
            audience: AUDIENCE,
            algorithms: ['HS256'],
          },
          (payload, done) => done(null, payload),
        ),
      )
      return [passport.initialize(), passport.authenticate('jwt', { session: false })]
    }
    default:
      throw new Error(`no peer app ${id}`)
  }
}

/**
 * The last middleware of every app: the same tiny JSON error answer for all of them, so a
 * rejected request costs the same to render everywhere and nothing is logged per request.
 */
// Express tells an error handler by its four parameters, so `_next` stays though unused.
// eslint-disable-next-line no-unused-vars
export const finalErrorHandler = (error, _req, res, _next) => {
  res.status(error.status ?? error.statusCode ?? 500).json({ error: error.code ?? 'error' })
}

let served = 0

/**
 * This process's CPU time (user + system, µs) and how many requests it has received: the
 * harness reads it before and after a run, for the server's CPU time per request — its cost,
 * whatever the load generator or the scheduler did to its throughput.
 */
export function usage() {
  const { user, system } = process.cpuUsage()
  return { cpu: user + system, served }
}

/** Listens on loopback with a deep backlog, so a 1000-request stampede is not SYN-retried. */
export function listen(app) {
  app.use(finalErrorHandler)
  const server = createServer(app)
  server.on('request', () => served++)
  // Long enough that autocannon's and fetch's keep-alive connections are never cut mid-run.
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) => {
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server))
  })
}

export function newApp() {
  return express()
}
