// Case 2: bytes per session in LruSessionStore. Run with --expose-gc, one size per process, so
// nothing else lives in the heap. argv: <sessions>.
//
// Each session is built as createAuth's issue() builds one at a /login: a 128-bit sid, a subject
// (a different user per session, the worst case for the per-subject index), no user claims, the
// timestamps, and a browser User-Agent — its own string per session, as a request header is.
import { randomBytes } from 'node:crypto'
import { LruSessionStore } from '@baton/express'

const count = Number(process.argv[2])
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const DAY = 86_400_000

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc()
  const { heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { heapUsed, offHeap: external + arrayBuffers }
}

const before = settle()
const now = Date.now()
const store = new LruSessionStore({ max: count })
const started = performance.now()
const ids = randomBytes(16 * Math.min(count, 100_000))
for (let i = 0; i < count; i++) {
  if (i > 0 && i % 100_000 === 0) randomBytes(ids.length).copy(ids)
  const slot = (i % 100_000) * 16
  const sid = ids.toString('base64url', slot, slot + 16)
  store.create(
    {
      sid,
      sub: `user-${i}`,
      claims: {},
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 30 * DAY,
      refreshExpiresAt: now + DAY,
      generation: 0,
      rotatedAt: now,
      used: false,
      // A fresh, flat string each time, like a header the HTTP parser hands over.
      userAgent: Buffer.from(USER_AGENT, 'latin1').toString('latin1'),
    },
    { maxPerSubject: 10, policy: 'evict-oldest', now },
  )
}
const fillMs = performance.now() - started
const after = settle()
if (store.size !== count) throw new Error(`the store holds ${store.size} sessions, not ${count}`)
process.stdout.write(
  JSON.stringify({
    sessions: count,
    heapBytesPerSession: (after.heapUsed - before.heapUsed) / count,
    totalBytesPerSession:
      (after.heapUsed + after.offHeap - before.heapUsed - before.offHeap) / count,
    fillMs,
  }) + '\n',
)
