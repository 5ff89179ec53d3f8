// The browser half of the demo: @baton/fetch as a page would use it, plus the bookkeeping that
// makes its work visible (every HTTP exchange in the activity log, refreshes counted on both
// sides, what the page's scripts can read). No framework, no bundler: the import map in the HTML
// resolves '@baton/fetch'.
//
// Cookie mode (the server's default): the refresh token is in an HttpOnly cookie no script can
// read, the access token in this tab's memory only; tabs share one session. With
// BATON_REFRESH_COOKIE=0 the page falls back to the body transport, both tokens in sessionStorage.
import { createAuthFetch, webStorage } from '@baton/fetch'

/**
 * @type {{ accessTtl: number, refreshTtl: number, demoTools: boolean, store: string,
 *   refreshCookie: boolean }}
 */
const config = JSON.parse(document.getElementById('config').textContent)
const $ = (id) => document.getElementById(id)
const cookieMode = config.refreshCookie
/** A short name for this tab, so two tabs side by side can be told apart. */
const tabName = `Tab ${Math.random().toString(36).slice(2, 5).toUpperCase()}`

// Refresh a little before expiry (30 s by default), but never for most of a short-lived token.
const refreshBefore = Math.min(30, Math.floor(config.accessTtl / 4))

// ---- Every exchange the client makes, the refresh included, goes through this fetch ---------

/** While the stampede runs, exchanges are tallied instead of logged one by one. */
let tally = null

/** @type {typeof fetch} */
async function observedFetch(input, init) {
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  const url = new URL(input instanceof Request ? input.url : String(input), location.href)
  let response
  try {
    response = await fetch(input, init)
  } catch (error) {
    log(`${method} ${url.pathname} failed: ${error.message}`, 'bad')
    throw error
  }
  const key = `${method} ${url.pathname} → ${response.status}`
  if (method === 'POST' && url.pathname === '/auth/refresh' && response.ok) refreshedHere = true
  if (tally) tally.set(key, (tally.get(key) ?? 0) + 1)
  else log(key, response.ok ? 'ok' : 'bad')
  return response
}

// ---- The client ----------------------------------------------------------------------------

let clientRefreshes = 0
/** Set when this tab's own refresh succeeded, so `onTokens` can tell it from another tab's. */
let refreshedHere = false
let refreshesHere = 0
/** True while the page asks the cookie for a session at start: its refusal is no news. */
let restoring = false
/** Milliseconds to add to a server time to get ours: the demo clock's offset, negated. */
let serverOffset = 0
/** Credentials the login form handed over; the `login` callback uses them once. */
let pendingCredentials = null
/** Set while the login form logs in, so `onTokens` can tell a login from a refresh. */
let loggingIn = false
/** The tokens `onTokens` saw last: new tokens after none, from another tab, are its login. */
let lastTokens = null
let signedInAs = null
/** How many problems `onError` was told of: logout checks whether its revocation was one. */
let problems = 0

/**
 * Cookie mode: the client posts the credentials to `loginUrl`; refresh, login and logout go with
 * `credentials: 'include'` and `X-Baton-CSRF`, and logout revokes at `/auth/revoke` (beside
 * `refreshUrl`). No storage: nothing about the session is kept where a script could read it.
 */
const cookieTransport = { refreshCookie: true, loginUrl: '/auth/login' }

/** Body transport (BATON_REFRESH_COOKIE=0): both tokens in this tab's sessionStorage. */
const bodyTransport = {
  revocationUrl: '/auth/revoke',
  // Survives a reload of this tab; any script on the page could read it, hence the page's CSP.
  storage: webStorage(sessionStorage, 'baton-demo'),
  // Runs when the user submits the form (api.login()), and when a request finds no session:
  // then there are no credentials to use, and the request gets the session's end.
  login: async ({ signal }) => {
    const credentials = pendingCredentials
    pendingCredentials = null
    if (credentials === null) throw Object.assign(new Error('Not signed in'), { status: 401 })
    const response = await observedFetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      signal,
    })
    if (!response.ok) {
      const message = response.status === 401 ? 'Wrong username or password' : 'Login failed'
      throw Object.assign(new Error(message), { status: response.status })
    }
    signedInAs = credentials.username
    return response.json()
  },
}

