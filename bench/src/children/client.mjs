// The client side of cases 4 and 5, in its own process on the client core.
import { pathToFileURL } from 'node:url'
import ky from 'ky'
import { TABS } from '../lib/cases.mjs'
import { serve } from '../lib/child.mjs'

// BENCH_FETCH_MODULE: another build of @baton/fetch (a path to its ESM entry), so that
// fetch-shapes.mjs can run two builds side by side in one schedule.
const { createAuthFetch, webStorage } = await import(
  process.env.BENCH_FETCH_MODULE
    ? pathToFileURL(process.env.BENCH_FETCH_MODULE).href
    : '@baton/fetch'
)

/** A valid, long-lived token set: no refresh happens during case 4. */
const validTokens = (accessToken) => ({
  accessToken,
  refreshToken: 'unused-refresh-token',
  expiresAt: Date.now() + 3_600_000,
})

function clientFor(kind, url, token) {
  switch (kind) {
    case 'raw':
    case 'raw-again':
      return (target) => fetch(target)
    case 'raw-header': {
      const headers = { authorization: `Bearer ${token}` }
      return (target) => fetch(target, { headers })
    }
    case 'raw-shared-headers': {
      const headers = new Headers({ authorization: `Bearer ${token}` })
      return (target) => fetch(target, { headers })
    }
    // Call shapes for `src/fetch-shapes.mjs` (what a wrapper might hand undici), not report rows.
    case 'raw-headers-copy': {
      const shared = new Headers({ authorization: `Bearer ${token}` })
      return (target) => fetch(target, { headers: new Headers(shared) })
    }
    case 'raw-request': {
      const headers = { authorization: `Bearer ${token}` }
      return (target) => fetch(new Request(target, { headers }))
    }
    case 'raw-signal': {
      const headers = { authorization: `Bearer ${token}` }
      return (target) => fetch(target, { headers, signal: new AbortController().signal })
    }
    case 'minimal-wrapper': {
      const headers = { authorization: `Bearer ${token}` }
      return async (target) => {
        const response = await fetch(target, { headers })
        if (response.status === 401) throw new Error('a real wrapper would refresh here')
        return response
      }
    }
    case 'ky':
      // ky as its README shows it: the defaults (timeout, retry, throwHttpErrors) included.
      return (target) => ky.get(target)
    case 'baton': {
      const api = createAuthFetch({
        origins: [new URL(url).origin],
        refreshUrl: new URL('/auth/refresh', url).href,
        tokens: validTokens(token),
      })
      return api.fetch
    }
    case 'baton-request': {
      // A caller's own Request (no body), as a library built on Request objects passes it.
      const api = createAuthFetch({
        origins: [new URL(url).origin],
        refreshUrl: new URL('/auth/refresh', url).href,
        tokens: validTokens(token),
      })
      return (target) => api.fetch(new Request(target))
    }
    default:
      throw new Error(`no client ${kind}`)
  }
}

/**
 * `concurrency` loops, each sending a GET and reading its body to the end, until `seconds` pass.
 * Resolves the completed requests per second and any failures.
 */
async function fetchLoop({ kind, url, seconds, concurrency = 10, token }) {
  const send = clientFor(kind, url, token)
  let done = 0
  let failed = 0
  const until = performance.now() + seconds * 1000
  const loop = async () => {
    while (performance.now() < until) {
      try {
        const response = await send(url)
        await response.arrayBuffer()
        if (response.ok) done++
        else failed++
      } catch {
        failed++
      }
    }
  }
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, loop))
  const cpu = process.cpuUsage(cpuBefore)
  const elapsed = (performance.now() - started) / 1000
  // CPU time this client process spent per completed request, µs: its cost, whatever the
  // server or the scheduler did to its throughput.
  return { rps: done / elapsed, failed, cpuPerRequest: (cpu.user + cpu.system) / done }
}

/**
 * Case 5: `n` requests at once with an access token the server refuses as expired. `mode`
 * 'rejected': the client believes the token valid (its expiresAt says so), so all `n` are sent,
 * all get 401, and one refresh must serve them all. 'known-expired': the client knows the token
 * expired, so the refresh happens before sending, once for all `n`. 'tabs': the `n` requests are
 * spread over up to `TABS` clients that share one storage, as tabs share `localStorage` and a Web
 * Lock; each knows the token expired, and between them they must still refresh once.
 */
async function stampede({ url, n, accessToken, refreshToken, mode }) {
  const options = {
    origins: [new URL(url).origin],
    refreshUrl: new URL('/auth/refresh', url).href,
  }
  const tokens = {
    accessToken,
    refreshToken,
    expiresAt: mode === 'rejected' ? Date.now() + 3_600_000 : Date.now() - 60_000,
  }
  let clients
  if (mode === 'tabs') {
    const shared = sharedTabs(tokens)
    clients = Array.from({ length: Math.min(TABS, n) }, () =>
      createAuthFetch({ ...options, storage: shared.storage() }),
    )
  } else {
    clients = [createAuthFetch({ ...options, tokens })]
  }
  const started = performance.now()
  const statuses = await Promise.all(
    Array.from({ length: n }, async (_, index) => {
      try {
        const response = await clients[index % clients.length].fetch(url)
        await response.arrayBuffer()
        return response.status
      } catch (error) {
        return `error ${error?.code ?? error?.message}`
      }
    }),
  )
  const ms = performance.now() - started
  // Closes each tab's channel, so no later stampede's tabs hear these.
  for (const client of clients) client[Symbol.dispose]()
  const ok = statuses.filter((status) => status === 200).length
  return { ms, ok, failures: [...new Set(statuses.filter((status) => status !== 200))] }
}

/** Numbers each stampede's shared storage, so its channel name is its own too. */
let storages = 0

/**
 * What tabs of one origin share, in one process: a `localStorage` (a Map behind the Storage
 * methods), holding `tokens`, and a lock manager. Each tab makes its own `webStorage` on them, as
 * each tab does on the real ones; Node's `BroadcastChannel` (webStorage's default) carries each
 * tab's new tokens to the others, as in a browser.
 */
function sharedTabs(tokens) {
  const KEY = `baton-${++storages}`
  const items = new Map([[KEY, JSON.stringify(tokens)]])
  const localStorage = {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
  }
  const locks = inProcessLocks()
  return { storage: () => webStorage(localStorage, KEY, { locks, events: null }) }
}

/**
 * The exclusive mode of the Web Locks API (`navigator.locks.request(name, { signal }, callback)`),
 * which Node 20 lacks, for clients in one process: one holder per name at a time, the others
 * granted in the order they asked; a waiter whose signal aborts leaves the queue and rejects.
 */
function inProcessLocks() {
  const queues = new Map()
  return {
    request(name, { signal }, callback) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason)
          return
        }
        let queue = queues.get(name)
        if (queue === undefined) {
          queue = []
          queues.set(name, queue)
        }
        const onAbort = () => {
          const at = queue.indexOf(grant)
          // The holder (at 0) runs to its end; only a waiter can leave.
          if (at > 0) {
            queue.splice(at, 1)
            reject(signal.reason)
          }
        }
        function grant() {
          signal.removeEventListener('abort', onAbort)
          Promise.resolve()
            .then(callback)
            .then(resolve, reject)
            .finally(() => {
              queue.shift()
              if (queue.length === 0) queues.delete(name)
              else queue[0]()
            })
        }
        signal.addEventListener('abort', onAbort, { once: true })
        queue.push(grant)
        if (queue.length === 1) grant()
      })
    },
  }
}

serve({ fetchLoop, stampede }, {})
