// Behaviour 9: after every error path, the access token, the refresh token and the password
// appear in no error message, stack, cause, JSON.stringify, util.inspect, or console output.
// The server and the callbacks here are careless on purpose: they echo the secrets they get.
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { AuthFetchOptions } from '../src/options.js'
import { TokenSet } from '../src/token-set.js'
import { json } from './fixtures/scripted-fetch.js'
import { API, clientOf, ORIGIN, tokenServer } from './fixtures/token-server.js'

const PASSWORD = 'pw.SECRET.hunter2'
const SECRET = /SECRET/

/** Every way an error can be looked at. */
function views(error: unknown): string[] {
  const result = [
    String(error),
    JSON.stringify(error) ?? '',
    inspect(error, { depth: Infinity, showHidden: true }),
    inspect(error, { depth: Infinity, getters: true }),
  ]
  if (error instanceof Error) {
    result.push(error.message, error.stack ?? '', JSON.stringify(error.cause) ?? '')
    result.push(inspect(error.cause, { depth: Infinity, showHidden: true }))
  }
  return result
}

function assertClean(t: Test, error: unknown, name: string): void {
  t.ok(error, `${name}: there is an error to look at`)
  for (const view of views(error)) t.notMatch(view, SECRET, name)
}

function secretClient(options: Partial<AuthFetchOptions> = {}) {
  const server = tokenServer({
    accessPrefix: 'at.SECRET.access-',
    refreshPrefix: 'rt.SECRET.refresh-',
  })
  const errors: unknown[] = []
  const ends: unknown[] = []
  const api = clientOf(server, {
    revocationUrl: `${ORIGIN}/auth/revoke`,
    tokens: server.initial({ accessToken: 'at.SECRET.access-0' }),
    onError: (error) => errors.push(error),
    onSessionEnd: (end) => ends.push(end),
    ...options,
  })
  return { server, api, errors, ends }
}

/** A server that echoes whatever credentials it was sent, in status text, body and headers. */
function echo(call: { authorization: string | null; body: string }, status: number): Response {
  const sent =
    `${call.authorization ?? ''} ${new URLSearchParams(call.body).get('refresh_token') ?? ''}`.trim()
  const word = sent.replace(/\s+/g, '_').replace(/[^\w.:-]/g, '')
  return json({ error: word, error_description: `you sent ${sent}`, code: word }, status, {
    'x-echo': sent.replace(/[^\x20-\x7e]/g, ''),
  })
}

t.test('the search finds a planted leak: the control for the test below', async (t) => {
  const leaks = (value: unknown): boolean => views(value).some((view) => SECRET.test(view))
  // The package's own deliberate exposure: toJSON writes the tokens, for storages to persist.
  const { api } = secretClient()
  t.ok(leaks(api.tokens), 'JSON.stringify of a TokenSet shows its tokens')
  // One planted leak in each place an error can hide one, as careless HTTP clients do.
  const planted: [string, unknown][] = [
    ['the message', new Error('refresh rt.SECRET.refresh-1 failed')],
    ['the cause', new Error('failed', { cause: { body: 'refresh_token=rt.SECRET.refresh-1' } })],
    [
      'a non-enumerable property',
      Object.defineProperty(new Error('failed'), 'request', {
        value: { headers: { authorization: 'Bearer at.SECRET.access-1' } },
      }),
    ],
    [
      'a getter',
      Object.defineProperty(new Error('failed'), 'config', {
        get: () => ({ password: PASSWORD }),
        enumerable: true,
      }),
    ],
    ['a thrown string', `login failed for ${PASSWORD}`],
  ]
  for (const [where, error] of planted) t.ok(leaks(error), `found in ${where}`)
  // And the console capture used below sees what is logged.
  const logged: string[] = []
  t.capture(console, 'warn', (...args: unknown[]) => void logged.push(inspect(args)))
  console.warn(planted[0]?.[1])
  t.match(logged.join('\n'), SECRET, 'found in a console line')
})

