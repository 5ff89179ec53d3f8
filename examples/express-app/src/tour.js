// The terminal tour: a Node client on @baton/fetch walks through the story the browser page
// tells — log in, call, expiry, a stampede of 20 served by one refresh, logout — and prints
// every HTTP exchange it makes, so the story can be read without opening a browser.
// It needs an app created with `demoTools: true` (it moves the server clock).
import { createAuthFetch } from '@baton/fetch'

const STAMPEDE = 20

/**
 * @param {object} options
 * @param {string} options.baseUrl Where the app listens, e.g. `http://127.0.0.1:3000`.
 * @param {(line: string) => void} options.print
 * @param {boolean} [options.color] ANSI colours. @default false
 * @returns {Promise<{ ok: boolean, clientRefreshes: number, serverRefreshes: number }>}
 *   `ok` when one refresh served the whole stampede and logout took effect.
 */
export async function runTour({ baseUrl, print, color = false }) {
  const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
  const bold = paint('1')
  const dim = paint('2')
  const green = paint('32')
  const red = paint('31')
  const url = (path) => new URL(path, baseUrl)

  /** Exchanges of the current step, grouped: `GET /api/me → 401 ERR_TOKEN_EXPIRED` → count. */
  let exchanges = new Map()
  /** @type {typeof fetch} */
  const observedFetch = async (input, init) => {
    const response = await fetch(input, init)
    // Every call here passes a URL (the client passes ours on, and its refresh grant's).
    const { pathname } = new URL(input)
    const method = init?.method ?? 'GET'
    // For the error code, a copy of the body: the client reads (or discards) the original.
    const code = response.ok ? '' : (await response.clone().json()).code
    const key = `${method.padEnd(4)} ${pathname.padEnd(14)} → ${response.status}${code ? ` ${code}` : ''}`
    exchanges.set(key, (exchanges.get(key) ?? 0) + 1)
    return response
  }
  const printExchanges = () => {
    for (const [key, count] of exchanges) {
      const line = `${key}${count > 1 ? `  × ${count}` : ''}`
      print(`     ${/→ 2/.test(key) ? green(line) : red(line)}`)
    }
    exchanges = new Map()
  }
  /** Moves the demo clock by its default (the demo tools take JSON only). */
  const ADVANCE = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }
  const demo = async (path, init) => (await fetch(url(path), init)).json()
  const step = (number, title) => print(`\n${bold(`${number}. ${title}`)}`)
  const note = (text) => print(`     ${dim(text)}`)

  const { settings } = await demo('/demo/stats')
  let clientRefreshes = 0
  const api = createAuthFetch({
    origins: [new URL(baseUrl).origin],
    refreshUrl: url('/auth/refresh'),
    revocationUrl: url('/auth/revoke'),
    refreshBefore: Math.min(30, Math.floor(settings.accessTtl / 4)),
    fetch: observedFetch,
    login: async ({ signal }) => {
      const response = await observedFetch(url('/auth/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
        signal,
      })
      if (!response.ok) throw Object.assign(new Error('Login failed'), { status: response.status })
      return response.json()
    },
    onTokens: (tokens) => {
      if (tokens !== null) clientRefreshes += 1
    },
  })
  const getMe = async () => {
    const response = await api.fetch(url('/api/me'))
    return { status: response.status, body: await response.json() }
  }

  step(1, 'Log in as alice')
  const tokens = await api.login()
  clientRefreshes = 0 // the login's tokens are not a refresh
  printExchanges()
  note(
    `access token for ${human(tokens.expiresAt - Date.now())}, ` +
      `refresh token for ${human(tokens.refreshExpiresAt - Date.now())} — kept in memory, never printed`,
  )

  step(2, 'Call the API')
  const me = await getMe()
  printExchanges()
  note(`${JSON.stringify({ sub: me.body.sub, sid: `${me.body.sid.slice(0, 8)}…` })}`)

  step(3, 'Time passes: the access token expires')
  const advanced = await demo('/demo/clock/advance', ADVANCE)
  note(
    `The demo moved the server clock ${human(advanced.advancedSeconds * 1000)} ahead (a demo-only control).`,
  )
  note('The server now sees an expired token; the client does not know yet.')
  const afterExpiry = await getMe()
  printExchanges()
  note(
    'The 401 triggered one refresh (the refresh token rotated) and the GET was retried once: the caller got its 200.',
  )

  step(4, `Stampede: ${STAMPEDE} concurrent requests with an expired token`)
  const before = await demo('/demo/stats')
  await demo('/demo/clock/advance', ADVANCE)
  const refreshesBefore = clientRefreshes
  const statuses = await Promise.all(
    Array.from({ length: STAMPEDE }, () =>
      api.fetch(url('/api/me')).then(async (response) => {
        await response.body?.cancel()
        return response.status
      }),
    ),
  )
  printExchanges()
  const after = await demo('/demo/stats')
  const serverRefreshes = after.counts.refresh - before.counts.refresh
  const stampedeRefreshes = clientRefreshes - refreshesBefore
  const served = statuses.filter((status) => status === 200).length
  const oneRefresh = serverRefreshes === 1 && stampedeRefreshes === 1 && served === STAMPEDE
  print(
    `     ${
      oneRefresh
        ? green(`✔ ONE refresh served all ${STAMPEDE} requests`)
        : red(`✘ expected one refresh for ${STAMPEDE} requests`)
    } ${dim(`(client: ${stampedeRefreshes} new token set, server: ${serverRefreshes} refresh; ${served}/${STAMPEDE} answered 200)`)}`,
  )

  step(5, 'Log out')
  const old = api.tokens
  await api.logout()
  printExchanges()
  note('api.logout() revoked the refresh token (RFC 7009): the whole session ended on the server.')
  // A plain fetch with the token we just had, to show what the server thinks of it now.
  const stale = await fetch(url('/api/me'), {
    headers: { authorization: `Bearer ${old.accessToken}` },
  })
  const { code } = await stale.json()
  print(
    `     ${red(`GET  /api/me        → ${stale.status} ${code}`)}  ${dim('(with the old access token)')}`,
  )
  note(
    `The old access token had ${human(old.expiresAt - Date.now())} left, and is refused at once.`,
  )

  return {
    ok: afterExpiry.status === 200 && oneRefresh && stale.status === 401,
    clientRefreshes: stampedeRefreshes,
    serverRefreshes,
  }
}

/** `15 min`, `24 h`, `15 min 6 s`. */
function human(ms) {
  const total = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return [h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(' ')
}
