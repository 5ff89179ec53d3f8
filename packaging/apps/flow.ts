// The flow every standalone app runs against the installed tarballs, in TypeScript: compiled with
// tsc under `strict` as CommonJS (`module: commonjs`), as ESM (`nodenext`) and with bundler
// resolution, then run with Node. It prints one JSON line that the test checks.
import express from 'express'
import type { Response } from 'express'
import { createAuth, type AuthenticatedRequest } from '@baton/express'
import type {} from '@baton/express/augment'
import { RedisSessionStore } from '@baton/redis-store'
import { createAuthFetch, TokenSet } from '@baton/fetch'
import { fileStorage } from '@baton/fetch/file-storage'
import type { AddressInfo } from 'node:net'

const auth = createAuth({
  keys: { secret: Buffer.alloc(32, 7).toString('base64') },
  authenticate: async ({ username, password }) =>
    username === 'alice' && password === 'alice-password' ? { sub: 'alice' } : null,
})

// The two documented ways to read req.auth after required(), neither with a cast.
function meApart(req: AuthenticatedRequest, res: Response): void {
  res.json({ sub: req.auth.sub })
}

const app = express()
app.use('/auth', auth.router())
app.get('/api/me', auth.required(), (req, res) => {
  res.json({ sub: req.auth.sub, sid: req.auth.sid })
})
app.get('/api/me-apart', auth.required(), meApart)
app.get('/api/feed', auth.optional(), (req, res) => {
  res.json({ viewer: req.auth?.sub ?? null })
})
app.use(auth.errorHandler())

async function main(): Promise<void> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
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
    const me = (await (await api.fetch(`${base}/api/me`)).json()) as { sub: string }
    const apart = (await (await api.fetch(`${base}/api/me-apart`)).json()) as { sub: string }
    const refreshed = await api.refresh()
    const afterRefresh = await api.fetch(`${base}/api/me`)
    const stale = await fetch(`${base}/api/me`, {
      headers: { authorization: `Bearer ${refreshed.accessToken}` },
    })
    await api.logout()
    const afterLogout = await fetch(`${base}/api/me`, {
      headers: { authorization: `Bearer ${refreshed.accessToken}` },
    })
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
      }),
    )
  } finally {
    server.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