const api = createAuthFetch({
  origins: [location.origin],
  refreshUrl: '/auth/refresh',
  refreshBefore,
  fetch: observedFetch,
  ...(cookieMode ? cookieTransport : bodyTransport),
  onTokens: (tokens) => {
    const previous = lastTokens
    lastTokens = tokens
    if (tokens === null) return
    if (loggingIn) {
      loggingIn = false
      log(`Logged in: access token for ${duration(tokens.expiresAt)}`, 'ok')
    } else if (previous === null && !refreshedHere) {
      log('Signed in by another tab: this tab shares its session', 'ok')
      void callMe()
    } else {
      const here = refreshedHere
      refreshedHere = false
      clientRefreshes += 1
      if (here) refreshesHere += 1
      $('client-refreshes').textContent = String(clientRefreshes)
      $('last-rotation').textContent =
        `${new Date().toLocaleTimeString([], { hour12: false })} (${here ? 'by this tab' : 'by another tab, shared'})`
      $('refreshes-here').textContent = `${refreshesHere} of ${clientRefreshes} made by this tab`
      log(
        `Refresh #${clientRefreshes}${here ? '' : ' (another tab refreshed; shared)'}: new access token for ${duration(tokens.expiresAt)}`,
        'refresh',
      )
    }
    render()
  },
  // A failed revocation at logout (or a storage that failed): said on the page, not hidden.
  onError: (error) => {
    problems += 1
    log(`${error.message}`, 'bad')
  },
  onSessionEnd: ({ reason }) => {
    signedInAs = null
    if (reason === 'elsewhere') {
      log('Logged out in another tab: this tab is signed out too', 'bad')
      show($('me-result'), 'bad', 'Signed out: a logout in another tab ended this session.')
    } else if (reason === 'expired' && !restoring) {
      log('The session has expired: log in again', 'bad')
    }
    render()
  },
})

lastTokens = api.tokens

// ---- Actions -------------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  $('login-error').hidden = true
  const credentials = { username: $('username').value, password: $('password').value }
  loggingIn = true
  try {
    if (cookieMode) {
      await api.login(credentials)
      signedInAs = credentials.username
    } else {
      pendingCredentials = credentials
      await api.login()
    }
    await callMe()
  } catch (error) {
    loggingIn = false
    const status = error.cause?.status ?? error.status
    $('login-error').textContent =
      status === 401 ? 'Wrong username or password' : (error.cause?.message ?? error.message)
    $('login-error').hidden = false
  }
  render()
})

let calling = false
async function callMe() {
  if (calling) return
  calling = true
  try {
    const response = await api.fetch('/api/me')
    const body = await response.json().catch(() => ({}))
    if (response.ok) {
      signedInAs = body.sub
      const { sub, sid, claims } = body
      const expiresIn = duration(claims.exp * 1000 + serverOffset)
      const shown = { sub, sid, name: claims.name, exp: `${claims.exp} (in ${expiresIn})` }
      show($('me-result'), 'ok', `200 OK\n${JSON.stringify(shown, null, 2)}`)
    } else if (response.status === 401 && api.tokens === null) {
      show($('me-result'), 'bad', '401 Unauthorized: no session, log in first.')
    } else {
      show($('me-result'), 'bad', `${response.status} ${body.code ?? body.error ?? ''}`.trim())
    }
  } catch (error) {
    // A 401 with no session to renew: the `login` callback had no credentials to use.
    const text =
      error.code === 'AUTH_SESSION_EXPIRED'
        ? '401 Unauthorized: no session, log in first.'
        : `${error.code ?? error.name}: ${error.message}`
    show($('me-result'), 'bad', text)
  } finally {
    calling = false
    render()
  }
}
$('call-me').addEventListener('click', callMe)

let autoCall
$('auto-call').addEventListener('change', (event) => {
  clearInterval(autoCall)
  if (event.target.checked) autoCall = setInterval(callMe, 2000)
})

$('logout').addEventListener('click', async () => {
  const old = api.tokens
  // Posts the refresh token to /auth/revoke (RFC 7009) and forgets the tokens. A failed
  // revocation does not fail logout: it goes to onError.
  const before = problems
  // Cookie mode: the revocation goes with the cookie (the server clears it), and the other tabs
  // hear of the logout and end their session too.
  await api.logout()
  if (problems === before) log('Logged out: the session is revoked on the server', 'ok')
  else log('Logged out here only: the server did not revoke the session', 'bad')
  if (old === null) return
  // Proof: the access token we just had has minutes to live, yet the server refuses it now.
  const response = await fetch('/api/me', {
    headers: { authorization: `Bearer ${old.accessToken}` },
  })
  const body = await response.json().catch(() => ({}))
  log(`GET /api/me with the old access token → ${response.status} ${body.code ?? ''}`, 'bad')
  show(
    $('me-result'),
    'bad',
    `${response.status} ${body.code ?? ''}\nThe old access token, not yet expired, is refused: logout ended its session at once.`,
  )
  render()
})

