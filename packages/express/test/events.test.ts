import t from 'tap'
import { startApp } from './fixtures/app.js'

t.test('each step emits one event, with the time and no token', async (t) => {
  const app = await startApp(t)
  const tokens = await app.login()
  await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  await app.post('/auth/refresh', { refresh_token: tokens.refresh_token })
  await app.post('/auth/login', { username: 'alice', password: 'wrong' })
  await app.call('/auth/logout', tokens.access_token, { method: 'POST' })
  t.same(
    app.events.map((event) => [event.type, event.reason]),
    [
      ['login', undefined],
      ['refresh', undefined],
      ['refresh_replayed', undefined],
      ['rejected', 'ERR_INVALID_CREDENTIALS'],
      ['logout', undefined],
    ],
  )
  t.ok(app.events.every((event) => event.at === Date.UTC(2026, 0, 1)))
  t.ok(
    app.events.filter((event) => event.type !== 'rejected').every((event) => event.sub === 'alice'),
  )
})

t.test('a listener that throws does not break the request', async (t) => {
  const app = await startApp(t, {
    onEvent: () => {
      throw new Error('listener bug')
    },
  })
  const tokens = await app.login()
  t.equal((await app.call('/api/me', tokens.access_token)).status, 200)
})
