// Refusals over HTTP: each one reported to onEvent exactly once, whatever refused it; a listener
// that rejects changes nothing; bodies that do not decompress get our JSON 400; and a middleware
// factory handed to Express uncalled fails its requests instead of hanging them.
import { gzipSync } from 'node:zlib'
import express, {
  type NextFunction,
  type Request as ExpressRequest,
  type Response as ExpressResponse,
} from 'express'
import t from 'tap'
import { createAuth } from '../src/index.js'
import { SECRET, serve, startApp } from './fixtures/app.js'

const rejections = (events: { type: string; reason?: string }[]) =>
  events.filter((event) => event.type === 'rejected').map((event) => event.reason)

t.test('every refusal is reported once, with its code', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  const cases: [string, () => Promise<Response>, number, string][] = [
    ['no credentials', () => app.call('/api/me', undefined), 401, 'ERR_NO_CREDENTIALS'],
    [
      'a malformed Bearer header',
      () => app.call('/api/me', undefined, { raw: 'Bearer a b' }),
      400,
      'ERR_INVALID_REQUEST',
    ],
    ['a bad token', () => app.call('/api/me', 'x.y.z'), 401, 'ERR_TOKEN_INVALID'],
    [
      'a missing scope',
      () => app.call('/api/admin', tokens.access_token, { method: 'DELETE' }),
      403,
      'ERR_INSUFFICIENT_SCOPE',
    ],
    [
      'a malformed Bearer header on optional()',
      () => app.call('/api/feed', undefined, { raw: 'Bearer' }),
      400,
      'ERR_INVALID_REQUEST',
    ],
    ['/logout without credentials', () => app.post('/auth/logout'), 401, 'ERR_NO_CREDENTIALS'],
    [
      '/login without a password',
      () => app.post('/auth/login', { username: 'alice' }),
      400,
      'ERR_INVALID_REQUEST',
    ],
    [
      '/login with a body that is not JSON',
      () => app.post('/auth/login', '{', { 'content-type': 'application/json' }),
      400,
      'ERR_INVALID_REQUEST',
    ],
    [
      '/login with a wrong password',
      () => app.post('/auth/login', { username: 'alice', password: 'nope' }),
      401,
      'ERR_INVALID_CREDENTIALS',
    ],
    [
      '/refresh with a bad token',
      () => app.post('/auth/refresh', { grant_type: 'refresh_token', refresh_token: 'x' }),
      400,
      'ERR_REFRESH_INVALID',
    ],
  ]
  for (const [name, send, status, code] of cases) {
    app.events.length = 0
    const response = await send()
    t.equal(response.status, status, name)
    t.match(await response.json(), { code }, name)
    t.same(rejections(app.events), [code], `${name}: one rejected event`)
  }
  app.events.length = 0
  t.equal((await app.call('/api/feed', undefined)).status, 200)
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
  t.same(rejections(app.events), [], 'an anonymous optional() request and a good one: none')
})

t.test('an onEvent that rejects is ignored like one that throws', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => void process.off('unhandledRejection', onUnhandled))
  let calls = 0
  const app = await startApp(t, {
    onEvent: async () => {
      calls++
      await Promise.resolve()
      throw new Error('the audit log is down')
    },
  })
  // An anonymous request with a bad token emits `rejected`: nobody needs to log in to send it.
  const response = await app.call('/api/me', 'x.y.z')
  t.equal(response.status, 401)
  t.equal((await app.login()).token_type, 'Bearer', 'and the server serves on')
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(calls >= 2, 'the listener ran')
  t.same(unhandled, [], 'no unhandled rejection')
})

t.test('a body that does not decompress is a JSON 400, not an HTML page', async (t) => {
  const app = await startApp(t)
  const gzipped = gzipSync(JSON.stringify({ refresh_token: 'x' }))
  const bodies: [string, Uint8Array | string][] = [
    ['gzip', 'not gzip at all'],
    ['gzip', gzipped.subarray(0, gzipped.length - 8)],
    ['deflate', 'not deflate'],
    ['br', 'not brotli'],
  ]
  for (const [encoding, body] of bodies) {
    const response = await fetch(`${app.base}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body,
    })
    t.equal(response.status, 400, encoding)
    t.match(response.headers.get('content-type'), /^application\/json/)
    t.same(await response.json(), {
      error: 'invalid_request',
      error_description: 'The request body could not be decompressed',
      code: 'ERR_INVALID_REQUEST',
    })
  }
  const good = await fetch(`${app.base}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipped,
  })
  t.match(await good.json(), { code: 'ERR_REFRESH_INVALID' }, 'a good gzip body is read')
})

t.test('auth.required or auth.optional given uncalled fails the request, saying so', async (t) => {
  const auth = createAuth({ keys: { secret: SECRET } })
  const app = express()
  const asMiddleware = (factory: unknown) => factory as express.RequestHandler
  // The misuse under test: the factories handed over unbound and uncalled.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  app.get('/required', asMiddleware(auth.required), (_req, res) => void res.send('open'))
  // eslint-disable-next-line @typescript-eslint/unbound-method
  app.get('/optional', asMiddleware(auth.optional), (_req, res) => void res.send('open'))
  app.use((error: Error, _req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
    res.status(500).json({ message: error.message })
  })
  const base = await serve(t, app, auth)
  for (const name of ['required', 'optional']) {
    const response = await fetch(`${base}/${name}`, { signal: AbortSignal.timeout(5000) })
    t.equal(response.status, 500, `${name}: an answer, not a hang, and not the route`)
    t.same(await response.json(), {
      message: `auth.${name} makes a middleware: write auth.${name}()`,
    })
  }
})