// ---- Demo tools (demo only) ----------------------------------------------------------------

async function demoStats() {
  const response = await fetch('/demo/stats')
  return response.json()
}

async function advanceClock() {
  // JSON, as the demo tools require: a request no other site's page may send here unasked.
  const response = await fetch('/demo/clock/advance', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const state = await response.json()
  showStats(state)
  return state
}

function showStats(state) {
  serverOffset = -state.clockOffsetSeconds * 1000
  $('server-refreshes').textContent = String(state.counts.refresh)
  $('clock-offset').textContent = `+${duration(Date.now() + state.clockOffsetSeconds * 1000)}`
}

$('expire').addEventListener('click', async () => {
  const state = await advanceClock()
  log(
    `Server clock +${state.advancedSeconds} s: every access token issued so far has expired for the server. This page does not know yet.`,
  )
})

$('stampede').addEventListener('click', async () => {
  const result = $('stampede-result')
  if (api.tokens === null) {
    show(result, 'bad', 'Log in first.')
    return
  }
  $('stampede').disabled = true
  try {
    const before = await demoStats()
    const clientBefore = clientRefreshes
    await advanceClock()
    tally = new Map()
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.fetch('/api/me').then(
          (response) => {
            response.body?.cancel()
            return response.status
          },
          (error) => error.code ?? 'error',
        ),
      ),
    )
    const exchanges = tally
    tally = null
    const after = await demoStats()
    showStats(after)
    const serverRefreshes = after.counts.refresh - before.counts.refresh
    const clientRefreshesNow = clientRefreshes - clientBefore
    const ok = statuses.filter((status) => status === 200).length
    const one = serverRefreshes === 1 && clientRefreshesNow === 1 && ok === 20

    result.replaceChildren(
      line('20 concurrent GET /api/me, all sent with a token the server now considers expired:'),
      ...[...exchanges].map(([key, count]) => line(`  ${key}  × ${count}`)),
      line(
        one
          ? `One refresh served all 20 requests (client: ${clientRefreshesNow}, server: ${serverRefreshes}).`
          : `Refreshes — client: ${clientRefreshesNow}, server: ${serverRefreshes}; ${ok} of 20 answered 200.`,
        'verdict',
      ),
    )
    Object.assign(result.dataset, {
      serverRefreshes: String(serverRefreshes),
      clientRefreshes: String(clientRefreshesNow),
      ok: String(ok),
    })
    result.className = `result ${one ? 'ok' : 'bad'}`
    result.hidden = false
    log(`Stampede: 20 requests, ${serverRefreshes} refresh on the server`, one ? 'ok' : 'bad')
  } finally {
    tally = null
    $('stampede').disabled = false
    render()
  }
})

// ---- Rendering -----------------------------------------------------------------------------

function render() {
  const signedIn = api.tokens !== null
  $('login-form').hidden = signedIn
  $('signed-in').hidden = !signedIn
  $('logout').hidden = !signedIn
  $('who').textContent = signedInAs ?? '…'
  tick()
}

/** The countdowns and what scripts can read, four times a second. */
function tick() {
  showReadable()
  const tokens = api.tokens
  if (tokens === null || tokens.expiresAt === undefined) return
  const left = tokens.expiresAt - Date.now()
  const countdown = $('countdown')
  countdown.textContent = left > 0 ? clock(left) : 'expired'
  countdown.classList.toggle('expired', left <= 0)
  const life = tokens.expiresAt - tokens.issuedAt
  $('life-bar').style.width = `${Math.max(0, Math.min(1, left / life)) * 100}%`
  $('refresh-countdown').textContent =
    tokens.refreshExpiresAt === undefined ? '—' : clock(tokens.refreshExpiresAt - Date.now())
}

/**
 * What any script on this page can read: the cookies it can see, both storages, and the access
 * token the client holds in memory (its expiry only; the page never shows a token).
 */
function showReadable() {
  $('read-cookie').textContent = document.cookie === '' ? '(empty)' : document.cookie
  $('read-local').textContent = describeStorage(localStorage)
  $('read-session').textContent = describeStorage(sessionStorage)
  const tokens = api.tokens
  $('read-access').textContent =
    tokens === null
      ? 'none'
      : `expires ${new Date(tokens.expiresAt).toLocaleTimeString([], { hour12: false })} (in ${clock(tokens.expiresAt - Date.now())})`
  const refreshToken = tokens?.refreshToken
  const exposed =
    refreshToken !== undefined &&
    [document.cookie, ...storageValues(localStorage), ...storageValues(sessionStorage)].some(
      (value) => value.includes(refreshToken),
    )
  const verdict = $('read-verdict')
  verdict.className = `verdict ${cookieMode ? 'ok' : 'bad'}`
  verdict.textContent = cookieMode
    ? 'Refresh token: not readable here. It is in an HttpOnly cookie that only requests to /auth carry; the access token lives in this tab’s memory only.'
    : `Refresh token: ${exposed ? 'readable by any script, in sessionStorage' : 'in sessionStorage once you log in, readable by any script'} (BATON_REFRESH_COOKIE=0).`
}

