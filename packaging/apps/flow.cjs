// The flow in a plain CommonJS JavaScript app: require() of every entry point, which must land on
// the packages' CommonJS builds (it prints where they resolved). Same output as flow.ts.
const express = require('express')
const { createAuth } = require('@baton/express')
const { RedisSessionStore } = require('@baton/redis-store')
const { createAuthFetch, TokenSet } = require('@baton/fetch')
const { fileStorage } = require('@baton/fetch/file-storage')

const auth = createAuth({
  keys: { secret: Buffer.alloc(32, 7).toString('base64') },
  authenticate: async ({ username, password }) =>
    username === 'alice' && password === 'alice-password' ? { sub: 'alice' } : null,
})

const app = express()
app.use('/auth', auth.router())
app.get('/api/me', auth.required(), (req, res) => res.json({ sub: req.auth.sub }))
app.get('/api/me-apart', auth.required(), (req, res) => res.json({ sub: req.auth.sub }))
app.use(auth.errorHandler())

async function main() {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    const api = createAuthFetch({
      origins: [base],
      refreshUrl: `${base}/auth/refresh`,
      revocationUrl: `${base}/auth/revoke`,
      login: async () => {
        const response = await fetch(`${base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        })
        return TokenSet.parse(await response.json())
      },
    })
    const first = await api.login()
    const me = await (await api.fetch(`${base}/api/me`)).json()
    const apart = await (await api.fetch(`${base}/api/me-apart`)).json()
    const refreshed = await api.refresh()
    const afterRefresh = await api.fetch(`${base}/api/me`)
    const bearer = { authorization: `Bearer ${refreshed.accessToken}` }
    const stale = await fetch(`${base}/api/me`, { headers: bearer })
    await api.logout()
    const afterLogout = await fetch(`${base}/api/me`, { headers: bearer })
    console.log(
      JSON.stringify({
        me: me.sub,
        apart: apart.sub,
        rotated: refreshed.refreshToken !== first.refreshToken,
        afterRefresh: afterRefresh.status,
        beforeLogout: stale.status,
        afterLogout: afterLogout.status,
        redisStore: typeof RedisSessionStore,
        fileStorage: typeof fileStorage,
        resolved: [
          '@baton/express',
          '@baton/fetch',
          '@baton/fetch/file-storage',
          '@baton/redis-store',
        ]
          .map((name) => require.resolve(name))
          .every((file) => file.includes('/dist/commonjs/')),
      }),
    )
  } finally {
    server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