t.test('no secret escapes any error path', async (t) => {
  const consoleOutput: string[] = []
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    t.capture(console, method, (...args: unknown[]) => void consoleOutput.push(inspect(args)))
  }

  // AUTH_REFRESH_FAILED: the retried request is refused again, by an echoing server.
  {
    const { server, api } = secretClient()
    server.onApi = (call) => {
      const response = echo(call, 401)
      return new Response(response.body, {
        status: 401,
        statusText: `Unauthorized ${call.authorization ?? ''}`,
        headers: response.headers,
      })
    }
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, { code: 'AUTH_REFRESH_FAILED' })
    assertClean(t, error, 'AUTH_REFRESH_FAILED')
  }

  // AUTH_SESSION_EXPIRED: invalid_grant with the refresh token echoed in error and code.
  {
    const { server, api, ends } = secretClient()
    server.onRefresh = (call) => echo(call, 401)
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, { code: 'AUTH_SESSION_EXPIRED' })
    assertClean(t, error, 'AUTH_SESSION_EXPIRED from the server')
    assertClean(t, ends, 'what onSessionEnd received')
  }

  // AUTH_SESSION_EXPIRED: a failed login whose error carries the password and the old tokens.
  {
    const { server, api, ends } = secretClient({
      login: async () => {
        const request = { body: { username: 'alice', password: PASSWORD } }
        throw Object.assign(new Error('Request failed with status code 401'), {
          status: 401,
          config: request,
          request: { headers: { authorization: `Bearer ${server.access}` } },
          response: { status: 401, data: { echoed: PASSWORD } },
        })
      },
    })
    server.onRefresh = () => json({ error: 'invalid_grant' }, 400)
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, { code: 'AUTH_SESSION_EXPIRED', cause: { status: 401 } })
    assertClean(t, error, 'a failed login')
    assertClean(t, ends, 'what onSessionEnd received after a failed login')
  }

  // AUTH_REFRESH_UNAVAILABLE: a network error that names the refresh token.
  {
    const { server, api } = secretClient()
    server.onRefresh = (call) => {
      const token = new URLSearchParams(call.body).get('refresh_token')
      throw new TypeError(`fetch failed: ${token}`, { cause: { body: call.body } })
    }
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, {
      code: 'AUTH_REFRESH_UNAVAILABLE',
      cause: { message: 'fetch failed: [redacted]' },
    })
    assertClean(t, error, 'a network error on refresh')
  }

  // AUTH_REFRESH_UNAVAILABLE: a 503 that echoes everything.
  {
    const { server, api } = secretClient()
    server.onRefresh = (call) => echo(call, 503)
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, { code: 'AUTH_REFRESH_UNAVAILABLE' })
    assertClean(t, error, 'a 5xx on refresh')
  }

  // AUTH_REFRESH_UNAVAILABLE: a 200 whose body is not a token response but quotes the token.
  {
    const { server, api } = secretClient()
    server.onRefresh = (call) => new Response(`not json ${call.body}`, { status: 200 })
    const error = await api.fetch(API).catch((error: unknown) => error)
    assertClean(t, error, 'an unusable refresh answer')
  }

  // The refresh callback throws an error carrying the tokens.
  {
    const { api } = secretClient({
      refreshUrl: undefined,
      refresh: async ({ refreshToken }) => {
        throw Object.assign(new Error(`refresh ${refreshToken} failed`), {
          status: 503,
          headers: { authorization: 'Bearer at.SECRET.access-0' },
        })
      },
    })
    const error = await api.fetch(API).catch((error: unknown) => error)
    t.match(error, {
      code: 'AUTH_REFRESH_UNAVAILABLE',
      cause: { message: 'refresh [redacted] failed' },
    })
    assertClean(t, error, 'a refresh callback error')
  }

  // A transient network error on the request itself is the underlying fetch's own error.
  {
    const { server, api } = secretClient()
    server.onApi = () => {
      throw new TypeError('fetch failed')
    }
    const error = await api.fetch(API).catch((error: unknown) => error)
    assertClean(t, error, 'a network error on the request')
  }

  // A failed revocation at logout, reported to onError.
  {
    const { server, api, errors } = secretClient()
    server.onApi = (call) => echo(call, 500)
    await api.logout()
    t.equal(errors.length, 1)
    assertClean(t, errors[0], 'a failed revocation')
    const network = secretClient()
    network.server.onApi = (call) => {
      throw new TypeError(`fetch failed: ${call.body}`)
    }
    await network.api.logout()
    assertClean(t, network.errors[0], 'a revocation network error')
  }

  // Garbage and bad tokens: TokenSet.parse and the tokens option.
  for (const garbage of [
    '{"accessToken": "at.SECRET.access-9", ',
    { accessToken: 'at.SECRET.access-9', refreshToken: ['rt.SECRET.refresh-9'] },
    { accessToken: 'at.SECRET.access-9', expiresAt: 'at.SECRET.access-9' },
    { access_token: 'at.SECRET.access-9', token_type: 'at.SECRET.access-9' },
  ]) {
    const parseError = (() => {
      try {
        TokenSet.parse(garbage)
      } catch (error) {
        return error
      }
      return undefined
    })()
    assertClean(t, parseError, 'TokenSet.parse')
    const optionError = (() => {
      try {
        createAuthFetch({ origins: [ORIGIN], tokens: garbage as never })
      } catch (error) {
        return error
      }
      return undefined
    })()
    assertClean(t, optionError, 'the tokens option')
  }

  // The client and its tokens, looked at directly.
  {
    const { api } = secretClient()
    await api.refresh()
    for (const view of [
      inspect(api, { depth: Infinity, showHidden: true }),
      inspect(api.tokens, { depth: Infinity }),
      JSON.stringify(api),
    ]) {
      t.notMatch(view, SECRET, 'the client and its TokenSet')
    }
  }

  t.same(consoleOutput, [], 'the package wrote nothing to the console')
})