function storageValues(storage) {
  return Array.from({ length: storage.length }, (_, index) => storage.getItem(storage.key(index)))
}

/**
 * One line per entry: its key, and of its value the field names (JSON) and the length. That is
 * enough to see what is kept there without the page ever showing a token.
 */
function describeStorage(storage) {
  if (storage.length === 0) return '(empty)'
  return Array.from({ length: storage.length }, (_, index) => {
    const key = storage.key(index)
    const value = storage.getItem(key) ?? ''
    let fields
    try {
      const parsed = JSON.parse(value)
      if (typeof parsed === 'object' && parsed !== null) fields = Object.keys(parsed).join(', ')
    } catch {
      // Not JSON: its length says enough.
    }
    return `${key}: ${fields === undefined ? '' : `{ ${fields} }, `}${value.length} characters`
  }).join('\n')
}

function show(element, kind, text) {
  element.textContent = text
  element.className = `result ${kind}`
  element.hidden = false
}

function line(text, className) {
  const p = document.createElement('p')
  p.textContent = text
  if (className) p.className = className
  return p
}

function log(text, kind = '') {
  const item = document.createElement('li')
  const time = document.createElement('time')
  time.textContent = new Date().toLocaleTimeString([], { hour12: false })
  const message = document.createElement('span')
  message.textContent = text
  message.className = kind
  item.append(time, message)
  $('log').prepend(item)
  while ($('log').children.length > 60) $('log').lastElementChild.remove()
}

/** `mm:ss`, or `h:mm:ss` past an hour. */
function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${String(m).padStart(2, '0')}:${s}`
}

/** How long from now until `epochMs`, for people: `15 min`, `45 s`, `1 h 2 min`. */
function duration(epochMs) {
  const total = Math.max(0, Math.round((epochMs - Date.now()) / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const parts = [h && `${h} h`, m && `${m} min`, (s || total === 0) && `${s} s`].filter(Boolean)
  return parts.join(' ')
}

// ---- Start ---------------------------------------------------------------------------------

$('life-hint').textContent =
  refreshBefore > 0
    ? `Refreshed automatically ${refreshBefore} s before it expires, or when the server answers 401.`
    : 'Refreshed automatically once it has expired, or when the server answers 401.'
$('store-note').textContent =
  `Sessions on the server: ${config.store === 'redis' ? 'Redis' : 'the embedded LRU store'}.`
$('transport-note').textContent = cookieMode
  ? 'Cookie mode: the access token lives in this tab’s memory, the refresh token in an HttpOnly cookie no script can read (reload or open a tab: one refresh, still signed in).'
  : 'Body transport (BATON_REFRESH_COOKIE=0): both tokens live in this tab’s sessionStorage (reload: still signed in), readable by any script on the page.'
$('tab-name').textContent = tabName
document.title = `Baton demo — ${tabName}`
$('tabs-hint').textContent = cookieMode
  ? 'Tabs share one session: a tab that needs a refresh takes a Web Lock, refreshes once, and hands the new access token to the others (BroadcastChannel). Log out in one tab and every tab is signed out.'
  : 'Body transport: each tab keeps its own session in its own sessionStorage.'
$('insecure').hidden = !cookieMode || window.isSecureContext
$('demo-on').hidden = !config.demoTools
$('demo-off').hidden = config.demoTools
setInterval(tick, 250)
if (config.demoTools) {
  const poll = () => demoStats().then(showStats, () => undefined)
  void poll()
  setInterval(poll, 2000)
}
render()
if (cookieMode) {
  // No token in memory after a reload or in a new tab: the cookie, if there is one, gets this
  // tab an access token with one refresh (or the one another tab is making).
  restoring = true
  try {
    await api.refresh()
    log('Restored the session from the refresh cookie', 'ok')
    void callMe()
  } catch (error) {
    if (error.code === 'AUTH_SESSION_EXPIRED') log('No session in the refresh cookie: log in')
    else log(`${error.code ?? error.name}: ${error.message}`, 'bad')
  } finally {
    restoring = false
  }
} else if (api.tokens !== null) {
  log('Restored the session from sessionStorage')
  void callMe()
}
$('login').disabled = false
document.body.dataset.ready = 'true'
