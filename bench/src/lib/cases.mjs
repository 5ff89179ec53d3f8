// What the report shows, row by row. The ids are stable: the smoke test checks every row is there.
import { VERIFIER_APPS } from './apps.mjs'

export const VERIFIER_ROWS = VERIFIER_APPS

export const ENDPOINT_ROWS = [
  { id: 'refresh-lru', label: 'POST /auth/refresh (rotation), LRU store', app: 'baton-lru' },
  {
    id: 'refresh-redis',
    label: 'POST /auth/refresh (rotation), Redis store',
    app: 'baton-redis',
    redis: true,
  },
  // A browser's refresh: the refresh token in the baton_refresh cookie, with the Origin and
  // X-Baton-CSRF headers the CSRF rule asks for; the rotated cookie comes back in Set-Cookie.
  {
    id: 'refresh-cookie-lru',
    label: 'POST /auth/refresh (rotation, cookie mode), LRU store',
    app: 'baton-lru-cookie',
  },
  {
    id: 'login-lru',
    label: 'POST /auth/login (trivial authenticate), LRU store',
    app: 'baton-lru',
  },
  {
    id: 'login-redis',
    label: 'POST /auth/login (trivial authenticate), Redis store',
    app: 'baton-redis',
    redis: true,
  },
]

export const CLIENT_ROWS = [
  { id: 'raw', label: 'raw fetch (undici, keep-alive)' },
  // What @baton/fetch sends, written by hand: tells its own cost from the cost of carrying a token.
  { id: 'raw-header', label: 'raw fetch + the same Authorization header, set by hand' },
  // The cheapest way to send the token: one Headers for every request, whose value undici checks
  // once as it copies it (a plain object's value is checked twice). Safe with raw fetch, which
  // never changes the headers it is given; a wrapper over an unknown fetch cannot share one
  // (see README.md).
  {
    id: 'raw-shared-headers',
    label: 'raw fetch + the same header, one Headers reused by every request',
  },
  // The least a wrapper that carries a token can be: the hand-set header of the second row inside
  // one async function that awaits the response and looks at its status. Not a usable client (no
  // refresh, no retry, no origin check): a floor for any wrapper, @baton/fetch included.
  {
    id: 'minimal-wrapper',
    label: 'the least a token wrapper can be: the same header, one async function, a 401 check',
  },
  { id: 'ky', label: 'ky (defaults)' },
  { id: 'baton', label: '@baton/fetch, valid token' },
  // The same code as the first row in another process: how far it lands from 1.00× is the run's
  // own resolution.
  { id: 'raw-again', label: 'raw fetch again, another process (control)' },
]

export const MICRO_ROWS = [
  {
    id: 'verify-cached',
    label: '@baton/express verify(), token seen before (cache hit + session check)',
  },
  {
    id: 'verify-full',
    label: '@baton/express verify(), verifyCacheSize 0, HS256 (full JWS + claims + session check)',
  },
  {
    id: 'verify-full-es256',
    label: '@baton/express verify(), verifyCacheSize 0, ES256 (full JWS + claims + session check)',
  },
  {
    id: 'jwt-string',
    label: 'jsonwebtoken.verify, string secret (how express-jwt/passport-jwt are configured)',
  },
  { id: 'jwt-keyobject', label: 'jsonwebtoken.verify, KeyObject secret' },
  { id: 'jwt-es256', label: 'jsonwebtoken.verify, ES256 public KeyObject' },
  { id: 'rotate-lru', label: '@baton/express refresh() rotation, LRU store' },
  { id: 'rotate-redis', label: '@baton/express refresh() rotation, Redis store', redis: true },
]

export const MEMORY_SIZES = [100_000, 1_000_000]

export const STAMPEDE_SIZES = [1, 10, 100, 1000]

/** How many clients ("tabs") share one storage in the tabs stampede (fewer when N is smaller). */
export const TABS = 5

export const STAMPEDE_MODES = [
  { id: 'rejected', label: 'server refuses (client thought the token valid)' },
  { id: 'known-expired', label: 'client knows it expired (refresh before sending)' },
  // Tabs: several clients on one storage and one lock (localStorage + Web Locks in a browser).
  {
    id: 'tabs',
    label: `spread over up to ${TABS} tabs (clients sharing one storage and its lock), all knowing it expired`,
  },
]

export const TARGETS = {
  batonVsNone: 0.85,
  // Issue 21: the LRU verifier against the no-auth app, by server CPU time per request.
  batonCpuVsNone: 0.95,
  // Issue 21: the Redis store with localCache, against the no-auth app, by req/s.
  batonRedisCachedVsNone: 0.85,
  batonVsExpressJwt: 3,
  fetchVsRaw: 0.97,
  bytesPerSession: 1024,
}
