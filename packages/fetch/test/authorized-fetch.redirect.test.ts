// Redirects, with the real global fetch and two servers on 127.0.0.1:0 (two ports, two origins).
// fetch drops `Authorization` when a redirect leaves the origin, so a 401 from another origin
// refused no token of ours: it is the caller's answer, and it costs no refresh and no session.
import t, { type Test } from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import type { SessionEnd } from '../src/options.js'
import { listen } from './fixtures/listen.js'

/**
 * Ours: `/moved` redirects to the other origin, `/same` to our own `/api`, which takes `A2`
 * only; `/auth/refresh` hands out `A2`. Theirs answers 401 to everything and logs what it got.
 */
async function servers(t: Test) {
  const seen: string[] = []
  let refreshes = 0
  const theirs = await listen(t, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? 'no token'}`)
    res.writeHead(401, { 'www-authenticate': 'Bearer' }).end()
  })
  const ours = await listen(t, (req, res) => {
    req.resume()
    if (req.url === '/auth/refresh') {
      refreshes++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ access_token: 'A2', expires_in: 900, refresh_token: 'R2' }))
    } else if (req.url === '/moved') {
      res.writeHead(307, { location: `${theirs}/elsewhere` }).end()
    } else if (req.url === '/same') {
      res.writeHead(307, { location: '/api' }).end()
    } else {
      res.writeHead(req.headers.authorization === 'Bearer A2' ? 200 : 401).end()
    }
  })
  return { ours, theirs, seen, refreshes: () => refreshes }
}

t.test('a 401 from another origin after a redirect is just the answer', async (t) => {
  const { ours, theirs, seen, refreshes } = await servers(t)
  const api = createAuthFetch({
    origins: [ours],
    refreshUrl: `${ours}/auth/refresh`,
    tokens: { accessToken: 'A1', refreshToken: 'R1' },
  })
  for (const method of ['GET', 'POST']) {
    const response = await api.fetch(`${ours}/moved`, { method })
    t.equal(response.status, 401, method)
    t.equal(response.url, `${theirs}/elsewhere`)
  }
  t.equal(refreshes(), 0, 'no refresh')
  t.equal(api.tokens?.accessToken, 'A1', 'the tokens are kept')
  t.same(seen, ['GET /elsewhere no token', 'POST /elsewhere no token'], 'fetch dropped the token')
})

t.test('nor does it end a session that cannot be refreshed', async (t) => {
  const { ours } = await servers(t)
  const ends: SessionEnd[] = []
  const api = createAuthFetch({
    origins: [ours],
    tokens: { accessToken: 'A1' },
    onSessionEnd: (end) => ends.push(end),
  })
  t.equal((await api.fetch(`${ours}/moved`)).status, 401)
  t.same(ends, [])
  t.equal(api.tokens?.accessToken, 'A1')
})

t.test('a 401 after a redirect within the origin still refreshes and retries', async (t) => {
  const { ours, refreshes } = await servers(t)
  const api = createAuthFetch({
    origins: [ours],
    refreshUrl: `${ours}/auth/refresh`,
    tokens: { accessToken: 'A1', refreshToken: 'R1' },
  })
  const response = await api.fetch(`${ours}/same`)
  t.equal(response.status, 200, 'the token went along, was refused, and was renewed')
  t.equal(response.url, `${ours}/api`)
  t.equal(refreshes(), 1)
})
