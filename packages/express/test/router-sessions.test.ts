import t from 'tap'
import { startApp } from './fixtures/app.js'

interface SessionsBody {
  sessions: {
    sid: string
    createdAt: number
    lastUsedAt: number
    userAgent: string | null
    current: boolean
  }[]
}

t.test('GET /sessions lists the caller’s sessions and marks the current one', async (t) => {
  const app = await startApp(t)
  const phone = await app.login('alice', 'Phone/1.0')
  app.clock.advance(5)
  const laptop = await app.login('alice', 'Laptop/2.0')
  await app.login('bob')
  const response = await app.call('/auth/sessions', laptop.access_token)
  t.equal(response.status, 200)
  t.equal(response.headers.get('cache-control'), 'no-store')
  const { sessions } = (await response.json()) as SessionsBody
  t.equal(sessions.length, 2)
  t.match(sessions, [
    { userAgent: 'Phone/1.0', current: false },
    { userAgent: 'Laptop/2.0', current: true },
  ])
  const start = Math.floor(Date.UTC(2026, 0, 1) / 1000)
  t.equal(sessions[0]?.createdAt, start, 'times are epoch seconds')
  t.equal(sessions[1]?.createdAt, start + 5)
  t.equal((await app.call('/auth/sessions', phone.access_token)).status, 200)
  t.equal((await app.call('/auth/sessions', undefined)).status, 401)
})

t.test('lastUsedAt follows use, to the minute', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  app.clock.advance(120)
  await app.call('/api/me', tokens.access_token)
  const { sessions } = (await (
    await app.call('/auth/sessions', tokens.access_token)
  ).json()) as SessionsBody
  t.equal(sessions[0]?.lastUsedAt, Math.floor(Date.UTC(2026, 0, 1) / 1000) + 120)
})

t.test('DELETE /sessions/:sid revokes one of the caller’s sessions', async (t) => {
  const app = await startApp(t)
  const phone = await app.login('alice', 'Phone/1.0')
  const laptop = await app.login('alice', 'Laptop/2.0')
  const { sessions } = (await (
    await app.call('/auth/sessions', laptop.access_token)
  ).json()) as SessionsBody
  const phoneSid = sessions.find((session) => !session.current)?.sid as string
  const response = await app.call(`/auth/sessions/${phoneSid}`, laptop.access_token, {
    method: 'DELETE',
  })
  t.equal(response.status, 200)
  t.same(await response.json(), { revoked: 1 })
  t.match(app.events.at(-1), { type: 'revoked', sub: 'alice', sid: phoneSid })
  t.equal((await app.call('/api/me', phone.access_token)).status, 401)
  t.equal((await app.call('/api/me', laptop.access_token)).status, 200)
})

t.test('another user’s or an unknown sid is 404 and revokes nothing', async (t) => {
  const app = await startApp(t)
  const alice = await app.login('alice')
  const bob = await app.login('bob')
  const bobSid = (await app.auth.verify(bob.access_token)).sid
  const foreign = await app.call(`/auth/sessions/${bobSid}`, alice.access_token, {
    method: 'DELETE',
  })
  t.equal(foreign.status, 404)
  t.match(await foreign.json(), { error: 'not_found', code: 'ERR_SESSION_NOT_FOUND' })
  t.equal((await app.call('/api/me', bob.access_token)).status, 200)
  const unknown = await app.call('/auth/sessions/nope', alice.access_token, { method: 'DELETE' })
  t.equal(unknown.status, 404)
})

t.test('DELETE /sessions revokes all of the caller’s other sessions', async (t) => {
  const app = await startApp(t)
  const others = [await app.login(), await app.login()]
  const current = await app.login()
  const bob = await app.login('bob')
  const response = await app.call('/auth/sessions', current.access_token, { method: 'DELETE' })
  t.same(await response.json(), { revoked: 2 })
  for (const tokens of others) t.equal((await app.call('/api/me', tokens.access_token)).status, 401)
  t.equal((await app.call('/api/me', current.access_token)).status, 200)
  t.equal((await app.call('/api/me', bob.access_token)).status, 200)
})

t.test('the programmatic calls revoke sessions and say what they did', async (t) => {
  const app = await startApp(t)
  const one = await app.login()
  const two = await app.login()
  const sid = (await app.auth.verify(one.access_token)).sid
  t.equal(await app.auth.revokeSession(sid), true)
  t.equal(await app.auth.revokeSession(sid), false)
  t.equal((await app.call('/api/me', one.access_token)).status, 401)
  t.equal(await app.auth.revokeAllSessions('alice'), 1)
  t.equal((await app.call('/api/me', two.access_token)).status, 401)
  t.equal(await app.auth.revoke(two.refresh_token), false, 'nothing left to revoke')
})
