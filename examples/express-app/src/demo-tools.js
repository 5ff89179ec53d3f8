// DEMO ONLY. A server clock you can move forward, and counters of what the server did, so the
// demo can show an expired access token without waiting 15 minutes and prove that one refresh
// served a stampede. createApp mounts these routes only with `demoTools: true`: a real server
// has no business letting its callers move its clock.
import express from 'express'

/** How many recent events `/demo/stats` shows. */
const RECENT_EVENTS = 20
/** The most one advance may move the clock: ten years, in seconds. */
const MAX_ADVANCE = 10 * 365 * 86_400

/** A clock that runs with real time, plus an offset that only ever moves forward. */
export function createDemoClock(realNow = Date.now) {
  let offsetMs = 0
  return {
    /** Epoch milliseconds as the server sees them: give this to createAuth's `now`. */
    now: () => realNow() + offsetMs,
    get offsetSeconds() {
      return offsetMs / 1000
    },
    /**
     * Moves the clock forward. Never back: tokens issued "in the future" would then be refused
     * as not yet valid, which is not the story the demo tells.
     */
    advance(seconds) {
      offsetMs += seconds * 1000
    },
  }
}

/** Counts the `onEvent` events of `@baton/express` and keeps the most recent ones. */
export function createEventStats() {
  /** @type {Record<string, number>} */
  const counts = {
    login: 0,
    refresh: 0,
    refresh_replayed: 0,
    refresh_reused: 0,
    logout: 0,
    revoked: 0,
    evicted: 0,
    rejected: 0,
  }
  /** @type {import('@baton/express').AuthEvent[]} */
  const recent = []
  return {
    /** @param {import('@baton/express').AuthEvent} event */
    record(event) {
      counts[event.type] += 1
      recent.unshift(event)
      recent.length = Math.min(recent.length, RECENT_EVENTS)
    },
    snapshot: () => ({ counts: { ...counts }, recent: recent.map((event) => ({ ...event })) }),
  }
}

/**
 * `GET /stats` and `POST /clock/advance`, to mount at `/demo`.
 * @param {{ clock: ReturnType<typeof createDemoClock>, stats: ReturnType<typeof createEventStats>,
 *   settings: { accessTtl: number, refreshTtl: number, leeway: number }, store: string }} demo
 */
function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function demoRouter({ clock, stats, settings, store }) {
  const router = express.Router()
  // Enough to expire every access token issued so far, for the server, and no refresh token
  // (unless refreshTtl is as short as accessTtl).
  const expireAccessTokens = settings.accessTtl + settings.leeway + 1

  const state = () => ({
    ...stats.snapshot(),
    clockOffsetSeconds: clock.offsetSeconds,
    serverTime: clock.now(),
    settings: { ...settings, expireAccessTokens },
    store,
  })

  router.get('/stats', (_req, res) => {
    res.set('cache-control', 'no-store').json(state())
  })

  router.post('/clock/advance', express.json({ limit: '1kb' }), (req, res) => {
    // JSON only. Any web page the user visits may send a form or a text/plain POST here without
    // asking (a CORS "simple request"), but not application/json: so no other site can move
    // this clock, loopback or not.
    if (!req.is('application/json')) {
      res.status(415).json({
        error: 'invalid_request',
        error_description: 'send JSON: {} or { "seconds": n }',
      })
      return
    }
    const body = req.body
    if (!isPlainObject(body) || Object.keys(body).some((key) => key !== 'seconds')) {
      res.status(400).json({
        error: 'invalid_request',
        error_description: 'the body must be {} or { "seconds": n }',
      })
      return
    }
    const given = body.seconds
    const seconds = given === undefined ? expireAccessTokens : given
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      res.status(400).json({
        error: 'invalid_request',
        error_description: 'seconds must be a positive number',
      })
      return
    }
    if (seconds > MAX_ADVANCE) {
      res.status(400).json({
        error: 'invalid_request',
        error_description: `seconds must be at most ${MAX_ADVANCE}`,
      })
      return
    }
    clock.advance(seconds)
    res.set('cache-control', 'no-store').json({ advancedSeconds: seconds, ...state() })
  })

  return router
}
